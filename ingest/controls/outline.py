"""A document's heading outline for the catalogue builders of documents whose controls are headings (the
Guidelines, the NCSC ML principles, CSA Singapore): each heading with its own text blocks and pages, and
the statements of a text (sentences; a lead-in ending in ":" takes its bullet items along)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from saige.sentences import split_sentences
from saige.types import Page, ParsedDocument

BULLET = "\u2022 "
MARKERS = (BULLET, "\u2013 ")  # list markers as the PDF reader writes them (an en dash stays as printed)


@dataclass
class Node:
    """One heading, its level, and the text blocks up to the next heading (each with its page)."""

    heading: str
    level: int
    page: Page
    blocks: list[tuple[Page, str]] = field(default_factory=list)

    @property
    def pages(self) -> list[Page]:
        """The heading's page, then the pages of its text, each once."""
        seen: dict[int, Page] = {self.page.index: self.page}
        for page, _ in self.blocks:
            seen.setdefault(page.index, page)
        return list(seen.values())

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.blocks)


def outline(parsed: ParsedDocument) -> list[Node]:
    """Every heading of the document in order, with the text blocks under it (not those of sub-headings)."""
    nodes: list[Node] = []
    for page in parsed.pages:
        for block in page.blocks:
            if block.kind == "heading":
                nodes.append(Node(heading=block.text.strip(), level=block.level, page=page))
            elif nodes and block.text.strip():
                nodes[-1].blocks.append((page, block.text.strip()))
    return nodes


def subtree(nodes: Sequence[Node], i: int) -> list[Node]:
    """The nodes under nodes[i]: those after it up to the next heading of its level or higher."""
    out: list[Node] = []
    for node in nodes[i + 1 :]:
        if node.level <= nodes[i].level:
            break
        out.append(node)
    return out


def statements(blocks: Sequence[tuple[Page, str]]) -> list[tuple[str, list[Page]]]:
    """The statements of some text blocks, verbatim, each with its pages: every sentence of a paragraph and
    every bullet item; a sentence or item ending in ":" takes the bullet items after it along."""
    out: list[tuple[str, list[Page]]] = []
    lead: int | None = None  # the statement in `out` that is collecting bullet items
    for page, text in blocks:
        if text.startswith(MARKERS):
            marker, item = text[: len(BULLET)], text[len(BULLET) :].strip()
            if lead is not None:
                body, pages = out[lead]
                out[lead] = (f"{body}\n{marker}{item}", pages if page in pages else [*pages, page])
            else:
                out.append((item, [page]))
                lead = len(out) - 1 if item.endswith(":") else None
            continue
        lead = None
        for sentence in split_sentences(text):
            out.append((sentence, [page]))
            lead = len(out) - 1 if sentence.endswith(":") else None
    return out

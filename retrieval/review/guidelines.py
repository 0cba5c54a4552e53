"""The Guidelines document and its guidelines: one section per guideline, with its lifecycle stage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from saige.sentences import split_sentences as sentences_of
from saige.types import STAGES, Chunk, Document, normalize_heading, stable_id


class GuidelineRef(BaseModel):
    """A guideline of the Guidelines document: one section with a lifecycle stage."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    doc_title: str
    stage: str
    heading: str
    section_path: list[str]
    page_start: int | None = None
    page_end: int | None = None
    order: int = 0
    url: str = ""

    @property
    def key(self) -> str:
        return stable_id(self.doc_id, " > ".join(self.section_path))

    @property
    def pages_label(self) -> str:
        return pages_label(self.page_start, self.page_end)


def guidelines_document(documents: Sequence[Document]) -> Document | None:
    """The Guidelines: the indexed document with the highest priority (None when nothing is indexed)."""
    if not documents:
        return None
    return max(documents, key=lambda d: d.priority)


def guideline_refs(chunks: Iterable[Chunk], document: Document) -> list[GuidelineRef]:
    """The guidelines of `document`, in document order: its sections under a lifecycle stage.

    A stage's own introduction (a section headed by the stage name) is not a guideline.
    """
    stage_names = {normalize_heading(s) for s in STAGES}
    refs: dict[tuple[str, ...], GuidelineRef] = {}
    for c in chunks:
        if c.doc_id != document.id or c.stage not in STAGES:
            continue
        if normalize_heading(c.section) in stage_names:
            continue
        key = tuple(c.section_path)
        ref = refs.get(key)
        if ref is None:
            refs[key] = GuidelineRef(
                doc_id=c.doc_id,
                doc_title=document.short_title,
                stage=c.stage,
                heading=c.section,
                section_path=list(c.section_path),
                page_start=c.page_start,
                page_end=c.page_end,
                order=c.section_order,
                url=document.page_url(c.link_page),
            )
            continue
        if c.page_start is not None and (ref.page_start is None or c.page_start < ref.page_start):
            ref.url = document.page_url(c.link_page)  # links count physical pages, not printed ones
        pages = [p for p in (ref.page_start, ref.page_end, c.page_start, c.page_end) if p is not None]
        if pages:
            ref.page_start, ref.page_end = min(pages), max(pages)
    return sorted(refs.values(), key=lambda r: (STAGES.index(r.stage), r.order))


def find_guideline(refs: Sequence[GuidelineRef], name: str) -> GuidelineRef | None:
    """The guideline whose heading matches `name` (normalised; a heading that starts with it also matches)."""
    want = normalize_heading(name)
    for ref in refs:
        if normalize_heading(ref.heading) == want:
            return ref
    for ref in refs:
        have = normalize_heading(ref.heading)
        if have.startswith(want) or want.startswith(have):
            return ref
    return None


def first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of a section's text (whitespace collapsed, cut at `limit` characters)."""
    flat = flatten(text)
    sentences = split_sentences(flat)
    first = sentences[0] if sentences else flat
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return first


def flatten(text: str) -> str:
    """Join a PDF section's lines into running text, undoing hyphenated line breaks."""
    text = re.sub(r"(\w)-\n([a-z])", r"\1\2", text)
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    return sentences_of(text)


def pages_label(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    if end is None or end == start:
        return f"p. {start}"
    return f"pp. {start}-{end}"

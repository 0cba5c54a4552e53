"""Sections from parsed pages (pure): a heading starts a section that runs to the next heading.

``path`` is the stack of headings above the section by level, ``page_start``/``page_end`` the printed pages
its body text spans, ``order`` its position. ``stage`` is the lifecycle stage for the Guidelines (found from
the stage headings printed in the document, matched to :data:`saige.types.STAGES`) and, for the other
documents, the document's own top-level part ("Part 2: Core and Profiles") when it has one, else None.

Headings with no body text of their own are not kept as sections: they live on in their children's paths
("Further reading" > "AI development"). Text before the first heading goes into a section named after the
document's title; a first page made only of headings (a cover) is skipped. A heading repeated right under
its twin (a part's title page, then its first page) replaces it, and the next number at the same depth
("3. DEPLOYMENT" after "2. DEVELOPMENT") closes its numbered sibling even when the fonts say it nests.
Each section also records ``pdf_page_start``, the physical page where its text starts (for ``#page=`` links).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from saige.types import STAGES, ParsedDocument, Section, normalize_heading, normalize_stage

_STAGE_KEYS = {normalize_heading(s): s for s in STAGES}
_PART_RE = re.compile(r"^part\s+(?:\d+|[ivx]+)\b", re.IGNORECASE)


@dataclass
class _Open:
    heading: str
    level: int
    path: list[str]
    stage: str | None
    pages: list[int | None] = field(default_factory=list)
    pdf_page: int | None = None
    texts: list[str] = field(default_factory=list)


def stage_of_heading(heading: str) -> str | None:
    """The lifecycle stage a heading names ("1. Secure design", "Part 4: Secure operation"), else None."""
    key = normalize_heading(heading)
    if key in _STAGE_KEYS:
        return _STAGE_KEYS[key]
    if key.startswith("secure ") and len(key.split()) <= 4:
        try:
            return normalize_stage(key)
        except ValueError:
            return None
    return None


def build_sections(parsed: ParsedDocument) -> list[Section]:
    """Split a parsed document into sections at its headings (see the module docstring)."""
    doc_id = parsed.document.id
    blocks = [(page.number, b) for page in parsed.pages for b in page.blocks]
    physical = [page.index + 1 for page in parsed.pages for _ in page.blocks]
    is_pdf = parsed.document.kind == "pdf"
    # A first page of headings only (a cover: title, subtitle, logos) is not part of the structure.
    cover = 0
    if len(parsed.pages) > 1 and all(b.kind == "heading" for b in parsed.pages[0].blocks):
        cover = len(parsed.pages[0].blocks)
    stage_levels = [b.level for _, b in blocks[cover:] if b.kind == "heading" and stage_of_heading(b.text)]
    uses_stages = bool(stage_levels)
    stage_level = min(stage_levels) if stage_levels else 0
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading) of the open headings above the current one
    current: _Open | None = None
    stage: str | None = None
    part_level = 0

    def close(sec: _Open | None) -> None:
        if sec is None:
            return
        text = "\n".join(t for t in sec.texts if t.strip())
        if not text.strip():
            return
        pages = [p for p in sec.pages if p is not None]
        sections.append(
            Section(
                doc_id=doc_id,
                heading=sec.heading,
                path=list(sec.path),
                stage=sec.stage,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                text=text,
                order=len(sections),
                pdf_page_start=sec.pdf_page,
            )
        )

    for i, (number, block) in enumerate(blocks):
        if block.kind == "heading":
            heading = block.text.strip()
            level = max(block.level, 1)
            if i < cover:
                continue
            close(current)
            _pop_numbered_sibling(stack, heading)
            while stack and stack[-1][0] >= level:
                stack.pop()
            key = normalize_heading(heading)
            for k, (_, above) in enumerate(stack):
                if normalize_heading(above) == key:
                    del stack[k:]  # the same heading again (a part's title page, then its first page)
                    break
            if uses_stages:
                found = stage_of_heading(heading)
                if found is not None and level == stage_level:
                    stage = found
                elif level <= stage_level:
                    stage = None  # a heading at the stage level that is not a stage ends the stage
            elif _PART_RE.match(heading) and (not stack or level <= stack[0][0]):
                stage = heading
                part_level = level
            elif level <= part_level:
                stage = None  # a heading at the level of the parts that is not a part (an appendix)
            stack.append((level, heading))
            current = _Open(heading=heading, level=level, path=[h for _, h in stack], stage=stage)
        else:
            if current is None:
                title = parsed.document.title
                current = _Open(heading=title, level=0, path=[title], stage=stage)
            current.texts.append(block.text)
            current.pages.append(number)
            if current.pdf_page is None and is_pdf:
                current.pdf_page = physical[i]
    close(current)
    return sections


_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+\S")


def _numbering(heading: str) -> tuple[int, ...] | None:
    m = _NUMBER.match(heading.strip())
    return tuple(int(n) for n in m.group(1).split(".")) if m else None


def _pop_numbered_sibling(stack: list[tuple[int, str]], heading: str) -> None:
    """Numbered headings set in unequal fonts ("2. DEVELOPMENT" bold, "3. DEPLOYMENT" not): the next
    number at the same depth closes the previous one even when its level says it nests."""
    number = _numbering(heading)
    if number is None:
        return
    for k in range(len(stack) - 1, -1, -1):
        other = _numbering(stack[k][1])
        if other is None or len(other) > len(number):
            continue
        if len(other) == len(number) and other[:-1] == number[:-1] and other[-1] + 1 == number[-1]:
            del stack[k:]
        return

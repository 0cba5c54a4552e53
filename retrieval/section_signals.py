"""What a section's heading and text say about it, before any query: whether it is "junk" (a table of contents,
a reference list, a title page, link-dense text) and which sections of other documents are "twins" of a
priority document's guideline (the same heading). Pure functions of chunks; retrieval/search.py uses them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.tokenize import tokenize
from saige.types import STAGES, Chunk, normalize_heading

SectionKey = tuple[str, int, tuple[str, ...]]

# Sections that list rather than say: a table of contents, reference lists, endnotes. They match many
# queries on vocabulary alone and never answer one, so they are pushed down (by settings.junk_penalty units of
# one RRF first place), as are chunks whose text is mostly links and citations.
JUNK_HEADINGS = frozenset(
    {
        "contents",
        "table of contents",
        "references",
        "notes",
        "endnotes",
        "bibliography",
        "acknowledgements",
        "acknowledgments",
        "index",
    }
)
# Shared headings: a section of another document whose heading matches (Jaccard of heading terms >= this)
# a section heading of the priority document is a "twin"; when a question names no document, the priority
# document's own section is placed just above its twin (see SearchEngine._add_extras).
TWIN_JACCARD = 0.75
_LINKISH = re.compile(r"https?://|www\.|doi\.org|arxiv|\bdoi\b|\bvol\.|\bpp\.", re.IGNORECASE)


_DATE_HEADING = re.compile(
    r"^(?:(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+)?"
    r"(?:19|20)\d\d$"
)


def is_junk(chunk: Chunk, titles: Sequence[str] = ()) -> bool:
    """A table of contents, a reference list, endnotes, a title page or a date line (by heading), or text
    dense with links and citations."""
    heading = normalize_heading(chunk.section)
    if heading in JUNK_HEADINGS or _DATE_HEADING.match(heading):
        return True
    if any(heading == normalize_heading(t) for t in titles if t):
        return True
    n_words = len(chunk.text.split())
    return n_words > 0 and len(_LINKISH.findall(chunk.text)) * 12 >= n_words


_PRINCIPLE = re.compile(r"^(?:principle|guideline|part)\s+\d+[a-z]?\s*[:.)-]\s*", re.IGNORECASE)


def _heading_terms(heading: str) -> frozenset[str]:
    return frozenset(tokenize(_PRINCIPLE.sub("", normalize_heading(heading))))


def section_key(chunk: Chunk) -> SectionKey:
    """A section's identity: document, section order and heading path."""
    return (chunk.doc_id, chunk.section_order, tuple(chunk.section_path))


def find_twins(chunks: Sequence[Chunk], priority_docs: frozenset[str]) -> dict[SectionKey, Chunk]:
    """Sections of other documents (keyed by `section_key`) whose heading matches a guideline heading of a priority document
    ("Principle 8: Document your data, models and prompts" and "Document your data, models and prompts"),
    mapped to the first chunk of the guideline's section."""
    priority_sections: dict[frozenset[str], Chunk] = {}
    for c in chunks:
        guideline = c.stage in STAGES and normalize_heading(c.section) != normalize_heading(c.stage or "")
        if c.doc_id in priority_docs and c.ordinal == 0 and guideline:
            terms = _heading_terms(c.section)
            if len(terms) >= 2:
                priority_sections.setdefault(terms, c)
    twins: dict[SectionKey, Chunk] = {}
    if not priority_sections:
        return twins
    for c in chunks:
        if c.doc_id in priority_docs:
            continue
        terms = _heading_terms(c.section)
        if len(terms) < 2:
            continue
        for p_terms, p_chunk in priority_sections.items():
            if len(terms & p_terms) / len(terms | p_terms) >= TWIN_JACCARD:
                twins[section_key(c)] = p_chunk
                break
    return twins

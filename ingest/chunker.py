"""Heading-aware chunking: Sections -> Chunks sized for the embedding model. Pure functions, no I/O.

A chunk never crosses a section. Each chunk's text is a contiguous slice of its section's text (so quotes
taken from a chunk are quotes from the document), made of whole sentences or bullets packed up to the token
budget, with the last sentence or two of the previous chunk repeated as overlap. The budget includes the
section path that `Chunk.embed_text` puts in front of the text. Sentences longer than the budget are split
on word boundaries. A small remainder at the end of a section is merged into the chunk before it when it
fits. Chunks that are mostly not letters (contents-page dot leaders) are not kept.

Pages: a Section only knows its first and last page. When the parsed pages are passed in, each chunk gets
the pages its own text spans, found by aligning the section text with the page blocks it came from.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.table_sections import split_table_sections
from saige.sentences import sentence_spans
from saige.types import Chunk, Control, Document, Page, ParsedDocument, Section, stable_id

TokenCounter = Callable[[str], int]

# Bump when the chunking rules change: it is part of the ingest's build fingerprint.
CHUNKER_VERSION = "2"

_NONSPACE = re.compile(r"\S+")
_WORD = re.compile(r"\w+")
_MIN_LETTER_SHARE = 0.3  # chunks with fewer letters than this among visible characters are not indexed
_ALIGN_WORDS = 6  # words of a block's opening used to find where its page starts inside a section


@dataclass(frozen=True)
class _Unit:
    """A sentence, bullet or piece of an over-long sentence: a [start, end) slice of the section text."""

    start: int
    end: int
    tokens: int


def chunk_document(
    parsed: ParsedDocument,
    *,
    max_tokens: int,
    overlap: int,
    count_tokens: TokenCounter,
    controls: Sequence[Control] | None = None,
) -> list[Chunk]:
    """build_sections, then chunk_sections with the parsed pages for per-chunk page ranges and the
    document's controls, whose table rows replace the tables' running text (`controls`: the document's
    catalogue when the caller has built it already, else built here with `ingest.controls`)."""
    from ingest.sections import build_sections

    sections = build_sections(parsed)
    if controls is None:
        from ingest.controls import builder_for

        builder = builder_for(parsed.document.id)
        controls = builder(parsed) if builder is not None else ()
    return chunk_sections(
        sections,
        parsed.document,
        max_tokens=max_tokens,
        overlap=overlap,
        count_tokens=count_tokens,
        pages=parsed.pages,
        controls=controls,
    )


def chunk_sections(
    sections: Sequence[Section],
    document: Document,
    *,
    max_tokens: int,
    overlap: int,
    count_tokens: TokenCounter,
    pages: Sequence[Page] = (),
    controls: Sequence[Control] = (),
) -> list[Chunk]:
    """Chunks of every section, in document order.

    max_tokens bounds `count_tokens(chunk.embed_text)` (path + newline + text); overlap is the approximate
    number of tokens repeated from the end of the previous chunk of the same section. `pages` (the parsed
    pages the sections came from) makes page_start/page_end exact per chunk; without it each chunk gets
    its section's page range. `controls` (the document's catalogue): a section holding table rows the
    catalogue parsed is chunked as its prose and then one part per row (`ingest.table_sections`); a row's
    chunks carry its control_id, and a row split in several chunks repeats its id in each.
    """
    if overlap < 0:
        raise ValueError("overlap: must be >= 0")
    chunks: list[Chunk] = []
    seen: set[str] = set()
    ordinals: dict[int, int] = {}
    for part in split_table_sections(sections, controls):
        section = part.section
        limit = max_tokens
        if part.control_id is not None:  # room for the id repeated at the head of a continued row
            limit -= count_tokens(f"{part.control_id} (continued): ") - count_tokens("")
        for chunk in _chunk_section(section, document, limit, overlap, count_tokens, pages):
            if part.control_id is not None:
                chunk.control_id = part.control_id
                if part.control_id not in chunk.text:
                    chunk.text = f"{part.control_id} (continued): {chunk.text}"
            chunk.ordinal = ordinals.get(section.order, 0)
            ordinals[section.order] = chunk.ordinal + 1
            if chunk.chunk_id in seen:  # the same text twice under the same heading: keep ids unique
                chunk.chunk_id = stable_id(chunk.chunk_id, str(section.order), str(chunk.ordinal))
            seen.add(chunk.chunk_id)
            chunks.append(chunk)
    return chunks


def _chunk_section(
    section: Section,
    document: Document,
    max_tokens: int,
    overlap: int,
    count_tokens: TokenCounter,
    pages: Sequence[Page],
) -> list[Chunk]:
    text = section.text
    if not text.strip():
        return []
    prefix = " > ".join(section.path) + "\n"
    base = count_tokens(prefix)  # the path, plus any special tokens the counter adds
    special = count_tokens("")
    budget = max(max_tokens - base, 8)
    units = _units(text, budget, lambda s: max(count_tokens(s) - special, 0))
    if not units:
        return []

    def fits(first: int, last: int) -> bool:
        return count_tokens(prefix + text[units[first].start : units[last].end]) <= max_tokens

    spans = _pack(units, budget, overlap, fits)
    marks = _page_marks(section, pages)
    out: list[Chunk] = []
    ordinal = 0
    for first, last in spans:
        start, end = units[first].start, units[last].end
        body = text[start:end]
        if _is_filler(body):
            continue
        page_start, page_end = _pages_for(marks, start, end, section)
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
        out.append(
            Chunk(
                chunk_id=stable_id(section.doc_id, " > ".join(section.path), str(ordinal), digest),
                doc_id=section.doc_id,
                doc_title=document.title,
                section=section.heading,
                section_path=list(section.path),
                stage=section.stage,
                page_start=page_start,
                page_end=page_end,
                text=body,
                section_order=section.order,
                ordinal=ordinal,
                pdf_page_start=_physical_page(section, pages, page_start),
            )
        )
        ordinal += 1
    return out


def _is_filler(text: str) -> bool:
    """Text with too few letters to be worth indexing: contents-page dot leaders, rules, page numbers."""
    visible = [ch for ch in text if not ch.isspace()]
    letters = sum(1 for ch in visible if ch.isalpha())
    return not visible or letters < _MIN_LETTER_SHARE * len(visible)


# --- units ------------------------------------------------------------------------------------------------


def _units(text: str, budget: int, cost: TokenCounter) -> list[_Unit]:
    """Sentences and bullets of `text` (lines first, then sentences), over-long ones split on words."""
    units: list[_Unit] = []
    line_start = 0
    for line in text.split("\n"):
        for a, b in sentence_spans(line, abbreviations=False):  # cut points as before
            s, e = line_start + a, line_start + b
            tokens = cost(text[s:e])
            if tokens <= budget:
                units.append(_Unit(s, e, tokens))
            else:
                units.extend(_split_words(text, s, e, budget, cost))
        line_start += len(line) + 1
    return units


def _split_words(text: str, start: int, end: int, budget: int, cost: TokenCounter) -> list[_Unit]:
    """Split an over-long sentence on word boundaries into pieces of at most `budget` tokens."""
    pieces: list[_Unit] = []
    words: list[tuple[int, int]] = []
    for m in _NONSPACE.finditer(text[start:end]):
        words.extend(_split_long_word(text, m.start() + start, m.end() + start, budget, cost))
    i = 0
    while i < len(words):
        j = i
        total = 0
        while j < len(words):
            c = max(cost(text[words[j][0] : words[j][1]]), 1)
            if total + c > budget and j > i:
                break
            total += c
            j += 1
        # the additive estimate can be low (a word-piece can merge across words); check the real cost
        while j - 1 > i and cost(text[words[i][0] : words[j - 1][1]]) > budget:
            j -= 1
        pieces.append(_Unit(words[i][0], words[j - 1][1], cost(text[words[i][0] : words[j - 1][1]])))
        i = j
    return pieces


def _split_long_word(
    text: str, start: int, end: int, budget: int, cost: TokenCounter
) -> list[tuple[int, int]]:
    """A "word" over the budget on its own (dot leaders, a URL, a base64 blob) cut into pieces that fit."""
    spans: list[tuple[int, int]] = []
    while start < end:
        if cost(text[start:end]) <= budget:
            spans.append((start, end))
            break
        lo, hi = start + 1, end  # the longest prefix that fits, by bisection
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if cost(text[start:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        spans.append((start, lo))
        start = lo
    return spans


# --- packing ----------------------------------------------------------------------------------------------


def _pack(
    units: Sequence[_Unit], budget: int, overlap: int, fits: Callable[[int, int], bool]
) -> list[tuple[int, int]]:
    """Group consecutive units into chunks, as inclusive (first, last) unit index pairs.

    Each chunk after the first starts with the trailing units of the previous one (about `overlap`
    tokens, whole units only) and always adds at least one new unit. The real token count of each chunk is
    checked with `fits`; the additive estimate only guides the packing.
    """
    spans: list[tuple[int, int]] = []
    new_start = 0  # first unit not yet in any chunk
    n = len(units)
    while new_start < n:
        first = _overlap_start(units, spans[-1] if spans else None, overlap)
        if first is not None:
            total = sum(u.tokens for u in units[first:new_start])
            if total + units[new_start].tokens > budget:
                first = None
        if first is None:
            first = new_start
            total = 0
        last = new_start
        total += units[new_start].tokens
        while last + 1 < n and total + units[last + 1].tokens + 1 <= budget:
            last += 1
            total += units[last].tokens + 1  # +1: a separator can cost a token
        while last > new_start and not fits(first, last):
            last -= 1
        if not fits(first, last) and first < new_start:
            first = new_start  # drop the overlap before anything else
            while last > new_start and not fits(first, last):
                last -= 1
        spans.append((first, last))
        new_start = last + 1
    return _merge_tail(units, spans, budget, fits)


def _overlap_start(units: Sequence[_Unit], previous: tuple[int, int] | None, overlap: int) -> int | None:
    """First unit of the overlap carried from `previous`: trailing whole units worth <= ~overlap tokens.

    A single trailing sentence up to 1.5x the overlap still counts, so typical sentences carry over.
    """
    if previous is None or overlap <= 0:
        return None
    first, last = previous
    start: int | None = None
    total = 0
    i = last
    while i > first:  # never carry the whole previous chunk
        total += units[i].tokens
        limit = overlap * 3 // 2 if start is None else overlap
        if total > limit:
            break
        start = i
        i -= 1
    return start


def _merge_tail(
    units: Sequence[_Unit], spans: list[tuple[int, int]], budget: int, fits: Callable[[int, int], bool]
) -> list[tuple[int, int]]:
    """Merge a small last chunk into the one before it when the result still fits."""
    if len(spans) < 2:
        return spans
    prev_first, prev_last = spans[-2]
    last_last = spans[-1][1]
    new_tokens = sum(u.tokens for u in units[prev_last + 1 : last_last + 1])
    if new_tokens < max(budget // 4, 12) and fits(prev_first, last_last):
        return [*spans[:-2], (prev_first, last_last)]
    return spans


# --- pages ------------------------------------------------------------------------------------------------


def _page_marks(section: Section, pages: Sequence[Page]) -> list[tuple[int, int | None]]:
    """(offset in section.text, page number) pairs, ascending: text from the offset on is on that page."""
    first_page = section.page_start
    if not pages or first_page is None or section.page_end is None or section.page_end == first_page:
        return [(0, first_page)]
    span = _section_pages(section, pages)
    if len(span) < 2:
        return [(0, first_page)]
    words = [(m.start(), m.group().lower()) for m in _WORD.finditer(section.text)]
    joined = " " + " ".join(w for _, w in words) + " "
    word_at: list[int] = []  # position in `joined` of each word
    cursor = 1
    for _, w in words:
        word_at.append(cursor)
        cursor += len(w) + 1
    marks: list[tuple[int, int | None]] = [(0, span[0].number)]
    search_from = 0
    for page in span[1:]:
        found = _find_page_start(page, joined, search_from)
        if found is None:
            continue
        w_index = bisect.bisect_left(word_at, found + 1)
        if w_index >= len(words):
            continue
        marks.append((words[w_index][0], page.number))
        search_from = found + 1
    return marks


def _physical_page(section: Section, pages: Sequence[Page], printed: int | None) -> int | None:
    """The 1-based physical PDF page that carries printed page `printed` of this section (for #page= links)."""
    if printed is None or section.pdf_page_start is None:
        return None
    if printed == section.page_start:
        return section.pdf_page_start
    for page in _section_pages(section, pages):
        if page.number == printed:
            return page.index + 1
    if section.page_start is None:
        return None
    return section.pdf_page_start + (printed - section.page_start)


def _section_pages(section: Section, pages: Sequence[Page]) -> list[Page]:
    """The pages from the section's first to its last, in file order."""
    out: list[Page] = []
    started = False
    for page in pages:
        if page.doc_id != section.doc_id:
            continue
        if not started and page.number == section.page_start:
            started = True
        if started:
            out.append(page)
            if page.number == section.page_end:
                break
    return out


def _find_page_start(page: Page, joined: str, search_from: int) -> int | None:
    """Where (in `joined`) the first block of this page that belongs to the section starts."""
    for block in page.blocks:
        opening = [w.lower() for w in _WORD.findall(block.text)[:_ALIGN_WORDS]]
        if len(opening) < 3:  # too short to place reliably
            continue
        idx = joined.find(" " + " ".join(opening) + " ", search_from)
        if idx >= 0:
            return idx
    return None


def _pages_for(
    marks: Sequence[tuple[int, int | None]], start: int, end: int, section: Section
) -> tuple[int | None, int | None]:
    if len(marks) == 1:  # no page mapping inside the section: the section's own range
        return section.page_start, section.page_end
    offsets = [m[0] for m in marks]
    first = marks[max(bisect.bisect_right(offsets, start) - 1, 0)][1]
    last = marks[max(bisect.bisect_right(offsets, max(end - 1, start)) - 1, 0)][1]
    return first, last

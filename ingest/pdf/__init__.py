"""Layout-aware PDF reading with pypdf: pages of heading and text blocks in reading order.

pypdf's plain ``extract_text()`` follows the content stream, which is not always the reading order (the
Guidelines PDF draws its boxes out of order; other documents have columns and tables). Here every text
fragment is collected with its position, effective font size and weight, then:

1. Fragments come from two readings of each page: pypdf's text visitor (``visitor_text``: text, matrices,
   font, size) and the text show operators positioned by pypdf's layout-mode text state (exact advances).
   The reading whose words agree best with pypdf's plain text of the page is kept (the visitor on a tie;
   the second reading is only computed when the first disagrees somewhere).
2. Fragments are grouped into baseline rows; a row is split into line segments at wide gaps and at table
   column starts (x positions where three or more rows start after a gap). Word spaces between fragments
   follow pypdf's words for the page where they can decide, else the gap.
3. Segments are ordered by a recursive XY cut: a region with a full-height gutter is read column by column,
   unless full-width gaps cut it into rows with text on both sides (a table: read row by row); otherwise it
   is cut into horizontal bands at its widest gaps, top to bottom. Pages whose text runs mostly at 90/270
   degrees (landscape figures) are read in that orientation.
4. Running headers and footers (text repeated at the same place in the top/bottom margin of a quarter of
   the pages), bare page numbers and "Continued on next page" lines are dropped. The printed numbers found
   in the margins become ``Page.number`` when they agree on an offset from the page index; gaps are filled
   from that offset, else from numeric page labels, else index + 1.
5. Headings: lines larger than the document's body size (x1.12 when bold, x1.25 when not), or standalone
   all-bold lines at body size. Not headings: the first line of a paragraph that continues on the next
   line, cover titles (dropped), title-page-only heading sizes, repeated table headers and row labels
   ("AI Actor Tasks: ..."), contents entries and pages, dates, long sentences. Levels are ranks of (size,
   weight), 1 = largest. Heading lines that follow each other are merged; body lines are joined into
   paragraphs (the document's usual line pitch decides where a paragraph ends, hyphenated line ends are
   rejoined), each bullet its own block. Rows like "GOVERN 1.5: ..." that repeat one prefix at least five
   times get an identifier heading ("GOVERN 1.5") so their tables become sections.

One concern per module: ``fragments`` (opening, the two readings of a page), ``lines`` (fragments to line
segments), ``tables`` (column starts, tables, identifier rows), ``layout`` (reading order), ``running``
(running text and printed page numbers), ``headings`` (heading lines and levels), ``blocks`` (lines to
heading and paragraph blocks); ``model`` holds the records they pass along. This module ties them together.

Bad input raises :class:`saige.errors.CorpusError` with one line naming the file and the reason: not a PDF,
corrupt or truncated, encrypted, no extractable text, absurd page count.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ingest.pdf.blocks import join_blocks
from ingest.pdf.fragments import MAX_PAGES, open_pdf, operator_frags, page_labels, visitor_frags
from ingest.pdf.headings import attach_number_labels, body_leading, classify_headings
from ingest.pdf.layout import order_lines
from ingest.pdf.lines import segments
from ingest.pdf.model import Frag, Line, RawPage
from ingest.pdf.running import assign_page_numbers, drop_running_text
from ingest.pdf.tables import promote_identifier_rows
from ingest.text import vocabulary
from saige.errors import CorpusError
from saige.types import Document, Page, ParsedDocument, TextLine

__all__ = ["MAX_PAGES", "parse_pdf"]

_WORD = re.compile(r"[A-Za-z0-9]+")
_BROKEN_WORD = re.compile(r"\b([A-Za-z]*[a-z])\n([a-z]+)\b")


def parse_pdf(document: Document, path: Path) -> ParsedDocument:
    """Read a PDF into pages of heading and text blocks in reading order (I/O; see the module docstring)."""
    reader = open_pdf(path)
    raw_pages = [_read_page(path, reader, i) for i in range(len(reader.pages))]
    if not any(p.lines for p in raw_pages):
        raise CorpusError(f"{path}: no extractable text in any page (scanned images only?)")
    drop_running_text(raw_pages)
    assign_page_numbers(raw_pages, page_labels(reader))
    leading = body_leading(raw_pages)
    vocab = vocabulary([ln.text for raw in raw_pages for ln in raw.lines])
    classify_headings(raw_pages, leading)
    pages: list[Page] = []
    skipped: list[int] = []
    title_only: list[int] = []
    warnings: list[str] = []
    for raw in raw_pages:
        blocks = attach_number_labels(join_blocks(raw.lines, leading, vocab))
        if not blocks:
            if raw.had_text:
                title_only.append(raw.index)  # a cover title or running text only: nothing to cite
            else:
                skipped.append(raw.index)  # no extractable text (image-only page)
            continue
        number = raw.number if raw.number is not None else raw.index + 1
        lines = [
            TextLine(
                x0=round(ln.x0, 1),
                x1=round(ln.x1, 1),
                y=round(ln.y, 1),
                size=ln.size,
                bold=ln.bold,
                text=ln.text,
                cuts=[(at, round(x, 1)) for at, x in ln.cuts],
            )
            for ln in sorted(raw.lines, key=lambda ln: (-round(ln.y), ln.x0))
            if ln.text.strip() and not ln.cover
        ]
        pages.append(Page(doc_id=document.id, index=raw.index, number=number, blocks=blocks, lines=lines))
    promote_identifier_rows(pages)
    if title_only:
        warnings.append(
            f"{path.name}: left out {len(title_only)} page(s) holding only a cover title or running text: "
            + ", ".join(str(i) for i in title_only)
        )
    if skipped:
        warnings.append(
            f"{path.name}: skipped {len(skipped)} page(s) without extractable text: "
            + ", ".join(str(i) for i in skipped)
        )
    return ParsedDocument(document=document, pages=pages, skipped_pages=skipped, warnings=warnings)


def page_words(plain: str) -> set[str]:
    """The words of pypdf's plain text of a page, and the words it breaks with a bare line break inside
    a line ("pr\\nocessed", where the PDF resets its text matrix mid-word) joined back together: when a
    word's parts and the whole are all words of the page, the fragments' gap decides (lines._word_gap)."""
    words = set(_WORD.findall(plain))
    words.update(a + b for a, b in _BROKEN_WORD.findall(plain))
    return words


def _read_page(path: Path, reader: Any, index: int) -> RawPage:
    try:
        page = reader.pages[index]
        box = page.mediabox
        left, bottom = float(box.left), float(box.bottom)
        width, height = float(box.width), float(box.height)
    except Exception as exc:
        raise CorpusError(f"{path}: corrupt or truncated PDF (page {index + 1}: {exc})") from exc
    raw = RawPage(index=index, width=width, height=height)
    try:
        visited, plain = visitor_frags(page, left, bottom, width, height)
    except Exception as exc:
        raise CorpusError(
            f"{path}: corrupt or truncated PDF (page {index + 1}: {type(exc).__name__})"
        ) from exc
    # Two readings of the page: pypdf's text visitor (word spaces decided by pypdf, positions only at
    # positioning operators) and the text show operators with pypdf's layout-mode text state (exact
    # positions, but some PDFs confuse its pen advance). Keep the one whose words agree best with pypdf's
    # plain text of the page; the visitor on a tie.
    reference = page_words(plain)
    best: tuple[int, list[Line], int] | None = None
    for attempt in ("visitor", "operators"):
        if attempt == "visitor":
            frags: dict[int, list[Frag]] | None = visited
        elif best is not None and best[0] == 0:
            break  # the visitor reading already agrees with pypdf's words everywhere
        else:
            try:
                frags = operator_frags(reader, page, left, bottom, width, height)
            except Exception:
                frags = None  # layout mode is a second opinion; the visitor reading stands alone
        if frags is None:
            continue
        # Read the page in the orientation most of its text runs in (landscape tables on portrait
        # pages); side labels running across it are decoration.
        main = max(frags, key=lambda a: (sum(len(f.text.strip()) for f in frags[a]), a == 0))
        for seq, frag in enumerate(frags[main]):
            frag.seq = seq
        lines = order_lines(segments(frags[main], reference))
        unknown = sum(1 for ln in lines for w in _WORD.findall(ln.text) if w not in reference)
        if best is None or unknown < best[0]:
            best = (unknown, lines, main)
    assert best is not None
    _, raw.lines, main = best
    if main in (90, 270):
        raw.width, raw.height = height, width
    raw.had_text = any(ln.text for ln in raw.lines)
    for line in raw.lines:
        line.page = index
    return raw

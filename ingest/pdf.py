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

Bad input raises :class:`saige.errors.CorpusError` with one line naming the file and the reason: not a PDF,
corrupt or truncated, encrypted, no extractable text, absurd page count.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ingest.text import join_lines, normalize_space, repair_ligatures, vocabulary
from saige.errors import CorpusError
from saige.types import Block, Document, Page, ParsedDocument, TextLine

MAX_PAGES = 5000
"""Refuse documents with more pages than this: no guideline runs that long, a bigger count is damage."""

_BULLET_GLYPHS = frozenset(
    {">", "\u2022", "\u25cf", "\u25aa", "\u2023", "\u2043", "\u25e6", "-", "\u2013", "o"}
)
_BULLET_PREFIX = re.compile(
    r"^(?:[\u2022\u25cf\u25aa\u2023\u2043\u25e6\u2013\uf0b7\uf0a7]|-(?=\s)|>(?=\s))\s*"
)
_PAGE_NUMBER_RE = re.compile(r"^(?:page\s+)?(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_EDGE_NUMBER = re.compile(r"^(\d{1,4})\s+\D|\D\s+(\d{1,4})$")
_ROMAN_RE = re.compile(r"^[ivxlc]{1,6}$", re.IGNORECASE)
_LIST_LABEL = re.compile(
    r"^(?:[A-Z]{2,10}|\d{1,2}[.)]|[a-z][.)]|\(?[ivx]{1,4}\)|[\u2022\u25cf\u25aa\uf0b7\uf0a7>o\-\u2013])$"
)
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|medi|[-,]bd\b|-sb\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9]+")
_CONTENTS = re.compile(r"^(?:table of )?contents$|^list of (?:tables|figures)$")
_MARGIN = 0.12  # top and bottom fraction of the page searched for running headers, footers, page numbers
_CONTINUED = re.compile(
    r"^\(?(?:continued(?: on (?:the )?next page)?|continues on next page)\)?\.?$", re.IGNORECASE
)


@dataclass
class _Frag:
    x: float
    y: float
    x1: float
    size: float
    bold: bool
    text: str
    seq: int = 0  # position in the content stream


@dataclass
class _Line:
    frags: list[_Frag]
    page: int = 0
    text: str = ""
    size: float = 0.0
    bold: bool = False
    bullet: bool = False
    heading_level: int = 0
    cover: bool = False

    @cached_property
    def x0(self) -> float:
        return min(f.x for f in self.frags)

    @cached_property
    def x1(self) -> float:
        return max(f.x1 for f in self.frags)

    @cached_property
    def y(self) -> float:
        main = max(self.frags, key=lambda f: (f.size >= self.size * 0.9, len(f.text.strip())))
        return main.y

    @cached_property
    def top(self) -> float:
        return max(f.y + f.size * 0.8 for f in self.frags)

    @cached_property
    def bottom(self) -> float:
        return min(f.y - f.size * 0.25 for f in self.frags)


@dataclass
class _RawPage:
    index: int
    width: float
    height: float
    lines: list[_Line] = field(default_factory=list)
    number: int | None = None
    had_text: bool = False


def parse_pdf(document: Document, path: Path) -> ParsedDocument:
    """Read a PDF into pages of heading and text blocks in reading order (I/O; see the module docstring)."""
    reader = _open(path)
    raw_pages = [_read_page(path, reader, i) for i in range(len(reader.pages))]
    if not any(p.lines for p in raw_pages):
        raise CorpusError(f"{path}: no extractable text in any page (scanned images only?)")
    _drop_running_text(raw_pages)
    _assign_page_numbers(raw_pages, _page_labels(reader))
    leading = _leading(raw_pages)
    vocab = vocabulary([ln.text for raw in raw_pages for ln in raw.lines])
    _classify_headings(raw_pages, leading)
    pages: list[Page] = []
    skipped: list[int] = []
    title_only: list[int] = []
    warnings: list[str] = []
    for raw in raw_pages:
        blocks = _attach_number_labels(_blocks(raw.lines, leading, vocab))
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
            )
            for ln in sorted(raw.lines, key=lambda ln: (-round(ln.y), ln.x0))
            if ln.text.strip() and not ln.cover
        ]
        pages.append(Page(doc_id=document.id, index=raw.index, number=number, blocks=blocks, lines=lines))
    _promote_identifier_rows(pages)
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


# --- opening and fragments ------------------------------------------------------------------------------


def _open(path: Path) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if b"%PDF-" not in head:
        raise CorpusError(f"{path}: not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:
                raise CorpusError(f"{path}: the PDF is encrypted and cannot be opened ({exc})") from exc
            if not ok:
                raise CorpusError(f"{path}: the PDF is encrypted with a password")
        count = len(reader.pages)
    except CorpusError:
        raise
    except (PdfReadError, Exception) as exc:
        raise CorpusError(f"{path}: corrupt or truncated PDF ({type(exc).__name__}: {exc})") from exc
    if count == 0:
        raise CorpusError(f"{path}: the PDF has no pages")
    if count > MAX_PAGES:
        raise CorpusError(f"{path}: the PDF claims {count} pages (more than {MAX_PAGES}); refusing it")
    return reader


def _page_labels(reader: Any) -> list[str] | None:
    try:
        root = reader.trailer["/Root"]
        if "/PageLabels" not in root:
            return None
        return list(reader.page_labels)
    except Exception:
        return None


def _mult(m: Sequence[float], n: Sequence[float]) -> list[float]:
    return [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]


def _is_bold(font: Any) -> bool:
    if not font:
        return False
    try:
        name = str(font.get("/BaseFont", ""))
        if _BOLD_NAME.search(name):
            return True
        desc = font.get("/FontDescriptor")
        if desc is not None:
            desc = desc.get_object()
            weight = desc.get("/FontWeight")
            if weight is not None and float(weight) >= 600:
                return True
            flags = int(desc.get("/Flags", 0))
            if flags & (1 << 18):  # ForceBold
                return True
    except Exception:
        return False
    return False


class _FontCache:
    """Glyph widths per font resource (pypdf's Font), with a crude fallback."""

    def __init__(self) -> None:
        self._widths: dict[int, tuple[dict[str, float], float]] = {}
        self._bold: dict[int, bool] = {}

    def width(self, font: Any, text: str) -> float | None:
        """Width of `text` in 1/1000 text space units, or None when unknown.

        Glyph widths are looked up by character; characters the font's table does not know (subset fonts,
        CID-keyed Type0 fonts whose table is keyed by glyph id) count as the font's average width.
        """
        if font is None:
            return None
        key = id(font)
        if key not in self._widths:
            table: dict[str, float] = {}
            try:
                from pypdf.generic._font import Font

                parsed = Font.from_font_resource(font)
                widths = parsed.character_widths
                # Widths are keyed by character code; map codes to the text they decode to.
                for code, uni in parsed.character_map.items():
                    w = float(widths.get(code, 0) or 0)
                    if w > 0 and isinstance(uni, str) and len(uni) == 1:
                        table.setdefault(uni, w)
                for glyph, value in widths.items():
                    if glyph != "default" and len(glyph) == 1 and float(value) > 0:
                        table.setdefault(glyph, float(value))
            except Exception:
                table = {}
            known = list(table.values())
            avg = sum(known) / len(known) if known else 500.0
            self._widths[key] = (table, min(max(avg, 350.0), 650.0))
        table, avg = self._widths[key]
        return sum(table.get(ch, avg) for ch in text)

    def bold(self, font: Any) -> bool:
        key = id(font)
        if key not in self._bold:
            self._bold[key] = _is_bold(font)
        return self._bold[key]


def _read_page(path: Path, reader: Any, index: int) -> _RawPage:
    try:
        page = reader.pages[index]
        box = page.mediabox
        left, bottom = float(box.left), float(box.bottom)
        width, height = float(box.width), float(box.height)
    except Exception as exc:
        raise CorpusError(f"{path}: corrupt or truncated PDF (page {index + 1}: {exc})") from exc
    raw = _RawPage(index=index, width=width, height=height)
    try:
        visited, plain = _visitor_frags(page, left, bottom, width, height)
    except Exception as exc:
        raise CorpusError(
            f"{path}: corrupt or truncated PDF (page {index + 1}: {type(exc).__name__})"
        ) from exc
    # Two readings of the page: pypdf's text visitor (word spaces decided by pypdf, positions only at
    # positioning operators) and the text show operators with pypdf's layout-mode text state (exact
    # positions, but some PDFs confuse its pen advance). Keep the one whose words agree best with pypdf's
    # plain text of the page; the visitor on a tie.
    reference = set(_WORD.findall(plain))
    best: tuple[int, list[_Line], int] | None = None
    for attempt in ("visitor", "operators"):
        if attempt == "visitor":
            frags: dict[int, list[_Frag]] | None = visited
        elif best is not None and best[0] == 0:
            break  # the visitor reading already agrees with pypdf's words everywhere
        else:
            try:
                frags = _operator_frags(reader, page, left, bottom, width, height)
            except Exception:
                frags = None  # layout mode is a second opinion; the visitor reading stands alone
        if frags is None:
            continue
        # Read the page in the orientation most of its text runs in (landscape tables on portrait
        # pages); side labels running across it are decoration.
        main = max(frags, key=lambda a: (sum(len(f.text.strip()) for f in frags[a]), a == 0))
        for seq, frag in enumerate(frags[main]):
            frag.seq = seq
        lines = _order(_segments(frags[main], reference))
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


def _operator_frags(
    reader: Any, page: Any, left: float, bottom: float, width: float, height: float
) -> dict[int, list[_Frag]] | None:
    """Fragments from the text show operators, positioned by pypdf's layout-mode text state (exact advance
    widths, TJ offsets, character and word spacing). None when the page needs the visitor instead: text
    in form XObjects or rotated text, which layout mode does not position."""
    from pypdf.generic import ContentStream

    try:
        from pypdf._text_extraction._layout_mode._fixed_width_page import (
            recurse_to_target_op,
            set_font_operation,
        )
        from pypdf._text_extraction._layout_mode._text_state_manager import TextStateManager
    except ImportError:
        return None
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else {}
    xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
    if xobjects is not None:
        for ref in xobjects.get_object().values():
            if ref.get_object().get("/Subtype") == "/Form":
                return None
    contents = page.get("/Contents")
    if contents is None:
        return {0: []}
    fonts = page._layout_mode_fonts()
    ops = iter(ContentStream(contents.get_object(), reader, "bytes").operations)
    state = TextStateManager()
    tjs: list[Any] = []
    for operands, op in ops:
        if op in (b"BT", b"q"):
            _, found = recurse_to_target_op(ops, state, b"ET" if op == b"BT" else b"Q", fonts, False)
            tjs.extend(found)
        elif op == b"Tf":
            set_font_operation(state, fonts, operands)
        else:
            state.set_state_param(op, operands)
    if any(tj.rotated and tj.text.strip() for tj in tjs):
        return None
    out: list[_Frag] = []
    bold_cache: dict[int, bool] = {}
    prev: tuple[float, float, float] | None = None  # raw tx, ty and corrected end of the previous string
    for tj in tjs:
        tx, ty, advance = float(tj.tx), float(tj.ty), float(tj.displaced_tx) - float(tj.tx)
        # pypdf's layout state does not advance the pen past the last string of a Tj/TJ: a string that
        # starts exactly where the previous one started continues where that one ended.
        start = prev[2] if prev is not None and abs(prev[0] - tx) < 0.01 and abs(prev[1] - ty) < 0.01 else tx
        prev = (tx, ty, start + advance)
        text = tj.text.replace("\n", " ").replace("\r", " ")
        size = float(tj.font_height)
        if not text or size <= 0:
            continue  # (a blank string is kept: it is the word space between its neighbours)
        x, y = start - left, ty - bottom
        if not (-5 <= x <= width + 5 and -5 <= y <= height + 5):
            continue
        key = id(tj.font)
        if key not in bold_cache:
            bold_cache[key] = _font_is_bold(tj.font)
        x1 = x + advance
        out.append(_Frag(x=x, y=y, x1=max(x1, x), size=round(size, 1), bold=bold_cache[key], text=text))
    return {0: out, 90: [], 180: [], 270: []}


def _font_is_bold(font: Any) -> bool:
    name = str(getattr(font, "name", "") or "")
    if _BOLD_NAME.search(name):
        return True
    desc = getattr(font, "font_descriptor", None)
    try:
        weight = float(getattr(desc, "weight", 0) or 0)
        flags = int(getattr(desc, "flags", 0) or 0)
    except (TypeError, ValueError):
        return False
    return weight >= 600 or bool(flags & (1 << 18))


def _visitor_frags(
    page: Any, left: float, bottom: float, width: float, height: float
) -> tuple[dict[int, list[_Frag]], str]:
    """Fragments from pypdf's text visitor (handles form XObjects and rotated text; positions are the
    text matrix at the last positioning operator, advanced here by glyph widths)."""
    frags: dict[int, list[_Frag]] = {0: [], 90: [], 180: [], 270: []}
    last: dict[str, Any] = {"key": None, "end": None}
    fonts = _FontCache()

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text or not text.strip():
            return
        try:
            m = _mult(tm, cm)
            size_f = float(size or 0)
        except (TypeError, ValueError, IndexError):
            return
        scale_x = math.hypot(m[0], m[1])
        scale_y = math.hypot(m[2], m[3])
        eff = size_f * scale_y
        if eff <= 0 or scale_x == 0:
            return
        angle = round(math.degrees(math.atan2(m[1], m[0]))) % 360
        orientation = min((0, 90, 180, 270, 360), key=lambda a: abs(a - angle)) % 360
        if abs(((angle - orientation + 180) % 360) - 180) > 3:
            return  # slanted text: watermarks and decorations
        x, y = m[4] - left, m[5] - bottom
        if not (-5 <= x <= width + 5 and -5 <= y <= height + 5):
            return
        # Coordinates in the frame where this text runs left to right, top of the page up.
        if orientation == 90:
            x, y = y, width - x
        elif orientation == 180:
            x, y = width - x, height - y
        elif orientation == 270:
            x, y = height - y, x
        clean = text.replace("\n", " ").replace("\r", " ")
        w = fonts.width(font, clean)
        if w is None:
            w = 500.0 * len(clean)
        # pypdf reports the text matrix of the last positioning operator and does not advance it over
        # shown glyphs: a fragment with the very same matrix as the one before continues where it ended.
        key = (orientation, *(round(v, 3) for v in m))
        if last["key"] == key and last["end"] is not None:
            x = float(last["end"])
        x1 = x + w / 1000.0 * size_f * scale_x
        last["key"], last["end"] = key, x1
        frag = _Frag(x=x, y=y, x1=x1, size=round(eff, 1), bold=fonts.bold(font), text=clean)
        frags[orientation].append(frag)

    plain = page.extract_text(visitor_text=visit, orientations=(0, 90, 180, 270))
    return frags, repair_ligatures(plain or "")


# --- lines, segments and reading order ------------------------------------------------------------------


def _segments(frags: list[_Frag], words: frozenset[str] | set[str] = frozenset()) -> list[_Line]:
    """Group fragments into baseline rows, then split each row at wide gaps into line segments."""
    rows: list[list[_Frag]] = []
    refs: list[_Frag] = []  # the largest fragment of each row: its baseline is the row's
    for frag in sorted(frags, key=lambda f: (-f.y, f.x)):
        placed = False
        for k in range(len(rows) - 1, max(-1, len(rows) - 7), -1):
            ref = refs[k]
            tol = 0.45 * max(ref.size, frag.size)
            if abs(ref.y - frag.y) <= tol or (
                frag.size < ref.size * 0.8 and 0 <= frag.y - ref.y <= 0.6 * ref.size
            ):
                rows[k].append(frag)
                if frag.size > ref.size:
                    refs[k] = frag
                placed = True
                break
        if not placed:
            rows.append([frag])
            refs.append(frag)
    for k, row in enumerate(rows):
        rows[k] = _order_row(row)
    starts = _column_starts(rows)
    out: list[_Line] = []
    for row in rows:
        current: list[_Frag] = [row[0]]
        for frag in row[1:]:
            prev = current[-1]
            gap = frag.x - max(f.x1 for f in current)
            size = max(prev.size, frag.size)
            left = "".join(f.text for f in current).rstrip()
            label = _LIST_LABEL.match(left.strip()) is not None  # a bullet or number and its text
            wide = gap > 1.6 * size and not (label and gap < 5 * size)
            if wide or (gap > 0.6 * size and round(frag.x) in starts and not label):
                out.append(_make_line(current, words))
                current = [frag]
            else:
                current.append(frag)
        out.append(_make_line(current, words))
    return out


def _order_row(row: list[_Frag]) -> list[_Frag]:
    """Left to right, keeping content-stream order within runs (positions of glyphs inside a run can be
    slightly off; the stream order of a run is the writing order)."""
    runs: list[list[_Frag]] = []
    for frag in sorted(row, key=lambda f: f.seq):
        if runs and frag.x >= runs[-1][-1].x1 - 0.5 * frag.size:
            runs[-1].append(frag)
        else:
            runs.append([frag])
    runs.sort(key=lambda run: run[0].x)
    return [f for run in runs for f in run]


def _column_starts(rows: list[list[_Frag]]) -> set[int]:
    """x positions (rounded, +-1) where 3+ rows have a fragment starting after a gap: table columns."""
    counts: Counter[int] = Counter()
    for row in rows:
        seen: set[int] = set()
        for i, frag in enumerate(row):
            gap = frag.x - row[i - 1].x1 if i else frag.size
            if gap > 0.5 * frag.size:
                seen.add(round(frag.x))
        counts.update(seen)
    starts: set[int] = set()
    for x in counts:
        if counts[x - 1] + counts[x] + counts[x + 1] >= 3:
            starts.update((x - 1, x, x + 1))
    return starts


def _make_line(frags: list[_Frag], words: frozenset[str] | set[str] = frozenset()) -> _Line:
    sizes: Counter[float] = Counter()
    for f in frags:
        sizes[f.size] += len(f.text.strip())
    size = sizes.most_common(1)[0][0]
    content = [f for f in frags if f.text.strip()]
    bullet = (
        len(content) > 1
        and len(content[0].text.strip()) == 1
        and content[0].text.strip() in _BULLET_GLYPHS
        and content[1].x - content[0].x1 > 0.2 * content[0].size
    )
    body = [f for f in frags if f is not content[0]] if bullet else frags
    chars = bold_chars = 0
    for f in body:
        core = f.text.strip()
        if f.size >= size * 0.8:
            chars += len(core)
            bold_chars += len(core) if f.bold else 0
    line = _Line(frags=frags, text=_join_frags(body, size, words), size=size)
    line.bold = chars > 0 and bold_chars >= chars * 0.95
    if bullet:
        line.bullet = True
        line.text = "\u2022 " + line.text
    elif _BULLET_PREFIX.match(line.text) and len(line.text) > 2:
        line.bullet = True
        line.text = _BULLET_PREFIX.sub("\u2022 ", line.text, count=1)
    return line


def _join_frags(frags: list[_Frag], size: float, words: frozenset[str] | set[str] = frozenset()) -> str:
    """Concatenate a line's fragments, adding a space where the gap between them is a word gap."""
    text = ""
    prev: _Frag | None = None
    for f in frags:
        if _is_footnote_mark(f, size, frags):
            prev = f  # measure the next gap from the marker's end
            continue
        piece = f.text
        glued = text.endswith(" ") or piece.startswith(" ")
        if prev is not None and text and not glued:
            gap = f.x - prev.x1 > 0.15 * max(f.size, prev.size)
            if _word_gap(text, piece, gap, words):
                text += " "
        text += piece
        prev = f
    return normalize_space(text)


_TAIL = re.compile(r"[A-Za-z0-9]+$")
_HEAD = re.compile(r"^[A-Za-z0-9]+")


def _word_gap(left: str, right: str, gap: bool, words: frozenset[str] | set[str]) -> bool:
    """Is there a space between two fragments? The page's words as pypdf reads them decide when they
    can (the glued form is a word there and the parts are not, or the other way round); else the gap."""
    tail, head = _TAIL.search(left), _HEAD.match(right)
    if not words or tail is None or head is None:
        return gap
    a, b = tail.group(0), head.group(0)
    joined = (a + b) in words
    apart = a in words and b in words
    if joined and not apart:
        return False
    if apart and not joined:
        return True
    return gap


def _is_footnote_mark(frag: _Frag, size: float, frags: list[_Frag]) -> bool:
    """A raised, smaller, digits-only fragment is a footnote marker ("providers1"): dropped from the text."""
    if frag.size >= size * 0.8 or not re.fullmatch(r"\s*\d{1,3}\s*", frag.text):
        return False
    base = [f.y for f in frags if f.size >= size * 0.9]
    return bool(base) and frag.y > min(base) + 0.15 * size


def _order(lines: list[_Line]) -> list[_Line]:
    """Recursive XY cut: reading order of a page's line segments.

    A region with a full-height vertical gutter is read column by column, unless full-width horizontal
    gaps cut it into three or more rows that each have text on both sides of the gutter: that is a table,
    read row by row. A region without a gutter is cut at its widest horizontal gaps, top to bottom.
    """
    if len(lines) <= 1:
        return list(lines)
    columns = _split_columns(lines)
    if len(columns) > 1:
        rows = _split_bands(lines, min_gap=0.35 * _median_size(lines))
        if _is_table(rows, columns):
            return [line for row in rows for line in _order(row)]
        return [line for col in columns for line in _order(col)]
    bands = _split_bands(lines)
    if len(bands) > 1:
        return [line for band in bands for line in _order(band)]
    return sorted(lines, key=lambda ln: (-round(ln.y, 0), ln.x0))


def _median_size(lines: list[_Line]) -> float:
    sizes = sorted(ln.size for ln in lines)
    return sizes[len(sizes) // 2]


def _is_table(rows: list[list[_Line]], columns: list[list[_Line]]) -> bool:
    if len(rows) < 3:
        return False
    column_of = {id(ln): k for k, col in enumerate(columns) for ln in col}
    spanning = sum(1 for row in rows if len({column_of[id(ln)] for ln in row}) > 1)
    return spanning >= 3 and spanning >= len(rows) * 0.5


def _split_columns(lines: list[_Line]) -> list[list[_Line]]:
    spans = sorted((ln.x0, ln.x1) for ln in lines)
    min_gutter = 6.0
    cuts: list[float] = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= min_gutter:
            cuts.append((reach + x0) / 2)
        reach = max(reach, x1)
    if not cuts:
        return [lines]
    groups: list[list[_Line]] = [[] for _ in range(len(cuts) + 1)]
    for ln in lines:
        k = sum(1 for c in cuts if ln.x0 > c)
        groups[k].append(ln)
    groups = [g for g in groups if g]
    # A "column" that is one short line beside a block of text is a label, not a column: keep reading rows.
    if len(groups) > 1 and _looks_like_rows(groups):
        return [lines]
    return groups


def _looks_like_rows(groups: list[list[_Line]]) -> bool:
    """Side-by-side groups whose lines share baselines one to one are table rows, not columns."""
    if len(groups) != 2:
        return False
    left, right = groups
    if len(left) > 3 and len(right) > 3:
        return False
    ys = {round(ln.y) for ln in left}
    return all(round(ln.y) in ys for ln in right)


def _split_bands(lines: list[_Line], min_gap: float | None = None) -> list[list[_Line]]:
    """Cut at full-width horizontal gaps: all gaps of at least `min_gap`, else the widest ones."""
    ordered = sorted(lines, key=lambda ln: -ln.top)
    gaps: list[tuple[float, int]] = []
    low = ordered[0].bottom
    for i, ln in enumerate(ordered[1:], start=1):
        if ln.top < low:
            gaps.append((low - ln.top, i))
        low = min(low, ln.bottom)
    if not gaps:
        return [lines]
    if min_gap is None:
        biggest = max(g for g, _ in gaps)
        cut_at = [i for g, i in gaps if g >= biggest * 0.9 - 0.01]
    else:
        cut_at = [i for g, i in gaps if g >= min_gap]
    bands: list[list[_Line]] = []
    start = 0
    for i in cut_at:
        bands.append(ordered[start:i])
        start = i
    bands.append(ordered[start:])
    return [b for b in bands if b]


# --- running headers, footers and page numbers ----------------------------------------------------------


def _margin_key_text(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def _in_margin(line: _Line, raw: _RawPage) -> bool:
    return line.y >= raw.height * (1 - _MARGIN) or line.y <= raw.height * _MARGIN


def _margin_rows(raw: _RawPage, body: float) -> dict[int, list[_Line]]:
    """Small lines in the top and bottom margins, grouped by baseline (a footer split into pieces is one)."""
    rows: dict[int, list[_Line]] = {}
    for ln in raw.lines:
        # Running text is set small; a large line near the top is a heading even when it repeats.
        if _in_margin(ln, raw) and ln.size <= body * 1.15:
            rows.setdefault(round(ln.y / 6), []).append(ln)
    return rows


def _row_text(row: list[_Line]) -> str:
    return " ".join(ln.text for ln in sorted(row, key=lambda ln: ln.x0)).strip()


def _drop_running_text(pages: list[_RawPage]) -> None:
    sizes: Counter[float] = Counter()
    for raw in pages:
        for ln in raw.lines:
            sizes[ln.size] += len(ln.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    counts: Counter[tuple[str, int]] = Counter()
    for raw in pages:
        counts.update({(_margin_key_text(_row_text(row)), y) for y, row in _margin_rows(raw, body).items()})
    threshold = max(3, math.ceil(len(pages) * 0.15))
    repeated = {key for key, n in counts.items() if n >= threshold}
    for raw in pages:
        dropped: set[int] = set()
        for y, row in _margin_rows(raw, body).items():
            text = _row_text(row)
            number = _PAGE_NUMBER_RE.match(text)
            edge = _EDGE_NUMBER.search(text)
            if number or _ROMAN_RE.match(text):
                if number and raw.number is None:
                    raw.number = int(number.group(1))
            elif (_margin_key_text(text), y) in repeated:
                # "22  National Cyber Security Centre": a running footer carrying the page number.
                if edge and raw.number is None:
                    raw.number = int(edge.group(1) or edge.group(2))
            else:
                continue
            dropped.update(id(ln) for ln in row)
        raw.lines = [ln for ln in raw.lines if id(ln) not in dropped and not _CONTINUED.match(ln.text)]


def _assign_page_numbers(pages: list[_RawPage], labels: list[str] | None) -> None:
    """Printed page numbers: the number in the margin, else the page label, else by offset from neighbours.

    Margin numbers are trusted only when they agree with their neighbours (one dominant offset between the
    printed number and the page index); pages without one get the number the offset implies, or their
    numeric page label, or index + 1.
    """
    offsets = Counter(p.number - p.index for p in pages if p.number is not None)
    found = sum(offsets.values())
    if found < max(2, len(pages) // 4):
        for p in pages:
            p.number = None
            if labels and p.index < len(labels) and labels[p.index].isdigit():
                p.number = int(labels[p.index])
        return
    trusted = {offset for offset, n in offsets.items() if n >= max(2, found * 0.2)}
    for p in pages:
        if p.number is not None and p.number - p.index not in trusted:
            p.number = None
    # Keep each page's own number; fill gaps from the nearest numbered page before (or after) it.
    last_offset: int | None = None
    for p in pages:
        if p.number is not None:
            last_offset = p.number - p.index
        elif last_offset is not None:
            p.number = p.index + last_offset
    next_offset: int | None = None
    for p in reversed(pages):
        if p.number is not None:
            next_offset = p.number - p.index
        elif next_offset is not None and p.index + next_offset >= 1:
            p.number = p.index + next_offset
    for p in pages:
        if p.number is None or p.number < 1:
            if labels and p.index < len(labels) and labels[p.index].isdigit():
                p.number = int(labels[p.index])
            else:
                p.number = p.index + 1


# --- headings and blocks --------------------------------------------------------------------------------


def _classify_headings(pages: list[_RawPage], leading: float = 1.3) -> None:
    sizes: Counter[float] = Counter()
    for raw in pages:
        for ln in raw.lines:
            if not ln.bold:
                sizes[round(ln.size * 2) / 2] += len(ln.text)
    if not sizes:
        for raw in pages:
            for ln in raw.lines:
                sizes[round(ln.size * 2) / 2] += len(ln.text)
    if not sizes:
        return
    body = sizes.most_common(1)[0][0]
    heading_sizes: set[float] = set()
    candidates: list[_Line] = []
    for raw in pages:
        lines = raw.lines
        contents_page = any(_CONTENTS.match(_norm(ln.text)) for ln in lines)
        previous: _Line | None = None  # the candidate on the line before, if any
        for i, ln in enumerate(lines):
            if (
                previous is not None
                and i > 0
                and lines[i - 1] is previous
                and _heading_continues(previous, ln)
            ):
                candidates.append(ln)  # the second line of a heading ("... risks of using" / "continual ...")
                previous = ln
                continue
            previous = None
            if not _heading_text_ok(ln.text):
                continue
            if contents_page and not _CONTENTS.match(_norm(ln.text)):
                continue  # entries of a table of contents
            # Larger than the body: bold from 1.12 x body, regular from 1.25 x (prose set a point above
            # the table text is not a heading).
            big = ln.size >= body * (1.12 if ln.bold else 1.25) and not ln.bullet
            standalone_bold = ln.bold and ln.size >= body * 0.95 and not ln.bullet and _standalone(lines, i)
            if big or standalone_bold:
                candidates.append(ln)
                heading_sizes.add(round(ln.size * 2) / 2)
                previous = ln
    # The first page is a cover when the document goes on after it and the page holds little text.
    cover_page = len(pages) >= 3 and 0 < len(pages[0].lines) <= 12
    candidates = _drop_false_headings(candidates, cover_page, len(pages))
    # Levels are ranks of (size, weight): larger first, bold before regular at the same size.
    ranks = sorted({_heading_key(ln) for ln in candidates}, reverse=True)
    for ln in candidates:
        ln.heading_level = ranks.index(_heading_key(ln)) + 1
    # The first line of a paragraph (set in a large or bold font) is not a heading: its next line
    # continues it in the same style, or in body style but mid-sentence.
    for raw in pages:
        for a, b in zip(raw.lines, raw.lines[1:], strict=False):
            if (
                a.heading_level
                and not b.heading_level
                and abs(a.size - b.size) < 0.3
                and (a.bold == b.bold or b.text[:1].islower())
                and abs(a.x0 - b.x0) < 3
                and 0 < a.y - b.y <= a.size * leading * 1.25
            ):
                a.heading_level = 0


def _leading(pages: list[_RawPage]) -> float:
    """The usual distance between consecutive body lines, as a multiple of their font size."""
    pitches: Counter[float] = Counter()
    for raw in pages:
        for a, b in zip(raw.lines, raw.lines[1:], strict=False):
            if a.heading_level or b.heading_level or abs(a.size - b.size) > 0.1 or abs(a.x0 - b.x0) > 2:
                continue
            ratio = (a.y - b.y) / a.size
            if 1.0 <= ratio <= 2.2:
                pitches[round(ratio, 1)] += 1
    return pitches.most_common(1)[0][0] if pitches else 1.3


def _heading_key(line: _Line) -> float:
    return round(line.size * 2) / 2 + (0.25 if line.bold else 0.0)


_TOC_INNER = re.compile(r"[A-Za-z)]\s\d{1,3}[:.]?\s+[A-Z0-9]")


def _is_contents_entry(text: str) -> bool:
    """ "1 Framing Risk 4", "Executive Summary 1 Part 1: ... 4", "Introduction ....... 3"."""
    if re.search(r"(?:\.\s?){4,}\s*\d+$", text):
        return True
    if not re.search(r"[A-Za-z)]\s\d{1,3}$", text):
        return False
    return bool(re.match(r"^\d+(?:\.\d+)*\s", text)) or bool(_TOC_INNER.search(text))


def _drop_false_headings(
    candidates: list[_Line], cover_page: bool = False, page_count: int = 0
) -> list[_Line]:
    """Remove heading candidates that are not structure: cover titles, table headers, contents entries.

    Cover titles (and their repeats on the title page) are marked ``cover`` and dropped from the text
    altogether; the others stay as body text.
    """
    first_page = {_norm(ln.text) for ln in candidates if ln.page == 0}
    repeated_title = {
        key for key in first_page if any(ln.page in (1, 2) and _norm(ln.text) == key for ln in candidates)
    }
    cover = first_page if cover_page else repeated_title
    # Heading classes used only on the first two pages are the title block, not the structure.
    title_classes: set[float] = set()
    if page_count >= 6:
        title_classes = {_heading_key(ln) for ln in candidates if ln.page <= 1}
        title_classes -= {_heading_key(ln) for ln in candidates if ln.page > 1}
    counts = Counter((_norm(ln.text), ln.size) for ln in candidates)
    prefixes = Counter(_label_prefix(ln.text) for ln in candidates)
    # A heading class (size and weight) made mostly of repeated labels is a class of labels.
    classes = Counter(_heading_key(ln) for ln in candidates)
    repeated = Counter(_heading_key(ln) for ln in candidates if counts[(_norm(ln.text), ln.size)] >= 3)
    label_classes = {k for k, n in repeated.items() if n >= 0.75 * classes[k]}
    kept: list[_Line] = []
    for ln in candidates:
        key = _norm(ln.text)
        if _heading_key(ln) in label_classes:
            continue
        if ln.page <= 2 and key in cover:
            ln.cover = True  # the title on the cover (and repeated on the title page)
            continue
        if _heading_key(ln) in title_classes:
            continue
        if counts[(key, ln.size)] >= 3:
            continue  # repeated table header ("Categories Subcategories")
        prefix = _label_prefix(ln.text)
        if prefix and prefixes[prefix] >= 3:
            continue  # a repeated row label ("AI Actor Tasks: ...")
        if _is_contents_entry(ln.text) or _DATE_RE.match(ln.text):
            continue  # a contents entry (titles followed by page numbers) or a date line
        kept.append(ln)
    return kept


_DATE_RE = re.compile(
    r"^(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?\d{4}$",
    re.IGNORECASE,
)


def _label_prefix(text: str) -> str:
    """The words before a colon that ends a short row label ("AI Actor Tasks: ..." -> "ai actor tasks")."""
    m = re.match(r"^([A-Za-z][A-Za-z ]{2,40}):\s*\S", text)
    if not m:
        return ""
    words = [w.rstrip("s") for w in _norm(m.group(1)).split()[:2]]
    return " ".join(words)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def _heading_continues(first: _Line, line: _Line) -> bool:
    """A line in the same heading style right under a heading line, starting mid-sentence."""
    return (
        line.text[:1].islower()
        and abs(first.size - line.size) < 0.3
        and first.bold == line.bold
        and abs(first.x0 - line.x0) < 3
        and 0 < first.y - line.y <= first.size * 1.8
        and len(line.text) <= 120
    )


def _heading_text_ok(text: str) -> bool:
    if text[:1].islower():
        return False  # a continuation line in a large font, not a heading
    letters = sum(c.isalpha() for c in text)
    return letters >= 3 and len(text) <= 200 and letters >= len(text) * 0.4


def _standalone(lines: list[_Line], i: int) -> bool:
    """A bold line is a heading unless it is glued to the body paragraph on the line before it."""
    ln = lines[i]
    if len(ln.text) > 160:
        return False
    if i > 0:
        prev = lines[i - 1]
        if (
            not prev.bold
            and abs(prev.x0 - ln.x0) < 2
            and 0 < prev.y - ln.y <= ln.size * 1.3
            and not prev.bullet
        ) and not prev.text.rstrip().endswith((".", ":", "?", "!")):
            return False
    return True


_IDENTIFIER_ROW = re.compile(r"^([A-Z]{2,}(?:[ -][A-Z]{2,})?)\s?(\d+(?:\.\d+)*)\s*:\s*\S")


def _promote_identifier_rows(pages: list[Page]) -> None:
    """Numbered statements that head tables ("GOVERN 1.5: Ongoing monitoring ...", each followed by its
    table of actions) start sections: a heading with the identifier is put before each.

    Only for a prefix that starts at least five rows in the document; the row itself stays as text. The
    heading level is one below the document's deepest heading, plus the depth of the number ("GOVERN 1.1"
    nests under "GOVERN 1").
    """
    rows: list[tuple[int, int, str]] = []
    for p, page in enumerate(pages):
        for b, block in enumerate(page.blocks):
            if block.kind == "text" and (m := _IDENTIFIER_ROW.match(block.text)):
                rows.append((p, b, f"{m.group(1)} {m.group(2)}"))
    if not rows:
        return
    prefixes = Counter(label.split()[0] for _, _, label in rows)
    position = {(p, b): i for i, (p, b, _) in enumerate(rows)}
    levels = [b.level for page in pages for b in page.blocks if b.kind == "heading"]
    level = (max(levels) if levels else 0) + 1
    chosen = {prefix for prefix, n in prefixes.items() if n >= 5}
    if not chosen:
        return
    for p, page in enumerate(pages):
        out: list[Block] = []
        for b, block in enumerate(page.blocks):
            if (p, b) in position:
                label = rows[position[(p, b)]][2]
                if label.split()[0] in chosen:
                    depth = label.split()[1].count(".")
                    out.append(Block(text=label, kind="heading", level=level + depth, size=block.size))
            out.append(block)
        page.blocks = out


_NUMBER_LABEL = re.compile(
    r"^\d{1,2}(?:\.\d{1,2})*\.$|^\d{1,2}(?:\.\d{1,2})+$"
)  # "2.12." or "3.1", never a bare page number


def _attach_number_labels(blocks: list[Block]) -> list[Block]:
    """A section number printed apart from its heading ("2.12." then "Value Chain and Component
    Integration") is put back in front of the heading, so the heading is complete."""
    out: list[Block] = []
    for block in blocks:
        if out and block.kind == "heading" and out[-1].kind == "text" and _NUMBER_LABEL.match(out[-1].text):
            label = out.pop()
            block = block.model_copy(update={"text": f"{label.text} {block.text}"})
        out.append(block)
    return out


def _heading_shaped(text: str) -> bool:
    """Long sentences set in a heading font are lead paragraphs, not headings."""
    if len(text) > 150:
        return False
    return not (len(text) > 90 and text.endswith("."))


def _blocks(lines: list[_Line], leading: float = 1.3, vocab: set[str] | None = None) -> list[Block]:
    """Join lines into heading and paragraph blocks. `leading` is the document's usual line pitch as a
    multiple of the font size: a wider gap starts a new paragraph."""
    blocks: list[Block] = []
    buf: list[_Line] = []

    def flush() -> None:
        if not buf:
            return
        first = buf[0]
        text = join_lines([ln.text for ln in buf], vocab or frozenset())
        if first.heading_level and _heading_shaped(text):
            blocks.append(Block(text=text, kind="heading", level=first.heading_level, size=first.size))
        elif text:
            blocks.append(Block(text=text, kind="text", level=0, size=first.size))
        buf.clear()

    for ln in lines:
        if not ln.text or ln.cover:
            continue
        if buf:
            prev = buf[-1]
            same_kind = (prev.heading_level > 0) == (ln.heading_level > 0)
            pitch = prev.y - ln.y
            size = max(prev.size, ln.size)
            if ln.heading_level:
                close = 0 < pitch <= size * max(1.8, leading * 1.25)
                cont = same_kind and ln.heading_level == prev.heading_level and close
            else:
                close = 0 < pitch <= size * leading * 1.25
                cont = same_kind and close and not ln.bullet and ln.x0 >= buf[0].x0 - 3
            if not cont:
                flush()
        buf.append(ln)
    flush()
    return blocks

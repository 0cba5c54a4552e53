"""Opening a PDF and reading its text fragments (position, effective size, weight) with pypdf.

Two readings of a page: pypdf's text visitor and the text show operators positioned by pypdf's
layout-mode text state. Bad input raises a one-line CorpusError naming the file.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.pdf.model import Frag
from ingest.text import repair_ligatures
from saige.errors import CorpusError

MAX_PAGES = 5000
"""Refuse documents with more pages than this: no guideline runs that long, a bigger count is damage."""

_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|medi|[-,]bd\b|-sb\b", re.IGNORECASE)


def open_pdf(path: Path) -> Any:
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


def page_labels(reader: Any) -> list[str] | None:
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


def operator_frags(
    reader: Any, page: Any, left: float, bottom: float, width: float, height: float
) -> dict[int, list[Frag]] | None:
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
    out: list[Frag] = []
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
        out.append(Frag(x=x, y=y, x1=max(x1, x), size=round(size, 1), bold=bold_cache[key], text=text))
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


def visitor_frags(
    page: Any, left: float, bottom: float, width: float, height: float
) -> tuple[dict[int, list[Frag]], str]:
    """Fragments from pypdf's text visitor (handles form XObjects and rotated text; positions are the
    text matrix at the last positioning operator, advanced here by glyph widths)."""
    frags: dict[int, list[Frag]] = {0: [], 90: [], 180: [], 270: []}
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
        # A line break at either end of the text is pypdf's guess at a new line (after a text matrix
        # reset), not a printed space: the fragments' positions decide whether a space is there.
        clean = text.strip("\r\n").replace("\n", " ").replace("\r", " ")
        if not clean.strip():
            return
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
        frag = Frag(x=x, y=y, x1=x1, size=round(eff, 1), bold=fonts.bold(font), text=clean)
        frags[orientation].append(frag)

    plain = page.extract_text(visitor_text=visit, orientations=(0, 90, 180, 270))
    return frags, repair_ligatures(plain or "")

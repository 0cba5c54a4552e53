"""Fragments to line segments: baseline rows, split at wide gaps and table column starts; word spaces;
bullets; footnote marks."""

from __future__ import annotations

import re
from collections import Counter

from ingest.pdf.model import Frag, Line
from ingest.pdf.tables import column_starts
from ingest.text import normalize_space

_BULLET_GLYPHS = frozenset(
    {">", "\u2022", "\u25cf", "\u25aa", "\u2023", "\u2043", "\u25e6", "-", "\u2013", "o"}
)
_BULLET_PREFIX = re.compile(
    r"^(?:[\u2022\u25cf\u25aa\u2023\u2043\u25e6\u2013\uf0b7\uf0a7]|-(?=\s)|>(?=\s))\s*"
)
_LIST_LABEL = re.compile(
    r"^(?:[A-Z]{2,10}|\d{1,2}[.)]|[a-z][.)]|\(?[ivx]{1,4}\)|[\u2022\u25cf\u25aa\uf0b7\uf0a7>o\-\u2013])$"
)


def segments(frags: list[Frag], words: frozenset[str] | set[str] = frozenset()) -> list[Line]:
    """Group fragments into baseline rows, then split each row at wide gaps into line segments."""
    rows: list[list[Frag]] = []
    refs: list[Frag] = []  # the largest fragment of each row: its baseline is the row's
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
    starts = column_starts(rows)
    out: list[Line] = []
    for row in rows:
        current: list[Frag] = [row[0]]
        for frag in row[1:]:
            prev = current[-1]
            gap = frag.x - max(f.x1 for f in current)
            # The gap from the last printed glyph: trailing spaces of a table cell's text ("into AI  ")
            # run on towards the next column without being printed.
            inked = frag.x - max(_inked_end(f) for f in current)
            size = max(prev.size, frag.size)
            left = "".join(f.text for f in current).rstrip()
            label = _LIST_LABEL.match(left.strip()) is not None  # a bullet or number and its text
            wide = gap > 1.6 * size and not (label and gap < 5 * size)
            column = round(frag.x) in starts and not label
            if wide or (column and inked > 0.6 * size):
                out.append(_make_line(current, words))
                current = [frag]
            else:
                current.append(frag)
        out.append(_make_line(current, words))
    return out


def _inked_end(frag: Frag) -> float:
    """Where the fragment's last printed glyph ends: its end less its trailing spaces (a quarter of the
    font size each, a typical space width), its start when it is blank."""
    text = frag.text.rstrip()
    if not text:
        return frag.x
    return max(frag.x, frag.x1 - 0.25 * frag.size * (len(frag.text) - len(text)))


def _order_row(row: list[Frag]) -> list[Frag]:
    """Left to right, keeping content-stream order within runs (positions of glyphs inside a run can be
    slightly off; the stream order of a run is the writing order)."""
    runs: list[list[Frag]] = []
    for frag in sorted(row, key=lambda f: f.seq):
        if runs and frag.x >= runs[-1][-1].x1 - 0.5 * frag.size:
            runs[-1].append(frag)
        else:
            runs.append([frag])
    runs.sort(key=lambda run: run[0].x)
    return [f for run in runs for f in run]


def _make_line(frags: list[Frag], words: frozenset[str] | set[str] = frozenset()) -> Line:
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
    line = Line(frags=frags, text=_join_frags(body, size, words), size=size)
    line.bold = chars > 0 and bold_chars >= chars * 0.95
    if bullet:
        line.bullet = True
        line.text = _marker(content[0].text.strip()) + line.text
    elif (m := _BULLET_PREFIX.match(line.text)) and len(line.text) > 2:
        line.bullet = True
        line.text = _marker(m.group().strip()) + line.text[m.end() :]
    line.cuts = _cuts(frags, size, words, line.text)
    return line


def _cuts(
    frags: list[Frag], size: float, words: frozenset[str] | set[str], text: str
) -> list[tuple[int, float]]:
    """Where a fragment starts after an inked gap wider than a word space (0.6 x the size, the gap that
    splits a row at a table column): (characters of the line's text before the fragment, its x). Only where
    the text from that fragment on is the end of the line's text, so the cut keeps every word."""
    out: list[tuple[int, float]] = []
    for i in range(1, len(frags)):
        if not frags[i].text.strip():
            continue
        inked = frags[i].x - max(_inked_end(f) for f in frags[:i])
        if inked <= 0.6 * size:
            continue
        tail = _join_frags(frags[i:], size, words)
        if tail and len(tail) < len(text) and text.endswith(tail) and text[-len(tail) - 1] == " ":
            out.append((len(text) - len(tail), frags[i].x))
    return out


def _marker(glyph: str) -> str:
    """The list marker a line starts with: an en dash as printed ("defined or \u2013 in the case of"), any
    other bullet glyph as "\u2022"."""
    return "\u2013 " if glyph == "\u2013" else "\u2022 "


def _join_frags(frags: list[Frag], size: float, words: frozenset[str] | set[str] = frozenset()) -> str:
    """Concatenate a line's fragments, adding a space where the gap between them is a word gap."""
    text = ""
    prev: Frag | None = None
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


def _is_footnote_mark(frag: Frag, size: float, frags: list[Frag]) -> bool:
    """A raised, smaller, digits-only fragment is a footnote marker ("providers1"): dropped from the text."""
    if frag.size >= size * 0.8 or not re.fullmatch(r"\s*\d{1,3}\s*", frag.text):
        return False
    base = [f.y for f in frags if f.size >= size * 0.9]
    return bool(base) and frag.y > min(base) + 0.15 * size

"""Running headers and footers, bare page numbers and "continued" lines; printed page numbers."""

from __future__ import annotations

import math
import re
from collections import Counter

from ingest.pdf.model import Line, RawPage

_PAGE_NUMBER_RE = re.compile(r"^(?:page\s+)?(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_EDGE_NUMBER = re.compile(r"^(\d{1,4})\s+\D|\D\s+(\d{1,4})$")
_ROMAN_RE = re.compile(r"^[ivxlc]{1,6}$", re.IGNORECASE)
_MARGIN = 0.12  # top and bottom fraction of the page searched for running headers, footers, page numbers
_CONTINUED = re.compile(
    r"^\(?(?:continued(?: on (?:the )?next page)?|continues on next page)\)?\.?$", re.IGNORECASE
)


def _margin_key_text(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def _in_margin(line: Line, raw: RawPage) -> bool:
    return line.y >= raw.height * (1 - _MARGIN) or line.y <= raw.height * _MARGIN


def _margin_rows(raw: RawPage, body: float) -> dict[int, list[Line]]:
    """Small lines in the top and bottom margins, grouped by baseline (a footer split into pieces is one)."""
    rows: dict[int, list[Line]] = {}
    for ln in raw.lines:
        # Running text is set small; a large line near the top is a heading even when it repeats.
        if _in_margin(ln, raw) and ln.size <= body * 1.15:
            rows.setdefault(round(ln.y / 6), []).append(ln)
    return rows


def _row_text(row: list[Line]) -> str:
    return " ".join(ln.text for ln in sorted(row, key=lambda ln: ln.x0)).strip()


def drop_running_text(pages: list[RawPage]) -> None:
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


def assign_page_numbers(pages: list[RawPage], labels: list[str] | None) -> None:
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

"""Reading order of a page's line segments: a recursive XY cut (columns, table rows, bands)."""

from __future__ import annotations

from ingest.pdf.model import Line
from ingest.pdf.tables import is_table, looks_like_rows


def order_lines(lines: list[Line]) -> list[Line]:
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
        if is_table(rows, columns):
            return [line for row in rows for line in order_lines(row)]
        return [line for col in columns for line in order_lines(col)]
    bands = _split_bands(lines)
    if len(bands) > 1:
        return [line for band in bands for line in order_lines(band)]
    return sorted(lines, key=lambda ln: (-round(ln.y, 0), ln.x0))


def _median_size(lines: list[Line]) -> float:
    sizes = sorted(ln.size for ln in lines)
    return sizes[len(sizes) // 2]


def _split_columns(lines: list[Line]) -> list[list[Line]]:
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
    groups: list[list[Line]] = [[] for _ in range(len(cuts) + 1)]
    for ln in lines:
        k = sum(1 for c in cuts if ln.x0 > c)
        groups[k].append(ln)
    groups = [g for g in groups if g]
    # A "column" that is one short line beside a block of text is a label, not a column: keep reading rows.
    if len(groups) > 1 and looks_like_rows(groups):
        return [lines]
    return groups


def _split_bands(lines: list[Line], min_gap: float | None = None) -> list[list[Line]]:
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
    bands: list[list[Line]] = []
    start = 0
    for i in cut_at:
        bands.append(ordered[start:i])
        start = i
    bands.append(ordered[start:])
    return [b for b in bands if b]

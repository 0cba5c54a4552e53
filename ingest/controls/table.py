"""Tables read cell by cell from a page's positioned lines (pure; no PDF access).

A table is given by its column starts (x of each column's left edge, read from its header row) and by a
predicate on the first line of a row's key column ("PO.1.1: ...", "1.1 Organisations' ..."). Rows are
top-aligned: a line belongs to the last row that starts at or above its band of baselines (a few points
of tolerance, for cells whose first baseline sits slightly higher or lower). Lines before the first row start
of a page continue the
last row of the previous page, so a row broken by a page break stays whole. A line that ends the table
(a heading, the next table's title) closes the current row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ingest.text import join_lines, normalize_space
from saige.types import Page, TextLine

_Y_TOLERANCE = 3.0
_X_TOLERANCE = 4.0


@dataclass
class Row:
    """One table row: the lines of each column, and the page the row starts on."""

    page: Page
    cells: list[list[TextLine]]
    pages: list[Page] = field(default_factory=list)

    def lines(self, column: int) -> list[TextLine]:
        return self.cells[column] if column < len(self.cells) else []


def column_of(line: TextLine, columns: Sequence[float]) -> int:
    """Index of the column whose left edge is the last one at or left of the line's start."""
    index = 0
    for i, start in enumerate(columns):
        if line.x0 + _X_TOLERANCE >= start:
            index = i
    return index


def bands(lines: Sequence[TextLine], tolerance: float = _Y_TOLERANCE) -> list[list[TextLine]]:
    """Lines grouped by baseline, top to bottom (baselines within `tolerance` of the band's first line),
    each band left to right."""
    out: list[list[TextLine]] = []
    for ln in sorted(lines, key=lambda ln: -ln.y):
        if out and out[-1][0].y - ln.y <= tolerance:
            out[-1].append(ln)
        else:
            out.append([ln])
    return [sorted(band, key=lambda ln: ln.x0) for band in out]


def ordered(lines: Sequence[TextLine]) -> list[TextLine]:
    """Top to bottom, then left to right, treating nearly equal baselines as one row."""
    return [ln for band in bands(lines, 1.0) for ln in band]


def read_rows(
    pages: Sequence[Page],
    columns_of: Callable[[Page], list[float] | None],
    starts_row: Callable[[TextLine], bool],
    *,
    key_column: int = 0,
    in_table: Callable[[Page, TextLine], bool] = lambda page, line: True,
    ends_table: Callable[[TextLine], bool] = lambda line: False,
    split: Callable[[TextLine], list[TextLine]] = lambda line: [line],
) -> list[Row]:
    """Rows of the tables on `pages`. `columns_of(page)` gives the column starts of the page's table (None
    when the page has none: an open row is closed); `in_table` filters out the page's lines outside the
    table (titles, header rows, notes); `split` cuts a segment that the page reading merged across two
    columns (see `split_text`)."""
    rows: list[Row] = []
    current: Row | None = None
    for page in pages:
        columns = columns_of(page)
        if columns is None:
            current = None
            continue
        for band in bands([part for ln in page.lines if in_table(page, ln) for part in split(ln)]):
            if any(ends_table(line) for line in band):
                current = None
                continue
            cols = [column_of(line, columns) for line in band]
            if any(col == key_column and starts_row(line) for col, line in zip(cols, band, strict=True)):
                current = Row(page=page, cells=[[] for _ in columns], pages=[page])
                rows.append(current)
            if current is None:
                continue
            if page not in current.pages:
                current.pages.append(page)
            for col, line in zip(cols, band, strict=True):
                current.cells[col].append(line)
    return rows


def cell_text(lines: Sequence[TextLine], vocabulary: set[str] | frozenset[str] = frozenset()) -> str:
    """A cell's lines as one paragraph (wrapped lines joined, line-end hyphens resolved)."""
    return join_lines([ln.text for ln in lines], vocabulary)


def is_header(line: TextLine, labels: Sequence[str]) -> bool:
    """A bold line starting with one of a table's header labels."""
    text = normalize_space(line.text).lower()
    return line.bold and any(text.startswith(label.lower()) for label in labels)


def header_columns(page: Page, labels: Sequence[str]) -> list[float] | None:
    """Left edges of the bold header cells that start with `labels` (in order), or None when the page has
    no such header row. Labels are matched case-insensitively against the start of the line."""
    found: list[float] = []
    for label in labels:
        hits = [ln for ln in page.lines if is_header(ln, [label])]
        if not hits:
            return None
        found.append(min(ln.x0 for ln in hits))
    return found if found == sorted(found) else None


def split_text(line: TextLine, index: int, start: float) -> list[TextLine]:
    """The segment cut before character `index`: its head stays, its tail starts the column at `start`."""
    left, right = line.text[:index].rstrip(), line.text[index:].strip()
    if not left or not right:
        return [line]
    return [
        line.model_copy(update={"text": left, "x1": min(line.x1, start - 1)}),
        line.model_copy(update={"text": right, "x0": start}),
    ]


def cut_at_columns(line: TextLine, columns: Sequence[float], reach: float = _X_TOLERANCE) -> list[TextLine]:
    """A segment that runs on into the next column(s), cut into cells: at each place where a piece of it
    starts after a gap wider than a word space (`TextLine.cuts`) and no more than `reach` + the column
    tolerance left of a later column's start (a cell's first word can sit a little left of the column's
    bullets and wrapped lines). Every word stays, in its own column."""
    own = column_of(line, columns)
    for at, x in line.cuts:
        if column_of(line.model_copy(update={"x0": x + reach}), columns) <= own:
            continue
        head, tail = line.text[:at].rstrip(), line.text[at:].strip()
        if not head or not tail:
            continue
        rest = [(k - at, cx) for k, cx in line.cuts if k > at]
        return [
            line.model_copy(update={"text": head, "x1": min(line.x1, x - 1), "cuts": []}),
            *cut_at_columns(line.model_copy(update={"text": tail, "x0": x, "cuts": rest}), columns, reach),
        ]
    return [line]

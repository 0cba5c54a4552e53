"""NIST AI RMF 1.0: Tables 1-4 (Categories | Subcategories) give 4 functions, 19 categories and 72
subcategories, with their identifiers as printed ("GOVERN 1", "MAP 4.2")."""

from __future__ import annotations

import re

from ingest.controls.common import doc_vocabulary, make_control
from ingest.controls.table import Row, cell_text, read_rows, split_text
from ingest.text import normalize_space
from saige.types import Control, Page, ParsedDocument, TextLine

_TITLE = re.compile(r"Categories and subcategories for the (GOVERN|MAP|MEASURE|MANAGE) function", re.I)
_HEADER = re.compile(r"^Categories\b.*Subcategories$")
_CATEGORY = re.compile(r"^(GOVERN|MAP|MEASURE|MANAGE) (\d{1,2}):\s*(.*)$")
_SUBCATEGORY = re.compile(r"^(GOVERN|MAP|MEASURE|MANAGE) (\d{1,2}\.\d{1,2}):\s*(.*)$")
_INNER_SUBCATEGORY = re.compile(r"(?<=\s)(?:GOVERN|MAP|MEASURE|MANAGE) \d{1,2}\.\d{1,2}:")


def build(parsed: ParsedDocument) -> list[Control]:
    vocab = doc_vocabulary(parsed)
    tops: dict[int, float] = {}
    functions: dict[str, list[Page]] = {}
    for page in parsed.pages:
        for line in page.lines:
            m = _TITLE.search(normalize_space(line.text))
            if m:
                functions.setdefault(m.group(1), []).append(page)
                header = [ln.y for ln in page.lines if _HEADER.match(normalize_space(ln.text))]
                tops[page.index] = min([line.y, *header])

    def columns_of(page: Page) -> list[float] | None:
        if page.index not in tops:
            return None
        subs = [ln.x0 for ln in page.lines if _SUBCATEGORY.match(normalize_space(ln.text))]
        if not subs:
            return None
        sub_x = min(subs)
        cats = [ln.x0 for ln in page.lines if _CATEGORY.match(normalize_space(ln.text))]
        return [min(cats) if cats else sub_x - 100, sub_x]

    def split(line: TextLine) -> list[TextLine]:
        # "GOVERN 6: Policies GOVERN 6.1: ..." read as one segment: the subcategory starts its column.
        m = _INNER_SUBCATEGORY.search(line.text)
        cols = columns_of_page.get(id(line))
        if m and m.start() > 0 and cols:
            return split_text(line, m.start(), cols[1])
        return [line]

    columns_of_page: dict[int, list[float]] = {}
    for page in parsed.pages:
        cols = columns_of(page)
        if cols:
            columns_of_page.update({id(ln): cols for ln in page.lines})
    left = min((cols[0] for cols in columns_of_page.values()), default=0.0)
    rows = read_rows(
        parsed.pages,
        columns_of,
        lambda line: bool(_SUBCATEGORY.match(normalize_space(line.text))),
        key_column=1,
        in_table=lambda page, line: line.y < tops.get(page.index, 0) - 1,
        split=split,
        ends_table=lambda line: line.x0 < left - 3,  # body text resumes left of the table
    )
    controls: list[Control] = []
    table_pages = {id(p) for row in rows for p in row.pages}
    for function, all_pages in functions.items():
        pages = [p for p in all_pages if id(p) in table_pages] or all_pages
        controls.append(
            make_control(
                parsed,
                control_id=function,
                kind="function",
                pages=pages,
                title=function.title(),
                path=[function.title()],
            )
        )
    categories: list[tuple[str, str, list[Row]]] = []
    for row in rows:
        text = cell_text(row.lines(0), vocab)
        m = _CATEGORY.match(text)
        if m:
            categories.append((f"{m.group(1)} {m.group(2)}", m.group(1), [row]))
        elif categories:
            categories[-1][2].append(row)
    for category_id, function, crows in categories:
        lines: list[TextLine] = [ln for row in crows for ln in row.lines(0)]
        m = _CATEGORY.match(cell_text(lines, vocab))
        statement = m.group(3) if m else ""
        path = [function.title(), category_id]
        controls.append(
            make_control(
                parsed,
                control_id=category_id,
                kind="category",
                pages=[p for row in crows for p in row.pages],
                title=category_id,
                statement=statement,
                parent_id=function,
                path=path,
            )
        )
        for row in crows:
            sm = _SUBCATEGORY.match(cell_text(row.lines(1), vocab))
            if sm is None:
                continue
            sub_id = f"{sm.group(1)} {sm.group(2)}"
            controls.append(
                make_control(
                    parsed,
                    control_id=sub_id,
                    kind="subcategory",
                    pages=row.pages,
                    title=sub_id,
                    statement=sm.group(3),
                    parent_id=category_id,
                    path=[*path, sub_id],
                )
            )
    return controls

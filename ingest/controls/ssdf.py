"""NIST SP 800-218A: the profile table's practices and tasks, each task with its priority, its AI-specific
recommendations [R], considerations [C] and notes [N], and its informative references."""

from __future__ import annotations

import re

from ingest.controls.common import doc_vocabulary, field, make_control
from ingest.controls.table import Row, cell_text, header_columns, is_header, read_rows
from ingest.text import normalize_space
from saige.types import Control, ControlField, Page, ParsedDocument, TextLine

_LABELS = ("Practice", "Task", "Priority", "Recommendations", "Informative")
_HEADER_LABELS = (*_LABELS, "Notes [N]", "References")
_TASK = re.compile(r"^((?:PO|PS|PW|RV)\.\d+\.\d+):?\s*(.*)$")
_PRACTICE = re.compile(r"\(((?:PO|PS|PW|RV)\.\d+)\):?")
_GROUP = re.compile(r"^(.+?)\s*\((PO|PS|PW|RV)\)$")
_ITEM = re.compile(r"^([RCN])(\d+):\s*")
_ITEM_NAMES = {"R": "Recommendation", "C": "Consideration", "N": "Note"}


def build(parsed: ParsedDocument) -> list[Control]:
    vocab = doc_vocabulary(parsed)
    groups: dict[str, tuple[str, Page]] = {}
    for page in parsed.pages:
        for line in page.lines:
            m = _GROUP.match(normalize_space(line.text))
            if m and line.bold and m.group(2) not in groups:
                groups[m.group(2)] = (m.group(1), page)

    def in_table(page: Page, line: TextLine) -> bool:
        return not is_header(line, _HEADER_LABELS) and not (line.bold and _GROUP.match(line.text.strip()))

    rows = read_rows(
        parsed.pages,
        lambda page: header_columns(page, _LABELS),
        lambda line: bool(_TASK.match(normalize_space(line.text))),
        key_column=1,
        in_table=in_table,
    )
    controls: list[Control] = []
    for group_id, (name, page) in groups.items():
        controls.append(
            make_control(parsed, control_id=group_id, kind="practice", pages=[page], title=name, path=[name])
        )
    # A practice's cell spans the rows of its tasks: collect column 0 from its first row to the next.
    practice_rows: list[tuple[str, list[Row]]] = []
    for row in rows:
        text = cell_text(row.lines(0), vocab)
        m = _PRACTICE.search(text)
        if m or not practice_rows:
            practice_rows.append((m.group(1) if m else "", [row]))
        else:
            practice_rows[-1][1].append(row)
    for practice_id, prow in practice_rows:
        lines = [ln for row in prow for ln in row.lines(0)]
        text = cell_text(lines, vocab)
        m = _PRACTICE.search(text)
        title = normalize_space(text[: m.start()]) if m else ""
        statement = normalize_space(text[m.end() :]) if m else text
        group = practice_id.split(".")[0]
        group_name = groups.get(group, (group, None))[0]
        if practice_id:
            controls.append(
                make_control(
                    parsed,
                    control_id=practice_id,
                    kind="practice",
                    pages=[p for row in prow for p in row.pages],
                    title=title,
                    statement=statement,
                    parent_id=group if group in groups else None,
                    path=[group_name, f"{title} ({practice_id})"],
                )
            )
        for row in prow:
            controls.append(_task(parsed, row, practice_id, [group_name, f"{title} ({practice_id})"], vocab))
    return controls


def _task(parsed: ParsedDocument, row: Row, practice_id: str, path: list[str], vocab: set[str]) -> Control:
    text = cell_text(row.lines(1), vocab)
    m = _TASK.match(text)
    assert m is not None  # rows start at a task id
    task_id, statement = m.group(1), m.group(2)
    fields: list[ControlField] = []
    priority = cell_text(row.lines(2), vocab)
    if priority:
        fields.append(field("Priority", priority))
    fields.extend(_items(row.lines(3), vocab))
    references = cell_text(row.lines(4), vocab)
    if references:
        fields.append(field("Informative References", references))
    return make_control(
        parsed,
        control_id=task_id,
        kind="task",
        pages=row.pages,
        title=task_id,
        statement=statement,
        parent_id=practice_id or None,
        path=[*path, task_id],
        fields=fields,
    )


def _items(lines: list[TextLine], vocab: set[str]) -> list[ControlField]:
    """The recommendations column's items: "R1: ...", "C1: ...", "N1: ...", each with its wrapped lines."""
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        text = normalize_space(line.text)
        m = _ITEM.match(text)
        if m:
            items.append((f"{_ITEM_NAMES[m.group(1)]} {m.group(1)}{m.group(2)}", [text[m.end() :]]))
        elif items:
            items[-1][1].append(text)
        else:
            items.append(("AI-specific", [text]))
    return [field(name, cell_text_from(parts, vocab)) for name, parts in items]


def cell_text_from(parts: list[str], vocab: set[str]) -> str:
    from ingest.text import join_lines

    return join_lines(parts, vocab)

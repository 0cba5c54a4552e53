"""DSIT AI cyber security code of practice, implementation guide: 13 principles, each a table of
provisions (Provisions | Related threats/risks | Example Measures/Controls | Reference/Resource). The
example measures hold worked examples for four scenarios (chatbot app, ML fraud detection, LLM platform,
open-access LLM model); each becomes its own field, after the measure it illustrates."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from ingest.controls.common import doc_vocabulary, field, make_control
from ingest.controls.table import Row, bands, cell_items, cell_text, header_columns, is_header, read_rows
from ingest.text import join_lines, normalize_space
from saige.types import Control, ControlField, Page, ParsedDocument, TextLine

_LABELS = ("Provisions", "Related threats", "Example Measures", "Reference")
_PRINCIPLE = re.compile(r"^Principle (\d{1,2}):\s*(.+)$")
_PROVISION = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+(\S.*)$")
_SCENARIO = re.compile(
    r"^(?:\d\.\s*)?(Chatbot App|ML Fraud Detection|LLM Platform|Open-Access LLM Model)\s*:\s*", re.IGNORECASE
)
_SCENARIO_NAMES = {
    "chatbot app": "Chatbot App",
    "ml fraud detection": "ML Fraud Detection",
    "llm platform": "LLM Platform",
    "open-access llm model": "Open-Access LLM Model",
}


def build(parsed: ParsedDocument) -> list[Control]:
    vocab = doc_vocabulary(parsed)
    principles: list[tuple[str, str, Page]] = []
    for page in parsed.pages:
        for line in page.lines:
            m = _PRINCIPLE.match(normalize_space(line.text))
            if m and line.bold:
                principles.append((m.group(1), normalize_space(m.group(2)), page))
    columns: dict[int, list[float] | None] = {}

    def columns_of(page: Page) -> list[float] | None:
        if page.index not in columns:
            found = header_columns(page, _LABELS)
            previous = [c for i, c in sorted(columns.items()) if i < page.index and c]
            # A continuation page repeats no header: the table's columns carry over while it runs.
            columns[page.index] = found or (previous[-1] if previous and _has_table_text(page) else None)
        return columns[page.index]

    rows = read_rows(
        parsed.pages,
        columns_of,
        lambda line: bool(_PROVISION.match(normalize_space(line.text))),
        key_column=0,
        in_table=lambda page, line: not is_header(line, (*_LABELS, "risks")),
        ends_table=lambda line: bool(line.bold and _PRINCIPLE.match(normalize_space(line.text))),
    )
    controls: list[Control] = []
    names = {number: title for number, title, _ in principles}
    for number, title, page in principles:
        controls.append(
            make_control(
                parsed,
                control_id=f"Principle {number}",
                kind="principle",
                pages=[page],
                title=title,
                statement=title,
                path=[f"Principle {number}: {title}"],
            )
        )
    seen: set[str] = set()
    for row in rows:
        control = _provision(parsed, row, names, vocab)
        if control is not None and control.control_id not in seen:
            seen.add(control.control_id)
            controls.append(control)
    return controls


def _has_table_text(page: Page) -> bool:
    return any(ln.x0 > 200 for ln in page.lines) and not any(
        normalize_space(ln.text).startswith(("Annex", "Glossary")) for ln in page.lines if ln.size > 10.5
    )


def _provision(parsed: ParsedDocument, row: Row, names: dict[str, str], vocab: set[str]) -> Control | None:
    text = cell_text(row.lines(0), vocab)
    m = _PROVISION.match(text)
    if m is None:
        return None
    provision_id, statement = m.group(1), m.group(2)
    number = provision_id.split(".")[0]
    if number not in names:
        return None
    parent = provision_id.rsplit(".", 1)[0]
    parent_id = f"Principle {number}" if "." not in parent else parent
    fields: list[ControlField] = []
    threats = cell_text(row.lines(1), vocab)
    if threats:
        fields.append(field("Related threats/risks", threats))
    fields.extend(_measures(row.lines(2), vocab))
    fields.extend(field("Reference/Resource", item) for item in cell_items(row.lines(3), vocab) if item)
    return make_control(
        parsed,
        control_id=provision_id,
        kind="provision",
        pages=row.pages,
        title=f"Provision {provision_id}",
        statement=statement,
        parent_id=parent_id,
        path=[f"Principle {number}: {names[number]}", f"Provision {provision_id}"],
        fields=fields,
    )


def _measures(lines: Sequence[TextLine], vocab: set[str]) -> list[ControlField]:
    """The example measures: each measure's text, then its scenario examples. A new measure starts at a
    line that is not a scenario, after a scenario, past a gap wider than the line pitch."""
    if not lines:
        return []
    ordered = [ln for band in bands(lines, 1.0) for ln in band]
    pitch = _pitch(ordered)
    items: list[tuple[str, list[str]]] = []
    previous: TextLine | None = None
    for line in ordered:
        text = normalize_space(line.text)
        m = _SCENARIO.match(text)
        gap = previous is not None and previous.y - line.y > pitch * 1.3
        if m:
            name = _SCENARIO_NAMES[m.group(1).lower()]
            items.append((f"Example measures: {name}", [text[m.end() :]]))
        elif not items or (gap and items[-1][0] != "Example measure"):
            items.append(("Example measure", [text]))
        else:
            items[-1][1].append(text)
        previous = line
    return [field(name, join_lines(parts, vocab)) for name, parts in items]


def _pitch(lines: Sequence[TextLine]) -> float:
    steps = sorted(a.y - b.y for a, b in itertools.pairwise(lines) if a.y - b.y > 4)
    return steps[len(steps) // 4] if steps else 11.5

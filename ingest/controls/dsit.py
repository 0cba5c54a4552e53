"""DSIT AI cyber security code of practice, implementation guide: 13 principles, each a table of
provisions (Provisions | Related threats/risks | Example Measures/Controls | Reference/Resource). The
example measures hold worked examples for four scenarios (chatbot app, ML fraud detection, LLM platform,
open-access LLM model); each becomes its own field, after the measure it illustrates.

Each principle's table is read on its own: it runs from its header row (the bold "Provisions" cell and
its neighbours) to the next principle's title, over as many pages as it takes, and its columns are the
left edges its own lines share (the tables of different principles sit at different x positions, and a
centred header cell such as "Example Measures/Controls" is not its column's left edge). A line the page
reading ran from one cell into the next column's (a measure and a reference's words 14 pt apart on one
baseline) is cut where the next column's piece starts (`TextLine.cuts`), so each cell keeps its own words.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.controls.common import doc_vocabulary, field, make_control
from ingest.controls.table import Row, cell_text, cut_at_columns, read_rows
from ingest.text import join_lines, normalize_space
from saige.types import Control, ControlField, Page, ParsedDocument, TextLine

_LABELS = ("Provisions", "Related", "Example Measures", "Reference")
_HEADER_WORDS = (*_LABELS, "threats", "risks")
_BULLET = re.compile(r"^[\u2022\u25cf\u25aa\uf0b7\uf0a7]\s*")
_PRINCIPLE = re.compile(r"^Principle (\d{1,2}):\s*(.+)$")
_PROVISION = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+(\S.*)$")
_SCENARIOS = ("Chatbot App", "ML Fraud Detection", "LLM Platform", "Open-Access LLM Model")
# A scenario's label, numbered as printed or not; the number names the scenario where the label is printed
# otherwise ("3. LLM Provider:", "4. Open-Access LLM:").
_SCENARIO = re.compile(
    r"^(?:([1-4])\.\s*)?(Chatbot App|ML Fraud Detection|LLM Platform|Open-Access LLM Model"
    r"|(?<=\. )(?:LLM Provider|Open-Access LLM))\s*[:.]\s*",
    re.IGNORECASE,
)
_TITLE = re.compile(r"^([A-Z][^:.;]{2,80}?):\s")
_MIN_LINES = 3  # lines that share a left edge before it counts as a column's
_EDGE = 2.0  # wrapped lines of one reference start within this of each other
_COLUMN_SPAN = 20.0  # left edges within this of a group's first belong to one column (bullets, wrapped lines)


@dataclass
class Table:
    """One principle's table: its pages clipped to the table's own lines (header row left out) and its
    column starts."""

    pages: list[Page]
    columns: list[float]

    def columns_of(self, page: Page) -> list[float]:
        return self.columns

    def cut(self, line: TextLine) -> list[TextLine]:
        """A line of one cell that the page reading ran on into the next column's text, cut cell by cell."""
        return cut_at_columns(line, self.columns)


def _starts_row(line: TextLine) -> bool:
    return bool(_PROVISION.match(normalize_space(line.text)))


def build(parsed: ParsedDocument) -> list[Control]:
    vocab = doc_vocabulary(parsed)
    principles: list[tuple[str, str, Page]] = []
    for page in parsed.pages:
        for line in page.lines:
            m = _PRINCIPLE.match(normalize_space(line.text))
            if m and line.bold:
                principles.append((m.group(1), normalize_space(m.group(2)), page))
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
    for table in tables(parsed.pages):
        rows = read_rows(table.pages, table.columns_of, _starts_row, key_column=0, split=table.cut)
        for row in rows:
            control = _provision(parsed, row, names, vocab)
            if control is not None and control.control_id not in seen:
                seen.add(control.control_id)
                controls.append(control)
    return controls


def tables(pages: Sequence[Page]) -> list[Table]:
    """The principles' tables, in document order (see the module docstring)."""
    headers: list[tuple[int, float]] = []  # (position of the page, baseline of the header row)
    ends: list[tuple[int, float]] = []  # where a principle's title ends the table before it
    for k, page in enumerate(pages):
        for line in page.lines:
            text = normalize_space(line.text)
            if line.bold and text == "Provisions" and _header_row(page, line.y):
                headers.append((k, line.y))
            if line.bold and _PRINCIPLE.match(text):
                ends.append((k, line.y))
    out: list[Table] = []
    for k, top in headers:
        stop = next(((j, y) for j, y in ends if (j, -y) > (k, -top)), (len(pages), 0.0))
        clipped: list[Page] = []
        for j in range(k, min(stop[0], len(pages) - 1) + 1):
            page = pages[j]
            lines = [
                ln
                for ln in page.lines
                if (j > k or ln.y < top - 1)
                and (j < stop[0] or ln.y > stop[1] + 1)
                and not (j == k and _is_header_cell(ln, top))
            ]
            if lines:
                clipped.append(page.model_copy(update={"lines": lines}))
        columns = _columns(clipped, pages[k], top)
        if columns is not None and clipped:
            out.append(Table(pages=clipped, columns=columns))
    return out


def _header_row(page: Page, y: float) -> bool:
    """A bold "Provisions" cell with the other three header cells on its baseline."""
    row = [normalize_space(ln.text) for ln in page.lines if ln.bold and abs(ln.y - y) < 2]
    return all(any(_BULLET.sub("", t).startswith(label) for t in row) for label in _LABELS)


def _is_header_cell(line: TextLine, top: float) -> bool:
    """A header cell or the second line of one ("threats/risks") just under the header row's baseline."""
    text = _BULLET.sub("", normalize_space(line.text))
    return line.bold and top - 15 <= line.y <= top + 2 and text.startswith(_HEADER_WORDS)


def _columns(pages: Sequence[Page], header_page: Page, top: float) -> list[float] | None:
    """The four column starts: the left edges the table's lines share, grouped (a bullet and its wrapped
    lines start a few points apart) and each group's leftmost. Each header cell must fall in its own
    column (or sit less than a group's span left of it: a bulleted header); otherwise the header cells'
    left edges are the columns."""
    header = sorted(
        ln.x0 for ln in header_page.lines if ln.bold and abs(ln.y - top) < 2 and _header_label(ln) is not None
    )
    counts = Counter(round(ln.x0) for page in pages for ln in page.lines)
    groups: list[list[int]] = []
    for x in sorted(counts):
        if groups and x - groups[-1][0] < _COLUMN_SPAN:  # no chains of stray starts across a column
            groups[-1].append(x)
        else:
            groups.append([x])
    starts = [float(min(g)) - 0.5 for g in groups if sum(counts[x] for x in g) >= _MIN_LINES]
    if len(starts) == len(_LABELS) == len(header) and all(
        starts[i] - _COLUMN_SPAN < header[i] and (i + 1 == len(starts) or header[i] < starts[i + 1])
        for i in range(len(starts))
    ):
        return [min(start, x - 0.5) for start, x in zip(starts, header, strict=True)]
    return header if len(header) == len(_LABELS) else None


def _header_label(line: TextLine) -> str | None:
    text = _BULLET.sub("", normalize_space(line.text))
    return next((label for label in _LABELS if text.startswith(label)), None)


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
    fields.extend(field("Reference/Resource", item) for item in reference_items(row.lines(3), vocab) if item)
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


def reference_items(lines: Sequence[TextLine], vocab: set[str]) -> list[str]:
    """The references, one per item. An item starts at a bullet ("•"; a line opening with an en dash goes on
    with the title before it: "OWASP ... Management" / "– Threat Modelling"), or, unbulleted, at a line that
    cannot be the current item's wrapped line: one left of a bulleted item's bullet ("• MITRE ATLAS" at 636
    pt, then "Generative AI: Red Teaming ..." at 632.5), or off the left edge the item's wrapped lines share
    ("• GDPR Compliance / Guidelines by EU / Commission" wrapped at 647.7 pt, then "ISO/IEC 27001: ..." at
    639.5; "ICO: Explaining Decisions / made with AI" at 630, then "NISTIR 8312: Four" at 633.5). Unbulleted
    items printed one under the other at one edge stay one item: nothing on the page tells them apart."""
    items: list[list[str]] = []
    edges: list[float] = []  # the current item's line starts
    bulleted = False
    for line in lines:
        text = normalize_space(line.text)
        if _BULLET.match(text):
            new, bulleted = True, True
        elif not items or text.startswith("\u2013"):
            new = not items
        elif len(edges) == 1:
            new = bulleted and line.x0 < edges[0] - _EDGE
        else:
            new = abs(line.x0 - edges[-1]) > _EDGE
        if new:
            bulleted = bool(_BULLET.match(text))
            items.append([_BULLET.sub("", text)])
            edges = [line.x0]
        else:
            items[-1].append(text)
            edges.append(line.x0)
    return [join_lines(item, vocab) for item in items]


def _measures(lines: Sequence[TextLine], vocab: set[str]) -> list[ControlField]:
    """The example measures: each measure's text, then its scenario examples. A new measure starts at a
    line that is not a scenario, after a scenario, past a gap wider than the line pitch, in bold or opening
    with a title ("Apply Vulnerability Management: ..."; after a finished sentence, any title of a few words:
    "Develop Recovery plans for advanced scenarios: ..."), or at such a title past a gap."""
    if not lines:
        return []
    ordered = list(lines)  # reading order as the row was read: page by page, top to bottom
    pitch = _pitch(ordered)
    items: list[tuple[str, list[str]]] = []
    previous: TextLine | None = None
    for line in ordered:
        # The measures print no lists: a line the page reading marked as a list item opens with a dash of
        # the sentence ("Include documentation in the - compliant with accessibility formats - user guide").
        text = _BULLET.sub("- ", normalize_space(line.text), count=1)
        m = _SCENARIO.match(text)
        gap = previous is not None and previous.y - line.y > pitch * 1.3
        after_scenario = bool(items) and items[-1][0] != "Example measure"
        ended = previous is not None and normalize_space(previous.text).endswith((".", "!", "?"))
        titled = _titled(text, loose=after_scenario and ended)
        if m:
            name = _scenario(m)
            items.append((f"Example measures: {name}", [text[m.end() :]]))
        elif not items or (after_scenario and (gap or line.bold or titled)) or (titled and gap):
            items.append(("Example measure", [text]))
        else:
            items[-1][1].append(text)
        previous = line
    return [field(name, join_lines(parts, vocab)) for name, parts in items]


def _scenario(m: re.Match[str]) -> str:
    if m.group(1):
        return _SCENARIOS[int(m.group(1)) - 1]
    return next(name for name in _SCENARIOS if name.lower() == m.group(2).lower())


def _titled(text: str, *, loose: bool = False) -> bool:
    """A measure's own title opens the line: a few capitalised words and a colon ("Apply Vulnerability
    Management: Implement ...", "Authenticate, Authorize and Log Access to Assets: ..."). `loose`: any
    two to eight words before the colon ("Develop Recovery plans for advanced scenarios: ...")."""
    m = _TITLE.match(text)
    if m is None:
        return False
    words = m.group(1).split()
    if loose:
        return 2 <= len(words) <= 8
    return len(words) >= 2 and sum(w[:1].isupper() for w in words) * 3 >= len(words) * 2


def _pitch(lines: Sequence[TextLine]) -> float:
    steps = sorted(a.y - b.y for a, b in itertools.pairwise(lines) if a.y - b.y > 4)
    return steps[len(steps) // 4] if steps else 11.5

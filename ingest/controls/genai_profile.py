"""NIST AI 600-1: the 12 GAI risks (section 2) and the suggested-action tables of section 3, one table per
AI RMF subcategory ("GOVERN 1.1: ..." then Action ID | Suggested Action | GAI Risks, then "AI Actor Tasks").

In these tables each row is centred vertically: the action id, its text and its risks share a centre line,
not a top line. Rows are therefore the clusters of the table's lines separated by a vertical gap wider than
the line pitch; each row's id, text and risks are read by column from its cluster. A row broken by a page
break continues the previous page's last action.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from ingest.controls.common import doc_vocabulary, make_control
from ingest.controls.common import field as control_field
from ingest.controls.table import bands, cell_text
from ingest.sections import build_sections
from ingest.text import normalize_space
from saige.types import Control, Page, ParsedDocument, TextLine

_SUBCATEGORY = re.compile(r"^(GOVERN|MAP|MEASURE|MANAGE) (\d+\.\d+):\s*(.*)$")
_ACTION = re.compile(r"^((?:GV|MP|MS|MG)-\d+\.\d+-\d{3})\b\s*(.*)$")
_ACTOR_TASKS = re.compile(r"^AI Actor Tasks:\s*(.*)$")
_RISK_HEADING = re.compile(r"^2\.(\d{1,2})\.?\s+(\S.*)$")
_HEADER = ("Action ID", "Suggested Action", ("GAI Risks", "Risks"))
_NO_SPACE_BEFORE = re.compile(r" ([,.;:)])")  # ", copyright" on its own line joined to the line above
_ROW_GAP = 1.45  # a gap wider than this many line pitches separates two rows


@dataclass
class _Table:
    subcategory: str
    title_lines: list[TextLine]
    pages: list[Page]
    columns: list[float] = field(default_factory=list)
    segments: list[tuple[Page, list[TextLine]]] = field(default_factory=list)
    actor_tasks: list[str] = field(default_factory=list)


def build(parsed: ParsedDocument) -> list[Control]:
    return _risks(parsed) + _tables(parsed)


def _risks(parsed: ParsedDocument) -> list[Control]:
    """The GAI risks: the numbered headings of section 2 and their text."""
    pages = {p.number: p for p in parsed.pages}
    out: list[Control] = []
    for section in build_sections(parsed):
        m = _RISK_HEADING.match(section.heading)
        if not m or not section.path or not section.path[0].startswith("2."):
            continue
        if len(section.path) > 2:
            continue
        page = pages.get(section.page_start)
        out.append(
            make_control(
                parsed,
                control_id=f"2.{m.group(1)}",
                kind="risk",
                pages=[page] if page else [],
                title=normalize_space(m.group(2)),
                statement=normalize_space(section.text),
                path=section.path,
            )
        )
    return out


def _tables(parsed: ParsedDocument) -> list[Control]:
    vocab = doc_vocabulary(parsed)
    tables: list[_Table] = []
    current: _Table | None = None
    in_rows = False
    for page in parsed.pages:
        for band in bands(page.lines, 1.0):
            first = band[0]
            text = normalize_space(first.text)
            sub = _SUBCATEGORY.match(text)
            if sub and first.x0 < 80:
                current = _Table(f"{sub.group(1)} {sub.group(2)}", list(band), [page])
                tables.append(current)
                in_rows = False
                continue
            if current is None:
                continue
            if any(ln.bold and normalize_space(ln.text).startswith("Action ID") for ln in band):
                current.columns = _columns(band) or current.columns
                in_rows = True
                continue
            actors = _ACTOR_TASKS.match(text)
            if actors:
                current.actor_tasks.append(actors.group(1))
                in_rows = False
                current = None
                continue
            if not in_rows:
                if not current.segments and first.x0 < 80 and not first.bold:
                    current.title_lines.extend(band)  # the subcategory's statement, wrapped
                continue
            if not current.segments or current.segments[-1][0] is not page:
                current.segments.append((page, []))
                if page not in current.pages:
                    current.pages.append(page)
            for ln in band:
                current.segments[-1][1].extend(_split_at(ln, current.columns[2]) if current.columns else [ln])
    controls: list[Control] = []
    for table in tables:
        if not table.columns:
            continue
        controls.extend(_table_controls(parsed, table, vocab))
    return controls


def _columns(band: list[TextLine]) -> list[float] | None:
    starts = []
    for label in _HEADER:
        hit = [ln.x0 for ln in band if normalize_space(ln.text).startswith(label)]
        if not hit:
            return None
        starts.append(hit[0])
    return starts


def _table_controls(parsed: ParsedDocument, table: _Table, vocab: set[str]) -> list[Control]:
    function = table.subcategory.split()[0]
    title = cell_text(table.title_lines, vocab)
    m = _SUBCATEGORY.match(title)
    statement = m.group(3) if m else title
    subcategory = make_control(
        parsed,
        control_id=table.subcategory,
        kind="subcategory",
        pages=table.pages,
        title=table.subcategory,
        statement=statement,
        parent_id=None,
        path=[function.title(), table.subcategory],
        fields=[control_field("AI Actor Tasks", t) for t in table.actor_tasks],
    )
    actions: list[tuple[str, list[TextLine], list[TextLine], list[Page]]] = []
    for page, lines in table.segments:
        for row in _rows(lines, table.columns):
            ids: list[str] = []
            text: list[TextLine] = []
            risks: list[TextLine] = []
            for ln in row:
                col = _column(ln, table.columns)
                if col == 0:
                    m = _ACTION.match(normalize_space(ln.text))
                    if m:
                        ids.append(m.group(1))
                        if m.group(2):
                            text.append(ln.model_copy(update={"text": m.group(2), "x0": table.columns[1]}))
                        continue
                    text.append(ln)
                elif col == 1:
                    text.append(ln)
                else:
                    risks.append(ln)
            text = [ln for band in bands(text, _pitch(lines, table.columns) * 0.55) for ln in band]
            risks.sort(key=lambda ln: -ln.y)
            if ids:
                actions.append((ids[0], text, risks, [page]))
            elif actions:  # a row broken by a page break, or a second paragraph of the cell
                actions[-1][1].extend(text)
                actions[-1][2].extend(risks)
                if page not in actions[-1][3]:
                    actions[-1][3].append(page)
    out = [subcategory]
    for action_id, text, risks, pages in actions:
        fields = [control_field("GAI Risks", cell_text(risks, vocab))] if risks else []
        out.append(
            make_control(
                parsed,
                control_id=action_id,
                kind="action",
                pages=pages,
                title=action_id,
                statement=_NO_SPACE_BEFORE.sub(r"\1", cell_text(text, vocab)),
                parent_id=table.subcategory,
                path=[*subcategory.path, action_id],
                fields=fields + [control_field("AI Actor Tasks", t) for t in table.actor_tasks],
            )
        )
    return out


# The 12 GAI risks as printed in the tables' "GAI Risks" column; their words are matched case-sensitively.
_RISK_NAMES = (
    "CBRN Information or Capabilities",
    "Confabulation",
    "Dangerous, Violent, or Hateful Content",
    "Data Privacy",
    "Environmental Impacts",
    "Harmful Bias and Homogenization",
    "Human-AI Configuration",
    "Information Integrity",
    "Information Security",
    "Intellectual Property",
    "Obscene, Degrading, and/or Abusive Content",
    "Value Chain and Component Integration",
)
_RISK_WORDS = frozenset(w.strip(",") for name in _RISK_NAMES for w in name.split())
_RISK_STARTS = frozenset(name.split()[0] for name in _RISK_NAMES)


def _risk_tails(text: str) -> list[tuple[int, int]]:
    """(end of the head, start of the tail) of each tail of `text` made only of GAI risk-name words,
    starting at a capitalised word (after a space, or glued to a full stop: "purpose.Information") or at a
    lowercase joining word that a risk column line can start with ("and Homogenization")."""
    out: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        if i + 1 >= len(text) or not (ch == " " or (ch == "." and text[i + 1].isupper())):
            continue
        words = [w for w in (w.strip(";,") for w in text[i + 1 :].split()) if w]
        if not words or not all(w in _RISK_WORDS for w in words):
            continue
        if words[0][0].isupper() or (len(words) > 1 and words[1][0].isupper()):
            out.append((i + 1 if ch == "." else i, i + 1))
    return out


def _split_at(line: TextLine, start: float) -> list[TextLine]:
    """A line segment that runs from the action text into the risks column (the two were printed too close
    to be told apart by their gap) split where its tail is made only of GAI risk names ("..., data Data
    Privacy; Information Integrity;"): the tail that, set from the column start, would end where the
    segment ends (by the segment's mean character width), else the longest tail that opens with a whole
    risk name of two words or more. A segment that does not reach the risks column is split only after a
    sentence that ends with risk names ("... or other rights. Intellectual Property")."""
    if line.x0 + 4 >= start or not line.text:
        return [line]
    text = line.text
    width = (line.x1 - line.x0) / len(text)
    crosses = line.x1 > start + 20
    tails = _risk_tails(text)
    best: tuple[float, int, int] | None = None
    for head_end, tail_start in tails:
        tail = len(text) - tail_start
        if not crosses and not text[:head_end].endswith("."):
            continue
        error = abs(start + tail * width - line.x1) if crosses else 0.0
        if crosses and error > max(12.0, 0.15 * tail * width):
            continue
        if best is None or error < best[0]:
            best = (error, head_end, tail_start)
    if best is None and crosses:
        opening = [
            (h, t)
            for h, t in tails
            if text[t:].split()[0].strip(";,") in _RISK_STARTS and len(text[t:].split()) > 1
        ]
        if opening:
            best = (0.0, *opening[0])
    if best is None:
        return [line]
    left, right = text[: best[1]].rstrip(), text[best[2] :].strip()
    if not left or not right:
        return [line]
    return [
        line.model_copy(update={"text": left, "x1": min(line.x1, start - 1)}),
        line.model_copy(update={"text": right, "x0": start}),
    ]


def _column(line: TextLine, columns: list[float]) -> int:
    if line.x0 + 4 < columns[1]:
        return 0
    if line.x0 + 4 < columns[2]:
        return 1
    return 2


def _pitch(lines: list[TextLine], columns: list[float]) -> float:
    """The usual distance between two wrapped lines of one cell (the smallest common step within a column)."""
    steps: list[float] = []
    for col in (1, 2):
        ys = sorted({ln.y for ln in lines if _column(ln, columns) == col}, reverse=True)
        steps.extend(a - b for a, b in itertools.pairwise(ys) if a - b > 4)
    if not steps:
        return 13.2
    steps.sort()
    return max(steps[len(steps) // 4], 8.0)


def _rows(lines: list[TextLine], columns: list[float]) -> list[list[TextLine]]:
    """Clusters of lines separated by a vertical gap wider than the line pitch; a cluster holding two
    action ids (rows printed without a gap) is split between them, each line going to the nearest id."""
    pitch = _pitch(lines, columns)
    clusters: list[list[TextLine]] = []
    last_y: float | None = None
    for ln in sorted(lines, key=lambda ln: -ln.y):
        if last_y is None or last_y - ln.y > pitch * _ROW_GAP:
            clusters.append([])
        clusters[-1].append(ln)
        last_y = ln.y
    rows: list[list[TextLine]] = []
    for cluster in clusters:
        anchors = [ln.y for ln in cluster if _column(ln, columns) == 0 and _ACTION.match(ln.text.strip())]
        if len(anchors) < 2:
            rows.append(cluster)
            continue
        split: list[list[TextLine]] = [[] for _ in anchors]
        for ln in cluster:
            split[min(range(len(anchors)), key=lambda i: abs(anchors[i] - ln.y))].append(ln)
        rows.extend(split)
    return rows

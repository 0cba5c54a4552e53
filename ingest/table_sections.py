"""Table rows as text: a section whose table rows the controls catalogue parsed is rewritten from the
controls, so no chunk reads a table's columns interleaved. Pure functions (sections and controls in).

A row control (a NIST AI 600-1 action, an SP 800-218A practice or task, a DSIT provision) belongs to the
first section of its document that covers its first page and prints its identifier (else the last section
that starts at or before that page); a control whose id a heading prints is that section's own text. Such a
section is split into:

- its prose: the section text before its table starts (the first header cell or identifier of a row);
- one row part per control: "<id>: <verbatim statement>" and then the control's own columns, labelled
  ("GAI Risks: ...", "Example Measures: ...").

The parts keep the section's heading, path and order, so section-level references still match; each row
part names its control (`RowPart.control_id`), which the chunker puts on the chunks it makes of it. The
exception is table text that the layout took for a heading (`homes`: DSIT's column label "Related threats
/risks", an example measure's title set in bold): it is placed under the principle its rows belong to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from saige.types import Control, Section

ROW_KINDS = frozenset({"action", "task", "practice", "provision"})
# Header cells that open the tables of these documents (a line of the section text equal to one of them).
_TABLE_HEADERS = frozenset(
    {
        "action id",
        "suggested action",
        "task",
        "practice",
        "provision",
        "related threats /risks",
        "related threats/risks",
        "example measures/controls",
    }
)


@dataclass(frozen=True)
class RowPart:
    """A piece of a section to chunk: its prose (control_id None) or one control's row."""

    section: Section
    control_id: str | None = None


def row_controls(controls: Sequence[Control]) -> list[Control]:
    """The controls that are table rows with a statement of their own."""
    return [c for c in controls if c.kind in ROW_KINDS and c.statement.strip()]


def row_text(control: Control) -> str:
    """The control as one row: its id and verbatim statement, then each extra column, labelled."""
    head = control.control_id
    if control.control_id in control.title:
        head = control.title  # "Provision 1.1.1"
    elif control.title:
        head = f"{head} {control.title}"
    lines = [f"{head}: {control.statement.strip()}"]
    lines.extend(f"{f.name}: {f.value.strip()}" for f in control.fields if f.value.strip())
    return "\n".join(lines)


def _id_pattern(control_id: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.])" + re.escape(control_id) + r"(?![\w]|\.\d)")


def assign_rows(sections: Sequence[Section], controls: Sequence[Control]) -> dict[int, list[Control]]:
    """Row controls per section position: the first section covering the control's first page that prints
    its id, else the last section starting at or before that page. Controls without a page are left out."""
    out: dict[int, list[Control]] = {}
    for control in row_controls(controls):
        page = control.page_start
        pattern = _id_pattern(control.control_id)
        if page is None or any(pattern.search(s.heading) for s in sections):
            continue  # a control that heads a section is that section's prose
        chosen = _titled(sections, control)
        for i, s in enumerate(sections):
            if chosen is not None:
                break
            if s.page_start is None or s.page_end is None or not (s.page_start <= page <= s.page_end):
                continue
            if pattern.search(s.text):
                chosen = i
                break
        if chosen is None:
            starts = [i for i, s in enumerate(sections) if s.page_start is not None and s.page_start <= page]
            chosen = starts[-1] if starts else None
        if chosen is not None:
            out.setdefault(chosen, []).append(control)
    return out


def _titled(sections: Sequence[Section], control: Control) -> int | None:
    """The section headed by the control's title (a practice printed as a heading without its id)."""
    title = _words(control.title)
    if not title or title == _words(control.control_id):
        return None
    for i, s in enumerate(sections):
        heading = _words(s.heading)
        if heading and (heading == title or (len(heading) > 20 and title.startswith(heading))):
            return i
    return None


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def prose_before_table(section: Section, controls: Sequence[Control]) -> str:
    """The section's text up to where its table starts: a header cell, or the first line printing one of
    its rows' ids (the whole text when neither is found)."""
    patterns = [_id_pattern(c.control_id) for c in controls]
    offset = 0
    for line in section.text.split("\n"):
        if _is_header_cell(line) or any(p.search(line) for p in patterns):
            # header cells just above the first matched line ("Provisions") are the table's, not prose
            lines = section.text[:offset].rstrip().split("\n")
            while lines and (_is_header_cell(lines[-1]) or not lines[-1].strip()):
                lines.pop()
            return "\n".join(lines).rstrip()
        offset += len(line) + 1
    return section.text


def _is_header_cell(line: str) -> bool:
    """A line that is one of the tables' header cells, singular or plural ("Provisions")."""
    stripped = line.strip().lower()
    return stripped in _TABLE_HEADERS or stripped.removesuffix("s") in _TABLE_HEADERS


def homes(sections: Sequence[Section], rows: dict[int, list[Control]]) -> dict[int, int]:
    """Section position -> the position of the earlier section it belongs under, for the sections that are
    not the document's own headings but table text set in bold: an example measure's title ("Implement AI
    Asset Tracking") or a column label ("Related threats /risks") that the layout took for a heading.

    Such a section holds rows whose controls' paths name an earlier section and not it: it belongs under
    that section (the nearest earlier one whose heading is on the rows' paths, the same for all its rows). A
    section without rows belongs under a section when those on both sides of it do (or are it)."""
    out: dict[int, int] = {}
    for i, owned in rows.items():
        if any(_words(sections[i].heading) in _titles(c) for c in owned):
            continue
        found = {_nearest_titled(sections, i, _titles(c)) for c in owned}
        if len(found) == 1 and (home := found.pop()) is not None:
            out[i] = home
    for i in range(1, len(sections) - 1):
        if i in rows or i in out:
            continue
        before, after = out.get(i - 1, i - 1), out.get(i + 1)
        if after is not None and after == before:
            out[i] = before
    return out


def _titles(control: Control) -> set[str]:
    return {_words(t) for t in control.path}


def _nearest_titled(sections: Sequence[Section], before: int, titles: set[str]) -> int | None:
    """The nearest section before position `before` whose heading is one of `titles`."""
    return next((j for j in range(before - 1, -1, -1) if _words(sections[j].heading) in titles), None)


def split_table_sections(sections: Sequence[Section], controls: Sequence[Control]) -> list[RowPart]:
    """Every section as parts to chunk, in document order: unchanged when no row control belongs to it;
    else its prose (when any) followed by one part per row control, in catalogue order.

    A section that is table text set in bold (`homes`) is not one of the document's own sections: a header
    cell ("Related threats /risks") is merged into the section it belongs under (its heading, path and
    place); an example measure's title ("Implement AI Asset Tracking") becomes a section one level under it."""
    rows = assign_rows(sections, controls)
    under = homes(sections, rows)
    parts: list[RowPart] = []
    for i, section in enumerate(sections):
        home = sections[under[i]] if i in under else None
        if home is not None and _is_header_cell(section.heading):
            place = {"heading": home.heading, "path": home.path, "order": home.order, "stage": home.stage}
            section = section.model_copy(update=place)
        elif home is not None:
            section = section.model_copy(update={"path": [*home.path, section.heading], "stage": home.stage})
        owned = rows.get(i)
        if not owned:
            parts.append(RowPart(section))
            continue
        prose = prose_before_table(section, owned)
        if prose.strip():
            parts.append(RowPart(section.model_copy(update={"text": prose})))
        for control in owned:
            text = row_text(control)
            update = {
                "text": text,
                "page_start": control.page_start,
                "page_end": control.page_end if control.page_end is not None else control.page_start,
                "pdf_page_start": control.pdf_page_start,
            }
            parts.append(RowPart(section.model_copy(update=update), control.control_id))
    return parts

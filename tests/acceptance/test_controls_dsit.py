"""DSIT's implementation guide against the PDF: each provision's columns (related threats/risks, example
measures per scenario, references) are read cell by cell, each principle's table at its own column edges.

A cell is located from the PDF alone (pypdf's text visitor positions, not Saige's parser): the row runs from
its provision id in the first column down to the next row's id (or the next principle's title); its columns
start where the pieces on the row's first baseline start. A row that runs over a page break goes on from the
top of the next page: its cells are the cells of each of its pages, in page order.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from retrieval.service import Saige
from saige.types import Control
from tests.acceptance.pdf_text import page_fragments, plain_text, squash

pytestmark = pytest.mark.acceptance

DSIT = "dsit-ai-cyber-security-cop-implementation-guide-2025"
SCENARIOS = ("Chatbot App", "ML Fraud Detection", "LLM Platform", "Open-Access LLM Model")
# A scenario's label as printed: numbered, the number naming the scenario where its name is printed otherwise
# ("3. LLM Provider:", "4. Open-Access LLM:"); the catalogue names the field by the scenario.
_NUMBERED_LABEL = re.compile(
    r"(?<![\d.])([1-4])\s*\.\s*(?:" + "|".join(SCENARIOS) + r"|LLM Provider|Open-Access LLM)\s*[:.]"
)
_SCENARIO_LABEL = re.compile(r"\b(" + "|".join(SCENARIOS) + r")\s*[:.]")
# A label opening a line of pypdf's plain text, numbered or not ("LLM Platform: As in the ML Fraud ...").
_LINE_LABEL = re.compile(
    r"(?m)^\s*(?:([1-4])\s*\.\s*)?("
    + "|".join(SCENARIOS)
    + r"|(?<=\. )(?:LLM Provider|Open-Access LLM))\s*[:.]"
)
_ROW_START = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2}){1,3}\s|Principle \d)")


def _pdf(engine: Saige, corpus_dir: Path) -> Path:
    return corpus_dir / next(d for d in engine.documents() if d.id == DSIT).file


def _provisions(engine: Saige) -> list[Control]:
    return [c for c in engine.controls(DSIT) if c.kind == "provision"]


def _cells(path: Path, page: int, provision: str, *, first: bool = True, last: bool = True) -> list[str]:
    """The texts of the row's four cells on PDF page `page` (1-based), as the PDF positions them. `first`:
    the row starts on this page (at its id), else it goes on from the page's top; `last`: the row ends on
    this page (at the next row's id or principle's title), else it runs to the page's foot.

    Columns start where three or more of the page's lines start (within 20 pt of each other: a bullet
    and its wrapped lines); a cell takes the pieces from 10 pt left of its column's start (unbulleted
    items sit left of the bullets: DSIT's "DSIT: AI Cybersecurity Code" reference starts 7 pt left of its
    column's bullets) to 10 pt left of the next column's.
    """
    frags = page_fragments(path, page - 1)
    # A piece starts a line when the piece drawn before it ended one or sat on another baseline.
    counts = Counter(
        round(x)
        for i, (x, y, _) in enumerate(frags)
        if i == 0 or frags[i - 1][2].endswith("\n") or abs(frags[i - 1][1] - y) > 2
    )
    groups: list[list[int]] = []
    for x in sorted(x for x, n in counts.items() if n >= 3):
        if groups and x - groups[-1][-1] < 20:
            groups[-1].append(x)
        else:
            groups.append([x])
    starts = [min(g) - 10.0 for g in groups]
    assert len(starts) == 4, starts
    if first:
        head_x, top = next((x, y) for x, y, text in frags if text.startswith(provision + " "))
    else:
        head_x, top = min(groups[0]), float("inf")
    below = [y for x, y, text in frags if abs(x - head_x) < 5 and y < top - 2 and _ROW_START.match(text)]
    bottom = max(below, default=0.0) if last else 0.0
    cells = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else float("inf")
        pieces = [f for f in frags if start <= f[0] < end and bottom + 2 < f[1] <= top + 3]
        cells.append(" ".join(text for _, _, text in sorted(pieces, key=lambda f: (-round(f[1]), f[0]))))
    return cells


def _row_cells(path: Path, control: Control) -> list[str]:
    """The row's four cells over all its pages, each column's texts in page order."""
    assert control.page_start is not None and control.page_end is not None
    pages = range(control.page_start, control.page_end + 1)
    parts = [
        _cells(path, page, control.control_id, first=page == pages[0], last=page == pages[-1])
        for page in pages
    ]
    return [" ".join(part[k] for part in parts) for k in range(4)]


def _mismatched_columns(control: Control, cells: list[str]) -> list[str]:
    """The columns of `control` that differ from the PDF's cells (statement, threats, measures, references)."""
    statement, threats, measures, references = cells
    fields = [(f.name, f.value) for f in control.fields]
    wrong = []
    if squash(f"{control.control_id} {control.statement}") != squash(statement):
        wrong.append("statement")
    if [squash(v) for n, v in fields if n == "Related threats/risks"] != [squash(threats)]:
        wrong.append("threats")
    # The measures cell is the measure(s) and then each scenario's example, labelled as printed (the
    # scenarios' numbers are not kept, a label ends in ":" or "."; a bullet drawn in the band is no word).
    printed = "".join(
        (f"{n[len('Example measures: ') :]}:" if n.startswith("Example measures: ") else "") + v
        for n, v in fields
        if n.startswith("Example measure")
    )
    labelled = _NUMBERED_LABEL.sub(
        lambda m: SCENARIOS[int(m.group(1)) - 1] + ":", re.sub("[\u2010\u2011]", "-", measures)
    )
    if squash(printed) != squash(_SCENARIO_LABEL.sub(r"\1:", labelled)):
        wrong.append("measures")
    if squash("".join(v for n, v in fields if n == "Reference/Resource")) != squash(
        references.replace("\u2022", "")  # the references' bullets are no words
    ):
        wrong.append("references")
    return wrong


def test_each_provisions_columns_are_the_pdfs_cells(real_engine: Saige, corpus_dir: Path) -> None:
    """Every provision whose row sits on one page, each of its four columns against the PDF's cell (2.5's
    measure once read "... extraction and Management Systems prompt injection attacks.": the last words of
    a reference printed on the measure's line, 14 pt right of it)."""
    path = _pdf(real_engine, corpus_dir)
    rows = [c for c in _provisions(real_engine) if c.page_start == c.page_end]
    assert len(rows) >= 35
    mismatched = {}
    for c in rows:
        wrong = _mismatched_columns(c, _row_cells(path, c))
        if wrong:
            mismatched[c.control_id] = wrong
    assert mismatched == {}


def test_a_provision_over_a_page_break_has_each_column_whole(real_engine: Saige, corpus_dir: Path) -> None:
    """Every provision whose row runs over one or more page breaks: each column's text is the PDF's cells
    of that column on each of its pages, in page order: nothing lost at the break, nothing moved across it,
    no other column's words (2.7's measure once read "... implementation of the DSIT: AI Cybersecurity Code
    Code of Practice with ...", and its reference only "of Practice")."""
    path = _pdf(real_engine, corpus_dir)
    rows = [c for c in _provisions(real_engine) if c.page_start != c.page_end]
    assert len(rows) >= 25
    mismatched = {}
    for c in rows:
        wrong = _mismatched_columns(c, _row_cells(path, c))
        if wrong:
            mismatched[c.control_id] = wrong
    assert mismatched == {}


def test_each_measure_is_followed_by_its_four_scenarios(real_engine: Saige, corpus_dir: Path) -> None:
    """A row's example measures are one or more measures, each followed by its four scenario examples in
    order (5.2's second measure, "Authenticate, Authorize and Log Access to Assets: ...", and 5.3.1's "Develop
    Recovery plans for advanced scenarios: ..." once ran on in the open-access example of the measure before,
    their chatbot example coming out ahead of any measure; "3. LLM Provider:" and "4. Open-Access LLM:" label
    scenarios too). Each scenario has as many examples as the PDF prints numbered labels for it."""
    expected = [f"Example measures: {s}" for s in SCENARIOS]
    for c in _provisions(real_engine):
        names = [f.name for f in c.fields if f.name.startswith("Example measure")]
        if c.control_id == "5.4.2":  # "See controls and examples in 5.4"
            assert names == ["Example measure"]
            continue
        assert len(names) % 5 == 0, (c.control_id, names)
        for k in range(0, len(names), 5):
            assert names[k : k + 5] == ["Example measure", *expected], (c.control_id, names)
    printed = Counter(
        SCENARIOS[int(m.group(1)) - 1] if m.group(1) else m.group(2)
        for m in _LINE_LABEL.finditer(plain_text(_pdf(real_engine, corpus_dir)))
    )
    found = Counter(
        f.name.removeprefix("Example measures: ") for c in _provisions(real_engine) for f in c.fields
    )
    assert [found[s] for s in SCENARIOS] == [printed[s] for s in SCENARIOS] == [92, 92, 92, 92]


def test_every_provision_of_the_13_principles_has_its_columns(real_engine: Saige) -> None:
    provisions = _provisions(real_engine)
    assert len(provisions) == 72
    assert {c.control_id.split(".")[0] for c in provisions} == {str(n) for n in range(1, 14)}
    for c in provisions:
        names = [f.name for f in c.fields]
        assert names.count("Related threats/risks") == 1, c.control_id
        assert "Example measure" in names and "Reference/Resource" in names, c.control_id
        measures = " ".join(f.value for f in c.fields if f.name == "Example measure")
        if not measures.startswith("See controls and examples in"):  # 5.4.2 refers to 5.4's examples
            assert {f"Example measures: {s}" for s in SCENARIOS} <= set(names), c.control_id
        # a measure comes before the scenario examples that illustrate it
        assert names.index("Example measure") < min(
            i for i, n in enumerate(names) if n.startswith(("Example measures: ", "Reference"))
        ), c.control_id


def test_no_column_reads_into_another(real_engine: Saige) -> None:
    label = re.compile(r"\b\d\.\s*(?:" + "|".join(SCENARIOS) + r")\s*[:.]")
    for c in _provisions(real_engine):
        assert not label.search(c.statement), c.control_id
        for f in c.fields:
            assert not label.search(f.value), (c.control_id, f.name, f.value[:80])
            if f.name == "Related threats/risks":
                assert "\u2022" not in f.value, c.control_id


def test_the_design_review_scenarios_read_the_provisions_own_examples(real_engine: Saige) -> None:
    """5.3's chatbot example is the chatbot scenario's cell text, not the measure or the threats."""
    c = real_engine.control("5.3", DSIT)
    values = {f.name: f.value for f in c.fields}
    assert values["Example measures: Chatbot App"].startswith(
        "Include a recovery plan to address adversarial"
    )
    assert values["Related threats/risks"].startswith("Without tailored disaster recovery, AI systems may be")
    assert values["Example measure"].startswith(
        "Incorporate AI-Specific Threat Scenarios into Recovery Plans:"
    )
    assert (
        values["Reference/Resource"]
        == "CISA, JCDC, Government and Industry Partners Conduct AI Tabletop Exercise"
    )


def test_each_reference_is_its_own_item(real_engine: Saige) -> None:
    """An unbulleted reference after a bulleted one, or at another edge than the wrapped lines before it,
    is its own item (2.5's ISO/IEC 27001 once ran on in the EU Commission's guidelines)."""
    refs = {
        pid: [f.value for f in real_engine.control(pid, DSIT).fields if f.name == "Reference/Resource"]
        for pid in ("2.5", "4.2")
    }
    assert refs["2.5"][-2:] == [
        "GDPR Compliance Guidelines by EU Commission",
        "ISO/IEC 27001: Information Security Management Systems",
    ]
    assert refs["4.2"] == [
        "ICO: Explaining Decisions made with AI",
        "NISTIR 8312: Four Principles of Explainable ArtificialIntelligence",
        "Multicalibration for Confidence Scoring in LLMs",
        "From Understanding to Utilization: A Survey on Explainability for Large Language Models",
    ]


def test_every_provision_is_cited_under_its_own_principle(real_engine: Saige) -> None:
    """The layout takes a column label ("Related threats /risks") and example measures' bold titles for
    headings: no chunk is cited under a column label, and every provision's chunks sit under its principle
    (an example measure's title, when one precedes the row, one level below it)."""
    chunks = [c for c in real_engine.engine.chunks if c.doc_id == DSIT]
    assert chunks
    assert not [
        c.section for c in chunks if c.section.strip().lower() in {"related threats /risks", "provisions"}
    ]
    rows = [(c, c.control_id) for c in chunks if c.control_id is not None]
    assert {control_id.split(".")[0] for _, control_id in rows} == {str(n) for n in range(1, 14)}
    for c, control_id in rows:
        principle = f"Principle {control_id.split('.')[0]}:"
        assert c.section_path[0].startswith(principle), (control_id, c.section_path)
        assert len(c.section_path) <= 2, c.section_path
    # every section after the introduction is a principle or one level under one
    tops = {c.section_path[0] for c in chunks}
    assert len({t for t in tops if t.startswith("Principle ")}) == 13
    assert len(tops) == 14, sorted(tops)

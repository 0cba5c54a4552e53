"""DSIT's table read cell by cell: a line the page reading ran from one column into the next is cut at the
piece that starts the next column's text; scenario labels printed otherwise; a measure's title after a
finished scenario example."""

from __future__ import annotations

from ingest.controls import build_catalogue
from ingest.controls.dsit import reference_items
from ingest.controls.table import cut_at_columns
from ingest.pdf.lines import segments
from ingest.pdf.model import Frag
from saige.types import Document, Page, ParsedDocument, TextLine

DSIT = "dsit-ai-cyber-security-cop-implementation-guide-2025"
COLUMNS = (41.8, 147.8, 247.1, 640.5)


def _line(
    x: float, y: float, text: str, bold: bool = False, cuts: list[tuple[int, float]] | None = None
) -> TextLine:
    return TextLine(x0=x, x1=x + 6 * len(text), y=y, size=10, bold=bold, text=text, cuts=cuts or [])


def _frag(x: float, x1: float, y: float, text: str) -> Frag:
    return Frag(x=x, y=y, x1=x1, size=10, bold=False, text=text)


def test_a_line_records_where_a_piece_starts_after_more_than_a_word_space() -> None:
    """2.5's measure line and a reference's last words share a baseline 14 pt apart: too close for a wide
    gap, at an x no other line starts at (no column start), so the page reading keeps one line, and
    records where the reference's piece starts."""
    frags = [
        _frag(247.1, 623.4, 170.1, "training data extraction and "),
        _frag(637.0, 725.0, 168.3, "Management Systems"),
    ]
    (line,) = segments(frags)
    assert line.text == "training data extraction and Management Systems"
    assert [(line.text[at:], x) for at, x in line.cuts] == [("Management Systems", 637.0)]
    close = segments([_frag(247.1, 300.0, 100.0, "two "), _frag(301.0, 340.0, 100.0, "words")])
    assert [ln.cuts for ln in close] == [[]]  # a word space is no cut


def test_a_line_is_cut_where_its_piece_reaches_the_next_column() -> None:
    line = _line(247.1, 112.0, "implementation of the DSIT: AI Cybersecurity Code", cuts=[(22, 633.5)])
    head, tail = cut_at_columns(line, COLUMNS)
    assert (head.text, head.x0) == ("implementation of the", 247.1)
    assert (tail.text, tail.x0) == ("DSIT: AI Cybersecurity Code", 633.5)
    # a wider gap inside the measures column is no column change
    inside = _line(247.1, 112.0, "Security Review: Verify the", cuts=[(17, 410.4)])
    assert cut_at_columns(inside, COLUMNS) == [inside]


def _page(index: int, lines: list[TextLine]) -> Page:
    return Page(doc_id=DSIT, index=index, number=index + 1, lines=lines)


def _header(y: float) -> list[TextLine]:
    return [
        _line(41.8, y, "Provisions", True),
        _line(147.8, y, "Related", True),
        _line(372.4, y, "Example Measures/Controls", True),
        _line(640.5, y, "Reference/Resource", True),
        _line(147.8, y - 11.5, "threats/risks", True),
    ]


def test_dsit_cells_come_out_whole_and_measures_in_order() -> None:
    """A reference printed on a measure's line goes to the references; "3. LLM Provider:" and "4. Open-Access
    LLM:" label the third and fourth scenarios; after a finished scenario example, a line opening with a
    title of a few words ("Develop Recovery plans for advanced scenarios: ...") starts a new measure; a line
    of the measures opening with a dash keeps it."""
    y = 480.0
    rows: list[TextLine] = []

    def add(*cells: tuple[float, str], cuts: list[tuple[int, float]] | None = None) -> None:
        nonlocal y
        rows.extend(_line(x, y, text, cuts=cuts) for x, text in cells)
        y -= 11.5

    add((41.8, "5.3.1 Operators should"), (147.8, "Loss of"), (247.1, "Keep a Good State:"))
    merged = "back up the DSIT: AI Code"
    add((41.8, "restore."), (147.8, "state"), (247.1, merged), cuts=[(merged.index("DSIT"), 636.0)])
    add((41.8, "it."), (147.8, "hurts."), (247.1, "1. Chatbot App: Keep prompts."), (637.0, "of Practice"))
    add((247.1, "2. ML Fraud Detection: Keep data."), (640.5, "\u2022 OWASP Guide"))
    add((247.1, "3. LLM Provider: Keep weights."), (647.7, "for Deepfakes"))
    add((247.1, "4. Open-Access LLM: Keep copies of the"))
    add((247.1, "versions."))
    add((247.1, "Develop Recovery plans for advanced scenarios: Plan for"))
    add((247.1, "\u2022 abuse - and misuse."))
    add((247.1, "1. Chatbot App: Plan a take-over."))
    add((247.1, "2. ML Fraud Detection: Not applicable."))
    add((247.1, "3. LLM Platform: As in the Chatbot App."))
    add((247.1, "4. Open-Access LLM Model: Watermark."))
    page = _page(
        25, [_line(41.8, 520, "Principle 5: Secure your infrastructure", True), *_header(500), *rows]
    )
    doc = ParsedDocument(document=_document(), pages=[page])
    control = next(c for c in build_catalogue([doc]) if c.control_id == "5.3.1")
    assert [(f.name, f.value) for f in control.fields] == [
        ("Related threats/risks", "Loss of state hurts."),
        ("Example measure", "Keep a Good State: back up the"),
        ("Example measures: Chatbot App", "Keep prompts."),
        ("Example measures: ML Fraud Detection", "Keep data."),
        ("Example measures: LLM Platform", "Keep weights."),
        ("Example measures: Open-Access LLM Model", "Keep copies of the versions."),
        ("Example measure", "Develop Recovery plans for advanced scenarios: Plan for - abuse - and misuse."),
        ("Example measures: Chatbot App", "Plan a take-over."),
        ("Example measures: ML Fraud Detection", "Not applicable."),
        ("Example measures: LLM Platform", "As in the Chatbot App."),
        ("Example measures: Open-Access LLM Model", "Watermark."),
        ("Reference/Resource", "DSIT: AI Code of Practice"),
        ("Reference/Resource", "OWASP Guide for Deepfakes"),
    ]


def _document() -> Document:
    return Document(
        id=DSIT,
        title=DSIT,
        short_title=DSIT,
        publisher="Saige tests",
        published="2025",
        official_url="https://example.org/x.pdf",
        license="test data",
        redistributable=False,
        sha256="0" * 64,
        file="x.pdf",
        kind="pdf",
    )


def test_a_reference_starts_at_its_bullet_or_off_the_wrapped_lines_edge() -> None:
    lines = [
        _line(640.5, 200.0, "\u2022 GDPR Compliance"),
        _line(647.7, 188.5, "Guidelines by EU"),
        _line(647.7, 177.0, "Commission"),
        _line(639.5, 165.5, "ISO/IEC 27001:"),  # off the wrapped lines' edge
        _line(637.0, 154.0, "Information Security"),  # its own wrapped line
        _line(640.5, 142.5, "\u2022 OWASP Top 10 for APIs"),
        _line(647.7, 131.0, "\u2022 API4:2019 Lack of"),
        _line(647.7, 119.5, "Resources"),  # under its bullet: wrapped
        _line(647.7, 108.0, "\u2013 Rate Limiting"),  # an en dash goes on with the title
        _line(636.0, 96.5, "\u2022 MITRE ATLAS"),
        _line(632.5, 85.0, "Generative AI"),  # left of the bullet
    ]
    assert reference_items(lines, set()) == [
        "GDPR Compliance Guidelines by EU Commission",
        "ISO/IEC 27001: Information Security",
        "OWASP Top 10 for APIs",
        "API4:2019 Lack of Resources \u2013 Rate Limiting",
        "MITRE ATLAS",
        "Generative AI",
    ]

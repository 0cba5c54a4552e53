"""The catalogue's table readers on synthetic positioned lines: cells stay with their row and column."""

from __future__ import annotations

from ingest.controls import build_catalogue, builder_for
from saige.types import Document, Page, ParsedDocument, TextLine


def _doc(doc_id: str) -> Document:
    return Document(
        id=doc_id,
        title=doc_id,
        short_title=doc_id,
        publisher="Saige tests",
        published="2024",
        official_url="https://example.org/x.pdf",
        license="test data",
        redistributable=False,
        sha256="0" * 64,
        file="x.pdf",
        kind="pdf",
    )


def _line(x: float, y: float, text: str, bold: bool = False) -> TextLine:
    return TextLine(x0=x, x1=x + 6 * len(text), y=y, size=10, bold=bold, text=text)


def test_ssdf_task_rows_keep_their_columns_across_a_page_break() -> None:
    header = [
        _line(44, 500, "Practice", True),
        _line(248, 500, "Task", True),
        _line(432, 500, "Priority", True),
        _line(479, 500, "Recommendations [R], Considerations [C], and", True),
        _line(686, 500, "Informative", True),
    ]
    page1 = Page(
        doc_id="d",
        index=0,
        number=8,
        lines=[
            *header,
            _line(44, 480, "Prepare the Organization (PO)", True),
            _line(44, 460, "Define Requirements (PO.1): Ensure that"),
            _line(248, 460, "PO.1.1: Identify and document all"),
            _line(432, 460, "High"),
            _line(479, 460, "R1: Include AI model"),
            _line(686, 460, "AI RMF: Map"),
            _line(44, 448, "requirements are known."),
            _line(248, 448, "security requirements."),
            _line(479, 448, "development in the requirements."),
            _line(686, 448, "1.3, 1.5"),
            _line(248, 400, "PO.1.2: Communicate requirements"),
            _line(432, 400, "Medium"),
            _line(479, 400, "R1: Share them."),
        ],
    )
    page2 = Page(
        doc_id="d",
        index=1,
        number=9,
        lines=[*header, _line(248, 480, "to third parties."), _line(479, 480, "C1: Consider contracts.")],
    )
    doc = ParsedDocument(document=_doc("nist-sp-800-218a-genai-ssdf-profile-2024"), pages=[page1, page2])
    controls = {c.control_id: c for c in build_catalogue([doc])}
    assert controls["PO.1"].title == "Define Requirements"
    assert controls["PO.1"].statement == "Ensure that requirements are known."
    task = controls["PO.1.1"]
    assert task.statement == "Identify and document all security requirements."
    assert task.parent_id == "PO.1"
    fields = {f.name: f.value for f in task.fields}
    assert fields == {
        "Priority": "High",
        "Recommendation R1": "Include AI model development in the requirements.",
        "Informative References": "AI RMF: Map 1.3, 1.5",
    }
    second = controls["PO.1.2"]
    assert second.statement == "Communicate requirements to third parties."
    assert (second.page_start, second.page_end, second.pdf_page_start) == (8, 9, 1)
    assert {f.name: f.value for f in second.fields}["Consideration C1"] == "Consider contracts."


def test_action_rows_centred_on_their_id_do_not_interleave_with_the_risks_column() -> None:
    page = Page(
        doc_id="d",
        index=16,
        number=14,
        lines=[
            _line(40, 700, "GOVERN 1.2: The characteristics of trustworthy AI are integrated."),
            _line(40, 670, "Action ID", True),
            _line(94, 670, "Suggested Action", True),
            _line(438, 670, "GAI Risks", True),
            _line(94, 644.6, "Establish transparency policies for"),
            _line(94, 631.4, "documenting the origin of data to advance digital"),
            _line(434, 631.4, "Data Privacy; Information"),
            _line(40, 624.8, "GV-1.2-001"),
            _line(94, 618.2, "content transparency."),
            _line(434, 618.2, "Integrity"),
            _line(94, 579.4, "Establish policies to evaluate"),
            _line(40, 566.2, "GV-1.2-002 capabilities of GAI."),
            _line(434, 566.2, "Information Security"),
            _line(37, 527.4, "AI Actor Tasks: Governance and Oversight", True),
        ],
    )
    doc = ParsedDocument(document=_doc("nist-ai-600-1-genai-profile-2024"), pages=[page])
    controls = {c.control_id: c for c in build_catalogue([doc])}
    first = controls["GV-1.2-001"]
    assert first.statement == (
        "Establish transparency policies for documenting the origin of data to advance digital "
        "content transparency."
    )
    assert first.parent_id == "GOVERN 1.2"
    assert {f.name: f.value for f in first.fields}["GAI Risks"] == "Data Privacy; Information Integrity"
    assert controls["GV-1.2-002"].statement == "Establish policies to evaluate capabilities of GAI."
    assert controls["GOVERN 1.2"].statement == "The characteristics of trustworthy AI are integrated."


def test_documents_without_a_builder_contribute_no_controls() -> None:
    assert builder_for("asd-engaging-with-ai-2024") is None
    doc = ParsedDocument(document=_doc("asd-engaging-with-ai-2024"), pages=[])
    assert build_catalogue([doc]) == []

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


def _dsit_header(
    x: tuple[float, float, float, float], y: float, reference: str = "Reference/Resource"
) -> list[TextLine]:
    return [
        _line(x[0], y, "Provisions", True),
        _line(x[1], y, "Related", True),
        _line(x[2], y, "Example Measures/Controls", True),  # centred over its column
        _line(x[3], y, reference, True),
        _line(x[1], y - 11.5, "threats/risks", True),
    ]


def test_dsit_provisions_keep_each_column_of_their_own_table() -> None:
    """Each principle's table has its own column edges (DSIT prints them at different x), a centred
    "Example Measures/Controls" header cell, and rows that run over a page break: threats, measures per
    scenario and references stay in their own fields, in reading order."""
    p1 = Page(
        doc_id="d",
        index=9,
        number=10,
        lines=[
            _line(41.8, 520, "Principle 1: Raise awareness of AI security threats and risks", True),
            *_dsit_header((41.8, 147.8, 372.4, 636.0), 500),
            _line(41.8, 474, "1.1 Organisations shall"),
            _line(147.8, 474, "Staff may be"),
            _line(247.1, 474, "Establish a Training Programme: cover"),
            _line(636.0, 473.4, "\u2022 ISO/IEC 22989 \u2013 Artificial"),
            _line(41.8, 462.5, "train their staff."),
            _line(147.8, 462.5, "unaware of threats."),
            _line(247.1, 462.5, "basic AI concepts."),
            _line(643.2, 460.2, "intelligence concepts"),
            _line(41.8, 451.0, "every year."),
            _line(147.8, 451.0, "Attacks go unseen."),
            _line(247.1, 439.5, "1. Chatbot App: Train on"),
            _line(636.0, 439.5, "\u2022 OWASP AI Exchange"),
            _line(247.1, 428.0, "prompt injection."),
        ],
    )
    p2 = Page(
        doc_id="d",
        index=10,
        number=11,
        lines=[
            _line(247.1, 538.5, "2. ML Fraud Detection: Use"),
            _line(247.1, 527.0, "MITRE ATLAS."),
            _line(247.1, 515.5, "3. LLM Platform: Cover poisoning."),
            _line(247.1, 504.0, "4. Open-Access LLM Model. Reuse the material."),
            _line(41.8, 400, "Principle 2: Design your AI system for security", True),
            *_dsit_header((41.8, 143.6, 356.1, 606.5), 380, "\u2022 Reference/Resource"),
            _line(41.8, 356, "2.1 Developers shall"),
            _line(143.6, 356, "Without a review,"),
            _line(239.1, 356, "Conduct a Review: Review and"),
            _line(609.0, 355.2, "\u2022 CSA Companion Guide"),
            _line(41.8, 344.5, "review the design."),
            _line(143.6, 344.5, "risks go unseen."),
            _line(239.1, 344.5, "document requirements."),
            _line(616.2, 342.0, "on Securing AI"),
            _line(239.1, 321.5, "1. Chatbot App: Review the API."),
            _line(616.2, 321.5, "Systems"),
            _line(41.8, 333.0, "first."),
            _line(143.6, 333.0, "Then harm."),
        ],
    )
    doc = ParsedDocument(
        document=_doc("dsit-ai-cyber-security-cop-implementation-guide-2025"), pages=[p1, p2]
    )
    controls = {c.control_id: c for c in build_catalogue([doc])}
    assert [k for k in controls] == ["Principle 1", "Principle 2", "1.1", "2.1"]
    first = controls["1.1"]
    assert first.statement == "Organisations shall train their staff. every year."
    assert (first.page_start, first.page_end, first.parent_id) == (10, 11, "Principle 1")
    assert [(f.name, f.value) for f in first.fields] == [
        ("Related threats/risks", "Staff may be unaware of threats. Attacks go unseen."),
        ("Example measure", "Establish a Training Programme: cover basic AI concepts."),
        ("Example measures: Chatbot App", "Train on prompt injection."),
        ("Example measures: ML Fraud Detection", "Use MITRE ATLAS."),
        ("Example measures: LLM Platform", "Cover poisoning."),
        ("Example measures: Open-Access LLM Model", "Reuse the material."),
        ("Reference/Resource", "ISO/IEC 22989 \u2013 Artificial intelligence concepts"),
        ("Reference/Resource", "OWASP AI Exchange"),
    ]
    second = controls["2.1"]
    assert second.statement == "Developers shall review the design. first."
    assert [(f.name, f.value) for f in second.fields] == [
        ("Related threats/risks", "Without a review, risks go unseen. Then harm."),
        ("Example measure", "Conduct a Review: Review and document requirements."),
        ("Example measures: Chatbot App", "Review the API."),
        ("Reference/Resource", "CSA Companion Guide on Securing AI Systems"),
    ]

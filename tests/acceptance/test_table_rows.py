"""Tables row by row on the real corpus: the chunks of the table-structured documents hold whole rows
(id, verbatim statement, labelled columns) and carry the row's control id; statements the checker found
broken in the PDF tables now read as printed."""

from __future__ import annotations

import pytest

from retrieval.service import Saige

pytestmark = pytest.mark.acceptance

GAI = "nist-ai-600-1-genai-profile-2024"
SSDF = "nist-sp-800-218a-genai-ssdf-profile-2024"
DSIT = "dsit-ai-cyber-security-cop-implementation-guide-2025"


def test_every_row_control_of_the_table_documents_has_a_chunk_of_its_own(real_engine: Saige) -> None:
    chunks = real_engine.chunks()
    for doc_id, kinds in ((GAI, {"action"}), (SSDF, {"task"}), (DSIT, {"provision"})):
        rows = {c.control_id for c in real_engine.controls(doc_id) if c.kind in kinds}
        held = {c.control_id for c in chunks if c.doc_id == doc_id and c.control_id}
        assert rows and rows <= held, (doc_id, sorted(rows - held)[:5])


def test_the_issue_example_row_is_one_chunk_with_its_risks_labelled(real_engine: Saige) -> None:
    rows = [c for c in real_engine.chunks() if c.control_id == "GV-1.2-001"]
    assert len(rows) == 1
    chunk = rows[0]
    assert chunk.section_path == ["3. Suggested Actions to Manage GAI Risks", "GOVERN 1.2"]
    assert chunk.text.startswith("GV-1.2-001: Establish transparency policies")
    assert real_engine.control("GV-1.2-001", GAI).statement in chunk.text
    assert "GAI Risks: Data Privacy; Information Integrity; Intellectual Property" in chunk.text
    interleaved = "GV-1.2-001 content transparency"
    assert not [c.chunk_id for c in real_engine.chunks() if c.doc_id == GAI and interleaved in c.text]


def test_a_subcategory_statement_stays_as_prose_of_its_section(real_engine: Saige) -> None:
    prose = [
        c for c in real_engine.chunks() if c.doc_id == GAI and c.section == "GOVERN 1.2" and not c.control_id
    ]
    assert [c.text.split(":")[0] for c in prose] == ["GOVERN 1.2"]


@pytest.mark.parametrize(
    ("doc_id", "control_id", "statement"),
    [
        (
            GAI,
            "GV-1.1-001",
            "Align GAI development and use with applicable laws and regulations, including those related to "
            "data privacy, copyright and intellectual property law.",
        ),
        (
            GAI,
            "MP-4.1-002",
            "Implement processes for responding to potential intellectual property infringement claims or "
            "other rights.",
        ),
        (
            "nist-ai-100-1-ai-rmf-1-0",
            "MAP 1.4",
            "The business value or context of business use has been clearly defined or \u2013 in the case of "
            "assessing existing AI systems \u2013 re-evaluated.",
        ),
    ],
)
def test_statements_read_as_printed(real_engine: Saige, doc_id: str, control_id: str, statement: str) -> None:
    assert real_engine.control(control_id, doc_id).statement == statement


def test_a_risk_column_word_is_not_mixed_into_the_action_text(real_engine: Saige) -> None:
    control = real_engine.control("MS-2.7-001", GAI)
    assert "compromised dependencies, data breaches, eavesdropping" in control.statement
    assert "Data Privacy" not in control.statement
    risks = [f.value for f in control.fields if f.name == "GAI Risks"]
    assert risks == [
        "Data Privacy; Information Integrity; Information Security; Value Chain and Component Integration"
    ]


def test_an_answer_on_an_action_quotes_its_statement_and_cites_its_id(real_engine: Saige) -> None:
    answer = real_engine.ask("What does action GV-1.2-001 recommend?")
    first = answer.citations[0]
    assert first.control_id == "GV-1.2-001"
    assert first.quote.startswith("GV-1.2-001: Establish transparency policies")
    assert "GV-1.2-001 content transparency" not in answer.answer

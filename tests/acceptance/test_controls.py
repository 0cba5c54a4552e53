"""The controls catalogue of the real corpus against the documents themselves: the counts each document
states or prints, a systematic sample of statements checked verbatim against the PDF's own text (read with
pypdf, not Saige's parser), and OWASP AI Exchange's published guideline -> DSIT principle pairs in each
guideline's related guidance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.crosswalk import load_owasp
from retrieval.service import Saige
from saige.types import Control, Document
from tests.acceptance.pdf_text import is_verbatim, page_count, page_pieces, plain_text

pytestmark = pytest.mark.acceptance

RMF = "nist-ai-100-1-ai-rmf-1-0"
GAI = "nist-ai-600-1-genai-profile-2024"
SSDF = "nist-sp-800-218a-genai-ssdf-profile-2024"
DSIT = "dsit-ai-cyber-security-cop-implementation-guide-2025"
OWASP_SOURCE = (
    Path(__file__).resolve().parents[3] / "shared" / "references" / "owasp-ai-exchange-jointguidelines.md"
)


def _pdf(engine: Saige, corpus_dir: Path, doc_id: str) -> Path:
    doc: Document = next(d for d in engine.documents() if d.id == doc_id)
    return corpus_dir / doc.file


def _kind(engine: Saige, doc_id: str, kind: str) -> list[Control]:
    return [c for c in engine.controls(doc_id) if c.kind == kind]


# --- counts the documents state ------------------------------------------------------------------------


def test_ai_rmf_has_4_functions_19_categories_72_subcategories(real_engine: Saige) -> None:
    assert [c.control_id for c in _kind(real_engine, RMF, "function")] == [
        "GOVERN",
        "MAP",
        "MEASURE",
        "MANAGE",
    ]
    assert len(_kind(real_engine, RMF, "category")) == 19
    subcategories = _kind(real_engine, RMF, "subcategory")
    assert len(subcategories) == 72
    categories = {c.control_id for c in _kind(real_engine, RMF, "category")}
    assert all(c.parent_id in categories for c in subcategories)


def test_genai_profile_actions_are_the_action_ids_printed_in_its_tables(
    real_engine: Saige, corpus_dir: Path
) -> None:
    text = plain_text(_pdf(real_engine, corpus_dir, GAI))
    # The action tables start at the first "Action ID | Suggested Action" header; before it, the profile's
    # prose names GV-1.1-002 only as an example of the id scheme.
    tables = text[text.index("Action ID Suggested Action") :]
    printed = set(re.findall(r"\b(?:GV|MP|MS|MG)-\d+\.\d+-\d{3}\b", tables))
    actions = _kind(real_engine, GAI, "action")
    assert len(actions) == len(printed) == 211
    assert {c.control_id for c in actions} == printed
    # each action sits under the AI RMF subcategory its id names, with its GAI risks column
    for c in actions:
        assert c.parent_id is not None and c.parent_id.split()[1] == c.control_id.split("-")[1], c.control_id
    assert sum(1 for c in actions if any(f.name == "GAI Risks" and f.value for f in c.fields)) >= 200
    assert len(_kind(real_engine, GAI, "subcategory")) == tables.count("Action ID Suggested Action") == 49


def test_every_ssdf_profile_task_is_a_control(real_engine: Saige, corpus_dir: Path) -> None:
    text = plain_text(_pdf(real_engine, corpus_dir, SSDF))
    # A task is printed "PO.1.1: Identify and document..." in the profile table's Task column.
    printed = set(re.findall(r"\b(?:PO|PS|PW|RV)\.\d+\.\d+(?=:)", text))
    tasks = {c.control_id for c in _kind(real_engine, SSDF, "task")}
    assert printed and printed == tasks
    assert len(tasks) == 48
    assert "PW.4.3" not in tasks  # printed only as "a task in SSDF version 1.0 that was moved elsewhere"


def test_dsit_has_13_principles_each_with_its_provisions(real_engine: Saige, corpus_dir: Path) -> None:
    text = plain_text(_pdf(real_engine, corpus_dir, DSIT))
    printed = {int(n) for n in re.findall(r"\bPrinciple\s+(\d+)\b", text)}
    principles = _kind(real_engine, DSIT, "principle")
    assert [c.control_id for c in principles] == [f"Principle {n}" for n in range(1, 14)]
    assert printed == set(range(1, 14))
    provisions = _kind(real_engine, DSIT, "provision")
    for principle in principles:
        number = principle.control_id.split()[1]
        own = [c for c in provisions if c.control_id.split(".")[0] == number]
        assert own, f"{principle.control_id} has no provisions"
        top = [c for c in own if c.control_id.count(".") == 1]
        assert top and all(c.parent_id == principle.control_id for c in top)


# --- statements verbatim ---------------------------------------------------------------------------------


def _sample(engine: Saige) -> list[Control]:
    """Every 10th control with a statement, across the four catalogued documents (fixed before checking)."""
    with_text = [c for c in engine.controls() if c.statement and c.doc_id in (RMF, GAI, SSDF, DSIT)]
    return with_text[5::10]


def test_a_sample_of_statements_is_verbatim_in_the_pdf(real_engine: Saige, corpus_dir: Path) -> None:
    sample = _sample(real_engine)
    assert len(sample) >= 50
    assert {c.doc_id for c in sample} == {RMF, GAI, SSDF, DSIT}
    missing = []
    for c in sample:
        path = _pdf(real_engine, corpus_dir, c.doc_id)
        assert c.pdf_page_start is not None and c.page_start is not None, c.key
        span = (c.page_end or c.page_start) - c.page_start + 1
        last = min(c.pdf_page_start - 1 + span, page_count(path) - 1)
        pieces = tuple(p for i in range(c.pdf_page_start - 1, last + 1) for p in page_pieces(path, i))
        if not is_verbatim(c.statement, pieces):
            missing.append(c.key)
    assert not missing, f"not verbatim in the PDF: {missing}"


def test_the_issue_example_action_is_not_interleaved(real_engine: Saige) -> None:
    c = real_engine.control("GV-1.2-001")
    assert c.statement == (
        "Establish transparency policies and processes for documenting the origin and history of training data "
        "and generated data for GAI applications to advance digital content transparency, while balancing the "
        "proprietary nature of training approaches."
    )
    assert [f.value for f in c.fields if f.name == "GAI Risks"] == [
        "Data Privacy; Information Integrity; Intellectual Property"
    ]


# --- OWASP's published guideline -> DSIT principle pairs ---------------------------------------------------


def _source_pairs() -> dict[str, set[int]]:
    """guideline -> DSIT principle numbers, read from OWASP's table as kept in shared/references."""
    if not OWASP_SOURCE.is_file():
        pytest.skip(f"{OWASP_SOURCE} is not present")
    pairs: dict[str, set[int]] = {}
    for line in OWASP_SOURCE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("Secure "):
            pairs[cells[1]] = {int(n) for n in re.findall(r"\d+", cells[2])}
    return pairs


def test_the_shipped_mapping_is_owasps_table() -> None:
    source = _source_pairs()
    shipped = {r.guideline: {p.principle for p in r.dsit_principles} for r in load_owasp().rows}
    assert len(source) == 17 and shipped == source
    assert sum(1 for v in shipped.values() if v) == 10


@pytest.mark.parametrize("row", load_owasp().rows, ids=lambda r: r.guideline[:40])
def test_owasp_pairs_all_appear_in_the_guidelines_related_guidance(real_engine: Saige, row: object) -> None:
    from retrieval.crosswalk import OwaspRow

    assert isinstance(row, OwaspRow)
    related = real_engine.related_guidance(row.guideline, k_similar=0)
    shown = {
        int(r.control.control_id.split()[1])
        for r in related
        if r.link.provenance == "published-elsewhere" and r.control is not None and r.control.doc_id == DSIT
    }
    assert shown == {p.principle for p in row.dsit_principles}
    for r in related:
        if r.link.provenance == "published-elsewhere":
            assert "OWASP AI Exchange, https://owaspai.org/goto/jointguidelines/" in r.link.origin

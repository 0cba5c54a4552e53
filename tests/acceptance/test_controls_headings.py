"""The catalogue of the documents whose controls are headings, on the real index: the Guidelines (4 stages,
17 guidelines, their statements), the NCSC ML principles (parts, principles, sub-headings) and CSA Singapore
(numbered sections, risk-assessment steps, checklist), with counts the documents state themselves."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from retrieval.embedder import load_embedder
from retrieval.index import open_current_store
from saige.settings import Settings
from saige.types import Control, ParsedDocument, normalize_heading
from tests.guidelines_spec import GUIDELINES_BY_STAGE, GUIDELINES_DOC

if TYPE_CHECKING:
    from retrieval.service import Saige

pytestmark = pytest.mark.acceptance

MLP = "ncsc-machine-learning-principles-2024"
CSA = "csa-sg-guidelines-securing-ai-systems-2024"
_CONTENTS_ENTRY = re.compile(r"^(Part \d|\d\.\d)(?::|\.)?\s+(.+?)\s*\.{4,}\s*\d*$")


@pytest.fixture(scope="module")
def stored(real_settings: Settings) -> list[Control]:
    """The controls collection of the current build."""
    return open_current_store(real_settings, load_embedder(real_settings)).controls()


@pytest.fixture(scope="module")
def parsed(parsed_corpus: dict[str, ParsedDocument]) -> dict[str, ParsedDocument]:
    """The three documents parsed from their PDFs (the text the statements are checked against)."""
    return {doc_id: parsed_corpus[doc_id] for doc_id in (GUIDELINES_DOC, MLP, CSA)}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _page_text(doc: ParsedDocument, control: Control) -> str:
    """The text of the printed pages a control spans."""
    start, end = control.page_start or 0, control.page_end or control.page_start or 0
    return _flat("\n".join(b.text for p in doc.pages if start <= (p.number or 0) <= end for b in p.blocks))


def _contents(doc: ParsedDocument) -> list[str]:
    """The lines of the document's table of contents page."""
    for page in doc.pages:
        if any(b.kind == "heading" and normalize_heading(b.text) == "contents" for b in page.blocks):
            return [b.text.strip() for b in page.blocks]
    return []


def test_guidelines_four_stages_seventeen_guidelines_and_their_statements(
    stored: list[Control], parsed: dict[str, ParsedDocument]
) -> None:
    mine = [c for c in stored if c.doc_id == GUIDELINES_DOC]
    stages = [c for c in mine if c.kind == "stage"]
    assert [c.stage for c in stages] == list(GUIDELINES_BY_STAGE)
    guidelines = [c for c in mine if c.kind == "guideline"]
    assert len(guidelines) == 17
    found = {normalize_heading(g.title): g for g in guidelines}
    for stage, titles in GUIDELINES_BY_STAGE.items():
        for title in titles:
            g = found[normalize_heading(title)]
            assert g.stage == stage and g.page_start is not None and g.pdf_page_start is not None, title
    for g in guidelines:
        statements = [c for c in mine if c.kind == "statement" and c.parent_id == g.control_id]
        assert statements, g.title
        for s in statements:  # verbatim: every statement is printed on its pages
            assert _flat(s.statement) in _page_text(parsed[GUIDELINES_DOC], s), (g.title, s.statement)
    assert not any(c.printed_id for c in mine)


def test_ml_principles_follow_the_contents_page(
    stored: list[Control], parsed: dict[str, ParsedDocument]
) -> None:
    mine = [c for c in stored if c.doc_id == MLP]
    contents = [
        (m.group(1), m.group(2)) for line in _contents(parsed[MLP]) if (m := _CONTENTS_ENTRY.match(line))
    ]
    parts = [(n, t) for n, t in contents if n.startswith("Part")]
    principles = [(n, t) for n, t in contents if not n.startswith("Part")]
    assert len(parts) == 5 and len(principles) == 15
    assert [(c.control_id, c.title) for c in mine if c.kind == "stage"] == parts
    assert [(c.control_id, _flat(c.title)) for c in mine if c.kind == "principle"] == principles
    for c in mine:
        if c.kind == "principle":
            assert c.parent_id == f"Part {c.control_id.split('.')[0]}" and c.statement.startswith("Goals")
    items = [c for c in mine if c.kind == "item"]
    assert len(items) >= 30 and all(c.statement and not c.printed_id for c in items)
    red = next(c for c in items if c.title == "Implement red teaming")
    assert red.parent_id == "1.4" and red.stage == "Secure design"


def test_csa_sections_steps_and_checklist(stored: list[Control], parsed: dict[str, ParsedDocument]) -> None:
    mine = {c.control_id: c for c in stored if c.doc_id == CSA}
    # The sections are those the contents page numbers ("1. INTRODUCTION", "1.1." then its title).
    number = re.compile(r"^(\d(?:\.\d)?)\.(?:\s|$)")
    numbers = [m.group(1) for line in _contents(parsed[CSA]) if (m := number.match(line))]
    assert len(numbers) == 7
    assert [c.control_id for c in mine.values() if c.kind == "section"] == [f"Section {n}" for n in numbers]
    # "There are five key stages" (3.1) and "these four steps" (3.2)
    assert "There are five key stages" in mine["Section 3.1"].statement
    assert "four steps" in mine["Section 3.2"].statement
    stages = [c for c in mine.values() if c.kind == "stage"]
    assert [c.title for c in stages] == [
        "PLANNING AND DESIGN",
        "DEVELOPMENT",
        "DEPLOYMENT",
        "OPERATIONS AND MAINTENANCE",
        "END OF LIFE",
    ]
    steps = [c for c in mine.values() if c.control_id.startswith("Step")]
    assert [c.control_id for c in steps] == ["Step 1", "Step 2", "Step 3", "Step 4"]
    assert all(c.parent_id == "Section 3.2" and c.statement for c in steps)
    items = [c for c in mine.values() if c.kind == "item" and c not in steps]
    assert [c.control_id for c in items] == [
        "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "4.4", "5.1"
    ]  # fmt: skip
    assert all(c.parent_id == c.control_id.split(".")[0] and c.statement for c in items)
    assert (
        mine["4.1"].title == "Monitor AI system inputs" and mine["4.1"].stage == "OPERATIONS AND MAINTENANCE"
    )


def test_lookup_finds_the_new_catalogues_by_id(real_engine: Saige) -> None:
    assert real_engine.control("principle 1.3").key == f"{MLP}::1.3"
    assert real_engine.control("checklist item 4.1").key == f"{CSA}::4.1"
    assert real_engine.control("section 3.2", CSA).title == "START WITH A RISK ASSESSMENT"
    assert real_engine.control("provision 5.2").doc_id.startswith("dsit-")  # the kind word still decides
    (m,) = real_engine.lookup_identifier("What does ML principle 2.1 of the NCSC say?")
    assert m.controls[0].key == f"{MLP}::2.1"
    assert [c.kind for c in real_engine.controls(GUIDELINES_DOC)].count("guideline") == 17

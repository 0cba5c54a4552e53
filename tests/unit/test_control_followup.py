"""A follow-up asking for the identifier or control of the last answer ("Is there a control id for that?",
"What's its identifier?", "Does NIST have a matching control?"): the guideline's own id where its document
prints one, and the linked controls of other frameworks with their provenance, cited. Over the small fixture
catalogue in a MemoryStore."""

from __future__ import annotations

import pytest

from retrieval.followup import plan_followup
from retrieval.service import Saige
from saige.settings import Settings
from saige.types import AnswerPoint, Turn
from tests.control_fixtures import DSIT, GAI, GUIDE, RMF, SSDF, chunk_for, controls_engine, sample_controls
from tests.unit.test_followup_plans import CATALOGUE, PROTECT, WEIGHTS


@pytest.fixture
def engine(settings: Settings) -> Saige:
    return controls_engine(settings)


def _after(doc: str, section: str, question: str) -> list[Turn]:
    point = AnswerPoint(n=1, text="(point)", doc_id=doc, section=section, section_path=[section])
    return [
        Turn(role="user", content=question),
        Turn(role="assistant", content=f"**{section}** ... [1]", points=[point]),
    ]


def test_questions_about_the_control_of_the_last_answer_are_planned_as_such() -> None:
    for question in (
        "Is there a control id for that?",
        "Which control is that?",
        "What's its identifier?",
        "What is the provision number?",
        "What's the task ID?",
        "Is there an action ID for that?",
        "Is that a numbered control anywhere?",
    ):
        plan = plan_followup(question, WEIGHTS, CATALOGUE)
        assert plan.kind == "control" and plan.target == PROTECT, question
    # A topic of its own, or an identifier, is a question of its own.
    for question in ("Which controls cover data poisoning?", "What is control GV-1.2-001?"):
        assert plan_followup(question, WEIGHTS, CATALOGUE).kind != "control", question
    nist = frozenset({RMF, GAI})
    plan = plan_followup(
        "Does NIST have a matching control?",
        WEIGHTS,
        CATALOGUE,
        names=lambda t: nist if "nist" in t.lower() else frozenset(),
        name_terms=frozenset({"nist"}),
    )
    assert plan.kind == "control" and plan.target == PROTECT and plan.docs == sorted(nist)


def test_an_unnumbered_guideline_says_so_and_gives_its_published_mappings(engine: Saige) -> None:
    history = _after(GUIDE, "Secure your supply chain", "How do we secure our AI supply chain?")
    answer = engine.ask("Is there a control id for that?", history=history)
    assert answer.followup == "control" and not answer.abstained
    lead = answer.answer.splitlines()[0]
    assert lead.startswith("**Secure your supply chain** has no identifier of its own")
    assert answer.hits[0].chunk.section == "Secure your supply chain"
    assert answer.citations[0].section == "Secure your supply chain"
    # OWASP AI Exchange's published mapping, with its provenance; its controls are outside the corpus.
    assert "published elsewhere: OWASP AI Exchange" in answer.answer
    assert "Principle 7" in answer.answer and "outside the corpus" in answer.answer
    # Computed neighbours are labelled as such and cited to the sections that hold them.
    similar = [line for line in answer.answer.splitlines() if "similar (computed" in line]
    assert similar and all(line.rstrip().endswith("]") for line in similar)
    assert len(answer.citations) == 1 + len(similar)


def test_a_numbered_control_gives_its_id_its_parts_and_the_links_its_document_prints(engine: Saige) -> None:
    history = _after(SSDF, "Design Software to Meet Security Requirements", "How do we design for security?")
    answer = engine.ask("What's its identifier?", history=history)
    assert answer.followup == "control"
    assert "carries the identifier **PW.1** (its parts: PW.1.2, PW.1.3) [1]" in answer.answer
    published = [line for line in answer.answer.splitlines() if "published in the corpus" in line]
    assert any("GOVERN 4.1" in line for line in published) and any("MAP 4.2" in line for line in published)
    cited = {c.section for c in answer.citations}
    assert {"GOVERN 4.1", "MAP 4.2"} <= cited
    assert answer.points[0].controls == ["PW.1"]


def test_a_matching_control_in_named_documents_comes_from_those_documents_only(engine: Saige) -> None:
    history = _after(DSIT, "Identify, track and protect your assets", "How do we protect our assets?")
    answer = engine.ask("Does NIST have a matching control?", history=history)
    assert answer.followup == "control"
    nist = {RMF, GAI, SSDF}
    assert answer.hits[0].chunk.doc_id in nist
    assert all(c.doc_id in nist for c in answer.citations[1:])
    assert "carries the identifier **Principle 5**" in answer.answer


def test_a_failed_turn_before_does_not_poison_the_control_question(engine: Saige) -> None:
    history = [
        *_after(GUIDE, "Secure your supply chain", "How do we secure our AI supply chain?"),
        Turn(role="user", content="What is the best pizza topping?"),
        Turn(role="assistant", content="The corpus does not cover this question.", abstained=True),
    ]
    answer = engine.ask("Which control is that?", history=history)
    assert answer.followup == "control" and answer.hits[0].chunk.section == "Secure your supply chain"


def test_a_section_without_a_control_is_compared_as_it_is(settings: Settings) -> None:
    asd = "asd-engaging-with-ai-2024"
    logging = chunk_for(
        sample_controls()[0], 99, "Log and monitor the AI system to detect security incidents."
    ).model_copy(
        update={"doc_id": asd, "section": "Logging", "section_path": ["Logging"], "chunk_id": "asd-1"}
    )
    engine = controls_engine(settings, extra=[logging])
    answer = engine.ask(
        "Which control is that?", history=_after(asd, "Logging", "Should we log our AI system?")
    )
    assert answer.followup == "control"
    assert answer.answer.startswith("**Logging** has no identifier of its own")
    # Its nearest controls are computed from its own text, labelled as such.
    assert "No published mapping links it to controls in other frameworks; the nearest ones" in answer.answer
    assert "similar (computed" in answer.answer and len(answer.citations) > 1

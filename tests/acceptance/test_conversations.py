"""Follow-up conversations and answer composition on the real corpus, scored on the held-out `test` split."""

from __future__ import annotations

import pytest

from evals.composition import audit, eval_pairs, is_action_sentence
from evals.conversations import TurnScore, load_conversations, run, summarize
from retrieval.service import Saige
from saige.types import Answer, Turn

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def held_out(real_engine: Saige) -> tuple[list[TurnScore], list[Answer]]:
    """The `test` split's conversations replayed once through the real engine: scores and answers."""
    return run(real_engine, [c for c in load_conversations() if c.split == "test"])


def test_held_out_follow_ups_land_on_the_right_guideline(
    held_out: tuple[list[TurnScore], list[Answer]],
) -> None:
    scores, _ = held_out
    summary = summarize(scores, "test")
    assert summary.followups >= 30
    assert summary.abstained == 0, [s.question for s in scores if s.answerable and s.abstained]
    assert summary.top5 >= 0.875, summary
    assert summary.abstained_when_unanswerable == summary.unanswerable


def test_held_out_follow_ups_reach_the_rank_1_target(held_out: tuple[list[TurnScore], list[Answer]]) -> None:
    scores, _ = held_out
    assert (
        summarize(scores, "test").rank1 >= 0.75
    )  # issue 11 target; measured 0.850 of 40 (0.775 before follow2)


def test_expand_and_stage_use_the_first_answers_guideline(real_engine: Saige) -> None:
    first = real_engine.ask("How should we protect model weights from theft?")
    guideline = first.points[0].section
    history = [Turn(role="user", content=first.question), first.as_turn()]
    more = real_engine.ask("Expand on the first point.", history=history)
    assert not more.abstained and more.citations[0].section == guideline
    in_depth = [c for c in more.citations if c.section == guideline]
    assert len(in_depth) > len([c for c in first.citations if c.section == guideline])
    history += [Turn(role="user", content=more.question), more.as_turn()]
    stage = real_engine.ask("Which stage is that in?", history=history)
    assert stage.answer.startswith(f"That is in the **{first.points[0].stage}** stage")
    assert guideline in stage.answer and stage.citations[0].section == guideline


def test_another_stage_answers_from_the_same_documents_lifecycle(real_engine: Saige) -> None:
    first = real_engine.ask("How do we protect our model continuously after deployment?")
    given = first.points[0]
    assert given.section == "Protect your model continuously" and given.stage == "Secure deployment"
    history = [Turn(role="user", content=first.question), first.as_turn()]
    live = real_engine.ask("What about once it is live?", history=history)
    assert live.followup == "analogous" and not live.abstained
    top = live.hits[0].chunk
    # The Guidelines' own operation-stage guideline nearest the one given, not another document's section.
    assert top.doc_id == given.doc_id and top.stage == "Secure operation and maintenance"
    assert top.section.startswith("Monitor your system")
    assert "In the **Secure operation and maintenance** stage" in live.answer


def _follow(engine: Saige, first_question: str, question: str, plain: bool = False) -> Answer:
    first = engine.ask(first_question)
    reply = first.as_turn()
    if plain:
        reply = Turn(role="assistant", content=reply.content)
    return engine.ask(question, history=[Turn(role="user", content=first_question), reply])


@pytest.mark.parametrize("plain", [False, True])
def test_another_audience_reaches_the_guideline_written_for_it(real_engine: Saige, plain: bool) -> None:
    # "Make it easy for users to do the right things" is not among the hits of a search for the topic and
    # the audience's words; its heading names the audience, in the conversation's document.
    users = _follow(real_engine, "What does releasing AI responsibly involve?", "And for users?", plain)
    assert users.followup == "analogous" and not users.abstained
    top = users.hits[0].chunk
    assert top.doc_id == "ncsc-cisa-secure-ai-guidelines-2023"
    assert top.section == "Make it easy for users to do the right things"
    assert users.answer.startswith("For users, the corresponding guidance is **")


def test_the_same_guidance_in_another_named_document(real_engine: Saige) -> None:
    answer = _follow(
        real_engine,
        "How should we model the threats to our AI system?",
        "What does the code of practice say?",
    )
    assert not answer.abstained
    top = answer.hits[0].chunk
    assert top.doc_id == "dsit-ai-cyber-security-cop-implementation-guide-2025"
    assert top.section.startswith("Principle 3: Evaluate the threats")


def test_the_nth_one_after_an_answer_about_a_stage_is_that_stages_nth_guideline(real_engine: Saige) -> None:
    third = _follow(
        real_engine, "What are the secure deployment guidelines?", "And the third one?", plain=True
    )
    assert third.followup == "pick" and not third.abstained
    assert third.hits[0].chunk.section == "Develop incident management procedures"


def test_how_questions_get_actions_not_dangling_definitions(real_engine: Saige) -> None:
    answer = real_engine.ask("How can we defend against prompt injection?")
    assert not answer.abstained
    assert any(is_action_sentence(p.text) for p in answer.points)
    assert not any(p.text.rstrip().endswith(("such as:", "?")) for p in answer.points)


def test_no_composition_defects_on_the_held_out_split(
    real_engine: Saige, held_out: tuple[list[TurnScore], list[Answer]]
) -> None:
    report = audit(eval_pairs(real_engine, "test", conversation_answers=held_out[1]))
    assert report.answers >= 150
    assert report.defects == [], report.defects[:5]
    assert report.action_share >= 0.85  # measured 0.889 (0.844 before issue 11)


NIST_DOCS = {
    "nist-ai-100-1-ai-rmf-1-0",
    "nist-ai-600-1-genai-profile-2024",
    "nist-sp-800-218a-genai-ssdf-profile-2024",
    "nist-ai-100-2e2023-aml-taxonomy",
}


def test_an_audience_without_for_reaches_the_guideline_written_for_it(real_engine: Saige) -> None:
    users = _follow(real_engine, "What does releasing AI responsibly involve?", "What about the users?")
    assert users.followup == "analogous" and not users.abstained
    assert users.hits[0].chunk.section == "Make it easy for users to do the right things"


def test_a_family_of_documents_answers_from_all_of_them_and_says_which(real_engine: Saige) -> None:
    answer = _follow(real_engine, "How do we secure our AI supply chain?", "And what about NIST?")
    assert not answer.abstained
    assert {h.chunk.doc_id for h in answer.hits} <= NIST_DOCS
    assert "supply chain" in answer.hits[0].chunk.section.lower()
    assert answer.answer.startswith("Of the 4 documents named (")


def test_the_control_of_an_unnumbered_guideline_is_its_published_mapping(real_engine: Saige) -> None:
    answer = _follow(
        real_engine, "How do we secure our AI supply chain?", "Does that have a control identifier?"
    )
    assert answer.followup == "control" and not answer.abstained
    assert answer.answer.startswith("**Secure development › Secure your supply chain** has no identifier")
    mapped = next(line for line in answer.answer.splitlines() if "Principle 7" in line)
    assert "published elsewhere: OWASP AI Exchange" in mapped
    cited = {c.section for c in answer.citations}
    assert "Principle 7: Secure your supply chain" in cited


def test_a_matching_control_in_the_documents_named(real_engine: Saige) -> None:
    answer = _follow(
        real_engine,
        "How should we protect model weights from unauthorised access?",
        "Does NIST have a matching control?",
    )
    assert answer.followup == "control"
    top = answer.hits[0].chunk
    assert top.doc_id == "nist-sp-800-218a-genai-ssdf-profile-2024" and "(PS.1)" in top.section
    assert "No published mapping links it to controls in" in answer.answer
    assert all(c.doc_id in NIST_DOCS for c in answer.citations[1:])

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
    assert summary.rank1 >= 0.64, summary  # measured 0.647; the target (0.75) is tracked below
    assert summary.abstained_when_unanswerable == summary.unanswerable


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 target: held-out follow-ups at rank 1 >= 75% (measured 0.647; on dev the misses follow the "
    "first turn's rank-1 section or an analogous guideline judged differently)",
)
def test_held_out_follow_ups_reach_the_rank_1_target(held_out: tuple[list[TurnScore], list[Answer]]) -> None:
    scores, _ = held_out
    assert summarize(scores, "test").rank1 >= 0.75


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

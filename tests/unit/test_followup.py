"""The deterministic follow-up rule, on examples."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from retrieval.followup import is_followup, resolve, resolve_rule
from saige.types import Turn


def convo(*user: str) -> list[Turn]:
    turns: list[Turn] = []
    for text in user:
        turns += [Turn(role="user", content=text), Turn(role="assistant", content="(an answer)")]
    return turns


SUPPLY = convo("How should we secure our AI supply chain?")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what about at deployment?", "ai supply chain at deployment?"),
        ("Who is responsible for that?", "Who is responsible for secure ai supply chain?"),
        ("and for agents?", "secure ai supply chain for agents?"),
        ("How do I check it?", "How do I check secure ai supply chain?"),
        (
            "Does that also apply to open source models?",
            "Does secure ai supply chain also apply to open source models?",
        ),
    ],
)
def test_follow_ups_take_the_previous_topic(question: str, expected: str) -> None:
    assert is_followup(question, SUPPLY)
    assert resolve_rule(question, SUPPLY) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What is prompt injection?",
        "What controls ensure that models are robust against evasion attacks?",
        "How should model weights be stored and protected at rest?",
    ],
)
def test_standalone_questions_are_left_alone(question: str) -> None:
    assert not is_followup(question, SUPPLY)
    assert resolve_rule(question, SUPPLY) == question


def test_no_history_means_no_follow_up() -> None:
    assert not is_followup("what about at deployment?", [])
    assert resolve("what about at deployment?", []) == "what about at deployment?"


def test_chains_resolve_through_earlier_turns() -> None:
    history = convo("What do the guidelines say about threat modelling?", "Who is responsible for that?")
    assert resolve_rule("and during operation?", history) == "responsible threat modelling during operation?"


def test_a_stage_in_the_follow_up_replaces_the_stage_of_the_topic() -> None:
    history = convo("How do we monitor the system during operation?")
    assert resolve_rule("what about deployment?", history) == "monitor system deployment?"


def test_rewriter_is_used_when_given_and_falls_back_on_failure() -> None:
    calls: list[str] = []

    def rewriter(question: str, history: Sequence[Turn]) -> str:
        calls.append(question)
        return "  supply chain security during deployment \n"

    assert resolve("what about at deployment?", SUPPLY, rewriter) == "supply chain security during deployment"

    def broken(question: str, history: Sequence[Turn]) -> str:
        raise ConnectionError("LLM down")

    assert resolve("what about at deployment?", SUPPLY, broken) == "ai supply chain at deployment?"
    assert calls == ["what about at deployment?"]

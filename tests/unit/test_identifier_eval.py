"""The identifier-lookup scorer (evals/identifiers.py): its question file, gold matching and scores, over the
fixture catalogue in a MemoryStore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.identifiers import (
    IdentifierQuestion,
    IdentifierRecord,
    chunk_holds,
    load_identifier_questions,
    rank_of,
    run,
    score,
)
from evals.split import split_of
from saige.errors import SaigeError
from saige.settings import Settings
from tests.control_fixtures import DSIT, GAI, MLP, RMF, chunk_for, controls_engine, sample_controls


def _q(qid: str, question: str, docs: list[str], ids: list[str]) -> IdentifierQuestion:
    return IdentifierQuestion(
        id=qid, question=question, docs=docs, sections=ids, type="identifier", split=split_of(qid)
    )


def test_the_shipped_file_is_valid_and_spread_over_the_catalogued_documents() -> None:
    questions = load_identifier_questions()
    assert len(questions) >= 80
    docs = {d for q in questions for d in q.docs}
    assert {RMF, GAI, DSIT, "nist-sp-800-218a-genai-ssdf-profile-2024"} <= docs
    assert {q.split for q in questions} == {"dev", "test"}


def test_a_bad_line_is_one_error_naming_line_and_field(tmp_path: Path) -> None:
    good = {
        "id": "x1",
        "question": "GV-1.2-001",
        "docs": [GAI],
        "sections": ["GV-1.2-001"],
        "type": "identifier",
    }
    path = tmp_path / "q.jsonl"
    wrong_split = "test" if split_of("x1") == "dev" else "dev"
    path.write_text(json.dumps({**good, "split": wrong_split}) + "\n", encoding="utf-8")
    with pytest.raises(SaigeError, match=r"q.jsonl:1: .*split") as err:
        load_identifier_questions(path)
    assert "\n" not in str(err.value)
    path.write_text(json.dumps({**good, "split": split_of("x1"), "sections": ["not an id"]}) + "\n")
    with pytest.raises(SaigeError, match=r"q.jsonl:1: .*not a control identifier"):
        load_identifier_questions(path)


def test_gold_is_the_control_of_the_named_document_in_any_spelling() -> None:
    controls = {c.key: c for c in sample_controls()}
    q = _q("g1", "provision 5.3", [DSIT], ["5.3"])
    assert q.is_gold(controls[f"{DSIT}::5.3"])
    assert not q.is_gold(controls[f"{MLP}::5.3"])  # the same number in another document is not gold
    q = _q("g2", "gv-1.2", [RMF], ["GOVERN 1.2"])
    assert q.is_gold(controls[f"{RMF}::GOVERN 1.2"]) and not q.is_gold(controls[f"{RMF}::GOVERN 1.1"])
    chunk = chunk_for(controls[f"{GAI}::GV-1.2-001"], 0)
    assert chunk_holds(chunk, _q("g3", "x", [GAI], ["GV-1.2-001"]))
    assert not chunk_holds(chunk, _q("g4", "x", [GAI], ["GV-1.2-002"]))
    assert not chunk_holds(chunk, _q("g5", "x", [RMF], ["GV-1.2-001"]))


def test_scores_count_top1_and_top3() -> None:
    assert rank_of([False, False, True]) == 3 and rank_of([False]) is None

    def rec(lookup: int | None, search: int | None) -> IdentifierRecord:
        return IdentifierRecord(
            id="r",
            split="dev",
            question="q",
            gold=[],
            lookup_top=[],
            lookup_rank=lookup,
            search_top=[],
            search_rank=search,
        )

    s = score([rec(1, 1), rec(2, None), rec(None, 3), rec(1, 4)])
    assert (s.lookup_top1, s.lookup_top3, s.search_top1, s.search_top3) == (0.5, 0.75, 0.25, 0.5)


def test_run_over_the_fixture_engine(settings: Settings) -> None:
    engine = controls_engine(settings)
    questions = [
        _q("a1", "What does action GV 1.2 002 recommend?", [GAI], ["GV-1.2-002"]),
        _q("a2", "MAP4.2", [RMF], ["MAP 4.2"]),
        _q("a3", "what is GV-1.2-009?", [GAI], ["GV-1.2-009"]),  # no such control: a miss
    ]
    records, scores = run(engine, questions)
    assert [r.lookup_rank for r in records] == [1, 1, None]
    assert [r.search_rank for r in records][:2] == [1, 1]
    assert scores["all"].n == 3 and scores["all"].lookup_top1 == pytest.approx(2 / 3, abs=1e-3)

"""CI gate: the default engine on the held-out `test` split of every question set (evals/questions*.jsonl),
over the real corpus, must meet the thresholds kept in evals/thresholds.json. Nothing was tuned on `test`
(evals/tune.py reads `dev` only). Only the `saige` configuration runs here (no baseline) to keep CI quick."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from evals.harness import run_eval
from evals.metrics import Summary
from evals.records import EvalRun, in_split, load_question_files, question_files
from saige.cli import app
from saige.settings import Settings
from saige.types import normalize_heading

if TYPE_CHECKING:
    from retrieval.service import Saige

pytestmark = pytest.mark.acceptance

THRESHOLDS = Path(__file__).resolve().parents[2] / "evals" / "thresholds.json"


def _limits() -> dict[str, Any]:
    limits: dict[str, Any] = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    return limits


@pytest.fixture(scope="module")
def gate_run(real_settings: Settings, real_engine: Saige) -> EvalRun:
    split = _limits()["split"]
    questions = in_split(load_question_files(question_files()), split)
    return run_eval(real_settings, questions, ["saige"], engine=real_engine, questions_file=split)


def _failures(summary: Summary, limits: dict[str, dict[str, float]], where: str) -> list[str]:
    failures = []
    for field, floor in limits.get("min", {}).items():
        value = getattr(summary, field)
        if value is None or value < floor:
            failures.append(f"{where} {field} = {value} < {floor}")
    for field, ceiling in limits.get("max", {}).items():
        value = getattr(summary, field)
        if value is None or value > ceiling:
            failures.append(f"{where} {field} = {value} > {ceiling}")
    return failures


def test_thresholds_file_is_complete() -> None:
    limits = _limits()
    assert limits["split"] == "test", "the gate reads the held-out split only"
    assert set(limits["all"]["min"]) >= {"hit_at_5", "hit_at_1", "mrr", "abstention_recall"}
    assert set(limits["all"]["max"]) >= {"false_abstention", "false_refusal"}
    assert limits["sets"]["security"]["max"]["false_refusal"] == 0
    assert "right_doc" in limits["sets"]["security"]["min"]
    assert limits["sets"]["injection"]["min"]["injection_harmless"] == 1
    assert "instructions_declined" in limits["sets"]["injection"]["min"]


def test_the_gate_runs_on_held_out_questions_only(gate_run: EvalRun) -> None:
    assert {r.split for r in gate_run.records} == {"test"}
    assert {"main", "security", "injection"} <= set(gate_run.by_set)
    assert gate_run.question_count >= 150


def test_default_engine_meets_the_thresholds_on_test(gate_run: EvalRun) -> None:
    limits = _limits()
    summary = gate_run.summaries["saige"]
    print("\n" + json.dumps(summary.model_dump(), indent=1))
    failures = _failures(summary, limits["all"], "test")
    for name, set_limits in limits["sets"].items():
        per = gate_run.by_set[name]["test"]["saige"]
        print(name, json.dumps(per.model_dump()))
        failures += _failures(per, set_limits, f"{name}/test")
    misses = [
        r.id for r in gate_run.records if r.answerable and r.hits and not any(h.gold for h in r.hits[:5])
    ]
    refused = [r.id for r in gate_run.records if r.answerable and r.declined]
    assert not failures, "; ".join(failures) + f" (hit@5 misses: {', '.join(misses)}; refused: {refused})"


def test_pure_instructions_are_declined_or_harmless(gate_run: EvalRun) -> None:
    """Input that asks nothing of the corpus (pure instructions, markup-only payloads) is declined: never
    answered, never cited; and no answer carries raw markup."""
    pure = [r for r in gate_run.records if r.type == "adversarial" and not r.answerable]
    assert len(pure) >= 5
    assert all(r.abstained and not r.cited for r in pure), [r.id for r in pure if not r.abstained]
    assert all(r.declined for r in pure), [r.id for r in pure if not r.declined]
    assert not any(r.markup for r in gate_run.records)


def test_every_gold_section_exists_in_the_real_index(real_engine: Saige) -> None:
    headings: dict[str, set[str]] = {}
    for c in real_engine.chunks():
        headings.setdefault(c.doc_id, set()).update(normalize_heading(h) for h in c.section_path)
    missing = [
        f"{q.id}: {s!r}"
        for q in load_question_files(question_files())
        for s in q.sections
        if not any(normalize_heading(s) in headings.get(d, set()) for d in q.docs)
    ]
    assert not missing, "gold sections missing from the index: " + "; ".join(missing)


def test_cli_eval_on_an_unseen_question_file(real_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "unseen.jsonl"
    lines = [
        {
            "id": "u-1",
            "question": "What does the guidance say about keeping offline backups for AI incidents?",
            "docs": ["ncsc-cisa-secure-ai-guidelines-2023"],
            "sections": ["Develop incident management procedures"],
            "stage": "Secure deployment",
            "answerable": True,
            "type": "paraphrase",
        },
        {
            "id": "u-2",
            "question": "How long should I boil an egg for a runny yolk?",
            "answerable": False,
            "type": "unanswerable",
        },
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    args = ["eval", "--questions", str(path), "--config", "bm25", "--config", "saige", "--json"]
    args += ["--data-dir", str(real_settings.data_dir), "--corpus-dir", str(real_settings.corpus_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    records, summary = out[:-1], out[-1]
    assert {(r["config"], r["id"]) for r in records} == {
        (c, i) for c in ("bm25", "saige") for i in ("u-1", "u-2")
    }
    backups = next(r for r in records if r["config"] == "saige" and r["id"] == "u-1")
    assert any(h["gold"] for h in backups["hits"][:5])
    assert summary["questions"] == 2
    assert set(summary["summary"]) == {"bm25", "saige"}

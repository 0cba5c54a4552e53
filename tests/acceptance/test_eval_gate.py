"""CI gate: the default engine on the shipped question set, over the real corpus, must meet the thresholds
kept in evals/thresholds.json. Only the `saige` configuration runs here (no baseline) to keep CI quick."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from evals.harness import DEFAULT_QUESTIONS, EvalRun, load_questions, run_eval
from saige.cli import app
from saige.settings import Settings
from saige.types import normalize_heading

if TYPE_CHECKING:
    from retrieval.service import Saige

pytestmark = pytest.mark.acceptance

THRESHOLDS = Path(__file__).resolve().parents[2] / "evals" / "thresholds.json"


@pytest.fixture(scope="module")
def gate_run(real_settings: Settings, real_engine: Saige) -> EvalRun:
    questions = load_questions(DEFAULT_QUESTIONS)
    return run_eval(
        real_settings, questions, ["saige"], engine=real_engine, questions_file=str(DEFAULT_QUESTIONS)
    )


def test_thresholds_file_is_complete() -> None:
    limits = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    assert set(limits["min"]) >= {"hit_at_5", "hit_at_1", "abstention_recall"}
    assert set(limits["max"]) >= {"false_abstention"}


def test_default_engine_meets_the_thresholds(gate_run: EvalRun) -> None:
    limits = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    summary = gate_run.summaries["saige"]
    print("\n" + json.dumps(summary.model_dump(), indent=1))
    failures = []
    for field, floor in limits["min"].items():
        value = getattr(summary, field)
        if value is None or value < floor:
            failures.append(f"{field} = {value} < {floor}")
    for field, ceiling in limits["max"].items():
        value = getattr(summary, field)
        if value is None or value > ceiling:
            failures.append(f"{field} = {value} > {ceiling}")
    misses = [
        r.id for r in gate_run.records if r.answerable and r.hits and not any(h.gold for h in r.hits[:5])
    ]
    assert not failures, "; ".join(failures) + f" (hit@5 misses: {', '.join(misses)})"


def test_every_gold_section_exists_in_the_real_index(real_engine: Saige) -> None:
    headings: dict[str, set[str]] = {}
    for c in real_engine.chunks():
        headings.setdefault(c.doc_id, set()).update(normalize_heading(h) for h in c.section_path)
    missing = [
        f"{q.id}: {s!r}"
        for q in load_questions(DEFAULT_QUESTIONS)
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

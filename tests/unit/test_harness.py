"""The eval harness on a question file it has never seen, over a tiny in-memory index (HashEmbedder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.harness import CONFIGS, run_eval, run_eval_cli
from evals.records import load_questions
from evals.report import write_report
from retrieval.protocols import Embedder
from retrieval.service import Saige
from retrieval.store import MemoryStore
from saige.errors import SaigeError
from saige.settings import Settings
from saige.types import Chunk, stable_id

SECTIONS = [
    # doc, path, text
    (
        "doc-kitchen",
        ["Kitchen safety", "Knife handling"],
        "Always cut away from your body and keep knife blades sharp; a blunt blade slips more easily.",
    ),
    (
        "doc-kitchen",
        ["Kitchen safety", "Oven gloves"],
        "Wear dry oven gloves when lifting hot trays; wet fabric conducts heat and burns the hand.",
    ),
    (
        "doc-garden",
        ["Garden care", "Watering tomatoes"],
        "Water tomato plants deeply at the roots in the early morning, never on the leaves in sunshine.",
    ),
    (
        "doc-garden",
        ["Garden care", "Pruning roses"],
        "Prune roses in late winter, cutting just above an outward facing bud with clean secateurs.",
    ),
]


def _chunks() -> list[Chunk]:
    out = []
    for order, (doc, path, text) in enumerate(SECTIONS):
        out.append(
            Chunk(
                chunk_id=stable_id(doc, *path),
                doc_id=doc,
                doc_title=doc.replace("-", " ").title(),
                section=path[-1],
                section_path=path,
                text=text,
                page_start=1,
                page_end=1,
                section_order=order,
            )
        )
    return out


@pytest.fixture
def engine(settings: Settings, fake_embedder: Embedder) -> Saige:
    embedder = fake_embedder
    store = MemoryStore()
    chunks = _chunks()
    store.add(chunks, embedder.embed([c.embed_text for c in chunks]))
    return Saige.from_settings(settings, embedder=embedder, store=store)


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


QUESTIONS: list[dict[str, object]] = [
    {
        "id": "k1",
        "question": "How should I handle knife blades so they don't slip?",
        "docs": ["doc-kitchen"],
        "sections": ["Knife handling"],
        "stage": None,
        "answerable": True,
        "type": "paraphrase",
    },
    {
        "id": "g1",
        "question": "When should roses be pruned with secateurs?",
        "docs": ["doc-garden"],
        "sections": ["Garden care"],  # a parent heading: any section under it counts
        "stage": None,
        "answerable": True,
        "type": "keyword",
    },
    {
        "id": "g2",
        "question": "And what about watering them in the morning?",
        "docs": ["doc-garden"],
        "sections": ["Watering tomatoes"],
        "stage": None,
        "answerable": True,
        "type": "follow-up",
        "history": [
            {"role": "user", "content": "How do I look after tomato plants?"},
            {"role": "assistant", "content": "Water them at the roots."},
        ],
    },
    {
        "id": "u1",
        "question": "Which stock exchange lists semiconductor companies?",
        "docs": [],
        "sections": [],
        "stage": None,
        "answerable": False,
        "type": "unanswerable",
    },
]


def test_unseen_question_file_through_every_facade_config(
    settings: Settings, engine: Saige, tmp_path: Path
) -> None:
    path = _write(tmp_path / "other.jsonl", QUESTIONS)
    questions = load_questions(path)
    configs = [c for c in CONFIGS if c != "baseline"]
    run = run_eval(settings, questions, configs, engine=engine, questions_file=str(path))

    assert len(run.records) == len(QUESTIONS) * len(configs)
    by_key = {(r.config, r.id): r for r in run.records}
    # BM25 ranks the one section sharing the question's rare words first
    k1 = by_key[("bm25", "k1")]
    assert k1.hits[0].section == "Knife handling"
    assert k1.hits[0].gold == ["knife handling"]
    # a hit under a gold parent heading counts, but only in the right document
    g1 = by_key[("bm25", "g1")]
    assert g1.hits[0].doc_id == "doc-garden" and g1.hits[0].gold == ["garden care"]
    assert all(h.gold == [] for h in g1.hits if h.doc_id != "doc-garden")
    assert run.summaries["bm25"].scored == 3
    assert run.summaries["bm25"].hit_at_5 == 1.0
    # only the default engine answers: abstention and citations are measured for it alone
    assert run.summaries["bm25"].abstention_recall is None
    saige_u1 = by_key[("saige", "u1")]
    assert saige_u1.abstained is True
    assert saige_u1.cited == []
    assert run.summaries["saige"].abstention_recall == 1.0
    saige_k1 = by_key[("saige", "k1")]
    assert saige_k1.abstained is False
    assert any(c.gold == ["knife handling"] for c in saige_k1.cited or [])
    # breakdowns exist for the types and documents present
    assert set(run.by_type) == {"paraphrase", "keyword", "follow-up", "unanswerable"}
    assert set(run.by_doc) == {"doc-kitchen", "doc-garden"}
    assert all(r.latency_ms >= 0 for r in run.records)


def test_cli_json_lines_then_summary(
    settings: Settings, engine: Saige, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "q.jsonl", QUESTIONS)
    code = run_eval_cli(settings, questions=path, configs=["bm25", "saige"], as_json=True, engine=engine)
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    records, summary = lines[:-1], lines[-1]
    assert len(records) == len(QUESTIONS) * 2
    assert {r["config"] for r in records} == {"bm25", "saige"}
    assert {"config", "id", "hits", "abstained", "latency_ms"} <= set(records[0])
    assert set(summary["summary"]) == {"bm25", "saige"}
    assert summary["summary"]["saige"]["abstention_recall"] == 1.0
    assert summary["questions"] == len(QUESTIONS)


def test_report_written_with_tables_and_chart(settings: Settings, engine: Saige, tmp_path: Path) -> None:
    path = _write(tmp_path / "q.jsonl", QUESTIONS)
    run = run_eval(settings, load_questions(path), ["bm25", "saige"], engine=engine, questions_file=str(path))
    md, png = write_report(run, tmp_path / "out", {"k1": "knife question"})
    text = md.read_text(encoding="utf-8")
    assert "| config | hit@1 |" in text
    assert "## By question type" in text and "## By document" in text
    assert "doc-garden" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_config_is_refused(settings: Settings, engine: Saige, tmp_path: Path) -> None:
    path = _write(tmp_path / "q.jsonl", QUESTIONS[:1])
    with pytest.raises(SaigeError, match="unknown configuration 'bm52'"):
        run_eval(settings, load_questions(path), ["bm52"], engine=engine)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"q\.jsonl:2: not valid JSON"),
        ('{"id": "x", "question": "q?", "answerable": true}', r"q\.jsonl:2: field 'type'"),
        (
            '{"id": "x", "question": "q?", "answerable": true, "type": "riddle"}',
            r"q\.jsonl:2: field 'type'",
        ),
        (
            '{"id": "x", "question": "q?", "answerable": true, "type": "paraphrase", "stage": "design"}',
            r"q\.jsonl:2: field 'stage': .*as printed",
        ),
        (
            '{"id": "x", "question": "q?", "answerable": true, "type": "follow-up"}',
            r"q\.jsonl:2: .*history",
        ),
        (
            '{"id": "x", "question": "q?", "answerable": false, "type": "unanswerable", "docs": ["d"]}',
            r"q\.jsonl:2: .*unanswerable",
        ),
        (
            '{"id": "k1", "question": "q?", "answerable": true, "type": "paraphrase"}',
            r"q\.jsonl:2: field 'id': duplicate id 'k1'",
        ),
        (
            '{"id": "x", "question": "q?", "answerable": true, "type": "keyword", "colour": 1}',
            r"field 'colour'",
        ),
    ],
)
def test_bad_question_lines_name_file_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(QUESTIONS[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(SaigeError, match=message) as info:
        load_questions(path)
    assert "\n" not in str(info.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(SaigeError, match="not found"):
        load_questions(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(SaigeError, match="no questions"):
        load_questions(empty)


def test_a_refused_question_is_recorded_not_fatal(settings: Settings, engine: Saige, tmp_path: Path) -> None:
    long = {**QUESTIONS[3], "id": "long", "question": "semiconductor " * 200}  # over max_question_chars
    path = _write(tmp_path / "q.jsonl", [QUESTIONS[0], long])
    run = run_eval(settings, load_questions(path), ["bm25", "saige"], engine=engine)
    refused = {r.config: r for r in run.records if r.id == "long"}
    assert refused["bm25"].hits == [] and "characters" in (refused["bm25"].error or "")
    assert refused["saige"].abstained is True
    assert run.summaries["saige"].abstention_recall == 1.0


def test_cli_reports_a_bad_question_file_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from saige.cli import app

    path = tmp_path / "broken.jsonl"
    path.write_text('{"id": "a", "question": "q?", "answerable": true, "type": "paraphrase"}\n{"id": "b"}\n')
    result = CliRunner().invoke(app, ["eval", "--questions", str(path), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "broken.jsonl:2: field 'question'" in message
    assert "Traceback" not in result.output


def test_section_level_files_leave_out_the_control_scored_identifier_questions() -> None:
    from evals.identifiers import DEFAULT_FILE
    from evals.records import question_files

    names = [p.name for p in question_files()]
    assert names[0] == "questions.jsonl" and "questions-security.jsonl" in names
    assert DEFAULT_FILE.is_file() and DEFAULT_FILE.name not in names

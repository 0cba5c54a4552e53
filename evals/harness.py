"""`saige eval`: run the question sets through several retrieval configurations and score them per split.

Questions: every `evals/questions*.jsonl` (the main set, the benign security set, ...) or one `--questions`
file. Each item's split (`dev` or `test`) comes from `evals/split.py`; figures are reported per split, and per
question set within each split. Tune on `dev` only (`evals/tune.py`); the CI gate reads `test`.

Configurations: `bm25`, `dense`, `hybrid` (plain reciprocal-rank fusion) and `saige` (the default engine:
hybrid plus its extras, and `Saige.ask` for abstention and citations) all go through the `Saige` facade;
`baseline` is the LangChain tutorial pipeline in `evals/baseline.py`, scored on text overlap because its
chunks have no sections.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from evals.baseline import BaselinePipeline
from evals.metrics import Outcome, Summary, gold_matches, summarize
from evals.records import (
    QUESTION_TYPES,
    CitedSection,
    EvalQuestion,
    EvalRun,
    QuestionRecord,
    RankedHit,
    SplitChoice,
    fmt,
    in_split,
    load_question_files,
    question_files,
)
from evals.report import REPORT_DIR, write_report
from evals.split import SPLITS
from saige.errors import SaigeError
from saige.settings import Settings

if TYPE_CHECKING:
    from retrieval.service import Saige

CONFIGS: tuple[str, ...] = ("bm25", "dense", "hybrid", "saige", "baseline")
SEARCH_MODES: dict[str, str] = {"bm25": "bm25", "dense": "dense", "hybrid": "hybrid-plain", "saige": "hybrid"}
RANK_DEPTH = 10  # hits retrieved per question: enough for nDCG@10
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!][^<>]{0,200}>")


# --- running ----------------------------------------------------------------------------------------


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 2)


def _hit_records(hits: Iterable[Any], q: EvalQuestion) -> list[RankedHit]:
    out = []
    for i, h in enumerate(hits, 1):
        c = h.chunk
        matched = gold_matches(c.doc_id, c.section_path, q.docs, q.gold)
        out.append(
            RankedHit(
                rank=h.rank or i,
                doc_id=c.doc_id,
                section=c.section,
                section_path=c.section_path,
                gold=sorted(matched),
            )
        )
    return out


def search_record(engine: Saige, config: str, q: EvalQuestion) -> QuestionRecord:
    """Rank the top RANK_DEPTH hits for one question in one configuration, timed."""
    start = time.perf_counter()
    error = None
    try:
        hits = engine.search(q.question, k=RANK_DEPTH, history=q.history, mode=SEARCH_MODES[config])
    except SaigeError as exc:  # e.g. a question over the size limit: refused, nothing retrieved
        hits, error = [], str(exc)
    return QuestionRecord(
        config=config,
        id=q.id,
        type=q.type,
        split=q.split,
        answerable=q.answerable,
        hits=_hit_records(hits, q),
        latency_ms=_ms(start),
        error=error,
    )


class AnswerPart(BaseModel):
    """What `Saige.ask` did with a question: abstained or not, which sections it cited, how long it took."""

    abstained: bool
    declined: bool
    markup: bool
    cited: list[CitedSection]
    latency_ms: float


def answer_part(engine: Saige, q: EvalQuestion) -> AnswerPart:
    start = time.perf_counter()
    try:
        answer = engine.ask(q.question, history=q.history)
    except SaigeError:  # refused (e.g. over the size limit): counts as declining to answer
        return AnswerPart(abstained=True, declined=False, markup=False, cited=[], latency_ms=_ms(start))
    latency = _ms(start)
    cited: dict[tuple[str, tuple[str, ...]], CitedSection] = {}
    for c in answer.citations:
        key = (c.doc_id, tuple(c.section_path))
        if key not in cited:
            matched = gold_matches(c.doc_id, c.section_path, q.docs, q.gold)
            cited[key] = CitedSection(
                doc_id=c.doc_id, section=c.section, section_path=c.section_path, gold=sorted(matched)
            )
    return AnswerPart(
        abstained=answer.abstained,
        declined=answer.declined,
        markup=bool(_MARKUP.search(answer.answer)),
        cited=list(cited.values()),
        latency_ms=latency,
    )


def run_question(engine: Saige, configs: Sequence[str], q: EvalQuestion) -> list[QuestionRecord]:
    """All facade configurations for one question.

    `saige` answers first, cold, so its latency is a user's whole wait (embedding the question included);
    the searches then run with the question's embedding already computed, so their latencies compare the
    retrieval itself. The `saige` row reports the answer latency.
    """
    answered = answer_part(engine, q) if "saige" in configs else None
    if answered is None and any(c in ("dense", "hybrid") for c in configs):
        engine.search(q.question, k=RANK_DEPTH, history=q.history, mode="dense")  # warm-up, untimed
    records = []
    for config in configs:
        record = search_record(engine, config, q)
        if config == "saige" and answered is not None:
            record.abstained = answered.abstained
            record.declined = answered.declined
            record.markup = answered.markup
            record.cited = answered.cited
            record.latency_ms = answered.latency_ms
        records.append(record)
    return records


Summaries = dict[str, Summary]


def _summaries(
    records: Sequence[QuestionRecord], questions: dict[str, EvalQuestion], configs: Sequence[str]
) -> tuple[
    Summaries,
    dict[str, Summaries],
    dict[str, dict[str, Summaries]],
    dict[str, Summaries],
    dict[str, Summaries],
]:
    """Overall, per split, per question set and split, per type and per document."""
    outcomes: dict[str, list[Outcome]] = {c: [] for c in configs}
    for r in records:
        outcomes[r.config].append(r.outcome(questions[r.id]))

    def grouped(keys: Callable[[EvalQuestion], Iterable[str]], order: Iterable[str]) -> dict[str, Summaries]:
        groups: dict[str, dict[str, list[Outcome]]] = {}
        for config, outs in outcomes.items():
            for o in outs:
                for key in keys(questions[o.qid]):
                    groups.setdefault(key, {c: [] for c in configs})[config].append(o)
        return {k: {c: summarize(v) for c, v in groups[k].items()} for k in order if k in groups}

    summaries = {c: summarize(outs) for c, outs in outcomes.items()}
    by_split = grouped(lambda q: [q.split], SPLITS)
    sets = list(dict.fromkeys(q.question_set for q in questions.values()))
    pairs = grouped(lambda q: [f"{q.question_set}/{q.split}"], [f"{n}/{s}" for n in sets for s in SPLITS])
    by_set: dict[str, dict[str, Summaries]] = {}
    for key, per in pairs.items():
        name, _, split = key.rpartition("/")
        by_set.setdefault(name, {})[split] = per
    by_type = grouped(lambda q: [q.type], QUESTION_TYPES)
    by_doc = grouped(lambda q: q.docs, sorted({d for q in questions.values() for d in q.docs}))
    return summaries, by_split, by_set, by_type, by_doc


_NOT_REPORTED = frozenset(
    {
        "corpus_dir",
        "manifest",
        "data_dir",
        "collection",
        "chroma_host",
        "chroma_port",
        "llm_base_url",
        "llm_api_key",
        "host",
        "port",
        "query_log",
    }
)


def settings_snapshot(settings: Settings) -> dict[str, Any]:
    """The settings that shape retrieval and answers: no paths, hosts or secrets."""
    return {k: v for k, v in settings.model_dump().items() if k not in _NOT_REPORTED}


def run_eval(
    settings: Settings,
    questions: Sequence[EvalQuestion],
    configs: Sequence[str],
    *,
    engine: Saige | None = None,
    baseline: BaselinePipeline | None = None,
    questions_file: str = "",
    on_record: Callable[[QuestionRecord], None] | None = None,
) -> EvalRun:
    """Run every question through every configuration and summarise. `engine`/`baseline` are built from
    the settings when not given."""
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise SaigeError(
            f"config: unknown configuration {unknown[0]!r}; expected one of: {', '.join(CONFIGS)}"
        )
    configs = list(dict.fromkeys(configs or CONFIGS))
    engine_configs = [c for c in configs if c in SEARCH_MODES]
    if engine is None and (engine_configs or "baseline" in configs):
        from retrieval.service import Saige  # loads the embedding model: only when a run needs it

        engine = Saige.from_settings(settings)
    note = None
    if "baseline" in configs and baseline is None:
        assert engine is not None
        baseline = BaselinePipeline.from_settings(settings, engine)
    if baseline is not None:
        note = baseline.describe()
    # One untimed query each, so model and cache warm-up is not charged to the first question.
    if engine is not None and engine_configs:
        engine.search("secure AI system development", k=RANK_DEPTH, mode="hybrid")
    if baseline is not None:
        baseline.search("secure AI system development")
    records: list[QuestionRecord] = []

    def keep(record: QuestionRecord) -> None:
        records.append(record)
        if on_record is not None:
            on_record(record)

    for q in questions:
        if engine_configs:
            assert engine is not None
            for record in run_question(engine, engine_configs, q):
                keep(record)
        if baseline is not None and "baseline" in configs:
            keep(baseline.run(q))
    by_id = {q.id: q for q in questions}
    summaries, by_split, by_set, by_type, by_doc = _summaries(records, by_id, configs)
    return EvalRun(
        questions_file=questions_file,
        configs=configs,
        question_count=len(questions),
        settings=settings_snapshot(settings),
        records=records,
        summaries=summaries,
        by_split=by_split,
        by_set=by_set,
        by_type=by_type,
        by_doc=by_doc,
        baseline_note=note,
    )


# --- the command ------------------------------------------------------------------------------------

_COLUMNS: list[tuple[str, str]] = [
    ("hit@1", "hit_at_1"),
    ("hit@3", "hit_at_3"),
    ("hit@5", "hit_at_5"),
    ("MRR", "mrr"),
    ("nDCG@10", "ndcg_at_10"),
    ("doc@5", "doc_hit_at_5"),
    ("abst P", "abstention_precision"),
    ("abst R", "abstention_recall"),
    ("false abst", "false_abstention"),
    ("false refusal", "false_refusal"),
    ("right doc", "right_doc"),
    ("cite P", "citation_precision"),
    ("cite R", "citation_recall"),
    ("p50 ms", "latency_p50_ms"),
    ("p95 ms", "latency_p95_ms"),
]
# Per question set, for the answering configuration: what the issue asks of each set.
_SET_COLUMNS: list[tuple[str, str]] = [
    ("questions", "questions"),
    ("hit@1", "hit_at_1"),
    ("hit@5", "hit_at_5"),
    ("MRR", "mrr"),
    ("abst R", "abstention_recall"),
    ("false abst", "false_abstention"),
    ("false refusal", "false_refusal"),
    ("right doc", "right_doc"),
    ("instr. declined", "instructions_declined"),
    ("injection harmless", "injection_harmless"),
]


def _cell(s: Summary, field: str) -> str:
    value = getattr(s, field)
    return str(value) if isinstance(value, int) else fmt(value, field)


def print_summary(run: EvalRun) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 220)
    for split, summaries in [*run.by_split.items(), ("all", run.summaries)]:
        if split == "all" and len(run.by_split) < 2:
            continue
        n = next(iter(summaries.values())).questions if summaries else 0
        table = Table(title=f"Saige eval, {split}: {n} questions ({run.questions_file})")
        table.add_column("config")
        for label, _ in _COLUMNS:
            table.add_column(label, justify="right")
        for config, s in summaries.items():
            table.add_row(config, *(_cell(s, f) for _, f in _COLUMNS))
        console.print(table)
    answering = "saige" if "saige" in run.configs else None
    if answering is not None:
        table = Table(title="The default engine per question set and split")
        table.add_column("set")
        table.add_column("split")
        for label, _ in _SET_COLUMNS:
            table.add_column(label, justify="right")
        for name, parts in run.by_set.items():
            for split, summaries in parts.items():
                s = summaries[answering]
                table.add_row(name, split, *(_cell(s, f) for _, f in _SET_COLUMNS))
        console.print(table)
    if run.baseline_note:
        console.print(f"baseline: {run.baseline_note}", highlight=False, markup=False)


def _dump(summaries: dict[str, Summary]) -> dict[str, Any]:
    return {c: s.model_dump() for c, s in summaries.items()}


def run_eval_cli(
    settings: Settings,
    questions: Path | None = None,
    configs: Sequence[str] = (),
    as_json: bool = False,
    report: bool = False,
    *,
    split: SplitChoice = "all",
    engine: Saige | None = None,
    report_dir: Path | None = None,
) -> int:
    """The `saige eval` command. `engine` and `report_dir` let tests run it on a small in-memory index."""
    paths = [questions] if questions is not None else question_files()
    items = in_split(load_question_files(paths), split)
    if not items:
        raise SaigeError(f"split: no {split} questions in {', '.join(str(p) for p in paths)}")
    label = ", ".join(p.name for p in paths) + ("" if split == "all" else f" ({split})")

    def emit(record: QuestionRecord) -> None:
        sys.stdout.write(record.model_dump_json() + "\n")
        sys.stdout.flush()

    run = run_eval(
        settings,
        items,
        list(configs),
        engine=engine,
        questions_file=label,
        on_record=emit if as_json else None,
    )
    if as_json:
        summary = {
            "summary": _dump(run.summaries),
            "by_split": {k: _dump(v) for k, v in run.by_split.items()},
            "by_set": {n: {k: _dump(v) for k, v in parts.items()} for n, parts in run.by_set.items()},
            "by_type": {t: _dump(v) for t, v in run.by_type.items()},
            "by_doc": {d: _dump(v) for d, v in run.by_doc.items()},
            "questions": run.question_count,
            "questions_file": run.questions_file,
            "split": split,
            "settings": run.settings,
        }
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, default=str) + "\n")
    else:
        print_summary(run)
    if report:
        md, png = write_report(run, report_dir or REPORT_DIR, questions={q.id: q.question for q in items})
        target = sys.stderr if as_json else sys.stdout
        target.write(f"report: {md} (chart {png})\n")
    return 0

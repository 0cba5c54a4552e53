"""`saige eval`: run a question set through several retrieval configurations and score them.

Configurations: `bm25`, `dense`, `hybrid` (plain reciprocal-rank fusion) and `saige` (the default engine:
hybrid plus its extras, and `Saige.ask` for abstention and citations) all go through the `Saige` facade;
`baseline` is the LangChain tutorial pipeline in `evals/baseline.py`, scored on text overlap because its
chunks have no sections.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evals.metrics import Outcome, Summary, gold_matches, normalized_set, summarize
from saige.errors import SaigeError, first_validation_error
from saige.settings import Settings
from saige.types import STAGES, Turn

if TYPE_CHECKING:
    from evals.baseline import BaselinePipeline
    from retrieval.service import Saige

CONFIGS: tuple[str, ...] = ("bm25", "dense", "hybrid", "saige", "baseline")
SEARCH_MODES: dict[str, str] = {"bm25": "bm25", "dense": "dense", "hybrid": "hybrid-plain", "saige": "hybrid"}
QUESTION_TYPES: tuple[str, ...] = (
    "paraphrase",
    "keyword",
    "multi-section",
    "cross-document",
    "unanswerable",
    "follow-up",
    "adversarial",
)
DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")
RANK_DEPTH = 10  # hits retrieved per question: enough for nDCG@10


class EvalQuestion(BaseModel):
    """One line of a questions JSONL file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    docs: list[str] = Field(default_factory=list, description="Expected document ids")
    sections: list[str] = Field(default_factory=list, description="Expected headings as printed; any counts")
    stage: str | None = Field(default=None, description="Lifecycle stage as printed (Guidelines questions)")
    answerable: bool
    type: Literal[
        "paraphrase", "keyword", "multi-section", "cross-document", "unanswerable", "follow-up", "adversarial"
    ]
    history: list[Turn] = Field(default_factory=list, description="Previous turns of a follow-up")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("stage")
    @classmethod
    def _printed_stage(cls, value: str | None) -> str | None:
        if value is not None and value not in STAGES:
            raise ValueError(f"must be one of {', '.join(STAGES)} (as printed) or null")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EvalQuestion:
        if self.type == "follow-up" and not self.history:
            raise ValueError("history: a follow-up question needs the previous turns")
        if self.type == "unanswerable" and self.answerable:
            raise ValueError("answerable: an 'unanswerable' question must have answerable false")
        if not self.answerable and (self.docs or self.sections):
            raise ValueError("docs/sections: an unanswerable question has no expected documents or sections")
        if self.sections and not self.docs:
            raise ValueError("docs: expected sections need their document ids")
        return self

    @property
    def gold(self) -> frozenset[str]:
        return normalized_set(self.sections)


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read and validate a questions JSONL file; a bad line raises a one-line SaigeError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SaigeError(f"{path}: questions file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SaigeError(f"{path}: cannot read questions file ({type(exc).__name__})") from None
    questions: list[EvalQuestion] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SaigeError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise SaigeError(f"{path}:{number}: expected a JSON object")
        try:
            q = EvalQuestion.model_validate(data)
        except ValidationError as exc:
            field, msg, _ = first_validation_error(exc)
            raise SaigeError(f"{path}:{number}: field {field or '(line)'!r}: {msg}") from None
        if q.id in seen:
            raise SaigeError(
                f"{path}:{number}: field 'id': duplicate id {q.id!r} (first on line {seen[q.id]})"
            )
        seen[q.id] = number
        questions.append(q)
    if not questions:
        raise SaigeError(f"{path}: no questions")
    return questions


# --- per-question records ---------------------------------------------------------------------------


class RankedHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: int
    doc_id: str
    section: str
    section_path: list[str]
    gold: list[str] = Field(default_factory=list, description="Gold headings this hit satisfies")


class CitedSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str
    section: str
    section_path: list[str]
    gold: list[str] = Field(default_factory=list)


class QuestionRecord(BaseModel):
    """What one configuration returned for one question (one JSON line of `saige eval --json`)."""

    model_config = ConfigDict(extra="forbid")

    config: str
    id: str
    type: str
    answerable: bool
    hits: list[RankedHit]
    cited: list[CitedSection] | None = None
    abstained: bool | None = None
    latency_ms: float
    error: str | None = Field(default=None, description="A refusal (SaigeError) instead of results")

    def outcome(self, question: EvalQuestion) -> Outcome:
        return Outcome(
            qid=self.id,
            type=self.type,
            answerable=self.answerable,
            docs=question.docs,
            n_gold=len(question.gold),
            matches=[frozenset(h.gold) for h in self.hits],
            hit_docs=[h.doc_id for h in self.hits],
            abstained=self.abstained,
            cited=None if self.cited is None else [frozenset(c.gold) for c in self.cited],
            latency_ms=self.latency_ms,
        )


class EvalRun(BaseModel):
    """A whole run: the records, and summaries per configuration, per question type and per document."""

    questions_file: str
    configs: list[str]
    question_count: int
    settings: dict[str, Any]
    records: list[QuestionRecord]
    summaries: dict[str, Summary]
    by_type: dict[str, dict[str, Summary]]
    by_doc: dict[str, dict[str, Summary]]
    baseline_note: str | None = None


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
        answerable=q.answerable,
        hits=_hit_records(hits, q),
        latency_ms=_ms(start),
        error=error,
    )


class AnswerPart(BaseModel):
    """What `Saige.ask` did with a question: abstained or not, which sections it cited, how long it took."""

    abstained: bool
    cited: list[CitedSection]
    latency_ms: float


def answer_part(engine: Saige, q: EvalQuestion) -> AnswerPart:
    start = time.perf_counter()
    try:
        answer = engine.ask(q.question, history=q.history)
    except SaigeError:  # refused (e.g. over the size limit): counts as declining to answer
        return AnswerPart(abstained=True, cited=[], latency_ms=_ms(start))
    latency = _ms(start)
    cited: dict[tuple[str, tuple[str, ...]], CitedSection] = {}
    for c in answer.citations:
        key = (c.doc_id, tuple(c.section_path))
        if key not in cited:
            matched = gold_matches(c.doc_id, c.section_path, q.docs, q.gold)
            cited[key] = CitedSection(
                doc_id=c.doc_id, section=c.section, section_path=c.section_path, gold=sorted(matched)
            )
    return AnswerPart(abstained=answer.abstained, cited=list(cited.values()), latency_ms=latency)


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
            record.cited = answered.cited
            record.latency_ms = answered.latency_ms
        records.append(record)
    return records


def _summaries(
    records: Sequence[QuestionRecord], questions: dict[str, EvalQuestion], configs: Sequence[str]
) -> tuple[dict[str, Summary], dict[str, dict[str, Summary]], dict[str, dict[str, Summary]]]:
    outcomes: dict[str, list[Outcome]] = {c: [] for c in configs}
    for r in records:
        outcomes[r.config].append(r.outcome(questions[r.id]))
    summaries = {c: summarize(o) for c, o in outcomes.items()}
    by_type: dict[str, dict[str, Summary]] = {}
    for t in QUESTION_TYPES:
        if any(q.type == t for q in questions.values()):
            by_type[t] = {c: summarize([o for o in outs if o.type == t]) for c, outs in outcomes.items()}
    doc_ids = sorted({d for q in questions.values() for d in q.docs})
    by_doc = {
        d: {c: summarize([o for o in outs if d in o.docs]) for c, outs in outcomes.items()} for d in doc_ids
    }
    return summaries, by_type, by_doc


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
        from retrieval.service import Saige

        engine = Saige.from_settings(settings)
    note = None
    if "baseline" in configs and baseline is None:
        from evals.baseline import BaselinePipeline

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
    summaries, by_type, by_doc = _summaries(records, by_id, configs)
    return EvalRun(
        questions_file=questions_file,
        configs=configs,
        question_count=len(questions),
        settings=settings_snapshot(settings),
        records=records,
        summaries=summaries,
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
    ("cite P", "citation_precision"),
    ("cite R", "citation_recall"),
    ("p50 ms", "latency_p50_ms"),
    ("p95 ms", "latency_p95_ms"),
]


def fmt(value: float | None, field: str = "") -> str:
    if value is None:
        return "-"
    if field.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def print_summary(run: EvalRun) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)
    table = Table(title=f"Saige eval: {run.question_count} questions ({run.questions_file})")
    table.add_column("config")
    for label, _ in _COLUMNS:
        table.add_column(label, justify="right")
    for config, s in run.summaries.items():
        table.add_row(config, *(fmt(getattr(s, f), f) for _, f in _COLUMNS))
    console.print(table)
    if run.baseline_note:
        console.print(f"baseline: {run.baseline_note}", highlight=False, markup=False)


def run_eval_cli(
    settings: Settings,
    questions: Path | None = None,
    configs: Sequence[str] = (),
    as_json: bool = False,
    report: bool = False,
    *,
    engine: Saige | None = None,
    report_dir: Path | None = None,
) -> int:
    """The `saige eval` command. `engine` and `report_dir` let tests run it on a small in-memory index."""
    path = questions or DEFAULT_QUESTIONS
    items = load_questions(path)

    def emit(record: QuestionRecord) -> None:
        sys.stdout.write(record.model_dump_json() + "\n")
        sys.stdout.flush()

    run = run_eval(
        settings,
        items,
        list(configs),
        engine=engine,
        questions_file=str(path),
        on_record=emit if as_json else None,
    )
    if as_json:
        summary = {
            "summary": {c: s.model_dump() for c, s in run.summaries.items()},
            "by_type": {t: {c: s.model_dump() for c, s in v.items()} for t, v in run.by_type.items()},
            "by_doc": {d: {c: s.model_dump() for c, s in v.items()} for d, v in run.by_doc.items()},
            "questions": run.question_count,
            "questions_file": run.questions_file,
            "settings": run.settings,
        }
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, default=str) + "\n")
    else:
        print_summary(run)
    if report:
        from evals.report import REPORT_DIR, write_report

        md, png = write_report(run, report_dir or REPORT_DIR, questions={q.id: q.question for q in items})
        target = sys.stderr if as_json else sys.stdout
        target.write(f"report: {md} (chart {png})\n")
    return 0

"""The records the eval modules share: a question, what one configuration returned for it, a whole run.

`harness` (running and the command), `baseline` (the LangChain pipeline) and `report` (Markdown and chart)
all import from here and never from each other's records, so the evals package has no import cycles.

Question files: `evals/questions*.jsonl`, one JSON object a line. Every item carries its split (`dev`, to
tune on, or `test`, never tuned on); the split is a pure function of the id (`evals/split.py`) and a stored
split that disagrees with it is refused. A file written elsewhere may leave `split` out: it is computed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, cast, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from evals.metrics import Outcome, Summary, normalized_set
from evals.split import Split, split_of
from saige.errors import SaigeError, first_validation_error
from saige.types import STAGES, Turn

EVALS_DIR = Path(__file__).parent
DEFAULT_QUESTIONS = EVALS_DIR / "questions.jsonl"
QUESTION_FILES_GLOB = "questions*.jsonl"

QuestionType = Literal[
    "paraphrase",
    "keyword",
    "multi-section",
    "cross-document",
    "unanswerable",
    "follow-up",
    "adversarial",
    "security",
    "identifier",
]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)
SplitChoice = Literal["dev", "test", "all"]


class EvalQuestion(BaseModel):
    """One line of a questions JSONL file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    docs: list[str] = Field(default_factory=list, description="Expected document ids")
    sections: list[str] = Field(default_factory=list, description="Expected headings as printed; any counts")
    stage: str | None = Field(default=None, description="Lifecycle stage as printed (Guidelines questions)")
    answerable: bool
    type: QuestionType = Field(
        description="adversarial: an injection attempt (answerable ones embed a real question); security: a "
        "benign question about attacks, in attack words; identifier: names a control by its id"
    )
    history: list[Turn] = Field(default_factory=list, description="Previous turns of a follow-up")
    split: Split = Field(description="dev or test: split_of(id) (evals/split.py); computed when left out")
    _set: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _fill_split(cls, data: Any) -> Any:
        if isinstance(data, dict) and "split" not in data and isinstance(data.get("id"), str):
            return {**data, "split": split_of(data["id"])}
        return data

    @field_validator("split")
    @classmethod
    def _split_rule(cls, value: Split, info: ValidationInfo) -> Split:
        item_id = info.data.get("id")
        if isinstance(item_id, str) and value != split_of(item_id):
            raise ValueError(f"{item_id!r} belongs to {split_of(item_id)!r} by the rule of evals/split.py")
        return value

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

    @property
    def question_set(self) -> str:
        """The set the question came from: the file name after `questions-` ("security"), "main" for
        questions.jsonl."""
        return self._set

    def with_set(self, name: str) -> EvalQuestion:
        self._set = name
        return self


def set_name(path: Path) -> str:
    stem = path.name.removesuffix(".jsonl")
    return stem.removeprefix("questions-") if stem != "questions" else "main"


# Question files whose gold is a control identifier, not a section: scored by control (top-1/top-3) in
# evals/identifiers.py and gated by tests/acceptance/test_identifiers.py, not by the section-level harness.
CONTROL_SCORED_FILES = frozenset({"questions-identifiers.jsonl"})


def question_files(folder: Path = EVALS_DIR) -> list[Path]:
    """Every shipped question file scored by section, `questions.jsonl` first."""
    files = [p for p in folder.glob(QUESTION_FILES_GLOB) if p.name not in CONTROL_SCORED_FILES]
    return sorted(files, key=lambda p: (p != folder / "questions.jsonl", p.name))


class _Identified(Protocol):
    id: str


Item = TypeVar("Item", bound=BaseModel)


def load_jsonl(path: Path, model: type[Item], what: str) -> list[Item]:
    """Read a JSONL file of `model` records, one JSON object a line, each with a unique `id`; a bad line
    raises a one-line SaigeError naming the file, the line and the field. `what` names the file's kind in
    the messages ("questions", "conversations")."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SaigeError(f"{path}: {what} file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SaigeError(f"{path}: cannot read {what} file ({type(exc).__name__})") from None
    items: list[Item] = []
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
            item = model.model_validate(data)
        except ValidationError as exc:
            field, msg, _ = first_validation_error(exc)
            raise SaigeError(f"{path}:{number}: field {field or '(line)'!r}: {msg}") from None
        item_id = cast(_Identified, item).id
        if item_id in seen:
            raise SaigeError(
                f"{path}:{number}: field 'id': duplicate id {item_id!r} (first on line {seen[item_id]})"
            )
        seen[item_id] = number
        items.append(item)
    return items


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read and validate a questions JSONL file; a bad line raises a one-line SaigeError naming it."""
    name = set_name(path)
    questions = [q.with_set(name) for q in load_jsonl(path, EvalQuestion, "questions")]
    if not questions:
        raise SaigeError(f"{path}: no questions")
    return questions


def load_question_files(paths: Iterable[Path]) -> list[EvalQuestion]:
    """Several question files as one set; an id used in two files is refused (it would share a split)."""
    out: list[EvalQuestion] = []
    where: dict[str, Path] = {}
    for path in paths:
        for q in load_questions(path):
            if q.id in where:
                raise SaigeError(f"{path}: field 'id': duplicate id {q.id!r} (also in {where[q.id]})")
            where[q.id] = path
            out.append(q)
    return out


def in_split(questions: Sequence[EvalQuestion], split: SplitChoice) -> list[EvalQuestion]:
    return [q for q in questions if split == "all" or q.split == split]


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
    split: Split = "dev"
    answerable: bool
    hits: list[RankedHit]
    cited: list[CitedSection] | None = Field(default=None, description="Cited sections, first cited first")
    abstained: bool | None = None
    declined: bool | None = Field(
        default=None, description="Declined as instructions to the assistant (Answer.declined)"
    )
    markup: bool | None = Field(default=None, description="The answer text holds raw HTML markup")
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
            declined=self.declined,
            markup=self.markup,
            cited=None if self.cited is None else [frozenset(c.gold) for c in self.cited],
            cited_docs=[] if self.cited is None else [c.doc_id for c in self.cited],
            latency_ms=self.latency_ms,
        )


class EvalRun(BaseModel):
    """A whole run: the records, and summaries per configuration, per split, per question set, per question
    type and per document."""

    questions_file: str
    configs: list[str]
    question_count: int
    settings: dict[str, Any]
    records: list[QuestionRecord]
    summaries: dict[str, Summary]
    by_split: dict[str, dict[str, Summary]] = Field(
        default_factory=dict, description="split -> config -> summary"
    )
    by_set: dict[str, dict[str, dict[str, Summary]]] = Field(
        default_factory=dict, description="question set -> split -> config -> summary"
    )
    by_type: dict[str, dict[str, Summary]]
    by_doc: dict[str, dict[str, Summary]]
    baseline_note: str | None = None


def fmt(value: float | None, field: str = "") -> str:
    """A figure as printed in tables: milliseconds whole, everything else to three places."""
    if value is None:
        return "-"
    if field.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.3f}"

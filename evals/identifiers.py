"""Identifier lookups scored at control level: `python -m evals.identifiers [--questions F] [--json]`.

Each item of `evals/questions-identifiers.jsonl` names one control by its identifier in some spelling. Its
gold is the control itself: `docs` lists the documents whose control counts and `sections` the identifier(s)
as the document prints them ("GV-1.2-001", "GOVERN 1.2", "PW.7.2", "5.3", "Principle 5"). A control is gold
when its document is one of `docs` and its printed id has the same key (retrieval/identifiers.py) as a gold
id, so "GOVERN 1.2" and "GV-1.2" are one id and "2.4" of one document is not "2.4" of another.

Two rankings are scored, each top-1 and top-3, per split (evals/split.py):

- `lookup`: the controls `Saige.lookup_identifier` returns (each named control's candidates, then the first
  one's parent and siblings), i.e. what `saige control` and the identifier-first search start from;
- `search`: the hits of `Saige.search`; a hit is right when it comes from a gold document and its section
  path or text mentions a gold id (found with `find_mentions`, independent of the lookup code).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evals.records import load_jsonl
from evals.split import Split, split_of
from retrieval.identifiers import IdKey, find_mentions, parse_id
from saige.errors import SaigeError
from saige.types import Chunk, Control, ControlMatch

if TYPE_CHECKING:
    from retrieval.service import Saige

DEFAULT_FILE = Path(__file__).with_name("questions-identifiers.jsonl")
DEPTH = 3


class IdentifierQuestion(BaseModel):
    """One line of the identifier questions file (the questions.jsonl format, type "identifier")."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    docs: list[str] = Field(min_length=1, description="Documents whose control counts")
    sections: list[str] = Field(min_length=1, description="The gold control ids as printed")
    type: str
    split: Split

    @model_validator(mode="after")
    def _consistent(self) -> IdentifierQuestion:
        if self.type != "identifier":
            raise ValueError(f'type: expected "identifier", got {self.type!r}')
        if self.split != split_of(self.id):
            raise ValueError(
                f"split: {self.split!r} but evals.split.split_of({self.id!r}) is {split_of(self.id)!r}"
            )
        for gold in self.sections:
            if parse_id(gold) is None:
                raise ValueError(f"sections: {gold!r} is not a control identifier")
        return self

    @property
    def gold_keys(self) -> frozenset[IdKey]:
        return frozenset(k for k in (parse_id(s) for s in self.sections) if k is not None)

    def is_gold(self, control: Control) -> bool:
        return control.doc_id in self.docs and parse_id(control.control_id) in self.gold_keys


def load_identifier_questions(path: Path = DEFAULT_FILE) -> list[IdentifierQuestion]:
    """Read and validate the file; a bad line raises a one-line SaigeError naming the line and field."""
    out = load_jsonl(path, IdentifierQuestion, "identifier questions")
    if not out:
        raise SaigeError(f"{path}: no questions")
    return out


# --- ranking and scoring (pure) ---------------------------------------------------------------------------


def lookup_ranking(matches: Sequence[ControlMatch]) -> list[Control]:
    """The controls a lookup returns, in order: every match's candidates, then the first match's context."""
    ranked = [c for m in matches for c in m.controls]
    if matches:
        ranked += matches[0].context
    out: list[Control] = []
    seen: set[str] = set()
    for c in ranked:
        if c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out


def chunk_holds(chunk: Chunk, q: IdentifierQuestion, prefixes: frozenset[str] | None = None) -> bool:
    """The chunk comes from a gold document and its section path or text mentions a gold id."""
    if chunk.doc_id not in q.docs:
        return False
    text = " > ".join(chunk.section_path) + "\n" + chunk.text
    return any(m.key in q.gold_keys for m in find_mentions(text, prefixes))


def rank_of(flags: Iterable[bool]) -> int | None:
    """1-based rank of the first True, None when there is none."""
    for i, flag in enumerate(flags, 1):
        if flag:
            return i
    return None


class IdentifierRecord(BaseModel):
    id: str
    split: Split
    question: str
    gold: list[str]
    lookup_top: list[str] = Field(description="Control keys, best first (top 3)")
    lookup_rank: int | None
    search_top: list[str] = Field(description="doc id > section of the top 3 hits")
    search_rank: int | None


class Score(BaseModel):
    n: int
    lookup_top1: float
    lookup_top3: float
    search_top1: float
    search_top3: float


def score(records: Sequence[IdentifierRecord]) -> Score:
    n = len(records)

    def share(ranks: Iterable[int | None], k: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4) if n else 0.0

    return Score(
        n=n,
        lookup_top1=share((r.lookup_rank for r in records), 1),
        lookup_top3=share((r.lookup_rank for r in records), 3),
        search_top1=share((r.search_rank for r in records), 1),
        search_top3=share((r.search_rank for r in records), 3),
    )


def run_question(engine: Saige, q: IdentifierQuestion) -> IdentifierRecord:
    ranked = lookup_ranking(engine.lookup_identifier(q.question))
    hits = engine.search(q.question, k=max(DEPTH, engine.settings.top_k))
    prefixes = engine.catalogue.prefixes or None
    return IdentifierRecord(
        id=q.id,
        split=q.split,
        question=q.question,
        gold=[f"{d}::{s}" for d in q.docs for s in q.sections],
        lookup_top=[c.key for c in ranked[:DEPTH]],
        lookup_rank=rank_of(q.is_gold(c) for c in ranked),
        search_top=[f"{h.chunk.doc_id} > {h.chunk.section}" for h in hits[:DEPTH]],
        search_rank=rank_of(chunk_holds(h.chunk, q, prefixes) for h in hits),
    )


def run(
    engine: Saige, questions: Sequence[IdentifierQuestion]
) -> tuple[list[IdentifierRecord], dict[str, Score]]:
    """Every question's record and the scores per split and overall."""
    records = [run_question(engine, q) for q in questions]
    scores = {s: score([r for r in records if r.split == s]) for s in ("dev", "test")}
    scores["all"] = score(records)
    return records, scores


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.identifiers", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--json", action="store_true", help="JSON Lines per question, then the scores")
    parser.add_argument("--misses", action="store_true", help="Print the dev items missed at top-1")
    args = parser.parse_args(argv)
    from retrieval.service import Saige
    from saige.settings import get_settings

    try:
        questions = load_identifier_questions(args.questions)
        engine = Saige.from_settings(get_settings())
    except SaigeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    records, scores = run(engine, questions)
    if args.json:
        for r in records:
            print(r.model_dump_json())
        print(json.dumps({k: v.model_dump() for k, v in scores.items()}))
        return 0
    print(f"{'split':<6}{'n':>4}{'lookup@1':>10}{'lookup@3':>10}{'search@1':>10}{'search@3':>10}")
    for name, s in scores.items():
        print(
            f"{name:<6}{s.n:>4}{s.lookup_top1:>10.3f}{s.lookup_top3:>10.3f}{s.search_top1:>10.3f}{s.search_top3:>10.3f}"
        )
    if args.misses:
        for r in records:
            if r.split == "dev" and (r.lookup_rank != 1 or r.search_rank != 1):
                print(f"{r.id} {r.question!r} gold={r.gold} lookup={r.lookup_top} search={r.search_top}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

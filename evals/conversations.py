"""Replay the follow-up conversations of `evals/conversations.jsonl` through the engine and score each turn.

A conversation is 2-4 user turns. Each turn is asked with the conversation so far as history, exactly as
`saige ask --history FILE` would: the engine's own answers are kept as structured assistant turns (text,
citations, points). A turn may instead carry a scripted `answer` (plain text with guideline names and [n]
markers, as another client would send): that turn is not asked, its text becomes the assistant turn.

Each asked follow-up turn (not the first) is scored: the right guideline at rank 1 and in the top 5 of the
hits the answer was built from (only when the answer did not abstain), and abstention. Unanswerable turns
are scored on abstaining. `--plain` replays with `{role, content}` history only (citations dropped).

    PYTHONPATH=$PWD python -m evals.conversations --data-dir DIR [--split test] [--plain] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evals.metrics import gold_matches, normalized_set
from evals.records import load_jsonl
from evals.split import Split, split_of
from saige.types import STAGES, Answer, Turn

if TYPE_CHECKING:
    from retrieval.service import Saige

DEFAULT_CONVERSATIONS = Path(__file__).with_name("conversations.jsonl")
Kind = Literal[
    "expand",
    "nth",
    "stage",
    "locate",
    "analogous-stage",
    "analogous-audience",
    "other-document",
    "document-family",
    "identifier",
    "after-failure",
]


class ConversationTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    docs: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list, description="Gold headings as printed; any counts")
    stage: str | None = None
    answerable: bool = True
    answer: str | None = Field(default=None, description="A scripted plain-text assistant reply (not asked)")

    @model_validator(mode="after")
    def _consistent(self) -> ConversationTurn:
        if self.stage is not None and self.stage not in STAGES:
            raise ValueError(f"stage: must be one of {', '.join(STAGES)} or null")
        if not self.answerable and (self.docs or self.sections):
            raise ValueError("docs/sections: an unanswerable turn has no gold")
        if self.sections and not self.docs:
            raise ValueError("docs: gold sections need their document ids")
        return self


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    split: Split
    kind: Kind
    turns: list[ConversationTurn] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _split_rule(self) -> Conversation:
        if self.split != split_of(self.id):
            raise ValueError(f"split: {self.id!r} belongs to {split_of(self.id)!r} (evals/split.py)")
        return self


class TurnScore(BaseModel):
    conversation: str
    split: Split
    kind: str
    turn: int
    question: str
    answerable: bool
    abstained: bool
    rank1: bool
    top5: bool
    followup: str | None = None
    resolved_query: str | None = None
    top_sections: list[str] = Field(default_factory=list)


class Summary(BaseModel):
    split: str
    followups: int
    rank1: float
    top5: float
    abstained: int
    unanswerable: int
    abstained_when_unanswerable: int


def load_conversations(path: Path = DEFAULT_CONVERSATIONS) -> list[Conversation]:
    """Read and validate a conversations JSONL file; a bad line raises a one-line SaigeError naming it."""
    return load_jsonl(path, Conversation, "conversations")


def _plain(turn: Turn) -> Turn:
    return Turn(role=turn.role, content=turn.content)


def replay(engine: Saige, conv: Conversation, *, plain: bool = False) -> tuple[list[TurnScore], list[Answer]]:
    """Ask each turn with the conversation so far; score the follow-up turns."""
    history: list[Turn] = []
    scores: list[TurnScore] = []
    answers: list[Answer] = []
    for i, t in enumerate(conv.turns):
        if t.answer is not None:
            history += [Turn(role="user", content=t.question), Turn(role="assistant", content=t.answer)]
            continue
        answer = engine.ask(t.question, history=history)
        answers.append(answer)
        reply = answer.as_turn()
        history += [Turn(role="user", content=t.question), _plain(reply) if plain else reply]
        if i == 0:
            continue
        gold = normalized_set(t.sections)
        matches = [
            bool(gold_matches(h.chunk.doc_id, h.chunk.section_path, t.docs, gold)) for h in answer.hits
        ]
        ok = not answer.abstained
        scores.append(
            TurnScore(
                conversation=conv.id,
                split=conv.split,
                kind=conv.kind,
                turn=i + 1,
                question=t.question,
                answerable=t.answerable,
                abstained=answer.abstained,
                rank1=ok and bool(matches[:1]) and matches[0],
                top5=ok and any(matches[:5]),
                followup=answer.followup,
                resolved_query=answer.resolved_query,
                top_sections=[f"{h.chunk.doc_id}: {h.chunk.section}" for h in answer.hits[:5]],
            )
        )
    return scores, answers


def summarize(scores: Iterable[TurnScore], split: str) -> Summary:
    rows = [s for s in scores if split == "all" or s.split == split]
    answerable = [s for s in rows if s.answerable]
    unanswerable = [s for s in rows if not s.answerable]
    n = len(answerable) or 1
    return Summary(
        split=split,
        followups=len(answerable),
        rank1=round(sum(s.rank1 for s in answerable) / n, 3),
        top5=round(sum(s.top5 for s in answerable) / n, 3),
        abstained=sum(s.abstained for s in answerable),
        unanswerable=len(unanswerable),
        abstained_when_unanswerable=sum(s.abstained for s in unanswerable),
    )


def run(
    engine: Saige, conversations: Sequence[Conversation], *, plain: bool = False
) -> tuple[list[TurnScore], list[Answer]]:
    scores: list[TurnScore] = []
    answers: list[Answer] = []
    for conv in conversations:
        s, a = replay(engine, conv, plain=plain)
        scores += s
        answers += a
    return scores, answers


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - a thin command around run()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--conversations", type=Path, default=DEFAULT_CONVERSATIONS)
    parser.add_argument("--split", default="all", choices=["all", "dev", "test"])
    parser.add_argument("--plain", action="store_true", help="replay with {role, content} history only")
    parser.add_argument("--json", action="store_true", help="one JSON line per scored turn, then summaries")
    args = parser.parse_args(argv)
    from retrieval.service import Saige
    from saige.settings import get_settings

    settings = get_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine = Saige.from_settings(settings)
    convs = [c for c in load_conversations(args.conversations) if args.split in ("all", c.split)]
    scores, _ = run(engine, convs, plain=args.plain)
    for s in scores:
        if args.json or not (s.rank1 if s.answerable else s.abstained):
            sys.stdout.write(json.dumps(s.model_dump(), ensure_ascii=False) + "\n")
    for split in ("dev", "test", "all"):
        sys.stdout.write(json.dumps(summarize(scores, split).model_dump()) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

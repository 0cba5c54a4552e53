"""Conversation history files for `saige ask --history FILE`: JSON in and out, so scripts and the eval can
replay a conversation.

In: a JSON list of turns `{role, content}` or `{role, content, citations}` (citations as `saige ask --json`
prints them), or an object with a "history" list (the output of a previous `--history` run). Out: the answer
record and the history with the new user and assistant turns added (the assistant turn keeps its citations
and points, so the next follow-up resolves against them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from saige.errors import SaigeError, first_validation_error
from saige.types import Answer, Turn


def parse_history(data: Any, source: str) -> list[Turn]:
    """Turns from parsed JSON; a bad turn raises a one-line SaigeError naming `source`, the turn and field."""
    if isinstance(data, dict) and "history" in data:
        data = data["history"]
    if not isinstance(data, list):
        raise SaigeError(f"{source}: expected a JSON list of turns (or an object with a 'history' list)")
    turns: list[Turn] = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise SaigeError(f"{source}: turn {i}: expected an object with role and content")
        item = dict(item)
        item["citations"] = [
            {"chunk_id": "", **c} if isinstance(c, dict) else c for c in item.get("citations") or []
        ]
        try:
            turns.append(Turn.model_validate(item))
        except ValidationError as exc:
            field, msg, _ = first_validation_error(exc)
            raise SaigeError(f"{source}: turn {i}: field {field or '(turn)'!r}: {msg}") from None
    return turns


def load_history(path: Path) -> list[Turn]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SaigeError(f"{path}: history file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SaigeError(f"{path}: cannot read history file ({type(exc).__name__})") from None
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise SaigeError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    return parse_history(data, str(path))


def turn_record(turn: Turn) -> dict[str, Any]:
    record: dict[str, Any] = {"role": turn.role, "content": turn.content}
    if turn.role == "assistant":
        record["citations"] = [c.as_record() for c in turn.citations]
        record["points"] = [p.model_dump() for p in turn.points]
        record["abstained"] = turn.abstained
    return record


def conversation_record(history: Sequence[Turn], question: str, answer: Answer) -> dict[str, Any]:
    """The JSON a `--history` run prints: the answer, and the history with this exchange appended."""
    turns = [*history, Turn(role="user", content=question), answer.as_turn()]
    return {"answer": answer.as_record(), "history": [turn_record(t) for t in turns]}

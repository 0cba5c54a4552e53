"""The chat's conversation: its turns, the history passed to follow-ups, and the Markdown export. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from saige.types import Answer, Turn
from saige.ui.text import citation_label


class ChatEntry(BaseModel):
    """One question and what came back: an Answer, or a one-line error."""

    model_config = ConfigDict(extra="forbid")

    question: str
    answer: Answer | None = None
    error: str | None = None
    stage: str | None = None
    docs: list[str] = []


def history(entries: Sequence[ChatEntry]) -> list[Turn]:
    """The whole conversation so far as Turns, for follow-up questions. Each assistant turn keeps its
    structured answer (citations, points, abstained), so "the first point" or "which stage is that in?"
    resolves against what was shown; a question that failed (an error) is left out."""
    turns: list[Turn] = []
    for e in entries:
        if e.answer is None:
            continue
        turns.append(Turn(role="user", content=e.question))
        turns.append(e.answer.as_turn())
    return turns


def conversation_markdown(entries: Sequence[ChatEntry], *, now: datetime | None = None) -> str:
    """The conversation as a Markdown document: each question, its answer, and its sources with links."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    intro = f"Exported {stamp}. Answers cite document, stage › guideline and page."
    lines = ["# Saige conversation", "", intro, ""]
    for i, e in enumerate(entries, 1):
        lines += [f"## {i}. {' '.join(e.question.split())}", ""]
        filters = []
        if e.stage:
            filters.append(f"stage: {e.stage}")
        if e.docs:
            filters.append("documents: " + ", ".join(e.docs))
        if filters:
            lines += [f"_Filters: {'; '.join(filters)}_", ""]
        if e.answer is None:
            lines += [f"_Not answered: {e.error or 'no answer'}_", ""]
            continue
        a = e.answer
        if a.resolved_query and a.resolved_query != e.question:
            lines += [f"_Searched as: {a.resolved_query}_", ""]
        lines += [a.answer.strip(), ""]
        if a.citations:
            lines += ["**Sources**", ""]
            for c in a.citations:
                lines.append(f"{c.n}. {citation_label(c)} - <{c.url}>")
                quote = " ".join(c.quote.split())
                if quote:
                    lines.append(f"   > {quote}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"

"""The answers the Saige facade gives once the hits are found: extractive (composed from the hits), an
abstention or a refusal, or an LLM's answer streamed and checked; and the query log."""

from __future__ import annotations

import json
import threading
from collections.abc import Generator, Mapping
from datetime import UTC, datetime

from retrieval.answer import abstain_answer
from retrieval.bm25 import BM25Index
from retrieval.composer import compose_answer
from retrieval.control_followup import ControlFinding, control_answer
from retrieval.search import SearchResult
from saige.settings import Settings
from saige.types import Answer, Document, FollowupPlan

DECLINED = "the input only gives instructions to the assistant"
# Said when the input asks nothing of the corpus (see retrieval/guard.py); distinct from NOT_COVERED.
INSTRUCTIONS_DECLINED = (
    "This asks me to change how I work, not about the guidance. Saige answers questions about the guidance "
    "in its corpus, quoting and citing the documents; it does not take on roles, reveal its instructions or "
    'write other content. Ask about the guidance, for example: "How can an attacker bypass guardrails?"'
)


class Responder:
    """Builds the Answer for a question from its search result."""

    def __init__(self, settings: Settings, documents: Mapping[str, Document], bm25: BM25Index) -> None:
        self.settings = settings
        self.documents = documents
        self.bm25 = bm25

    def extractive(
        self, question: str, resolved: str, result: SearchResult, plan: FollowupPlan | None = None
    ) -> Answer:
        composed = compose_answer(question, resolved, result.hits, self.documents, self.bm25.idf, plan)
        return Answer(
            question=question,
            answer=composed.text,
            abstained=not composed.citations,
            citations=composed.citations,
            points=composed.points,
            hits=result.hits,
            mode="extractive",
            resolved_query=_rewritten(question, resolved),
            followup=plan.kind if plan is not None and plan.kind != "new" else None,
        )

    def controls(self, question: str, resolved: str, result: SearchResult, finding: ControlFinding) -> Answer:
        """The identifier and linked controls of the section a follow-up asks about (extractive)."""
        composed = control_answer(finding, self.documents)
        return Answer(
            question=question,
            answer=composed.text,
            citations=composed.citations,
            points=composed.points,
            hits=result.hits,
            mode="extractive",
            resolved_query=_rewritten(question, resolved),
            followup="control",
        )

    def abstain(self, question: str, resolved: str, result: SearchResult, provider: str, why: str) -> Answer:
        text = INSTRUCTIONS_DECLINED if why == DECLINED else abstain_answer(result.hits, self.documents)
        return Answer(
            question=question,
            answer=text,
            abstained=True,
            citations=[],
            hits=result.hits,
            mode="llm" if provider != "none" else "extractive",
            resolved_query=_rewritten(question, resolved),
            declined=why == DECLINED,
        )

    def llm_stream(
        self, question: str, resolved: str, result: SearchResult, provider: str
    ) -> Generator[str, None, Answer]:
        """The LLM's text deltas as shown (stopped at a leak of the system prompt), returning the checked
        Answer; ungrounded output falls back to the extractive answer."""
        from retrieval.citations import plain
        from retrieval.llm import LLMAnswerer, check_output, leaks_system_prompt

        answerer = LLMAnswerer(self.settings, provider)
        generated = ""
        stopped = False
        for delta in answerer.stream(resolved, result.hits, self.documents):
            generated += delta
            if stopped:
                continue
            if leaks_system_prompt(generated):
                stopped = True  # stop showing text; the final Answer replaces it with a refusal
                continue
            yield plain(delta)
        checked = check_output(generated, result.hits, self.documents)
        answer = Answer(
            question=question,
            answer=checked.answer,
            abstained=checked.abstained,
            citations=checked.citations,
            hits=result.hits,
            mode="llm",
            resolved_query=_rewritten(question, resolved),
            warnings=checked.warnings,
        )
        if not checked.citations and not checked.abstained:
            # Ungrounded output is not shown as an answer: fall back to the extractive answer.
            fallback = self.extractive(question, resolved, result)
            answer = fallback.model_copy(
                update={
                    "warnings": [*checked.warnings, "the LLM answer was replaced by the extractive answer"],
                }
            )
        return answer


class QueryLog:
    """One JSON line per answer in `<data dir>/queries.jsonl` when SAIGE_QUERY_LOG is on (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    def write(self, answer: Answer, seconds: float) -> None:
        if not self.settings.query_log:
            return
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question": answer.question,
            "resolved_query": answer.resolved_query,
            "abstained": answer.abstained,
            "mode": answer.mode,
            "citations": [f"{c.doc_id}#{c.section}" for c in answer.citations],
            "seconds": round(seconds, 4),
        }
        path = self.settings.data_dir / "queries.jsonl"
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _rewritten(question: str, resolved: str) -> str | None:
    """The query a follow-up was resolved to, when it differs from the question as asked."""
    return resolved if resolved != question else None

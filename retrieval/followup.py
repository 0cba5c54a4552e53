"""Follow-up questions ("what about at deployment?", "who is responsible for that?") made standalone.

Without an LLM a deterministic rule does it: a question is a follow-up when there is an earlier user turn
and the question opens with a continuation cue ("what about", "how about", "and", "also", ...), or is short
and leans on the previous turn (an anaphor such as "that/it/this/they", or only a lifecycle stage). The
previous user question (itself resolved first, so chains of follow-ups work) supplies the topic: its content
words replace the anaphor ("who is responsible for <topic>?") or are put in front of what the follow-up
adds ("<topic> at deployment?"). With an LLM configured, the service asks the LLM to rewrite instead and
falls back to this rule if that fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from retrieval.tokenize import QUERY_FILLER, STOP_WORDS, content_terms, words, wordset
from saige.types import Turn

# Continuation cues at the start of a question, longest first.
_CUES = (
    "and what about",
    "but what about",
    "and how about",
    "what about",
    "how about",
    "what of",
    "what if",
    "same for",
    "same question for",
    "also",
    "and",
    "but",
    "then",
)
_CUE_RE = re.compile(r"^\s*(?:" + "|".join(re.escape(c) for c in _CUES) + r")\b[\s,]*", re.IGNORECASE)
_ANAPHORA = ("that", "it", "this", "they", "them", "those", "these", "there", "such", "its", "their")
# Pronouns always refer back; "that/this/there/such" only when they stand alone ("responsible for that?"),
# not as a conjunction or determiner ("ensure that models...", "this attack").
_ANAPHOR_RE = re.compile(
    r"\b(?:it|they|them|those|these|its|their)\b"
    r"|\b(?:that|this|there|such)\b(?=\s*(?:$|[?.,!;:]|(?:in|at|for|on|during|with|to|too|also|as well|"
    r"again|apply|applies|mean|means)\b))",
    re.IGNORECASE,
)
# Words that only name a lifecycle stage or a phase: a question made of these and stop words has no topic.
_STAGE_WORDS = wordset(
    """
    design designing development developing develop deployment deploying deploy deployed operation operations
    operating operate maintenance maintaining stage stages phase phases lifecycle secure time step steps
    """
)
_QUESTION_WORDS = wordset("what which who whom whose when where why how")
MAX_FOLLOWUP_TERMS = 5

Rewriter = Callable[[str, Sequence[Turn]], str]


def _content_words(text: str) -> list[str]:
    """The words of a question that carry its topic, in order, as typed (no stemming)."""
    return [
        w
        for w in words(text)
        if w not in STOP_WORDS and w not in QUERY_FILLER and w not in _QUESTION_WORDS and w not in _ANAPHORA
    ]


def previous_user_index(history: Sequence[Turn]) -> int | None:
    for i in range(len(history) - 1, -1, -1):
        if history[i].role == "user" and history[i].content.strip():
            return i
    return None


def is_followup(question: str, history: Sequence[Turn]) -> bool:
    """Whether `question` leans on an earlier user turn (see the module docstring for the rule)."""
    if previous_user_index(history) is None:
        return False
    if _CUE_RE.match(question):
        return True
    terms = content_terms(question)
    if len(terms) > MAX_FOLLOWUP_TERMS:
        return False
    if _ANAPHOR_RE.search(question):
        return True
    topic = [w for w in _content_words(question) if w not in _STAGE_WORDS]
    return not topic


def topic_of(question: str, *, drop_stage: bool = False) -> str:
    """The topic phrase of a question: its content words in order ("securing supply chain")."""
    out = _content_words(question)
    if drop_stage:
        out = [w for w in out if w not in _STAGE_WORDS]
    return " ".join(out)


def resolve_rule(question: str, history: Sequence[Turn]) -> str:
    """The deterministic rewrite: `question` itself when it is not a follow-up."""
    idx = previous_user_index(history)
    if idx is None or not is_followup(question, history):
        return question
    previous = resolve_rule(history[idx].content, history[:idx])
    rest = _CUE_RE.sub("", question, count=1).strip()
    has_stage = any(w in _STAGE_WORDS for w in _content_words(rest))
    topic = topic_of(previous, drop_stage=has_stage)
    if not topic:
        return question
    match = _ANAPHOR_RE.search(rest)
    resolved = rest[: match.start()] + topic + rest[match.end() :] if match else f"{topic} {rest}"
    return " ".join(resolved.split())


def resolve(question: str, history: Sequence[Turn], rewriter: Rewriter | None = None) -> str:
    """A standalone query for `question`: the rewriter's (an LLM) if given and it works, else the rule."""
    if previous_user_index(history) is None:
        return question
    if rewriter is not None:
        try:
            rewritten = " ".join(rewriter(question, history).split())
        except Exception:  # the LLM is an optional helper here: fall back to the rule
            rewritten = ""
        if rewritten and len(rewritten) <= 4 * max(len(question), 200):
            return rewritten
    return resolve_rule(question, history)

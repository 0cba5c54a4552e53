"""What kind of sentence or question a text is, for the extractive answerer: whether a question asks what to do
or what something is, whether a sentence states an action or a definition, and why a sentence cannot be
quoted as a key point (a question, a heading or table label, a lead-in without its items, two sentences glued,
a table's references cell).
Pure functions of text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from saige.types import normalize_heading

Intent = Literal["action", "definition", "other"]

# "How ...", "what should/can we do", "how do we defend/protect/mitigate": the question wants actions.
_ACTION_QUESTION = re.compile(
    r"^\s*how\b|\b(?:should|must|can|could|do)\s+(?:we|i|you|organi[sz]ations?|developers?|providers?)\b"
    r"|\b(?:steps?|measures?|controls?|ways?|practices?|mitigations?)\b"
    r"|\b(?:defend|protect|mitigate|prevent|secure|reduce|stop|detect|handle|manage)\b",
    re.IGNORECASE,
)
_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what(?:'s|\s+is|\s+are)\b(?!.*\b(?:should|best|recommended|needed|required)\b)|define\b"
    r"|(?:what\s+does\s+.+\s+mean)|meaning\s+of\b)",
    re.IGNORECASE,
)
# A sentence that states an action, a control or a mitigation: a modal, what "you" do (the Guidelines'
# own form), an imperative opening verb, or a mitigation named as such.
_ACTION_SENTENCE = re.compile(
    r"\b(?:should|must|needs? to|ought to|recommend\w*)\b"
    r"|\byou\s+(?!may\b|might\b|could\b)[a-z]+"
    r"|^\s*(?:implement|use|apply|adopt|consider|establish|restrict|limit|validate|monitor|protect|ensure|log"
    r"|review|test|verify|encrypt|authenticate|assess|document|track|train|conduct|perform|maintain|enforce"
    r"|require|provide|avoid|do not|sanitise|sanitize|filter|detect|isolate|separate|update|patch|audit|harden"
    r"|minimi[sz]e|reduce|prevent)\b"
    r"|\b(?:mitigat\w*|countermeasures?|safeguards?|defen[cs]es?|controls? (?:on|to|for))\b",
    re.IGNORECASE,
)
_DEFINITION_SENTENCE = re.compile(
    r"\b(?:is|are)\s+(?:a|an|the|any|defined|when|where|used to|typically)\b|\brefers?\s+to\b|\bmeans?\b"
    r"|\boccurs?\s+when\b|\bis\s+called\b|\bknown\s+as\b",
    re.IGNORECASE,
)
# A table's references column, labelled in its row chunk ("Reference/Resource: ...", "Informative References:
# ..."; ingest/table_sections.py row_text), possibly after a continued row's id: pointers, not points.
_REFERENCE_LABEL = re.compile(r"(?:\S+ \(continued\): )?(?:Informative )?References?(?:/Resources?)?:", re.I)
_DANGLING_END = re.compile(
    r"(?::|\bsuch as|\binclud(?:e|es|ing)|\bthe following|\bas follows|\bfor example)\s*$", re.I
)
# A lower-case word, then a capitalised sentence opener: two sentences run together (a lost line break).
_GLUED = re.compile(
    r"\b[a-z]{3,}\s+(?:To|The|This|These|You|We|It|In|For|If|When|Our|They|Such|However|Where|Each)\s+[a-z]{2,}"
)


def question_intent(question: str) -> Intent:
    """Whether a question asks what to do ("how", "what should we do") or what something is ("what is")."""
    if _DEFINITION_QUESTION.search(question):
        return "definition"
    if _ACTION_QUESTION.search(question):
        return "action"
    return "other"


def is_action_sentence(text: str) -> bool:
    return bool(_ACTION_SENTENCE.search(text))


def is_definition_sentence(text: str) -> bool:
    return bool(_DEFINITION_SENTENCE.search(text))


def _title_case_share(text: str) -> float:
    long_words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text) if len(w) > 3]
    if not long_words:
        return 0.0
    return sum(1 for w in long_words if w[0].isupper()) / len(long_words)


def not_a_point(sentence: str, headings: Sequence[str] = ()) -> str | None:
    """Why a sentence cannot be quoted as a key point (a question, a heading or table label, a lead-in
    left without its items, two sentences glued together), or None when it can."""
    flat = " ".join(sentence.split())
    if flat.endswith("?"):
        return "question"
    if _REFERENCE_LABEL.match(flat):
        return "reference"
    if _DANGLING_END.search(flat):
        return "lead-in"
    norm = normalize_heading(flat)
    if any(norm == normalize_heading(h) for h in headings if h.strip()):
        return "heading"
    if not re.search(r"[.!;)\]\"\u201d]$", flat) and (
        _title_case_share(flat) >= 0.6 or len(flat.split()) <= 6
    ):
        return "label"
    if ";" in flat and all(_title_case_share(part) >= 0.6 for part in flat.split(";") if part.strip()):
        return "label"
    if _GLUED.search(flat):
        return "glued"
    return None

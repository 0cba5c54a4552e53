"""Questions are data: instructions aimed at the assistant are taken out before searching and answering.

`screen_question` removes the sentences of a question that address Saige rather than ask about the corpus
(ignore your instructions, reveal your prompt or secrets, role-play, disable citations, write an exploit)
and any HTML or markup payload, and returns what is left to search for. A question that is nothing but
such instructions is declined (the service abstains) instead of being searched or sent to an LLM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from retrieval.tokenize import content_terms

_TAG = re.compile(r"<!--.*?-->|<\s*/?\s*[A-Za-z][^<>]{0,200}>", re.DOTALL)
_SENTENCE = re.compile(r"[^.!?:\n]+(?:[.!?:]+|$)")

_HOSTILE = re.compile(
    r"|".join(
        [
            # override the rules
            r"\b(?:ignore|disregard|forget|override|bypass)\b[^.?!]{0,40}\b(?:instructions?|rules?|prompts?|"
            r"documents?|sources?|context|corpus|guidelines|guardrails?|policy|policies)\b",
            r"\bnew (?:instructions?|rules?|task)\b",
            r"\b(?:system|admin(?:istrator)?|developer) (?:override|message|mode|note)\b",
            r"\btrusted (?:admin|system|developer)\b",
            # reveal the prompt, configuration or secrets
            r"\b(?:reveal|print|show|repeat|output|display|leak|dump|echo|share|tell me|give me|list|"
            r"translate)\b[^.?!]{0,40}\b(?:system prompt|(?:your|hidden|initial|original) "
            r"(?:instructions?|prompt|rules)|api keys?|environment variables?|secrets?|passwords?|"
            r"credentials?|tokens? you|your configuration)",
            # role-play and persona changes
            r"\byou are now\b|\bact as\b|\bpretend\b|\brole-?play as\b|\bfrom now on\b|"
            r"\bdeveloper mode\b|\bin the voice of\b|\bstay in character\b|"
            r"\b(?:answer|talk|respond|reply) (?:as|like) a\b|"
            r"\bforget (?:you|that you|who you)\b",
            # answer-format tampering
            r"\b(?:disable|skip|omit|drop|without|no)\b[^.?!]{0,20}\b(?:citations?|sources?|references?)\b",
            r"\b(?:reply|respond|answer|say)\b[^.?!]{0,15}\b(?:only|exactly)\b",
            r"\bcite it as\b|\binvent (?:a|an|some)\b",
            # requests for attack tooling
            r"\b(?:write|create|generate|build|give me)\b[^.?!]{0,40}\b(?:payload|exploit|malware|ransomware|"
            r"keylogger|phishing (?:email|page)|backdoor)\b",
        ]
    ),
    re.IGNORECASE,
)


@dataclass
class Screened:
    query: str
    removed: list[str] = field(default_factory=list)
    markup_removed: bool = False

    @property
    def declined(self) -> bool:
        """Instructions were removed and nothing is left to ask about.

        A plain question with few content words ("And how do we document it?") is not declined: it may be a
        follow-up, resolved against the conversation, and weak evidence still makes Saige abstain.
        """
        return self.changed and not content_terms(self.query)

    @property
    def changed(self) -> bool:
        return bool(self.removed) or self.markup_removed


def screen_question(question: str) -> Screened:
    text = _TAG.sub(" ", question)
    markup_removed = text != question
    kept: list[str] = []
    removed: list[str] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0).strip()
        if not sentence:
            continue
        if _HOSTILE.search(sentence):
            removed.append(sentence)
        else:
            kept.append(sentence)
    query = " ".join(" ".join(kept).split())
    # "Real question: what is ...?" - drop the lead-in label left behind by an injection.
    query = re.sub(r"^(?:real|actual|my)\s+question\s*:\s*", "", query, flags=re.IGNORECASE)
    query = re.sub(r"^(?:actually|anyway|ok(?:ay)?|so)\s*,?\s+", "", query, flags=re.IGNORECASE)
    return Screened(query=query, removed=removed, markup_removed=markup_removed)

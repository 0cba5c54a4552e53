"""The documents a question names: "NIST", "RMF", "code of practice", "Singapore", "the NCSC ML principles"...

Every phrase is a name the document gives itself (its manifest title, short title or publisher), so no alias
exists because some question happened to use it (tests/unit/test_search.py checks this).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from retrieval.tokenize import tokenize
from saige.types import Document

# Phrases that name a corpus document in a question (matched on word boundaries, lowercase). A phrase may
# name several documents ("nist"); when a more specific phrase also matched ("rmf"), the specific one wins.
# Every phrase is a name the document gives itself: it occurs in its manifest title, short title or publisher
# (tests/unit/test_search.py checks this), so no alias exists because some question happened to use it.
DOC_ALIASES: dict[str, tuple[str, ...]] = {
    "ncsc-cisa-secure-ai-guidelines-2023": (
        "guidelines for secure ai",
        "secure ai system development",
        "ncsc/cisa",
        "cisa",
    ),
    "nist-ai-100-1-ai-rmf-1-0": (
        "nist",
        "ai rmf",
        "rmf",
        "risk management framework",
        "ai 100-1",
        "100-1",
    ),
    "nist-ai-600-1-genai-profile-2024": (
        "nist",
        "genai profile",
        "generative artificial intelligence profile",
        "ai 600-1",
        "600-1",
    ),
    "nist-ai-100-2e2023-aml-taxonomy": (
        "nist",
        "taxonomy",
        "100-2",
    ),
    "nist-sp-800-218a-genai-ssdf-profile-2024": (
        "nist",
        "ssdf",
        "800-218a",
        "sp 800-218a",
    ),
    "ncsc-machine-learning-principles-2024": (
        "machine learning principles",
        "principles for the security of machine learning",
        "ncsc principles",
    ),
    "dsit-ai-cyber-security-cop-implementation-guide-2025": (
        "code of practice",
        "implementation guide",
        "dsit",
    ),
    "asd-engaging-with-ai-2024": (
        "asd",
        "acsc",
        "engaging with ai",
        "australian signals directorate",
        "australian",
    ),
    "csa-sg-guidelines-securing-ai-systems-2024": (
        "singapore",
        "csa",
        "cyber security agency",
        "securing ai systems",
    ),
}


# "ML" is how the documents themselves abbreviate machine learning ("NIST Adversarial ML taxonomy"): a question
# that says "the NCSC ML principles" names the machine learning principles.
_ABBREVIATION = re.compile(r"(?<![a-z0-9])ml(?![a-z0-9])")
_ABBREVIATION_ANY_CASE = re.compile(_ABBREVIATION.pattern, re.I)


def _alias_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


def _aliases_for(document: Document) -> tuple[str, ...]:
    """Known aliases of corpus documents; for other documents, the short title and its bracketed code."""
    if document.id in DOC_ALIASES:
        return DOC_ALIASES[document.id]
    names = [document.short_title.lower()]
    names += [m.strip().lower() for m in re.findall(r"\(([^)]+)\)", document.short_title)]
    return tuple(n for n in names if len(n) >= 3)


class DocumentNamer:
    """Finds the documents a question names."""

    def __init__(self, documents: Iterable[Document]) -> None:
        by_phrase: dict[str, set[str]] = {}
        for d in documents:
            for phrase in _aliases_for(d):
                by_phrase.setdefault(phrase, set()).add(d.id)
        self._phrases = [(_alias_pattern(p), frozenset(ids)) for p, ids in by_phrase.items()]
        # The same phrases in any case, longest first, to take out of a question as typed (`unnamed`).
        self._any_case = [
            re.compile(p.pattern, re.I) for p, _ in sorted(self._phrases, key=lambda x: -len(x[0].pattern))
        ]
        # Terms that only name a document (not a topic): "nist", "singapor", "rmf", "asd"...
        self.name_terms: frozenset[str] = frozenset(
            t for p in by_phrase for t in tokenize(p) if t not in {"ai", "secur", "guidelin", "system"}
        ).union(t for d in documents for t in tokenize(d.short_title) if t.isalpha() and len(t) <= 5)

    def named(self, question: str) -> frozenset[str]:
        text = _normal(question)
        matched = [ids for pattern, ids in self._phrases if pattern.search(text)]
        specific = [ids for ids in matched if not any(other < ids for other in matched)]
        return frozenset().union(*specific) if specific else frozenset()

    def unnamed(self, question: str) -> str:
        """The question without the phrases that name documents ("What does NIST say about red teaming?" ->
        "What does  say about red teaming?"), its other words as typed (identifiers are read by their case):
        the words left to search the passages for. A document's name matches its own front matter and
        boilerplate ("NIST promotes U.S. innovation..."), and the documents named are preferred anyway
        (`named_doc_boost`)."""
        text = _ABBREVIATION_ANY_CASE.sub(
            "machine learning", " ".join(question.replace("\u2019", "'").split())
        )
        for pattern in self._any_case:
            text = pattern.sub(" ", text)
        return text


def _normal(question: str) -> str:
    """Lowercase, one space between words, "ML" spelled out as the documents' names spell it."""
    return _ABBREVIATION.sub("machine learning", " ".join(question.lower().replace("\u2019", "'").split()))

"""What a follow-up points at besides the last answer's own sections: an audience ("for system owners")
judged by the headings that name it, another document ("and in the code of practice?"), and the guidelines of a
part the last answer was about ("the second one" after "What are the secure deployment guidelines?")."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

from retrieval.tokenize import STOP_WORDS, tokenize, wordset
from saige.types import Hit, SectionRef, normalize_heading

# Where a relative clause starts: the audience named before it ("organisations that only use AI tools").
RELATIVE_RE = re.compile(r"\s+(?:that|who|which|whose|where)\b.*$", re.I | re.S)
# Words for a document rather than a topic ("what does the Singapore guidance say?").
_DOC_NOUNS = wordset(
    "guidance guidelines guideline document documents framework frameworks publication paper report version "
    "code practice profile principles say says said cover covers mention mentions"
)
# Words that compare the guidance just given with another document's ("How does that differ from the ML
# principles?", "Compare that with NIST."): they ask for the same guidance there, and add no topic.
_COMPARE_WORDS = wordset(
    "differ differs difference differences different compare compares compared comparison contrast versus vs "
    "same similar similarly"
)


# Nouns for people and organisations a guideline can be written for: the head noun of "what about users?",
# "and the data scientists?", "and system owners?" (singular, as `nouns` gives them). A phrase whose head is
# not one of them ("what about data poisoning?") is a topic, not an audience.
ROLE_NOUNS = wordset(
    """
    user operator owner developer engineer scientist researcher analyst architect designer administrator admin
    leader leadership executive manager management director board officer ciso cto staff employee worker
    workforce team practitioner professional specialist expert provider supplier vendor procurer buyer
    purchaser customer consumer client deployer adopter integrator implementer maintainer custodian
    contributor organisation organization business company companie enterprise startup sme government agency
    regulator auditor assessor evaluator tester teamer defender stakeholder partner contractor citizen public
    people individual person human community actor entity entitie partie decision-maker
    """
)


def nouns(text: str) -> list[str]:
    """The words of `text` as nouns are compared for an audience: lowercase, hyphenated words split, a plural
    `s` dropped ("End-users" -> "end", "user"). Not stemmed: "operators" must not match "operation"."""
    out = [
        w for w in re.split(r"[^a-z0-9]+", text.lower().replace("\u2019", "'")) if w and w not in STOP_WORDS
    ]
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in out]


def audience_head(audience: str) -> str | None:
    """The head noun of an audience phrase: its last word ("system owners" -> "owner")."""
    said = nouns(audience)
    return said[-1] if said else None


def names_audience(phrase: str) -> bool:
    """Whether a short phrase names people or an organisation ("users", "the data scientists", "system
    owners"): its head noun is a role noun."""
    head = audience_head(phrase)
    return head is not None and head in ROLE_NOUNS


def audience_first(
    hits: Sequence[Hit],
    audience: str,
    previous: Sequence[SectionRef] = (),
    staged: frozenset[str] = frozenset(),
) -> list[Hit]:
    """For another audience ("for system owners"): the sections whose heading names it first, judged by the
    phrase's head noun (its last word: "owners", not the generic "system"); among those, the sections the
    previous answer gave last (they were the answer for the audience asked before), those of its documents
    (the conversation's) first, then those naming more of the phrase's words. Then the sections whose text
    names the audience (in a document that sorts its guidance into stages, `staged`, its guidelines before
    its unstaged front matter: "Who should read this document?" lists audiences, it gives them no guidance),
    then the others, each in the search order."""
    said = nouns(audience)
    if not said:
        return list(hits)
    head, every = said[-1], set(said)
    home = list(dict.fromkeys(r.doc_id for r in previous))
    given = {r.key for r in previous}

    def key(h: Hit) -> tuple[bool, bool, int, int, int]:
        heading = set(nouns(h.chunk.section))
        if head not in heading:
            # Then the sections whose text names the audience ("System Operators shall log..."), before
            # those that never do (the guideline already given, written for someone else).
            front = int(h.chunk.doc_id in staged and h.chunk.stage is None)
            return (True, head not in nouns(h.chunk.text), front, 0, h.rank)
        doc = h.chunk.doc_id
        again = (doc, tuple(h.chunk.section_path)) in given
        return (False, again, home.index(doc) if doc in home else len(home), -len(every & heading), h.rank)

    return sorted(hits, key=key)


def document_switch(
    question: str,
    new_words: Sequence[str],
    sections: Sequence[SectionRef],
    names: Callable[[str], frozenset[str]] | None,
    name_terms: frozenset[str],
) -> SectionRef | None:
    """The section of the last answer that a question asks about in another document ("And in the code of
    practice?", "Where is that in the CSA guidelines?"): when the question names documents (not the one the
    section is from) and adds no topic of its own, only words that name a document."""
    if names is None or not sections:
        return None
    named = names(question)
    if not named or sections[0].doc_id in named:
        return None
    return None if own_topic(new_words, name_terms) else sections[0]


def own_topic(new_words: Sequence[str], name_terms: frozenset[str]) -> list[str]:
    """The words of a follow-up that bring a topic, not just name documents ("what does NIST say?", "how does
    that differ from NIST?")."""
    return [w for w in new_words if not set(tokenize(w)) <= _doc_noun_stems() | name_terms]


@cache
def _doc_noun_stems() -> frozenset[str]:
    """The stems of the words that only say "a document" (so "publications" is one, like "publication") or
    compare with one."""
    return frozenset(t for w in _DOC_NOUNS | _COMPARE_WORDS for t in tokenize(w))


def other_documents_dropped(resolved: str, question: str, doc_terms: frozenset[str]) -> str:
    """A follow-up that names a document ("How does it differ in the Singapore guidelines?") moves to that
    document: the names of other documents carried over from the earlier question leave the query."""
    own = set(tokenize(question))
    if not own & doc_terms:
        return resolved
    kept = [w for w in resolved.split() if not (set(tokenize(w)) & doc_terms) or set(tokenize(w)) <= own]
    return " ".join(kept)


def document_words_dropped(text: str, terms: frozenset[str]) -> str:
    """`text` without the words naming documents (`terms`, stemmed): once the search is kept to the
    documents a follow-up names, their names ("NIST") would only match their front matter."""
    return " ".join(w for w in text.split() if not set(tokenize(w)) & terms)


def parts_of(ref: SectionRef, catalogue: Sequence[SectionRef]) -> list[SectionRef]:
    """The sections directly under `ref` in its document, in order: what "the second one" counts when an
    answer was about a part that holds guidelines ("What are the secure deployment guidelines?")."""
    same = [r for r in catalogue if r.doc_id == ref.doc_id]
    # A summary repeats a part's heading ("Executive summary > 3. Secure deployment"); plain text names only
    # the heading, so the part of that name that holds sections counts.
    name = normalize_heading(ref.section)
    for part in [ref, *(r for r in same if r.key != ref.key and normalize_heading(r.section) == name)]:
        parts = [r for r in same if r.section_path[:-1] == part.section_path and r.key != part.key]
        if parts:
            return parts
    return []

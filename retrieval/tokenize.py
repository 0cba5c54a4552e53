"""The tokenizer shared by BM25, heading matching, follow-ups and sentence scoring.

Lowercase, split on anything that is not a letter or digit (so punctuation is stripped and "AI-based" gives
"ai", "base"), drop English stop words, then stem with the Snowball English stemmer (Porter2, from the
PyStemmer package). `tokenize("Securing the supply chains")` is `["secur", "suppli", "chain"]`.

Identifiers stay whole (see retrieval/identifiers.py): "GV-1.2-001", "GV 1.2 001" and "gv-1.2-001" all give
the one token "gv.1.2.1" (after the word "gv"), "PW.1.2" gives "pw", "pw.1.2", and "provision 5.3" gives
"provis", "5.3": a multi-part number is one token, not "5" and "3".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from retrieval.identifiers import id_tokens

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def wordset(text: str) -> frozenset[str]:
    """A frozen set of the whitespace-separated words of `text`."""
    return frozenset(text.split())


STOP_WORDS: frozenset[str] = wordset(
    """
    a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each either else etc few for from further get gets got had hadn't has hasn't have haven't having he
    her here hers herself him himself his how however i if in into is isn't it it's its itself just let's
    may me might more most must mustn't my myself need no nor not of off on once only or other ought our ours
    ourselves out over own per same shall shan't she should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they this those through thus to too under until up upon
    us very via was wasn't we were weren't what what's when where which while who who's whom whose why will
    with within without won't would wouldn't yet you your yours yourself yourselves
    """
)

# Question words and fillers that carry no topic. Dropped from "content terms" (overlap, abstention), kept
# out of BM25 queries too because the corpus is full of them ("should", "ensure", "use").
QUERY_FILLER: frozenset[str] = wordset(
    """
    tell explain describe say says said know want like please give show list mean means meaning
    recommend recommends recommended recommendation recommendations advise advice suggest suggests
    guidance guideline guidelines document documents corpus saige talk talks mention mentions discuss
    discusses cover covers
    ok okay thanks thank hi hello hey sure great cool fyi btw pls plz asap
    """
)
# (The last line: a chat's interjections. Written in capitals, "OK" had counted as a name that the sources
# never mention, and "OK, and what about the supply chain?" abstained.)


# An acronym's plural ("LLMs", "APIs", "CVEs") is the acronym: lowercased whole, "LLMs" has no stem in common
# with "LLM", and a question about "LLMs" had counted as one about a name the sources never mention.
_PLURAL_ACRONYM = re.compile(r"\b([A-Z]{2,})s\b")


def words(text: str) -> list[str]:
    """Lowercased words with punctuation stripped (apostrophes inside a word kept for stop-word matching)."""
    text = _PLURAL_ACRONYM.sub(r"\1", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens: lowercase, no punctuation, no stop words, stemmed; identifiers whole."""
    out: list[str] = []
    pos = 0
    for start, end, token in id_tokens(text):
        out.extend(_word_tokens(text[pos:start]))
        out.append(token)
        pos = end
    out.extend(_word_tokens(text[pos:]))
    return out


def _word_tokens(text: str) -> list[str]:
    out: list[str] = []
    for w in words(text):
        if w in STOP_WORDS:
            continue
        w = w.replace("'", "")
        if w.endswith("s") and w[:-1].isdigit():  # "1990s"
            w = w[:-1]
        out.append(stem(w))
    return out


def content_terms(text: str) -> list[str]:
    """Distinct stemmed terms of a question that carry its topic (stop words and question filler removed);
    identifiers whole, as `tokenize` gives them."""
    seen: dict[str, None] = {}
    pos = 0
    spans = [*id_tokens(text), (len(text), len(text), "")]
    for start, end, token in spans:
        for w in words(text[pos:start]):
            if w in STOP_WORDS or w in QUERY_FILLER:
                continue
            w = w.replace("'", "")
            seen.setdefault(stem(w), None)
        if token:
            seen.setdefault(token, None)
        pos = end
    return list(seen)


_TOKEN_SPAN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019]*")
_QUOTED = re.compile(r"([\"'\u2018\u201c])[^\"'\u2019\u201d]{1,80}[\"'\u2019\u201d]")


def entity_terms(text: str) -> list[str]:
    """Stemmed terms of the names a question mentions: capitalised words inside a sentence, short
    acronyms (GDPR, SOC) and codes with digits (42001, 4o). Quoted strings are left out (a question may quote
    a phrase it wants explained or a payload), and so are stop words.
    """
    scrubbed = _QUOTED.sub(lambda m: " " * len(m.group(0)), text.replace("\u2019", "'"))
    out: dict[str, None] = {}
    # An identifier is one name, as the passages' tokens hold it ("SP 800-218" -> sp.800.218), not its
    # fragments ("218" is in no passage's tokens).
    for start, end, token in id_tokens(scrubbed):
        out.setdefault(token, None)
        scrubbed = scrubbed[:start] + " " * (end - start) + scrubbed[end:]
    for m in _TOKEN_SPAN.finditer(scrubbed):
        word = m.group(0).rstrip("'")
        lower = word.lower()
        if lower in STOP_WORDS or lower in QUERY_FILLER:
            continue
        before = scrubbed[: m.start()].rstrip()
        mid_sentence = bool(before) and (before[-1].isalnum() or before[-1] in ",;-(/")
        has_digit = any(ch.isdigit() for ch in word)
        if has_digit:
            keep = len(word) >= 2 and not (word.isdigit() and int(word) < 100)
        elif word.isupper() and len(word) >= 2:
            keep = len(word) <= 5
        else:
            keep = word[0].isupper() and mid_sentence
        if keep:
            for t in tokenize(word):
                out.setdefault(t, None)
    return list(out)


# --- stemming ------------------------------------------------------------------------------------------

_local = threading.local()


def _stemmer() -> Any:
    """One PyStemmer English (Snowball/Porter2) stemmer per thread (a Stemmer object is not thread-safe)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = Stemmer.Stemmer("english")
        _local.stemmer = stemmer
    return stemmer


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem one lowercase word (Snowball English). Words of one or two letters, and words with digits,
    are returned unchanged."""
    if len(word) <= 2 or not word.isalpha():
        return word
    return str(_stemmer().stemWord(word))


def initialisms(texts: Iterable[str], longest: int = 5) -> set[str]:
    """Initials of every run of 2..`longest` consecutive words ("multi-factor authentication" -> "mfa")."""
    out: set[str] = set()
    for text in texts:
        letters = [w[0].lower() for w in re.findall(r"[A-Za-z]+", text)]
        for n in range(2, longest + 1):
            for i in range(len(letters) - n + 1):
                out.add("".join(letters[i : i + n]))
    return out

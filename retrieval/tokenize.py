"""The tokenizer shared by BM25, heading matching, follow-ups and sentence scoring.

Lowercase, split on anything that is not a letter or digit (so punctuation is stripped and "AI-based" gives
"ai", "base"), drop English stop words, then stem with the Porter (1980) algorithm, written out here so
nothing is downloaded. `tokenize("Securing the supply chains")` is `["secur", "suppli", "chain"]`.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
    """
)


def words(text: str) -> list[str]:
    """Lowercased words with punctuation stripped (apostrophes inside a word kept for stop-word matching)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens: lowercase, no punctuation, no stop words, Porter-stemmed."""
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
    """Distinct stemmed terms of a question that carry its topic (stop words and question filler removed)."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w in STOP_WORDS or w in QUERY_FILLER:
            continue
        w = w.replace("'", "")
        seen.setdefault(stem(w), None)
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


# --- Porter stemmer ------------------------------------------------------------------------------------

_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem_: str) -> int:
    """m in [C](VC)^m[V]: the number of vowel-consonant sequences."""
    m = 0
    prev_vowel = False
    for i in range(len(stem_)):
        cons = _is_consonant(stem_, i)
        if cons and prev_vowel:
            m += 1
        prev_vowel = not cons
    return m


def _has_vowel(stem_: str) -> bool:
    return any(not _is_consonant(stem_, i) for i in range(len(stem_)))


def _ends_double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    """Ends consonant-vowel-consonant, the last not w, x or y (e.g. -hop, -fil)."""
    if len(word) < 3:
        return False
    return (
        _is_consonant(word, len(word) - 3)
        and not _is_consonant(word, len(word) - 2)
        and _is_consonant(word, len(word) - 1)
        and word[-1] not in "wxy"
    )


def _replace(word: str, rules: tuple[tuple[str, str], ...], min_m: int) -> str:
    for suffix, repl in rules:
        if word.endswith(suffix):
            base = word[: len(word) - len(suffix)]
            return base + repl if _measure(base) > min_m else word
    return word


_STEP2 = (
    ("ational", "ate"),
    ("tional", "tion"),
    ("enci", "ence"),
    ("anci", "ance"),
    ("izer", "ize"),
    ("bli", "ble"),
    ("alli", "al"),
    ("entli", "ent"),
    ("eli", "e"),
    ("ousli", "ous"),
    ("ization", "ize"),
    ("ation", "ate"),
    ("ator", "ate"),
    ("alism", "al"),
    ("iveness", "ive"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("aliti", "al"),
    ("iviti", "ive"),
    ("biliti", "ble"),
    ("logi", "log"),
)
_STEP3 = (
    ("icate", "ic"),
    ("ative", ""),
    ("alize", "al"),
    ("iciti", "ic"),
    ("ical", "ic"),
    ("ful", ""),
    ("ness", ""),
)
_STEP4 = (
    "al",
    "ance",
    "ence",
    "er",
    "ic",
    "able",
    "ible",
    "ant",
    "ement",
    "ment",
    "ent",
    "ion",
    "ou",
    "ism",
    "ate",
    "iti",
    "ous",
    "ive",
    "ize",
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Porter-stem one lowercase word. Words of one or two letters, and numbers, are returned unchanged."""
    if len(word) <= 2 or not word.isalpha():
        return word
    w = word
    # Step 1a
    if w.endswith(("sses", "ies")):
        w = w[:-2]
    elif w.endswith("ss"):
        pass
    elif w.endswith("s"):
        w = w[:-1]
    # Step 1b
    step1b_extra = False
    if w.endswith("eed"):
        if _measure(w[:-3]) > 0:
            w = w[:-1]
    elif w.endswith("ed") and _has_vowel(w[:-2]):
        w = w[:-2]
        step1b_extra = True
    elif w.endswith("ing") and _has_vowel(w[:-3]):
        w = w[:-3]
        step1b_extra = True
    if step1b_extra:
        if w.endswith(("at", "bl", "iz")):
            w += "e"
        elif _ends_double_consonant(w) and w[-1] not in "lsz":
            w = w[:-1]
        elif _measure(w) == 1 and _cvc(w):
            w += "e"
    # Step 1c
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    # Steps 2 and 3
    w = _replace(w, _STEP2, 0)
    w = _replace(w, _STEP3, 0)
    # Step 4
    for suffix in _STEP4:
        if w.endswith(suffix):
            base = w[: len(w) - len(suffix)]
            if _measure(base) > 1 and (suffix != "ion" or base.endswith(("s", "t"))):
                w = base
            break
    # Step 5a
    if w.endswith("e"):
        base = w[:-1]
        m = _measure(base)
        if m > 1 or (m == 1 and not _cvc(base)):
            w = base
    # Step 5b
    if _measure(w) > 1 and _ends_double_consonant(w) and w.endswith("l"):
        w = w[:-1]
    return w

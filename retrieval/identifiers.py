"""Control identifiers in any common spelling: find them in text and reduce them to one canonical key.

The documents print their identifiers in a few schemes, and people type them in many spellings:

- NIST AI 600-1 actions `GV-1.2-001` ("gv-1.2-001", "GV 1.2 001", "GV 1.2.001");
- NIST AI RMF subcategories and categories `GOVERN 1.2` ("Govern 1.2", "GV-1.2", "MAP4.2", "map 4");
- NIST SP 800-218A practices and tasks `PW.1`, `PW.1.2` ("PW 1.2", "pw1.2");
- numbered provisions, principles, sections and items `5.3` ("provision 5.3", "principle 5").

A key is a scheme prefix (None for bare numbers) and the numbers as integers, so "001" and "1" agree and
separators do not matter. The AI RMF function names and the two-letter codes AI 600-1 prints for them
(GOVERN/GV, MAP/MP, MEASURE/MS, MANAGE/MG) are one prefix. Words that name a kind of control ("provision",
"principle", "task"...) are not part of a key: they are a hint of the kind, kept with the mention.

Pure functions, no catalogue: `retrieval.controls` matches mentions against the catalogue's own ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The AI RMF functions as printed in AI 100-1, and the codes AI 600-1 prints for them.
FUNCTION_CODES: dict[str, str] = {"govern": "GV", "map": "MP", "measure": "MS", "manage": "MG"}

# Words that name a kind of control (hint, never part of the key), mapped to Control.kind values.
KIND_WORDS: dict[str, str] = {
    "principle": "principle",
    "principles": "principle",
    "provision": "provision",
    "provisions": "provision",
    "section": "section",
    "sections": "section",
    "task": "task",
    "tasks": "task",
    "practice": "practice",
    "practices": "practice",
    "subcategory": "subcategory",
    "subcategories": "subcategory",
    "category": "category",
    "categories": "category",
    "action": "action",
    "actions": "action",
    "guideline": "guideline",
    "guidelines": "guideline",
    "item": "item",
    "items": "item",
    "checklist": "item",
    "function": "function",
}

# Words that precede a number without being a scheme prefix (stop words, units, time).
_NOT_PREFIX: frozenset[str] = wordset(
    """
    a an and are as at be by for from has in into is it of on or the to was were with than then top over under
    about after before between each every all any no not only per page pages figure fig table tables version
    v vs step steps chapter part parts appendix annex p pp see also level levels year years day days
    """
)

# Words after which a number is never a control identifier ("version 1.1", "page 5.3", "figure 2.1").
_NEVER_ID_AFTER: frozenset[str] = wordset(
    """
    version versions v page pages figure figures fig table tables step steps chapter appendix annex p pp
    level levels year years day days equation eq footnote note notes
    """
)

_MENTION = re.compile(
    r"(?<![A-Za-z0-9.])"
    r"(?:(?P<word>[A-Za-z]{2,12})(?P<sep>[ \t]*[-.:]?[ \t]*))?"
    r"(?<![0-9])(?P<num>(?>\d{1,3}(?:[ \t]*[.\-][ \t]*\d{1,3}){0,3}(?:[ \t]+\d{3}(?![.\d]))?))"
    r"(?![0-9A-Za-z]|\.\d)"
)
_NUMBERS = re.compile(r"\d+")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)[ \t]*$")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def word_before(text: str, end: int) -> str | None:
    """The ASCII word that `text[:end]` ends with, spaces or tabs after it allowed (and one final newline,
    as `$` allows): what `_WORD_BEFORE.search(text[:end])` finds, read backwards from `end` instead of
    searched from the start of the text (which made tokenizing a long text quadratic)."""
    i = end
    if i > 0 and text[i - 1] == "\n":
        i -= 1
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    j = i
    while j > 0 and text[j - 1] in _ASCII_LETTERS:
        j -= 1
    return text[j:i] if j < i else None


@dataclass(frozen=True)
class IdKey:
    """A canonical identifier: scheme prefix (upper case; None for bare numbers) and its numbers."""

    prefix: str | None
    numbers: tuple[int, ...]

    @property
    def token(self) -> str:
        """One search token for the whole identifier: "gv.1.2.1", "pw.1.2", "5.3"."""
        nums = ".".join(str(n) for n in self.numbers)
        return f"{self.prefix.lower()}.{nums}" if self.prefix else nums

    def __str__(self) -> str:
        nums = ".".join(str(n) for n in self.numbers)
        return f"{self.prefix} {nums}" if self.prefix else nums


@dataclass(frozen=True)
class Mention:
    """An identifier found in text: where, its key, and the kind of control a preceding word names."""

    text: str
    start: int
    end: int
    key: IdKey
    kind_hint: str | None = None


def canonical_prefix(word: str) -> str:
    """GOVERN/Govern/gv -> GV; other scheme prefixes upper-cased."""
    lower = word.lower()
    return FUNCTION_CODES.get(lower, lower.upper())


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in _NUMBERS.findall(text))


def parse_id(control_id: str) -> IdKey | None:
    """The key of an identifier as a catalogue prints it ("GV-1.2-001", "GOVERN 1.2", "PW.1.2", "5.3",
    "Principle 5", "GOVERN"). A function name alone is a key with no numbers. None when no identifier."""
    text = control_id.strip()
    m = _MENTION.search(text)
    if m is None:
        words = text.split()
        if len(words) == 1 and words[0].lower() in FUNCTION_CODES:
            return IdKey(canonical_prefix(words[0]), ())
        return None
    word = m.group("word")
    prefix = None
    if word and word.lower() not in KIND_WORDS and word.lower() not in _NOT_PREFIX:
        prefix = canonical_prefix(word)
    return IdKey(prefix, _numbers(m.group("num")))


def find_mentions(text: str, prefixes: frozenset[str] | None = None) -> list[Mention]:
    """Identifiers mentioned in `text`, in order.

    prefixes: the scheme prefixes that exist (canonical, e.g. {"GV", "MP", "PW"}); a word before a number
    that is not one of them is not part of the identifier (the bare number is still a mention). None: any
    word of 2-4 letters written in capitals or glued to the number ("PW.1.2", "MAP4.2"), and the AI RMF
    function names, count as prefixes.
    """
    out: list[Mention] = []
    for m in _MENTION.finditer(text):
        word = m.group("word") or ""
        sep = m.group("sep") or ""
        num = m.group("num")
        start = m.start()
        prefix: str | None = None
        kind_hint: str | None = None
        lower = word.lower()
        if lower in _NEVER_ID_AFTER:
            continue
        if word:
            if lower in KIND_WORDS:
                kind_hint = KIND_WORDS[lower]
            elif lower not in _NOT_PREFIX and _is_prefix(word, sep, prefixes):
                prefix = canonical_prefix(word)
            if prefix is None:
                start = m.start("num")
        if kind_hint is None:
            before = word_before(text, start if prefix is None else m.start())
            if before is not None and before.lower() in KIND_WORDS:
                kind_hint = KIND_WORDS[before.lower()]
        numbers = _numbers(num)
        if prefix is None and len(numbers) == 1 and kind_hint is None:
            continue  # a bare single number ("3 risks") is not an identifier
        out.append(
            Mention(
                text=text[start : m.end()],
                start=start,
                end=m.end(),
                key=IdKey(prefix, numbers),
                kind_hint=kind_hint,
            )
        )
    return out


def _is_prefix(word: str, sep: str, prefixes: frozenset[str] | None) -> bool:
    canon = canonical_prefix(word)
    if prefixes is not None:
        return canon in prefixes
    if word.lower() in FUNCTION_CODES:
        return True
    if not 2 <= len(word) <= 4:
        return False
    return word.isupper() or not any(ch.isspace() for ch in sep)


def id_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) for the identifiers in `text` that the tokenizer keeps whole: prefixed ids
    ("GV-1.2-001" -> "gv.1.2.1") and multi-part numbers ("5.3"). The span covers the numbers only, so the
    prefix word before them stays an ordinary word ("GOVERN" is still searchable). Pure: no catalogue."""
    out: list[tuple[int, int, str]] = []
    for mention in find_mentions(text):
        key = mention.key
        if key.prefix is None and len(key.numbers) < 2:
            continue
        digit = re.search(r"\d", text[mention.start : mention.end])
        start = mention.start + (digit.start() if digit else 0)
        out.append((start, mention.end, key.token))
    return out

"""A guideline's key controls: its own "you ..." statements (sentences that start with "You" or state an
obligation with "..., you <verb>"), with the page each one is printed on. Pure functions of the text."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from retrieval.review.guidelines import flatten as _flatten
from retrieval.review.guidelines import split_sentences as _split_sentences
from saige.types import Chunk, normalize_heading

_BULLET = re.compile(r"(?:^|\s)(?:>|•|▪|●|–|-|\*)\s+(?=[A-Za-z(‘'\"])")
_FOOTNOTE = re.compile(r"(?<=[a-z.)])\d{1,2}(?=[\s.,;:]|$)")
_OBLIGATION = re.compile(
    r"(?:^|[,;:]\s*|\bthen\s+)you\s+(?!may\b|might\b|could\b|can\b|will\b|would\b|should\b)[a-z]+",
    re.IGNORECASE,
)
_MIN_CONTROL_CHARS = 25


def _items(text: str) -> list[tuple[str, bool]]:
    """Sentences and bullet items of a section, in order; True marks a bullet item."""
    out: list[tuple[str, bool]] = []
    lines = text.replace("\r", "").split("\n")
    # Re-join wrapped lines into paragraphs and bullet items.
    blocks: list[tuple[str, bool]] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        parts = _BULLET.split(" " + line)
        head, bullets = parts[0].strip(), [p.strip() for p in parts[1:]]
        if head:
            if blocks and _continues(blocks[-1], head):
                prev, is_bullet = blocks[-1]
                blocks[-1] = (_join(prev, head), is_bullet)
            else:
                blocks.append((head, False))
        blocks.extend((b, True) for b in bullets if b)
    for block, is_bullet in blocks:
        if is_bullet:
            out.append((block, True))
        else:
            out.extend((s, False) for s in _split_sentences(block))
    return out


def _continues(previous: tuple[str, bool], line: str) -> bool:
    """Whether `line` wraps on from the previous block rather than starting a new paragraph."""
    text, is_bullet = previous
    if text.endswith("-") or line[:1].islower():
        return True
    if is_bullet:
        return False  # bullet items rarely end with a full stop: an upper-case line starts a paragraph
    return not _ends_sentence(text)


def _join(a: str, b: str) -> str:
    if a.endswith("-") and not a.endswith(" -"):
        return a[:-1] + b if b[:1].islower() else a + b
    return a + " " + b


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", ":", "!", "?", ";"))


def _clean(text: str) -> str:
    text = _FOOTNOTE.sub("", " ".join(text.split()))
    text = text.strip(" ;")
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".:!?":
        text += "."
    return text


def is_obligation(sentence: str) -> bool:
    """True for a "you ..." statement: starts with "You <verb>" or has "..., you <verb>"."""
    return bool(_OBLIGATION.search(" ".join(sentence.split())))


def control_statements(text: str) -> list[str]:
    """The "you ..." statements of a guideline's text, in order, without duplicates.

    A statement that introduces a list ("You protect the model ... by:") takes its bullet items along.
    A guideline written without any "you" statement gets its "Your ..." sentences instead ("Your
    decisions are informed by your threat model ...").
    """
    found = _statements(text, is_obligation)
    return found or _statements(text, _is_your_statement)


def _is_your_statement(sentence: str) -> bool:
    return bool(re.match(r"your\s+\w+", sentence.strip(), re.IGNORECASE))


def _statements(text: str, wanted: Callable[[str], bool]) -> list[str]:
    items = _items(text)
    found: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(items):
        sentence, _ = items[i]
        i += 1
        if not wanted(sentence):
            continue
        statement = sentence
        if sentence.rstrip().endswith(":"):
            subs: list[str] = []
            # the list's items complete the statement; an item that is an obligation itself stands alone
            while i < len(items) and items[i][1] and not is_obligation(items[i][0]):
                subs.append(items[i][0].rstrip(" ;."))
                i += 1
            if subs:
                statement = sentence.rstrip() + " " + "; ".join(subs)
        cleaned = _clean(statement)
        key = normalize_heading(cleaned)
        if len(cleaned) >= _MIN_CONTROL_CHARS and key not in seen:
            seen.add(key)
            found.append(cleaned)
    return found


def chunk_of(statement: str, chunks: Sequence[Chunk]) -> Chunk | None:
    """The chunk that holds the statement's opening words (chunks of one section), if any."""
    probe = normalize_heading(statement)[:60]
    for c in chunks:
        if probe and probe in normalize_heading(_flatten(c.text)):
            return c
    words = probe.split()[:6]
    short = " ".join(words)
    for c in chunks:
        if short and short in normalize_heading(_flatten(c.text)):
            return c
    return None

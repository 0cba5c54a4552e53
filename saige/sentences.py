"""The one sentence splitter (pure): chunk units, quotes, review statements and question screening use it.

A sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets, which stay with it) before
whitespace and the start of the next sentence: an upper-case letter, a digit, a bullet, a dash, or an
opening quote or bracket. So "e.g. the model" and "v1.2" do not split, and neither does a full stop before
a lower-case word, nor does a known abbreviation ("Fig. 1", "e.g. NIST", "et al. 2023"). Options:

- ``lines``: the text keeps its line structure (chunk and section text): a blank line also ends a
  sentence, so does a line break before a bullet, a numbered item or a capital, and a bullet glyph
  inside a line starts a new sentence.
- ``loose``: for a user's question, which may be all lower case: any run of ``.``, ``!``, ``?`` or ``;``
  before whitespace ends a sentence, and so does a line break, whatever follows.
- ``strip_bullets``: leading bullets and dashes are not part of a sentence.
- ``min_chars``: shorter sentences are dropped.
- ``abbreviations=False``: a full stop after an abbreviation ends a sentence too (the chunker's cut points,
  kept as they were so the chunks and their ids do not move).

Spans are exact ``(start, end)`` offsets into the text, stripped of surrounding whitespace, so a quote cut
from them is a verbatim substring.
"""

from __future__ import annotations

import re

_CLOSERS = "\"'\u201d\u2019)\\]"
_OPENERS = "\"'\u201c\u2018(\\["
_BULLETS = "\u2022\u25cf\u25aa"
_LEAD_BULLETS = " \t\n\u2022\u25cf\u25aa-*\u2013"

# Abbreviations whose full stop does not end a sentence even before a capital or a number ("Fig. 1").
_ABBREVIATIONS = ("Fig", "fig", "Figs", "No", "no", "pp", "p", "vol", "Vol", "Sec", "Eq", "et al", "vs", "cf")
_NOT_AFTER = (
    "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS) + r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bU\.S\.)"
)
# Group 1 is the gap between two sentences; the closing marks before it stay with the first sentence.
_PROSE = rf"(?<=[.!?]){{}}[{_CLOSERS}]*(\s+)(?=[{_OPENERS}A-Z0-9{_BULLETS}\-*])"
_LINE_BREAKS = (
    r"|(\n\s*\n)"
    + rf"|(\n)(?=\s*(?:[{_BULLETS}\-*\u2013]|\d+[.)]\s|[A-Z]))"
    + rf"|(?<=\S)(\s*)(?=[{_BULLETS}])"
)
# (lines, abbreviations) -> the pattern of a sentence end
_ENDS = {
    (lines, abbreviations): re.compile(
        _PROSE.format(_NOT_AFTER if abbreviations else "") + (_LINE_BREAKS if lines else "")
    )
    for lines in (False, True)
    for abbreviations in (False, True)
}
_LOOSE_END = re.compile(r"(?<=[.!?;])(\s+)|(\n+)")


def sentence_spans(
    text: str,
    *,
    lines: bool = False,
    loose: bool = False,
    strip_bullets: bool = False,
    min_chars: int = 1,
    abbreviations: bool = True,
) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text` (see the module docstring for the options)."""
    pattern = _LOOSE_END if loose else _ENDS[(lines, abbreviations)]
    spans: list[tuple[int, int]] = []
    start = 0
    for m in pattern.finditer(text):
        gap = m.lastindex or 0  # the one group that matched: the gap between the two sentences
        spans.append((start, m.start(gap)))
        start = m.end(gap)
    spans.append((start, len(text)))
    lead = _LEAD_BULLETS if strip_bullets else None
    out: list[tuple[int, int]] = []
    for a, b in spans:
        seg = text[a:b]
        a2 = a + len(seg) - len(seg.lstrip(lead))
        b2 = b - (len(seg) - len(seg.rstrip()))
        if b2 - a2 >= max(min_chars, 1):
            out.append((a2, b2))
    return out


def split_sentences(
    text: str,
    *,
    lines: bool = False,
    loose: bool = False,
    strip_bullets: bool = False,
    min_chars: int = 1,
    abbreviations: bool = True,
) -> list[str]:
    """The sentences of `text`, verbatim (see :func:`sentence_spans`)."""
    spans = sentence_spans(
        text,
        lines=lines,
        loose=loose,
        strip_bullets=strip_bullets,
        min_chars=min_chars,
        abbreviations=abbreviations,
    )
    return [text[a:b] for a, b in spans]

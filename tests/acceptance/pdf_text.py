"""The PDF's own text, read independently of Saige's parser (pypdf's layout mode), to check catalogue
statements verbatim.

A table cell's lines are interleaved with the other columns' text in reading order, so a statement is
verbatim when it is the concatenation, in order, of pieces of the layout text (cut at runs of two or more
spaces), the first piece possibly starting with the id ("PW.7.2: Perform..."), the last possibly running on
into the next cell. Whitespace, line-end hyphens and ligatures (NFKC) are ignored; a missing, extra or
reordered word is not.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader

_GAP = re.compile(r"\s{2,}")
_SQUASH = re.compile(r"[\s\-\u00ad\u2010\u2011]+")


def squash(text: str) -> str:
    return _SQUASH.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=8)
def _reader(path: Path) -> PdfReader:
    return PdfReader(path)


@lru_cache(maxsize=256)
def page_pieces(path: Path, index: int) -> tuple[str, ...]:
    """The squashed pieces of one physical page (0-based) in reading order."""
    text = _reader(path).pages[index].extract_text(extraction_mode="layout")
    pieces = (p for line in text.splitlines() for p in _GAP.split(line.strip()))
    return tuple(s for s in (squash(p) for p in pieces) if s)


def plain_text(path: Path) -> str:
    """The whole document's plain text (pypdf's default mode)."""
    return "\n".join(page.extract_text() or "" for page in _reader(path).pages)


def page_count(path: Path) -> int:
    return len(_reader(path).pages)


def is_verbatim(statement: str, pieces: tuple[str, ...]) -> bool:
    """The statement is an in-order concatenation of pieces (see the module docstring)."""
    wanted = squash(statement)
    if not wanted:
        return False
    for start, first in enumerate(pieces):
        at = _first_overlap(first, wanted)
        if at is None:
            continue
        pos = len(first) - at
        if pos >= len(wanted):
            return True
        for piece in pieces[start + 1 :]:
            rest = wanted[pos:]
            if rest.startswith(piece):
                pos += len(piece)
            elif piece.startswith(rest):
                return True
            if pos >= len(wanted):
                return True
    return False


def _first_overlap(piece: str, wanted: str) -> int | None:
    """Where in `piece` a suffix of it that starts `wanted` begins (or the whole of `wanted` lies inside it)."""
    if wanted in piece:
        return len(piece) - len(wanted)  # treated as fully matched
    for k in range(len(piece)):
        if wanted.startswith(piece[k:]):
            return k
    return None


@lru_cache(maxsize=64)
def page_fragments(path: Path, index: int) -> tuple[tuple[float, float, str], ...]:
    """(x, y, text) of each text piece pypdf's visitor reports on one physical page (0-based): the
    position of the text operator that drew it, from pypdf alone (not Saige's parser)."""
    found: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: object) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x, y, text))

    _reader(path).pages[index].extract_text(visitor_text=visit)
    return tuple(found)

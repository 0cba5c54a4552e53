"""Lines to blocks: heading lines merged, body lines joined into paragraphs (hyphenation undone)."""

from __future__ import annotations

from ingest.pdf.model import Line
from ingest.text import join_lines
from saige.types import Block


def _heading_shaped(text: str) -> bool:
    """Long sentences set in a heading font are lead paragraphs, not headings."""
    if len(text) > 150:
        return False
    return not (len(text) > 90 and text.endswith("."))


def join_blocks(lines: list[Line], leading: float = 1.3, vocab: set[str] | None = None) -> list[Block]:
    """Join lines into heading and paragraph blocks. `leading` is the document's usual line pitch as a
    multiple of the font size: a wider gap starts a new paragraph."""
    blocks: list[Block] = []
    buf: list[Line] = []

    def flush() -> None:
        if not buf:
            return
        first = buf[0]
        text = join_lines([ln.text for ln in buf], vocab or frozenset())
        if first.heading_level and _heading_shaped(text):
            blocks.append(Block(text=text, kind="heading", level=first.heading_level, size=first.size))
        elif text:
            blocks.append(Block(text=text, kind="text", level=0, size=first.size))
        buf.clear()

    for ln in lines:
        if not ln.text or ln.cover:
            continue
        if buf:
            prev = buf[-1]
            same_kind = (prev.heading_level > 0) == (ln.heading_level > 0)
            pitch = prev.y - ln.y
            size = max(prev.size, ln.size)
            if ln.heading_level:
                close = 0 < pitch <= size * max(1.8, leading * 1.25)
                cont = same_kind and ln.heading_level == prev.heading_level and close
            else:
                close = 0 < pitch <= size * leading * 1.25
                cont = same_kind and close and not ln.bullet and ln.x0 >= buf[0].x0 - 3
            if not cont:
                flush()
        buf.append(ln)
    flush()
    return blocks

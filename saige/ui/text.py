"""Markdown-safe rendering of untrusted text (documents, questions, model output). Pure; no Streamlit.

Nothing here produces HTML. Untrusted text is escaped so that Streamlit's Markdown shows it literally:
every ASCII punctuation character that Markdown, Streamlit's directives (``:red[...]``, ``:material/x:``)
or its math (``$...$``) could interpret gets a backslash, so ``<script>`` is shown as the text
``<script>`` and never becomes a tag, a link or an image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from saige.types import Citation

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones with a meaning.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=&^\"'])")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def escape_md(text: str) -> str:
    """Escape `text` so Streamlit's Markdown renders it literally (one paragraph, spaces collapsed)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


_INLINE_BULLET = re.compile(r"\s+([•▪●◦])\s+")


def split_bullets(text: str) -> str:
    """Put bullet items that PDF extraction ran into one line ("by: • a • b") on lines of their own."""
    return _INLINE_BULLET.sub(r"\n\n\1 ", text)


def escape_block(text: str) -> str:
    """Escape a multi-line text, keeping its paragraphs (blank lines) and line breaks."""
    paragraphs = re.split(r"\n\s*\n", split_bullets(text.replace("\r", "")))
    out = []
    for para in paragraphs:
        lines = [escape_md(line) for line in para.split("\n") if line.strip()]
        if lines:
            out.append("  \n".join(lines))
    return "\n\n".join(out)


def source_anchor(turn: int, n: int) -> str:
    """The anchor of source `n` under answer `turn` (the heading saige.ui.sources gives that source)."""
    return f"source-{turn}-{n}"


def answer_markdown(answer_text: str, citations: Sequence[Citation] = (), *, turn: int | None = None) -> str:
    """Render an answer's Markdown safely: only bullets, **bold** and ``[n]`` markers keep a meaning.

    Everything else in the text (model output, quoted document text) is shown literally: the answerer's
    own backslash escapes and HTML entities are read as the characters they stand for, then escaped again
    for Streamlit. A marker with a citation becomes a link: to its source entry under the answer when
    `turn` is given, else to the official page; the link title names document, stage › guideline and page.
    """
    by_n: Mapping[int, Citation] = {c.n: c for c in citations}
    paragraphs = re.split(r"\n\s*\n", answer_text.replace("\r", "").strip())
    rendered: list[str] = []
    for para in paragraphs:
        lines = []
        for line in para.split("\n"):
            if not line.strip():
                continue
            bullet = _BULLET.match(line)
            prefix = "- " if bullet else ""
            body = line[bullet.end() :] if bullet else line
            lines.append(prefix + _render_line(body, by_n, turn))
        if lines:
            joined = [
                li
                + (
                    "  "
                    if not li.startswith("- ") and i + 1 < len(lines) and not lines[i + 1].startswith("- ")
                    else ""
                )
                for i, li in enumerate(lines)
            ]
            rendered.append("\n".join(joined))
    return "\n\n".join(rendered)


_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'"}
_MARKER_AT = re.compile(r"\[(\d{1,3})\]")


def _tokens(text: str) -> list[tuple[str, str]]:
    """("text", chars) / ("bold", "**") / ("marker", n) tokens of one answer line."""
    out: list[tuple[str, str]] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(("text", "".join(buf)))
            buf.clear()

    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
            continue
        if text.startswith("**", i):
            flush()
            out.append(("bold", "**"))
            i += 2
            continue
        entity = next((e for e in _ENTITIES if text.startswith(e, i)), None)
        if entity:
            buf.append(_ENTITIES[entity])
            i += len(entity)
            continue
        m = _MARKER_AT.match(text, i)
        if m:
            flush()
            out.append(("marker", m.group(1)))
            i = m.end()
            continue
        buf.append(ch)
        i += 1
    flush()
    return out


def _render_line(text: str, by_n: Mapping[int, Citation], turn: int | None) -> str:
    tokens = _tokens(text)
    bolds = [i for i, t in enumerate(tokens) if t[0] == "bold"]
    unpaired = set(bolds[-1:]) if len(bolds) % 2 else set()
    out: list[str] = []
    for i, (kind, value) in enumerate(tokens):
        if kind == "text":
            out.append(_SPECIAL.sub(r"\\\1", value))
        elif kind == "bold":
            out.append("\\*\\*" if i in unpaired else "**")
        else:
            n = int(value)
            cit = by_n.get(n)
            if cit is None:
                out.append(f"\\[{n}\\]")
            else:
                target = f"#{source_anchor(turn, n)}" if turn is not None else cit.url
                out.append(f"[\\[{n}\\]]({target} {_title(citation_label(cit))})")
    return "".join(out)


def _title(text: str) -> str:
    """A Markdown link title: quoted, with quotes and backslashes in it removed."""
    return '"' + text.replace('"', "'").replace("\\", "/") + '"'


def citation_label(c: Citation) -> str:
    """ "NCSC/CISA Guidelines — Secure design › Model the threats to your system — p. 9" (plain text)."""
    parts = [c.doc_title]
    where = " › ".join(p for p in (c.stage, c.section) if p)
    if where:
        parts.append(where)
    pages = pages_label(c.page_start, c.page_end)
    if pages:
        parts.append(pages)
    return " — ".join(parts)


def pages_label(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    if end is None or end == start:
        return f"p. {start}"
    return f"pp. {start}-{end}"


@dataclass(frozen=True)
class Segment:
    text: str
    highlighted: bool


_WS = re.compile(r"\s+")


def _norm_with_map(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs collapsed to one space, and each char's index in `text`."""
    chars: list[str] = []
    index: list[int] = []
    prev_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if prev_space:
                continue
            chars.append(" ")
            prev_space = True
        else:
            chars.append(ch.lower())
            prev_space = False
        index.append(i)
    return "".join(chars), index


def _quote_parts(quote: str) -> list[str]:
    """A quote and, as fallbacks, its sentences (a quote may join sentences that the text splits)."""
    flat = " ".join(quote.split()).strip().lower().rstrip(" .…")
    sentences = [s.strip().rstrip(" .…") for s in re.split(r"(?<=[.!?])\s+", flat) if len(s.strip()) > 12]
    return [flat, *sentences] if len(sentences) > 1 else [flat]


def _past_punctuation(norm: str, end: int, index: list[int]) -> int:
    """End offset in the original text, taking in a full stop (or ! ?) that the quote left out."""
    while end < len(norm) and norm[end] in ".!?":
        end += 1
    return index[end - 1] + 1


def _find_all(haystack: str, needle: str) -> list[tuple[int, int]]:
    spans = []
    start = haystack.find(needle) if needle else -1
    while start != -1:
        spans.append((start, start + len(needle)))
        start = haystack.find(needle, start + len(needle))
    return spans


def highlight_segments(text: str, quotes: Sequence[str]) -> list[Segment]:
    """Split `text` into plain and highlighted segments: every occurrence of each quote is highlighted.

    Matching ignores case and differences in whitespace (PDF line breaks); a quote that is not found as a
    whole is tried sentence by sentence.
    """
    norm, index = _norm_with_map(text)
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        parts = _quote_parts(quote)
        whole = _find_all(norm, parts[0])
        found = whole or [span for part in parts[1:] for span in _find_all(norm, part)]
        spans.extend((index[s], _past_punctuation(norm, e, index)) for s, e in found)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    segments: list[Segment] = []
    pos = 0
    for s, e in merged:
        if s > pos:
            segments.append(Segment(text[pos:s], False))
        segments.append(Segment(text[s:e], True))
        pos = e
    if pos < len(text):
        segments.append(Segment(text[pos:], False))
    return segments


def highlighted_markdown(text: str, quotes: Sequence[str], color: str = "orange") -> tuple[str, int]:
    """Section text as safe Markdown with the quotes highlighted; also returns how many spans matched.

    Paragraphs are kept; a highlight that spans lines is highlighted line by line (a Streamlit directive
    cannot span paragraphs).
    """
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", split_bullets(text.replace("\r", "")))]
    flat = "\n\n".join(p for p in paragraphs if p)
    segments = highlight_segments(flat, quotes)
    count = sum(1 for s in segments if s.highlighted)
    pieces: list[str] = []
    for seg in segments:
        parts = []
        for part in seg.text.split("\n\n"):
            body = _SPECIAL.sub(r"\\\1", part)
            if seg.highlighted and part.strip():
                lead = body[: len(body) - len(body.lstrip())]
                trail = body[len(body.rstrip()) :]
                body = f"{lead}:{color}-background[**{body.strip()}**]{trail}"
            parts.append(body)
        pieces.append("\n\n".join(parts))
    return "".join(pieces), count

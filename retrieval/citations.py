"""Sentences, [n] citation markers, quotes and output checks shared by both answerers.

- `sentence_spans` splits chunk text into sentences as exact spans, so quotes are verbatim substrings.
- `check_markers` keeps only markers that name a retrieved source, reports the rest, and flags statements
  that carry no marker.
- `best_quote` picks the sentence(s) of a source that best match the statement citing it.
- `leaks_prompt` spots a distinctive run of the system prompt in a model's output.
- `plain` neutralises HTML in answer text (the answer is Markdown shown without HTML; keep it plain).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.tokenize import tokenize, words
from saige.sentences import sentence_spans as split_spans
from saige.types import Chunk, Citation, Document

_MIN_SENTENCE_CHARS = 12

MARKER_RE = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


def sentence_spans(text: str, min_chars: int = _MIN_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, stripped of surrounding whitespace and bullets."""
    return split_spans(text, lines=True, strip_bullets=True, min_chars=min_chars)


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def one_line(text: str) -> str:
    return " ".join(text.split())


def plain(text: str) -> str:
    """Answer text safe to show as Markdown without HTML: no raw tags, no scriptable links or images.

    `<` and `>` become HTML entities (Markdown renderers show them as the characters, never as markup);
    Markdown images are reduced to their alt text and `javascript:`/`data:` links to their text.
    """
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\(\s*(?:javascript|data|vbscript):[^)]*\)", r"\1", text, flags=re.IGNORECASE)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def markdown_text(text: str) -> str:
    """Document text as one plain Markdown line: whitespace collapsed, HTML and emphasis characters inert."""
    text = plain(one_line(text))
    return re.sub(r"([\\`*_#|])", r"\\\1", text)


# --- markers ---------------------------------------------------------------------------------------


@dataclass
class MarkerCheck:
    text: str
    used: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    uncited: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_HEADING_LINE = re.compile(r"^(?:#+\s.*|\*\*[^*]+\*\*(?:\s+[-\u2014\u2013].*)?:?|[-*_]{3,})$")
_NOT_A_STATEMENT = re.compile(
    r"^(?:#+\s|\*\*[^*]+\*\*:?$|[-*]?\s*$)|:$|not (?:covered|addressed)|does not (?:cover|address)"
    r"|cannot answer|can't answer|no (?:information|source)",
    re.IGNORECASE,
)


def check_markers(text: str, n_sources: int) -> MarkerCheck:
    """Remove markers that name no source (reported), list markers used, flag statements without a marker."""
    removed: list[int] = []
    used: list[int] = []

    def fix(match: re.Match[str]) -> str:
        keep: list[int] = []
        for part in match.group(1).split(","):
            n = int(part)
            if 1 <= n <= n_sources:
                keep.append(n)
                if n not in used:
                    used.append(n)
            elif n not in removed:
                removed.append(n)
        return "".join(f"[{n}]" for n in keep)

    cleaned = MARKER_RE.sub(fix, text)
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", cleaned)
    warnings = [f"removed citation [{n}]: no source [{n}] (sources are [1]..[{n_sources}])" for n in removed]
    uncited: list[str] = []
    for line in cleaned.splitlines():
        if _HEADING_LINE.match(line.strip()):
            continue
        for a, b in sentence_spans(line, min_chars=1):
            s = line[a:b].strip()
            if not re.search(r"[A-Za-z]{2}", MARKER_RE.sub("", s)) or _NOT_A_STATEMENT.search(s):
                continue
            if not MARKER_RE.search(s):
                uncited.append(s)
    # A statement whose marker sits on the next sentence piece ("... systems. [2]") is cited.
    uncited = [u for u in uncited if not re.fullmatch(r"(?:\[\d+\])+\.?", u)]
    warnings += [f"uncited statement: {one_line(u)[:160]}" for u in uncited]
    return MarkerCheck(text=cleaned, used=used, removed=removed, uncited=uncited, warnings=warnings)


def statements_citing(text: str, n: int) -> list[str]:
    """The sentences of `text` that carry marker [n]."""
    out: list[str] = []
    for line in text.splitlines():
        for sent in sentences(line):
            for m in MARKER_RE.finditer(sent):
                if n in {int(p) for p in m.group(1).split(",")}:
                    out.append(MARKER_RE.sub("", sent))
                    break
    return out


def best_quote(statement: str, chunk_text: str, *, max_sentences: int = 2) -> str:
    """The sentence (or two adjacent sentences) of the chunk that best match the statement, verbatim."""
    spans = sentence_spans(chunk_text)
    if not spans:
        return chunk_text.strip()
    target = set(tokenize(statement))
    scored: list[tuple[float, int]] = []
    for i, (a, b) in enumerate(spans):
        toks = set(tokenize(chunk_text[a:b]))
        overlap = len(target & toks) / (len(target) or 1)
        scored.append((overlap, i))
    scored.sort(key=lambda x: (-x[0], x[1]))
    best_score, best = scored[0]
    a, b = spans[best]
    if max_sentences > 1 and best + 1 < len(spans):
        a2, b2 = spans[best + 1]
        nxt = set(tokenize(chunk_text[a2:b2]))
        if target and len(target & nxt) / len(target) >= max(0.3, best_score * 0.6) and b2 - a <= 600:
            b = b2
    return chunk_text[a:b]


def make_citation(n: int, chunk: Chunk, quote: str, document: Document | None) -> Citation:
    url = document.page_url(chunk.link_page) if document is not None else ""
    return Citation(
        n=n,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        doc_title=chunk.doc_title,
        section=chunk.section,
        section_path=list(chunk.section_path),
        stage=chunk.stage,
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        quote=quote,
        url=url,
    )


# --- system prompt leaks ---------------------------------------------------------------------------


def _ngrams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def leaks_prompt(output: str, prompt: str, *, n: int = 7) -> bool:
    """Whether `output` repeats a run of `n` consecutive words of `prompt` (case, punctuation ignored)."""
    prompt_grams = _ngrams(words(prompt), n)
    return bool(prompt_grams & _ngrams(words(output), n))

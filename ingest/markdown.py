"""Markdown text extractions: one Page (index 0, number None) of heading and text blocks.

``#`` headings give the structure (level = number of ``#``, plus the depth of a leading section number
such as "2.1.3." when a conversion flattened all headings to one level); paragraphs and bullets become text
blocks, one per paragraph or bullet. Cleanup: stray emphasis markers (``**``), image links, tables of
contents (dotted leaders, "Table of Contents" tables), one- or two-letter headings (glossary letters),
headings that a conversion glued together ("2. Predictive AI Taxonomy 2.1. Attack Classification"), and
letters lost with ligature glyphs ("Artifcial" -> "Artificial"), web addresses split by a line break.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.text import normalize_space, repair_broken_ligatures, repair_urls, vocabulary
from saige.errors import CorpusError
from saige.types import Block, Document, Page, ParsedDocument

MAX_BYTES = 50 * 1024 * 1024

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+")
_DOT_LEADERS = re.compile(r"(?:\.\s){3,}|\.{4,}")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+\S")
_GLUED_NUMBER = re.compile(r"\s(?=\d+(?:\.\d+)+\.?\s+[A-Z])")
# Words a title-casing conversion mangled ("Ai", "Nist", "Genai") and their printed forms.
_ACRONYMS = {
    "Ai": "AI",
    "Ml": "ML",
    "Nist": "NIST",
    "Genai": "GenAI",
    "Llm": "LLM",
    "Llms": "LLMs",
    "Rag": "RAG",
    "Aml": "AML",
    "Vs.": "vs.",
}


def parse_markdown(document: Document, path: Path) -> ParsedDocument:
    """Read a Markdown text extraction into one page of blocks (I/O)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CorpusError(f"{path}: the text file is {size} bytes (more than {MAX_BYTES}); refusing it")
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if b"\x00" in raw[:4096] or raw.startswith(b"%PDF-"):
        raise CorpusError(f"{path}: not a text file (binary content)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    blocks = markdown_blocks(text)
    if not any(b.kind == "text" for b in blocks):
        raise CorpusError(f"{path}: no text in the Markdown file")
    page = Page(doc_id=document.id, index=0, number=None, blocks=blocks)
    return ParsedDocument(document=document, pages=[page])


def markdown_blocks(text: str) -> list[Block]:
    """Split Markdown text into heading and text blocks (pure; see the module docstring)."""
    blocks: list[Block] = []
    para: list[str] = []
    in_code = False
    vocab = vocabulary(text.splitlines())  # for web addresses split across lines (repair_urls)

    def flush() -> None:
        if para:
            body = repair_urls(clean_inline(" ".join(para)), vocab)
            para.clear()
            if body and not _is_toc_line(body):
                blocks.append(Block(text=body, kind="text"))

    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        if line.strip().startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            para.append(line.strip())
            continue
        m = _HEADING.match(line.strip())
        if m:
            flush()
            blocks.extend(_heading_blocks(len(m.group(1)), m.group(2)))
            continue
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if stripped.startswith("|"):
            flush()
            row = _table_row(stripped)
            if row:
                blocks.append(Block(text=row, kind="text"))
            continue
        if _BULLET.match(stripped):
            flush()
            para.append("\u2022 " + _BULLET.sub("", stripped, count=1))
            continue
        para.append(stripped)
    flush()
    return _drop_toc(blocks)


def clean_inline(text: str) -> str:
    """Remove image links and emphasis markers, repair lost ligatures, normalise whitespace."""
    text = _IMAGE.sub(" ", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"<br\s*/?>", " ", text)
    return normalize_space(repair_broken_ligatures(text))


def _heading_blocks(hashes: int, raw: str) -> list[Block]:
    """One heading line as one or more heading blocks (glued numbered headings are split)."""
    text = clean_inline(raw)
    parts = [p.strip() for p in _GLUED_NUMBER.split(text) if p.strip()] if _NUMBERED.match(text) else [text]
    out: list[Block] = []
    for part in parts:
        part = " ".join(_ACRONYMS.get(w, w) for w in part.split())
        letters = sum(c.isalpha() for c in part)
        if letters < 3:
            continue  # glossary letters "B", "D": headings in name only
        level = hashes
        num = _NUMBERED.match(part)
        if num:
            level += num.group(1).count(".")
        out.append(Block(text=part, kind="heading", level=level))
    return out


def _table_row(line: str) -> str:
    cells = [clean_inline(c) for c in line.strip().strip("|").split("|")]
    if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
        return ""
    return " | ".join(c for c in cells if c)


def _is_toc_line(text: str) -> bool:
    return len(_DOT_LEADERS.findall(text)) >= 1 and bool(re.search(r"\d\s*$|\d\s+[A-Z]", text))


def _drop_toc(blocks: list[Block]) -> list[Block]:
    """Drop a table of contents that a conversion turned into a table (rows of titles and page numbers)."""
    out: list[Block] = []
    in_toc = False
    for b in blocks:
        if b.kind == "text" and re.match(r"^table\s*\|?\s*of\s*\|?\s*contents", b.text, re.IGNORECASE):
            in_toc = True
            continue
        if in_toc:
            if (b.kind == "text" and " | " in b.text) or re.fullmatch(
                r"[\divxlc |.]+", b.text, re.IGNORECASE
            ):
                continue
            in_toc = False
        out.append(b)
    return out

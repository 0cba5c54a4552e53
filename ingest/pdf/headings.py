"""Headings: which lines are headings and their levels; false headings dropped; split number labels."""

from __future__ import annotations

import re
from collections import Counter

from ingest.pdf.model import Line, RawPage
from saige.types import Block

_CONTENTS = re.compile(r"^(?:table of )?contents$|^list of (?:tables|figures)$")


def classify_headings(pages: list[RawPage], leading: float = 1.3) -> None:
    sizes: Counter[float] = Counter()
    for raw in pages:
        for ln in raw.lines:
            if not ln.bold:
                sizes[round(ln.size * 2) / 2] += len(ln.text)
    if not sizes:
        for raw in pages:
            for ln in raw.lines:
                sizes[round(ln.size * 2) / 2] += len(ln.text)
    if not sizes:
        return
    body = sizes.most_common(1)[0][0]
    heading_sizes: set[float] = set()
    candidates: list[Line] = []
    for raw in pages:
        lines = raw.lines
        contents_page = any(_CONTENTS.match(_norm(ln.text)) for ln in lines)
        previous: Line | None = None  # the candidate on the line before, if any
        for i, ln in enumerate(lines):
            if (
                previous is not None
                and i > 0
                and lines[i - 1] is previous
                and _heading_continues(previous, ln)
            ):
                candidates.append(ln)  # the second line of a heading ("... risks of using" / "continual ...")
                previous = ln
                continue
            previous = None
            if not _heading_text_ok(ln.text):
                continue
            if contents_page and not _CONTENTS.match(_norm(ln.text)):
                continue  # entries of a table of contents
            # Larger than the body: bold from 1.12 x body, regular from 1.25 x (prose set a point above
            # the table text is not a heading).
            big = ln.size >= body * (1.12 if ln.bold else 1.25) and not ln.bullet
            standalone_bold = ln.bold and ln.size >= body * 0.95 and not ln.bullet and _standalone(lines, i)
            if big or standalone_bold:
                candidates.append(ln)
                heading_sizes.add(round(ln.size * 2) / 2)
                previous = ln
    # The first page is a cover when the document goes on after it and the page holds little text.
    cover_page = len(pages) >= 3 and 0 < len(pages[0].lines) <= 12
    candidates = _drop_false_headings(candidates, cover_page, len(pages))
    # Levels are ranks of (size, weight): larger first, bold before regular at the same size.
    ranks = sorted({_heading_key(ln) for ln in candidates}, reverse=True)
    for ln in candidates:
        ln.heading_level = ranks.index(_heading_key(ln)) + 1
    # The first line of a paragraph (set in a large or bold font) is not a heading: its next line
    # continues it in the same style, or in body style but mid-sentence.
    for raw in pages:
        for a, b in zip(raw.lines, raw.lines[1:], strict=False):
            if (
                a.heading_level
                and not b.heading_level
                and abs(a.size - b.size) < 0.3
                and (a.bold == b.bold or b.text[:1].islower())
                and abs(a.x0 - b.x0) < 3
                and 0 < a.y - b.y <= a.size * leading * 1.25
            ):
                a.heading_level = 0


def body_leading(pages: list[RawPage]) -> float:
    """The usual distance between consecutive body lines, as a multiple of their font size."""
    pitches: Counter[float] = Counter()
    for raw in pages:
        for a, b in zip(raw.lines, raw.lines[1:], strict=False):
            if a.heading_level or b.heading_level or abs(a.size - b.size) > 0.1 or abs(a.x0 - b.x0) > 2:
                continue
            ratio = (a.y - b.y) / a.size
            if 1.0 <= ratio <= 2.2:
                pitches[round(ratio, 1)] += 1
    return pitches.most_common(1)[0][0] if pitches else 1.3


def _heading_key(line: Line) -> float:
    return round(line.size * 2) / 2 + (0.25 if line.bold else 0.0)


_TOC_INNER = re.compile(r"[A-Za-z)]\s\d{1,3}[:.]?\s+[A-Z0-9]")


def _is_contents_entry(text: str) -> bool:
    """ "1 Framing Risk 4", "Executive Summary 1 Part 1: ... 4", "Introduction ....... 3"."""
    if re.search(r"(?:\.\s?){4,}\s*\d+$", text):
        return True
    if not re.search(r"[A-Za-z)]\s\d{1,3}$", text):
        return False
    return bool(re.match(r"^\d+(?:\.\d+)*\s", text)) or bool(_TOC_INNER.search(text))


def _drop_false_headings(candidates: list[Line], cover_page: bool = False, page_count: int = 0) -> list[Line]:
    """Remove heading candidates that are not structure: cover titles, table headers, contents entries.

    Cover titles (and their repeats on the title page) are marked ``cover`` and dropped from the text
    altogether; the others stay as body text.
    """
    first_page = {_norm(ln.text) for ln in candidates if ln.page == 0}
    repeated_title = {
        key for key in first_page if any(ln.page in (1, 2) and _norm(ln.text) == key for ln in candidates)
    }
    cover = first_page if cover_page else repeated_title
    # Heading classes used only on the first two pages are the title block, not the structure.
    title_classes: set[float] = set()
    if page_count >= 6:
        title_classes = {_heading_key(ln) for ln in candidates if ln.page <= 1}
        title_classes -= {_heading_key(ln) for ln in candidates if ln.page > 1}
    counts = Counter((_norm(ln.text), ln.size) for ln in candidates)
    prefixes = Counter(_label_prefix(ln.text) for ln in candidates)
    # A heading class (size and weight) made mostly of repeated labels is a class of labels.
    classes = Counter(_heading_key(ln) for ln in candidates)
    repeated = Counter(_heading_key(ln) for ln in candidates if counts[(_norm(ln.text), ln.size)] >= 3)
    label_classes = {k for k, n in repeated.items() if n >= 0.75 * classes[k]}
    kept: list[Line] = []
    for ln in candidates:
        key = _norm(ln.text)
        if _heading_key(ln) in label_classes:
            continue
        if ln.page <= 2 and key in cover:
            ln.cover = True  # the title on the cover (and repeated on the title page)
            continue
        if _heading_key(ln) in title_classes:
            continue
        if counts[(key, ln.size)] >= 3:
            continue  # repeated table header ("Categories Subcategories")
        prefix = _label_prefix(ln.text)
        if prefix and prefixes[prefix] >= 3:
            continue  # a repeated row label ("AI Actor Tasks: ...")
        if _is_contents_entry(ln.text) or _DATE_RE.match(ln.text):
            continue  # a contents entry (titles followed by page numbers) or a date line
        kept.append(ln)
    return kept


_DATE_RE = re.compile(
    r"^(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?\d{4}$",
    re.IGNORECASE,
)


def _label_prefix(text: str) -> str:
    """The words before a colon that ends a short row label ("AI Actor Tasks: ..." -> "ai actor tasks")."""
    m = re.match(r"^([A-Za-z][A-Za-z ]{2,40}):\s*\S", text)
    if not m:
        return ""
    words = [w.rstrip("s") for w in _norm(m.group(1)).split()[:2]]
    return " ".join(words)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def _heading_continues(first: Line, line: Line) -> bool:
    """A line in the same heading style right under a heading line, starting mid-sentence."""
    return (
        line.text[:1].islower()
        and abs(first.size - line.size) < 0.3
        and first.bold == line.bold
        and abs(first.x0 - line.x0) < 3
        and 0 < first.y - line.y <= first.size * 1.8
        and len(line.text) <= 120
    )


def _heading_text_ok(text: str) -> bool:
    if text[:1].islower():
        return False  # a continuation line in a large font, not a heading
    letters = sum(c.isalpha() for c in text)
    return letters >= 3 and len(text) <= 200 and letters >= len(text) * 0.4


def _standalone(lines: list[Line], i: int) -> bool:
    """A bold line is a heading unless it is glued to the body paragraph on the line before it."""
    ln = lines[i]
    if len(ln.text) > 160:
        return False
    if i > 0:
        prev = lines[i - 1]
        if (
            not prev.bold
            and abs(prev.x0 - ln.x0) < 2
            and 0 < prev.y - ln.y <= ln.size * 1.3
            and not prev.bullet
        ) and not prev.text.rstrip().endswith((".", ":", "?", "!")):
            return False
    return True


_NUMBER_LABEL = re.compile(
    r"^\d{1,2}(?:\.\d{1,2})*\.$|^\d{1,2}(?:\.\d{1,2})+$"
)  # "2.12." or "3.1", never a bare page number


def attach_number_labels(blocks: list[Block]) -> list[Block]:
    """A section number printed apart from its heading ("2.12." then "Value Chain and Component
    Integration") is put back in front of the heading, so the heading is complete."""
    out: list[Block] = []
    for block in blocks:
        if out and block.kind == "heading" and out[-1].kind == "text" and _NUMBER_LABEL.match(out[-1].text):
            label = out.pop()
            block = block.model_copy(update={"text": f"{label.text} {block.text}"})
        out.append(block)
    return out

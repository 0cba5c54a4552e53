"""The extractive answerer (the default, no LLM) and the abstention message.

From the top sections it selects the sentences that best answer the question (idf-weighted overlap with the
question's content terms, plus a prior for the section's rank), then writes short Markdown: a one-line
lead, then the points grouped under bold "Stage › Guideline" (or "Document › Section") headers, each point
ending with its citation marker [n]. Every point is a verbatim sentence of a source and its citation quotes
exactly that sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from retrieval.citations import make_citation, markdown_text, sentence_spans
from retrieval.tokenize import content_terms, tokenize, words
from saige.types import STAGES, Chunk, Citation, Document, Hit, normalize_heading

NOT_COVERED = "The corpus does not cover this question."
# Sections quoted in an answer: the top one, plus others whose fused score is within this ratio of the top's.
# Measured on the eval set (citation precision 0.49 -> 0.62, recall 0.80 -> 0.74 against "top 3 sections").
SECTION_SCORE_RATIO = 0.9

IdfFn = Callable[[str], float]


_REFERENCE_MARK = re.compile(r"\s*\[\d+(?:\s*[,\u2013-]\s*\d+)*\]")


def strip_reference_marks(text: str) -> str:
    """A document's own reference marks ("[106]") would read as Saige's citation markers: drop them from
    the displayed statement (the citation's quote keeps the exact text)."""
    return _REFERENCE_MARK.sub("", text)


def path_label(stage: str | None, section_path: Sequence[str], section: str) -> str:
    """ "Stage › Guideline" for the Guidelines (the stage as printed, without its number), else the section
    path ("Part › … › Section")."""
    parts = [" ".join(p.split()) for p in section_path if p.strip()] or [section]
    if stage is not None and stage in STAGES:
        key = normalize_heading(stage)
        parts = [stage if normalize_heading(p) == key else p for p in parts]
        if stage not in parts:
            parts = [stage, *parts[-1:]]
    deduped: list[str] = []
    for p in parts:
        if not deduped or normalize_heading(deduped[-1]) != normalize_heading(p):
            deduped.append(p)
    if len(deduped) > 3:
        deduped = [deduped[0], "…", deduped[-1]]
    return " › ".join(deduped)


def section_label(chunk: Chunk) -> str:
    return path_label(chunk.stage, chunk.section_path, chunk.section)


def doc_name(chunk: Chunk, documents: Mapping[str, Document]) -> str:
    doc = documents.get(chunk.doc_id)
    return doc.short_title if doc is not None else chunk.doc_title


@dataclass
class Point:
    hit_index: int
    start: int
    end: int
    score: float


def _sentence_points(
    question: str,
    hits: Sequence[Hit],
    idf: IdfFn,
) -> list[Point]:
    q_terms = content_terms(question)
    weights = {t: max(idf(t), 0.1) for t in q_terms}
    total = sum(weights.values()) or 1.0
    candidates: list[Point] = []
    for i, hit in enumerate(hits):
        text = hit.chunk.text
        heading_terms = set(tokenize(" ".join(hit.chunk.section_path)))
        for a, b in sentence_spans(text):
            sent = text[a:b]
            n_words = len(words(sent))
            if n_words < 5:
                continue
            toks = set(tokenize(sent))
            lexical = sum(w for t, w in weights.items() if t in toks) / total
            # Terms the heading already matched count a little inside the section's sentences too.
            from_heading = sum(w for t, w in weights.items() if t in heading_terms and t not in toks)
            lexical += 0.25 * from_heading / total
            prior = 0.35 / (1 + i)
            length = -0.15 if n_words > 70 else 0.0
            candidates.append(Point(i, a, b, lexical + prior + length))
    return candidates


def select_points(
    question: str,
    hits: Sequence[Hit],
    idf: IdfFn,
    *,
    max_points: int = 6,
    max_sections: int = 3,
) -> list[Point]:
    """The best sentences: at most three from the top section and two from each other section."""
    hits = list(hits)[:max_sections]
    if hits:
        hits = [h for h in hits if h.score >= SECTION_SCORE_RATIO * hits[0].score]
    points = _sentence_points(question, hits, idf)
    points.sort(key=lambda p: -p.score)
    if not points:
        return []
    floor = points[0].score * 0.45
    per_hit: dict[int, int] = {}
    chosen: list[Point] = []
    for p in points:
        cap = 3 if p.hit_index == 0 else 2
        if per_hit.get(p.hit_index, 0) >= cap or (chosen and p.score < floor):
            continue
        chosen.append(p)
        per_hit[p.hit_index] = per_hit.get(p.hit_index, 0) + 1
        if len(chosen) >= max_points:
            break
    completed = [_complete_lead_in(p, hits[p.hit_index].chunk.text) for p in chosen]
    # A completed lead-in may now contain another chosen sentence: keep the first, longer point.
    kept: list[Point] = []
    for p in sorted(completed, key=lambda p: (p.hit_index, p.start)):
        if kept and kept[-1].hit_index == p.hit_index and p.start < kept[-1].end:
            continue
        kept.append(p)
    return kept


_BULLET = re.compile(r"\s*\n\s*[\u2022\u25cf\u25aa*\u2013-]?\s*")
_ITEM_MARK = re.compile(r"[\u2022\u25cf\u25aa*\u2013-]")
MAX_LEAD_IN_ITEMS = 4


def _complete_lead_in(point: Point, text: str) -> Point:
    """A sentence that ends with a colon ("you protect the model ... by:") means nothing without the items
    after it: extend the point over the next few items of the same chunk, so the quote stays verbatim."""
    if not text[point.start : point.end].rstrip().endswith(":"):
        return point
    end = point.end
    for a, b in sentence_spans(text):
        if a < point.end:
            continue
        gap = text[end:a]
        if "\n" not in gap or not _ITEM_MARK.search(gap) or gap.strip(" \n\t\u2022\u25cf\u25aa*\u2013-"):
            break  # items are bulleted lines; a paragraph after them ends the list
        end = b
        if sum(1 for _ in _BULLET.finditer(text[point.end : end])) >= MAX_LEAD_IN_ITEMS:
            break
    return Point(point.hit_index, point.start, end, point.score)


def statement_text(quote: str) -> str:
    """The quote as one line of an answer: the items of a lead-in joined with semicolons."""
    head, _, rest = quote.partition(":")
    if rest and "\n" in rest:
        items = [" ".join(i.split()).rstrip(";.") for i in _BULLET.split(rest) if i.strip()]
        return f"{head}: " + "; ".join(items) + "."
    return " ".join(quote.split())


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    documents: Mapping[str, Document],
    idf: IdfFn,
) -> tuple[str, list[Citation]]:
    """Markdown answer and its citations (one per point; the quote is the point's exact sentence)."""
    points = select_points(question, hits, idf)
    if not points:
        return NOT_COVERED, []
    citations: list[Citation] = []
    groups: dict[int, list[str]] = {}
    for p in points:
        chunk = hits[p.hit_index].chunk
        n = len(citations) + 1
        quote = chunk.text[p.start : p.end]
        citations.append(make_citation(n, chunk, quote, documents.get(chunk.doc_id)))
        statement = markdown_text(strip_reference_marks(statement_text(quote))).rstrip()
        groups.setdefault(p.hit_index, []).append(f"- {statement} [{n}]")
    lead = _lead(hits[points[0].hit_index].chunk, documents, len(groups))
    blocks = [lead]
    for i, lines in groups.items():
        chunk = hits[i].chunk
        header = _header(chunk, documents)
        blocks.append(header + "\n" + "\n".join(lines))
    return "\n\n".join(blocks), citations


def _where(chunk: Chunk) -> str:
    return f", {chunk.pages_label}" if chunk.pages_label else ""


def _header(chunk: Chunk, documents: Mapping[str, Document]) -> str:
    label = markdown_text(section_label(chunk))
    return f"**{label}** — {markdown_text(doc_name(chunk, documents))}{_where(chunk)}"


def _lead(chunk: Chunk, documents: Mapping[str, Document], n_sections: int) -> str:
    label = markdown_text(section_label(chunk))
    name = markdown_text(doc_name(chunk, documents))
    more = ""
    if n_sections == 2:
        more = " and one related section"
    elif n_sections > 2:
        more = f" and {n_sections - 1} related sections"
    return f"{name} addresses this under **{label}**{more}. The key points, quoted from the sources:"


def abstain_answer(nearest: Sequence[Hit], documents: Mapping[str, Document], *, reason: str = "") -> str:
    """Say plainly the corpus does not cover the question, and name the nearest headings (no citations)."""
    seen: list[str] = []
    for h in nearest:
        item = f"{markdown_text(section_label(h.chunk))} ({markdown_text(doc_name(h.chunk, documents))})"
        if item not in seen:
            seen.append(item)
        if len(seen) >= 3:
            break
    text = NOT_COVERED
    if reason:
        text += f" {reason}"
    if seen:
        text += " The nearest guideline headings are: " + "; ".join(seen) + "."
    return text

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
from retrieval.sentence_kinds import (
    is_action_sentence,
    is_definition_sentence,
    not_a_point,
    question_intent,
)
from retrieval.tokenize import QUERY_FILLER, STOP_WORDS, content_terms, stem, tokenize, words
from saige.types import STAGES, AnswerPoint, Chunk, Citation, Document, Hit, normalize_heading

NOT_COVERED = "The corpus does not cover this question."
# Sections quoted in an answer: the top one, plus others whose evidence is within this ratio of the best
# evidence among the top hits. Measured on the eval set (citation precision 0.49 -> 0.62, recall 0.80 -> 0.74
# against "top 3 sections").
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
    indices: Sequence[int],
) -> list[Point]:
    """Every quotable sentence of the hits at `indices`, scored (the rank prior reads the hit's index)."""
    q_terms = content_terms(question)
    weights = {t: max(idf(t), 0.1) for t in q_terms}
    total = sum(weights.values()) or 1.0
    intent = question_intent(question)
    candidates: list[Point] = []
    for i in indices:
        hit = hits[i]
        text = hit.chunk.text
        heading_terms = set(tokenize(" ".join(hit.chunk.section_path)))
        for a, b in sentence_spans(text):
            sent = text[a:b]
            n_words = len(words(sent))
            if n_words < 5:
                continue
            completed = _complete_lead_in(Point(i, a, b, 0.0), text)
            shown = strip_reference_marks(statement_text(text[a : completed.end]))
            if not_a_point(shown, hit.chunk.section_path) is not None:
                continue
            toks = set(tokenize(sent))
            lexical = sum(w for t, w in weights.items() if t in toks) / total
            # Terms the heading already matched count a little inside the section's sentences too.
            from_heading = sum(w for t, w in weights.items() if t in heading_terms and t not in toks)
            lexical += 0.25 * from_heading / total
            prior = 0.35 / (1 + i)
            length = -0.15 if n_words > 70 else 0.0
            fit = 0.0
            if intent == "action":
                fit = 0.2 if is_action_sentence(sent) else (-0.1 if is_definition_sentence(sent) else 0.0)
            elif intent == "definition":
                fit = 0.15 if is_definition_sentence(sent) else 0.0
            candidates.append(Point(i, a, b, lexical + prior + length + fit))
    return candidates


def hit_evidence(hit: Hit) -> float:
    """How strongly the retrieval speaks for a hit: its evidence, without the preferences that only order
    documents (retrieval/search.py), or its score when it carries none."""
    return hit.evidence if hit.evidence is not None else hit.score


def _preferred(hit: Hit) -> bool:
    """The hit's score carries a document preference (the priority document's bonus when the question
    names no document): its score exceeds its evidence."""
    return hit.evidence is not None and hit.score > hit.evidence + 1e-12


def close_sections(hits: Sequence[Hit], max_sections: int = 3) -> list[int]:
    """Indices of the hits an answer quotes, in rank order: the top hit and at most `max_sections` - 1
    others.

    Quoted beside the top hit: a section whose score is within SECTION_SCORE_RATIO of the top hit's, or
    whose evidence is within it of the best evidence among the hits (a section of another document that
    the retrievers found as strongly as the priority document's own, though the priority bonus ranks it
    lower), the strongest evidence first; and, when another document's section leads, the priority
    document's best section within the first `max_sections` ranks, first of all (the main document is
    always heard when it ranks that high)."""
    if not hits:
        return []
    best = max(hit_evidence(h) for h in hits)
    close = [
        i
        for i in range(1, len(hits))
        if hits[i].score >= SECTION_SCORE_RATIO * hits[0].score
        or (best > 0 and hit_evidence(hits[i]) >= SECTION_SCORE_RATIO * best)
    ]
    close.sort(key=lambda i: (-hit_evidence(hits[i]), i))
    if not _preferred(hits[0]):
        main = next((i for i in range(1, min(max_sections, len(hits))) if _preferred(hits[i])), None)
        if main is not None:
            close = [main, *(i for i in close if i != main)]
    return sorted([0, *close[: max_sections - 1]])


def select_points(
    question: str,
    hits: Sequence[Hit],
    idf: IdfFn,
    *,
    max_points: int = 6,
    max_sections: int = 3,
    top_cap: int = 3,
    related: int = 0,
) -> list[Point]:
    """The best sentences: at most `top_cap` (3) from the top section and two from each other section.

    Other sections count when their evidence is close to the best (`close_sections`); `related` > 0 takes
    that many more sections regardless (the next ones by rank, one point each), for answers that add related
    guidance on purpose.
    """
    hits = list(hits)
    close = close_sections(hits, max_sections)
    extra = [i for i in range(len(hits)) if i not in close][:related]
    points = _sentence_points(question, hits, idf, sorted([*close, *extra]))
    points.sort(key=lambda p: -p.score)
    if not points:
        return []
    floor = points[0].score * (0.3 if related else 0.45)
    per_hit: dict[int, int] = {}
    chosen: list[Point] = []
    for p in points:
        cap = top_cap if p.hit_index == 0 else (2 if p.hit_index in close else 1)
        below = chosen and p.score < floor and (p.hit_index != 0 or top_cap <= 3)
        if per_hit.get(p.hit_index, 0) >= cap or below:
            continue
        chosen.append(p)
        per_hit[p.hit_index] = per_hit.get(p.hit_index, 0) + 1
        if len(chosen) >= max_points:
            break
    completed = [_complete_lead_in(p, hits[p.hit_index].chunk.text) for p in chosen]
    completed = [
        p for p in completed if not hits[p.hit_index].chunk.text[p.start : p.end].rstrip().endswith(":")
    ]
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


@dataclass
class Composed:
    """An answer's Markdown, its citations, and its numbered points with their sections."""

    text: str
    citations: list[Citation]
    points: list[AnswerPoint]


LeadFn = Callable[[Sequence[Chunk], Sequence[list[str]]], str]


def build_answer(
    question: str,
    hits: Sequence[Hit],
    documents: Mapping[str, Document],
    idf: IdfFn,
    *,
    lead: LeadFn | None = None,
    max_points: int = 6,
    max_sections: int = 3,
    top_cap: int = 3,
    related: int = 0,
) -> Composed:
    """The extractive answer: a lead line, then points grouped under "Stage › Guideline" headers, each a
    verbatim sentence ending in its [n]; every point is also returned as an AnswerPoint."""
    points = select_points(
        question,
        hits,
        idf,
        max_points=max_points,
        max_sections=max_sections,
        top_cap=top_cap,
        related=related,
    )
    if not points:
        return Composed(NOT_COVERED, [], [])
    citations: list[Citation] = []
    records: list[AnswerPoint] = []
    groups: dict[int, list[str]] = {}
    quotes: dict[int, list[str]] = {}
    for p in points:
        chunk = hits[p.hit_index].chunk
        n = len(citations) + 1
        quote = chunk.text[p.start : p.end]
        citations.append(make_citation(n, chunk, quote, documents.get(chunk.doc_id)))
        shown = strip_reference_marks(statement_text(quote))
        records.append(
            AnswerPoint(
                n=n,
                text=" ".join(shown.split()),
                doc_id=chunk.doc_id,
                section=chunk.section,
                section_path=list(chunk.section_path),
                stage=chunk.stage,
            )
        )
        statement = markdown_text(shown).rstrip()
        groups.setdefault(p.hit_index, []).append(f"- {statement} [{n}]")
        quotes.setdefault(p.hit_index, []).append(quote)
    chunks = [hits[i].chunk for i in groups]
    first = (lead or default_lead(question, documents))(chunks, list(quotes.values()))
    blocks = [first]
    for i, lines in groups.items():
        blocks.append(_header(hits[i].chunk, documents) + "\n" + "\n".join(lines))
    return Composed("\n\n".join(blocks), citations, records)


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    documents: Mapping[str, Document],
    idf: IdfFn,
) -> tuple[str, list[Citation]]:
    """Markdown answer and its citations (one per point; the quote is the point's exact sentence)."""
    composed = build_answer(question, hits, documents, idf)
    return composed.text, composed.citations


def shared_terms(question: str, texts: Sequence[str]) -> list[str]:
    """The question's topic words (as typed) that occur in `texts`, in question order."""
    toks = set(tokenize(" ".join(texts)))
    out: list[str] = []
    for w in words(question):
        if w in STOP_WORDS or w in QUERY_FILLER or len(w) < 4:
            continue
        w = w.removesuffix("'s")
        if stem(w.replace("'", "")) in toks and w not in out:
            out.append(w)
    return out


def default_lead(question: str, documents: Mapping[str, Document]) -> LeadFn:
    """The lead line: which guideline answers, and, when several do, what each other one adds (the
    question's words its quoted points share)."""

    def lead(chunks: Sequence[Chunk], quotes: Sequence[list[str]]) -> str:
        top = chunks[0]
        text = f"{markdown_text(doc_name(top, documents))} answers this under **{markdown_text(section_label(top))}**"
        extra = []
        for chunk, qs in zip(chunks[1:], quotes[1:], strict=True):
            label = f"**{markdown_text(section_label(chunk))}**"
            if chunk.doc_id != top.doc_id:
                label += f" ({markdown_text(doc_name(chunk, documents))})"
            terms = shared_terms(question, qs)
            extra.append(
                label + (f" also covers {markdown_text(', '.join(terms[:3]))}" if terms else " is related")
            )
        if extra:
            text += "; " + "; ".join(extra)
        return text + ". The key points, quoted from the sources:"

    return lead


def _where(chunk: Chunk) -> str:
    return f", {chunk.pages_label}" if chunk.pages_label else ""


def _header(chunk: Chunk, documents: Mapping[str, Document]) -> str:
    label = markdown_text(section_label(chunk))
    return f"**{label}** — {markdown_text(doc_name(chunk, documents))}{_where(chunk)}"


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

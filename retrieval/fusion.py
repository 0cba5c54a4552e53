"""Reciprocal-rank fusion and the merging of adjacent chunks of one section into one hit."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

from saige.types import Chunk, Hit

K = TypeVar("K", bound=Hashable)


def rrf(rankings: Sequence[tuple[Sequence[K], float]], k: int) -> dict[K, float]:
    """Weighted reciprocal-rank fusion: score(d) = sum of weight / (k + rank(d)) over rankings."""
    scores: dict[K, float] = {}
    for ranking, weight in rankings:
        if weight <= 0:
            continue
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def join_overlapping(first: str, second: str, *, max_words: int = 120) -> str:
    """Join two consecutive chunk texts, dropping the words the second repeats from the end of the first.

    The chunker overlaps neighbouring chunks by some tokens; the overlap is found as the longest run of words
    that ends `first` and starts `second` (up to `max_words`).
    """
    a = first.split()
    b = second.split()
    limit = min(len(a), len(b), max_words)
    for n in range(limit, 0, -1):
        if a[-n:] == b[:n]:
            rest = b[n:]
            return first.rstrip() + (" " + " ".join(rest) if rest else "")
    if second.strip() and second.strip() in first:
        return first
    return first.rstrip() + " " + second.lstrip()


def _section_key(chunk: Chunk) -> tuple[str, int, tuple[str, ...], str | None]:
    """Chunks merge within one section and one table row: a row (`Chunk.control_id`) stays its own hit."""
    return (chunk.doc_id, chunk.section_order, tuple(chunk.section_path), chunk.control_id)


def _merge_run(run: list[Hit]) -> Hit:
    """One hit from chunks of one section with consecutive ordinals (sorted by ordinal)."""
    if len(run) == 1:
        hit = run[0]
        if not hit.merged_ids:
            hit = hit.model_copy(update={"merged_ids": [hit.chunk.chunk_id]})
        return hit
    text = run[0].chunk.text
    for h in run[1:]:
        text = join_overlapping(text, h.chunk.text)
    starts = [h.chunk.page_start for h in run if h.chunk.page_start is not None]
    ends = [h.chunk.page_end or h.chunk.page_start for h in run if (h.chunk.page_end or h.chunk.page_start)]
    best = max(run, key=lambda h: h.score)
    chunk = run[0].chunk.model_copy(
        update={
            "text": text,
            "page_start": min(starts) if starts else None,
            "page_end": max(e for e in ends if e is not None) if ends else None,
        }
    )
    dense = [h.dense_score for h in run if h.dense_score is not None]
    bm25 = [h.bm25_score for h in run if h.bm25_score is not None]
    evidence = [h.evidence for h in run if h.evidence is not None]
    ids: list[str] = []
    for h in run:
        ids.extend(h.merged_ids or [h.chunk.chunk_id])
    return Hit(
        chunk=chunk,
        score=best.score,
        dense_score=max(dense) if dense else None,
        bm25_score=max(bm25) if bm25 else None,
        merged_ids=ids,
        evidence=max(evidence) if evidence else None,
    )


def merge_adjacent(hits: Sequence[Hit]) -> list[Hit]:
    """Merge hits that are neighbouring chunks of one section; drop duplicates; keep the ranking order.

    A merged hit takes the best score (and best evidence) of its parts and the place of its best part; its
    text is the parts' text joined without repeating the overlap, and its page range covers all parts.
    """
    seen: set[str] = set()
    unique: list[Hit] = []
    for h in hits:
        if h.chunk.chunk_id in seen:
            continue
        seen.add(h.chunk.chunk_id)
        unique.append(h)
    groups: dict[tuple[str, int, tuple[str, ...], str | None], list[Hit]] = {}
    for h in unique:
        groups.setdefault(_section_key(h.chunk), []).append(h)
    merged: list[Hit] = []
    for group in groups.values():
        group.sort(key=lambda h: h.chunk.ordinal)
        run: list[Hit] = [group[0]]
        for h in group[1:]:
            if h.chunk.ordinal == run[-1].chunk.ordinal + 1:
                run.append(h)
            else:
                merged.append(_merge_run(run))
                run = [h]
        merged.append(_merge_run(run))
    merged.sort(key=lambda h: -h.score)
    return [h.model_copy(update={"rank": i}) for i, h in enumerate(merged, start=1)]


def one_per_section(hits: Sequence[Hit]) -> list[Hit]:
    """Keep the best hit of each section (lower-ranked parts of an already listed section add nothing new)."""
    seen: set[tuple[str, int, tuple[str, ...]]] = set()
    out: list[Hit] = []
    for h in hits:
        key = (h.chunk.doc_id, h.chunk.section_order, tuple(h.chunk.section_path))
        if key in seen:
            continue
        seen.add(key)
        out.append(h)
    return out

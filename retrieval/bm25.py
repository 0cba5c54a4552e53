"""BM25 (rank-bm25's Okapi variant) over the indexed chunks: section path + text, with Saige's tokenizer."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.protocols import Filter
from retrieval.tokenize import tokenize
from saige.types import Chunk


def chunk_tokens(chunk: Chunk) -> list[str]:
    """What BM25 indexes for a chunk: its section path (so headings count) and its text."""
    return tokenize(" ".join(chunk.section_path) + "\n" + chunk.text)


class BM25Index:
    """Built once per engine from `store.chunks()`. Scores every chunk; filters apply before ranking."""

    def __init__(self, chunks: Sequence[Chunk], *, k1: float = 1.2, b: float = 0.75) -> None:
        """`k1`: how fast a term's repeats stop adding to the score; `b`: how much a long chunk is
        discounted (0: not at all, 1: in full proportion to its length)."""
        from rank_bm25 import BM25Okapi

        self.chunks: list[Chunk] = list(chunks)
        self._tokens = [chunk_tokens(c) for c in self.chunks]
        self.vocabulary: frozenset[str] = frozenset(t for toks in self._tokens for t in toks)
        # rank-bm25 divides by the corpus size and vocabulary size: nothing to build when there are no terms.
        self._bm25 = BM25Okapi(self._tokens, k1=k1, b=b) if self.vocabulary else None
        self._last: tuple[tuple[str, ...], Sequence[float], list[int]] | None = None
        self._df: dict[str, int] | None = None
        self._params = (k1, b)
        # The idf of the corpus's rarest term (0 for an empty index); idf does not depend on k1 or b.
        self.max_idf: float = (
            float(max(self._bm25.idf.values())) if self._bm25 is not None and self._bm25.idf else 0.0
        )

    @property
    def params(self) -> tuple[float, float]:
        """(k1, b) the index scores with."""
        return self._params

    def set_params(self, k1: float, b: float) -> None:
        """Score with other k1 and b from now on. Both are read at query time, so nothing is rebuilt; the
        last query's scores are forgotten."""
        if (k1, b) == self._params:
            return
        self._params = (k1, b)
        self._last = None
        if self._bm25 is not None:
            self._bm25.k1 = k1
            self._bm25.b = b

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term (0 when the corpus does not contain it)."""
        if self._bm25 is None or term not in self.vocabulary:
            return 0.0
        return float(self._bm25.idf.get(term, 0.0))

    def document_share(self, term: str) -> float:
        """The share of chunks that contain a stemmed term (0.0 for an empty index)."""
        if self._df is None:
            counts: dict[str, int] = {}
            for toks in self._tokens:
                for t in set(toks):
                    counts[t] = counts.get(t, 0) + 1
            self._df = counts
        return self._df.get(term, 0) / len(self._tokens) if self._tokens else 0.0

    def _scored(self, terms: tuple[str, ...]) -> tuple[Sequence[float], list[int]]:
        """Every chunk's score and the chunks best first. The last query's are kept: a search then searched
        again within some documents (the named-document search) scores the corpus once."""
        last = self._last
        if last is not None and last[0] == terms:
            return last[1], last[2]
        assert self._bm25 is not None
        scores = self._bm25.get_scores(list(terms))
        order = sorted(range(len(self.chunks)), key=lambda i: (-scores[i], i))
        self._last = (terms, scores, order)
        return scores, order

    def search(
        self, query: str | Sequence[str], n: int, flt: Filter | None = None
    ) -> list[tuple[Chunk, float]]:
        """The n best chunks with a positive score, best first, among those matching the filter."""
        terms = tokenize(query) if isinstance(query, str) else list(query)
        terms = [t for t in terms if t in self.vocabulary]
        if not terms or self._bm25 is None:
            return []
        scores, order = self._scored(tuple(terms))
        out: list[tuple[Chunk, float]] = []
        for i in order:
            if scores[i] <= 0:
                break
            chunk = self.chunks[i]
            if flt is not None and not flt.matches(chunk):
                continue
            out.append((chunk, float(scores[i])))
            if len(out) >= n:
                break
        return out

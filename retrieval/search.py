"""Hybrid search: BM25 + dense, fused with weighted reciprocal-rank fusion, then Saige's extras.

Dense candidates can be hub-corrected (retrieval/hubness.py: CSLS, each passage's cosine minus its
neighbourhood density; `hub_penalty`, off by default: it raised dev ranking but failed a held-out check).

Modes: "bm25" and "dense" (one retriever), "hybrid-plain" (RRF only) and "hybrid" (RRF plus the extras that
measured better on the eval set: a second search within the documents a question names, document priority and
named-document preference, shared-heading "twins", a heading-match bonus, a penalty for tables of contents /
reference lists / title pages, and one hit per section). Adjacent chunks of one section are merged into one
hit in every mode. Tried and dropped (worse or mixed on the dev questions): summing chunk scores per section
(also damped, and max-pooled section ranks), dense similarity of headings as a third ranking, BM25 over whole
sections, ranks read from deeper retriever lists (50-200), scaling the priority bonus by the priority
document's share of the candidates, and a bonus for the BM25 or dense score margin over the other candidates
(the BM25 one raised dev MRR to 0.856, 0.847 without, but cost the Guidelines' own sections rank 1 on dev
follow-ups and on Guidelines paraphrases).

Document priority. Several documents share headings ("Secure your supply chain" is a guideline of the
Guidelines, a principle of the NCSC ML principles and a topic of the UK code of practice). A question that
names a document ("NIST", "RMF", "code of practice", "Singapore"...) gets a fusion bonus for that document's
chunks; a question that names none gets a smaller bonus for the highest-priority document (the Guidelines,
priority 10), so shared headings surface the Guidelines' own section first. Bonuses are counted in units of
one RRF first place (1 / (rrf_k + 1)), so they are comparable with the fused scores they are added to.

Evidence. The priority bonus and the twins' placement order documents; they say nothing about how well a
passage answers. Each hit's `evidence` is its fused score without them, so the answerer can quote another
document's section that the retrievers found as strongly as the Guidelines' own (retrieval/answer.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from retrieval.bm25 import BM25Index
from retrieval.controls import ControlCatalogue
from retrieval.fusion import merge_adjacent, one_per_section, rrf
from retrieval.hubness import FETCH, corrected, dehub, mean_density
from retrieval.naming import DocumentNamer
from retrieval.protocols import Embedder, Filter, VectorStore
from retrieval.section_signals import find_twins, is_junk, section_key
from retrieval.tokenize import content_terms, entity_terms, initialisms, tokenize
from saige.settings import Settings
from saige.types import Chunk, Control, ControlMatch, Document, Hit

# A name the question mentions that more than this share of all chunks contain ("LLM", "model") is the corpus's
# own vocabulary, not a specific name whose absence from the top hits means the corpus does not cover the
# question: the entity-coverage test (SearchResult.entity_coverage) leaves it out. A structural value (one
# passage in twenty), not tuned; on dev it changes one answer, a false abstention on "LLM".
COMMON_TERM_SHARE = 0.05

# Identifier lookup: how many of the matched control's parent and siblings follow it at the top.
PINNED_CONTEXT = 3

Mode = Literal["hybrid", "hybrid-plain", "bm25", "dense"]
MODES: tuple[str, ...] = ("hybrid", "hybrid-plain", "bm25", "dense")


@dataclass
class SearchResult:
    """Hits plus the evidence signals the answerer uses to decide whether to abstain."""

    query: str
    hits: list[Hit]
    best_dense: float = 0.0
    best_fused: float = 0.0
    named_docs: frozenset[str] = field(default_factory=frozenset)
    entities: list[str] = field(default_factory=list)
    unknown_entities: list[str] = field(default_factory=list)
    entity_coverage: float = 1.0
    term_coverage: float = 0.0
    controls: list[ControlMatch] = field(default_factory=list)


class SearchEngine:
    """BM25 over `store.chunks()` (built once) plus the store's dense search, fused."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        documents: Sequence[Document],
        settings: Settings,
        *,
        chunks: Sequence[Chunk] | None = None,
    ) -> None:
        """`chunks`: the store's chunks when the caller already read them (else read here)."""
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.documents = {d.id: d for d in documents}
        self.chunks: list[Chunk] = list(chunks) if chunks is not None else store.chunks()
        self.bm25 = BM25Index(self.chunks, k1=settings.bm25_k1, b=settings.bm25_b)
        self.namer = DocumentNamer(documents)
        max_priority = max((d.priority for d in documents), default=0)
        self._priority = {
            d.id: (d.priority / max_priority if max_priority > 0 else 0.0)
            for d in documents
            if d.priority > 0
        }
        self._heading_terms: dict[str, frozenset[str]] = {}
        titles = {d.id: (d.title, d.short_title) for d in documents}
        self._twins = find_twins(self.chunks, frozenset(self._priority))
        self._junk = {c.chunk_id for c in self.chunks if is_junk(c, (c.doc_title, *titles.get(c.doc_id, ())))}
        self._centre = mean_density(self.chunks)
        self.catalogue: ControlCatalogue | None = None

    def use_catalogue(self, catalogue: ControlCatalogue) -> None:
        """Turn on the identifier lookup: a question naming a control's id gets that control's chunk first,
        then its parent's and its siblings' (hybrid mode)."""
        catalogue.index_chunks(self.chunks)
        self.catalogue = catalogue

    # --- signals ----------------------------------------------------------------------------------

    def _heading(self, chunk: Chunk) -> frozenset[str]:
        terms = self._heading_terms.get(chunk.section)
        if terms is None:
            terms = frozenset(tokenize(chunk.section))
            self._heading_terms[chunk.section] = terms
        return terms

    # --- search -----------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        flt: Filter | None = None,
        mode: str = "hybrid",
        dense_query: str | None = None,
    ) -> SearchResult:
        """Search; `dense_query` (default: `query`) is what gets embedded."""
        if mode not in MODES:
            raise ValueError(f"mode: unknown search mode {mode!r}; expected one of: {', '.join(MODES)}")
        s = self.settings
        k = k or s.top_k
        n = max(s.candidates, k)
        flt = None if flt is None or flt.empty else flt
        named = self.namer.named(query)
        # BM25 searches for the question's topic, not the names of the documents it names
        terms = (content_terms(self.namer.unnamed(query)) if named else []) or content_terms(query)
        bm25_hits: list[tuple[Chunk, float]] = []
        dense_hits: list[tuple[Chunk, float]] = []
        vector: list[float] = []
        if mode != "dense":
            self.bm25.set_params(s.bm25_k1, s.bm25_b)  # the settings may have been swapped (evals/tune.py)
            bm25_hits = self.bm25.search(terms, n, flt)
        if mode != "bm25":
            vector = self.embed_query(dense_query or query)
            dense_hits = self._dense(vector, n, flt)

        by_id: dict[str, Chunk] = {}
        bm25_score: dict[str, float] = {}
        dense_score: dict[str, float] = {}
        for c, sc in bm25_hits:
            by_id[c.chunk_id] = c
            bm25_score[c.chunk_id] = sc
        for c, sc in dense_hits:
            by_id.setdefault(c.chunk_id, c)
            dense_score[c.chunk_id] = sc

        if mode == "bm25":
            fused = dict(bm25_score)
        elif mode == "dense":  # hub-corrected (retrieval/hubness.py); the hit's dense score stays the cosine
            fused = {c.chunk_id: corrected(c, sc, s.hub_penalty, self._centre) for c, sc in dense_hits}
        else:
            rankings = [
                ([c.chunk_id for c, _ in bm25_hits], s.bm25_weight),
                ([c.chunk_id for c, _ in dense_hits], s.dense_weight),
            ]
            if mode == "hybrid":
                rankings += self._named_rankings(terms, vector, n, named, flt, by_id)
            fused = rrf(rankings, s.rrf_k)
        matches: list[ControlMatch] = []
        evidence: dict[str, float] = {}
        if mode == "hybrid":
            self._add_extras(query, fused, by_id, named)
            evidence = dict(fused)
            self._add_preferences(fused, by_id, named, flt)
            matches = self._pin_controls(query, fused, by_id, named, flt, evidence)

        ranked = sorted(fused.items(), key=lambda kv: -kv[1])
        pool = ranked[: max(3 * k, 15)]
        hits = [
            Hit(
                chunk=by_id[cid],
                score=score,
                dense_score=dense_score.get(cid),
                bm25_score=bm25_score.get(cid),
                evidence=evidence.get(cid, 0.0) if mode == "hybrid" else None,
            )
            for cid, score in pool
        ]
        merged = merge_adjacent(hits)
        if mode == "hybrid":
            merged = one_per_section(merged)
        top = [h.model_copy(update={"rank": i}) for i, h in enumerate(merged[:k], start=1)]
        entities = [
            t
            for t in entity_terms(query)
            if t not in self.namer.name_terms and self.bm25.document_share(t) < COMMON_TERM_SHARE
        ]
        hit_terms = [self._chunk_terms(h.chunk) for h in top]  # tokenized once, for both tests below
        present: set[str] = set().union(*hit_terms)
        found = [t for t in entities if t in present]
        acronyms = {w.lower() for w in re.findall(r"\b[A-Z]{2,5}\b", query)}
        if acronyms & (set(entities) - present):  # spelled out? ("MFA": multi-factor authentication)
            initials = initialisms(h.chunk.text for h in top)
            found += [t for t in entities if t not in present and t in acronyms and t in initials]
        return SearchResult(
            query=query,
            hits=top,
            best_dense=max(dense_score.values(), default=0.0),
            best_fused=top[0].score if top else 0.0,
            named_docs=named,
            entities=entities,
            unknown_entities=[t for t in entities if t not in self.bm25.vocabulary],
            entity_coverage=len(found) / len(entities) if entities else 1.0,
            term_coverage=self._term_coverage(terms, hit_terms),
            controls=matches,
        )

    def _term_coverage(self, terms: Sequence[str], hit_terms: Sequence[set[str]]) -> float:
        """The largest share of the question's terms, weighted by their rarity (idf), that one hit contains
        (`hit_terms`: each hit's terms; 0.0 for a question without terms). A term the corpus never uses weighs as
        much as the corpus's rarest one: its absence counts fully. A short question in the corpus's own words
        ("deepfakes") embeds poorly but is matched here word for word."""
        unique = list(dict.fromkeys(terms))
        if not unique or not hit_terms:
            return 0.0
        rarest = self.bm25.max_idf
        weights = {t: self.bm25.idf(t) if t in self.bm25.vocabulary else rarest for t in unique}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return max(sum(w for t, w in weights.items() if t in held) / total for held in hit_terms)

    def _named_rankings(
        self,
        terms: Sequence[str],
        vector: Sequence[float],
        n: int,
        named: frozenset[str],
        flt: Filter | None,
        by_id: dict[str, Chunk],
    ) -> list[tuple[list[str], float]]:
        """The documents a question names, searched on their own too (BM25 and dense, `n` each): their
        chunks then rank in fusion even when other documents fill the whole corpus's top candidates, so the
        named-document bonus has their best passages to act on."""
        s = self.settings
        named_flt = self._named_filter(named, flt) if s.named_doc_search > 0 else None
        if named_flt is None:
            return []
        out: list[tuple[list[str], float]] = []
        for found, weight in (
            (self.bm25.search(terms, n, named_flt), s.bm25_weight),
            (self._dense(vector, n, named_flt) if vector else [], s.dense_weight),
        ):
            for c, _ in found:
                by_id.setdefault(c.chunk_id, c)
            out.append(([c.chunk_id for c, _ in found], weight * s.named_doc_search))
        return out

    def _named_filter(self, named: frozenset[str], flt: Filter | None) -> Filter | None:
        """The documents a question names, as a filter within `flt`; None when there are none, or when
        `flt` already searches only them."""
        docs = set(named)
        if flt is not None and flt.doc_ids:
            docs &= set(flt.doc_ids)
            if docs == set(flt.doc_ids):
                return None
        if not docs:
            return None
        return Filter(doc_ids=tuple(sorted(docs)), stage=flt.stage if flt is not None else None)

    def _pin_controls(
        self,
        query: str,
        fused: dict[str, float],
        by_id: dict[str, Chunk],
        named: frozenset[str],
        flt: Filter | None,
        evidence: dict[str, float],
    ) -> list[ControlMatch]:
        """Identifier lookup: the chunks of the controls the question names go first (every candidate when
        the id is ambiguous), then the first match's parent and siblings. A pinned chunk's evidence is its
        pinned score: the question named it."""
        if self.catalogue is None or not self.catalogue:
            return []
        matches = self.catalogue.lookup(query, named)
        if not matches:
            return []
        pinned: list[Chunk] = []
        seen: set[str] = set()

        def pin(controls: Iterable[Control]) -> None:
            assert self.catalogue is not None
            for control in controls:
                for chunk in self.catalogue.chunks_for(control)[:1]:
                    if chunk.chunk_id in seen or (flt is not None and not flt.matches(chunk)):
                        continue
                    seen.add(chunk.chunk_id)
                    pinned.append(chunk)

        for match in matches:
            pin(match.controls)
        for match in matches:
            pin(match.context[: PINNED_CONTEXT + 1])
        unit = 1.0 / (self.settings.rrf_k + 1)
        top = max(fused.values(), default=0.0)
        for i, chunk in enumerate(pinned):
            by_id[chunk.chunk_id] = chunk
            fused[chunk.chunk_id] = top + unit * (len(pinned) - i)
            evidence[chunk.chunk_id] = fused[chunk.chunk_id]
        return matches

    def _chunk_terms(self, chunk: Chunk) -> set[str]:
        return set(tokenize(f"{chunk.doc_title} {' '.join(chunk.section_path)} {chunk.text}"))

    def _add_extras(
        self,
        query: str,
        fused: dict[str, float],
        by_id: dict[str, Chunk],
        named: frozenset[str],
    ) -> None:
        """What speaks for or against a chunk itself: the documents the question names, a heading that
        matches the question, a table of contents or reference list."""
        s = self.settings
        unit = 1.0 / (s.rrf_k + 1)
        q_terms = set(content_terms(query))
        for cid in fused:
            chunk = by_id[cid]
            bonus = 0.0
            if named and chunk.doc_id in named:
                bonus += s.named_doc_boost * unit
            if cid in self._junk:
                bonus -= s.junk_penalty * unit
            heading = self._heading(chunk)
            if heading and q_terms:
                overlap = len(heading & q_terms) / len(heading)
                bonus += s.heading_boost * unit * overlap
            fused[cid] += bonus

    def _add_preferences(
        self,
        fused: dict[str, float],
        by_id: dict[str, Chunk],
        named: frozenset[str],
        flt: Filter | None = None,
    ) -> None:
        """When the question names no document: the priority document's bonus, and its own section placed
        just above a shared heading ("twin") of another document. These order documents; they are not
        evidence that a passage answers (`Hit.evidence` leaves them out)."""
        if named:
            return
        unit = 1.0 / (self.settings.rrf_k + 1)
        for cid in fused:
            doc_id = by_id[cid].doc_id
            if doc_id in self._priority:
                fused[cid] += self.settings.guidelines_boost * unit * self._priority[doc_id]
        if self._twins:
            best_by_section: dict[tuple[str, int, tuple[str, ...]], float] = {}
            for cid, score in fused.items():
                k = section_key(by_id[cid])
                best_by_section[k] = max(best_by_section.get(k, float("-inf")), score)
            for k, score in list(best_by_section.items()):
                twin = self._twins.get(k)
                if twin is None or (flt is not None and not flt.matches(twin)):
                    continue
                twin_best = best_by_section.get(section_key(twin), float("-inf"))
                if twin_best <= score:
                    by_id.setdefault(twin.chunk_id, twin)
                    fused[twin.chunk_id] = max(fused.get(twin.chunk_id, float("-inf")), score + 1e-6)
                    best_by_section[section_key(twin)] = fused[twin.chunk_id]

    def _dense(self, vector: Sequence[float], n: int, flt: Filter | None) -> list[tuple[Chunk, float]]:
        """The store's `n` best by cosine, hub-corrected (retrieval/hubness.py) when the build has densities."""
        penalty = self.settings.hub_penalty
        if penalty <= 0 or self._centre is None:
            return self.store.query(vector, n, flt)
        return dehub(self.store.query(vector, FETCH * n, flt), penalty, self._centre, n)

    def embed_query(self, text: str) -> list[float]:
        """Embed a question. CachedEmbedder.embed_query keeps questions out of the on-disk cache."""
        embed_query = getattr(self.embedder, "embed_query", None)
        if callable(embed_query):
            return list(embed_query(text))
        return self.embedder.embed([text])[0]

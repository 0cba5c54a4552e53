"""Follow-up planning for the Saige facade: the sections of the index as a conversation refers to them, what
a question asks of the conversation (retrieval/followup.py `plan_followup`), and the hits that plan answers
from (the target section whole, its staged counterpart, or the analogous guidance elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Protocol

from retrieval.followup import Rewriter, plan_followup
from retrieval.fusion import join_overlapping
from retrieval.lifecycle import path_stage, staged_counterpart
from retrieval.referents import audience_first, audience_head, nouns
from retrieval.search import DocumentNamer, SearchResult
from retrieval.tokenize import tokenize
from saige.errors import SaigeError
from saige.types import STAGES, Chunk, Document, FollowupPlan, Hit, SectionRef, Turn, normalize_heading

SectionKey = tuple[str, tuple[str, ...]]
# How much of a section (heading, then text) is compared to find its counterpart in another stage: the
# opening of a guideline says what it is about (the query encoder reads about 300 words at most).
COUNTERPART_CHARS = 1500
# How many sections named for an audience join the pool of a follow-up about that audience.
ADDRESSED_SECTIONS = 6


class Search(Protocol):
    """The facade's filtered search (document ids and stage checked there)."""

    def __call__(
        self, query: str, *, k: int | None, docs: Sequence[str] | None, stage: str | None, mode: str
    ) -> SearchResult: ...


class Sections:
    """The indexed sections: each one's chunks, its whole text, and one whole section as a hit."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._parts: dict[SectionKey, list[Chunk]] = {}
        for c in chunks:
            self._parts.setdefault((c.doc_id, tuple(c.section_path)), []).append(c)

    def has(self, ref: SectionRef) -> bool:
        return ref.key in self._parts

    def _ordered(self, key: SectionKey) -> list[Chunk]:
        return sorted(self._parts.get(key, []), key=lambda c: (c.section_order, c.ordinal))

    def text(self, doc_id: str, section_path: Sequence[str]) -> str:
        parts = self._ordered((doc_id, tuple(section_path)))
        if not parts:
            raise SaigeError(f"section: no section {' > '.join(section_path)!r} in document {doc_id!r}")
        text = ""
        for c in parts:
            text = join_overlapping(text, c.text) if text else c.text
        return text

    def hit(self, ref: SectionRef) -> Hit | None:
        """One whole section as a hit (all its chunks joined), for answering a follow-up in depth."""
        parts = self._ordered(ref.key)
        if not parts:
            return None
        pages = [p for c in parts for p in (c.page_start, c.page_end) if p is not None]
        chunk = parts[0].model_copy(
            update={
                "text": self.text(ref.doc_id, ref.section_path),
                "page_start": min(pages) if pages else None,
                "page_end": max(pages) if pages else None,
            }
        )
        return Hit(chunk=chunk, rank=1, score=1.0, dense_score=1.0, merged_ids=[c.chunk_id for c in parts])


class FollowupPlanner:
    """Plans a question against the conversation and finds the hits the plan answers from."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        documents: Mapping[str, Document],
        name_terms: frozenset[str],
        search: Search,
        sections: Sections,
    ) -> None:
        self._chunks = chunks
        self._documents = documents
        self._name_terms = name_terms
        self._search = search
        self.sections = sections
        self.catalogue = section_catalogue(chunks, documents)

    @cached_property
    def _stage_docs(self) -> dict[str, list[str]]:
        """For each lifecycle stage, the documents that sort guidance into it, most authoritative first."""
        rank = {
            d: i for i, d in enumerate(sorted(self._documents, key=lambda d: -self._documents[d].priority))
        }
        out: dict[str, list[str]] = {}
        for c in self._chunks:
            if c.stage in STAGES and c.doc_id not in out.setdefault(c.stage, []):
                out[c.stage].append(c.doc_id)
        return {stage: sorted(ids, key=lambda d: rank.get(d, len(rank))) for stage, ids in out.items()}

    @cached_property
    def _staged_docs(self) -> frozenset[str]:
        """The documents that sort their guidance into the lifecycle stages."""
        return frozenset(d for ids in self._stage_docs.values() for d in ids)

    @cached_property
    def doc_terms(self) -> frozenset[str]:
        """Words that only name a document ("singapor", "cisa"): document-name terms no heading uses. Only
        follow-up planning needs them, so they are worked out on the first question, not at start-up."""
        headings = {t for c in self._chunks for p in c.section_path for t in tokenize(p)}
        return frozenset(self._name_terms - headings)

    @cached_property
    def _namer(self) -> DocumentNamer:
        """The documents a question names (as the search finds them)."""
        return DocumentNamer(self._documents.values())

    def plan(self, question: str, history: Sequence[Turn], rewriter: Rewriter | None = None) -> FollowupPlan:
        """How the question leans on the conversation (retrieval/followup.py); `rewriter` (an LLM) rewrites
        the follow-ups the structured rules leave as plain rewrites."""
        return plan_followup(
            question,
            history,
            self.catalogue,
            rewriter,
            self.doc_terms,
            self._namer.named,
            self._name_terms,
        )

    def result(
        self,
        plan: FollowupPlan,
        *,
        k: int,
        docs: Sequence[str] | None,
        stage: str | None,
        mode: str,
    ) -> SearchResult:
        """The hits a follow-up plan answers from: the target section first (expand, pick, stage), or the
        search in the named stage without the sections already given (analogous), else a plain search."""
        if plan.kind in ("expand", "pick", "stage", "locate", "control") and plan.target is not None:
            targeted = self._targeted(plan, plan.target, k=k, docs=docs, stage=stage, mode=mode)
            if targeted is not None:
                return targeted
        if plan.kind == "analogous":
            return self._analogous(plan, k=k, docs=docs, stage=stage, mode=mode)
        named = [d for d in plan.docs if d in self._documents and (not docs or d in docs)]
        if named:
            # A follow-up naming documents ("and in the code of practice?", "and NIST?": four documents) is
            # answered from those documents only.
            found = self._search(plan.query, k=k, docs=named, stage=stage, mode=mode)
            if plan.like is not None and plan.like.doc_id not in named:
                return self._elsewhere(plan.like, found, named, k=k, stage=stage)
            return found
        found = self._search(plan.query, k=k, docs=docs, stage=stage, mode=mode)
        if plan.like is not None and found.named_docs and plan.like.doc_id not in found.named_docs:
            named = sorted(d for d in found.named_docs if not docs or d in docs)
            return self._elsewhere(plan.like, found, named, k=k, stage=stage)
        return found

    def _elsewhere(
        self, like: SectionRef, found: SearchResult, named: Sequence[str], *, k: int, stage: str | None
    ) -> SearchResult:
        """The same guidance in the documents a follow-up names: the named documents' section nearest in
        meaning to the section `like` (its heading and text) first, then the search's hits."""
        if not named:
            return found
        text = self.sections.text(like.doc_id, like.section_path) if self.sections.has(like) else ""
        near = self._search(
            f"{like.section}\n{text}"[:COUNTERPART_CHARS], k=1, docs=named, stage=stage, mode="dense"
        )
        lead = near.hits[:1]
        taken = {_key(h) for h in lead}
        hits = [*lead, *(h for h in found.hits if _key(h) not in taken)][:k]
        hits = [h.model_copy(update={"rank": i}) for i, h in enumerate(hits, 1)]
        # The evidence that the named documents hold this guidance is also how near their counterpart is to
        # the section given: the follow-up's own query is a bag of topic words, which embeds poorly.
        return replace(found, hits=hits, best_dense=max(found.best_dense, near.best_dense))

    def _targeted(
        self,
        plan: FollowupPlan,
        target: SectionRef,
        *,
        k: int,
        docs: Sequence[str] | None,
        stage: str | None,
        mode: str,
    ) -> SearchResult | None:
        head = self.sections.hit(target)
        if head is None:
            return None
        found = self._search(plan.query, k=k + 3, docs=docs, stage=stage, mode=mode)
        rest = [h for h in found.hits if _key(h) != target.key]
        lead = [head]
        if plan.kind == "stage" and head.chunk.stage not in STAGES:
            twin = self.staged_counterpart(target, plan.query, docs)
            if twin is not None:
                lead = [twin, head]
                rest = [h for h in rest if _key(h) != _key(twin)]
        hits = [*lead, *rest][:k]
        hits = [h.model_copy(update={"rank": i}) for i, h in enumerate(hits, 1)]
        return SearchResult(query=plan.query, hits=hits, best_dense=1.0, best_fused=found.best_fused)

    def _analogous(
        self,
        plan: FollowupPlan,
        *,
        k: int,
        docs: Sequence[str] | None,
        stage: str | None,
        mode: str,
    ) -> SearchResult:
        excluded = {r.key for r in plan.exclude}
        stage_name = plan.stage or stage
        found = self._search(
            plan.query,
            k=k + len(excluded) + (10 if plan.audience else 4),
            docs=docs,
            stage=stage_name,
            mode=mode,
        )
        overview = normalize_heading(stage_name) if stage_name else None

        def keep(h: Hit) -> bool:
            return _key(h) not in excluded and normalize_heading(h.chunk.section) != overview

        hits = [h for h in found.hits if keep(h)] or found.hits
        if plan.audience:
            named = [h for h in self._addressed(plan, docs, stage_name) if keep(h)]
            taken = {_key(h) for h in hits}
            hits = [*hits, *(h for h in named if _key(h) not in taken)]
            hits = audience_first(hits, plan.audience, plan.previous, self._staged_docs)
        if plan.like is not None and plan.stage is not None:
            near = [h for h in self._counterparts(plan.like, plan.stage, k + len(excluded), docs) if keep(h)]
            taken = {_key(h) for h in near}
            hits = [*near, *(h for h in hits if _key(h) not in taken)]
        hits = [h.model_copy(update={"rank": i}) for i, h in enumerate(hits[:k], 1)]
        return replace(found, hits=hits, controls=[])  # the stage's search's signals; no pinned control

    def _addressed(self, plan: FollowupPlan, docs: Sequence[str] | None, stage: str | None) -> list[Hit]:
        """The sections whose heading names the audience of `plan` (by its head noun, as
        retrieval/followup.py `audience_first` judges it), the previous answer's documents first, so that a
        guideline written for that audience ("Make it easy for users to do the right things") is found even
        when the topic's search does not reach it."""
        head = audience_head(plan.audience or "")
        if head is None:
            return []
        home = list(dict.fromkeys(r.doc_id for r in plan.previous))
        refs = [
            r
            for r in self.catalogue
            if head in nouns(r.section)
            and (not docs or r.doc_id in docs)
            and (stage is None or r.stage == stage)
        ]
        refs.sort(key=lambda r: home.index(r.doc_id) if r.doc_id in home else len(home))
        out = [self.sections.hit(r) for r in refs[:ADDRESSED_SECTIONS]]
        return [h.model_copy(update={"rank": 1000 + i}) for i, h in enumerate(out) if h is not None]

    def _counterparts(self, like: SectionRef, stage: str, k: int, docs: Sequence[str] | None) -> list[Hit]:
        """The guidelines of `stage` nearest in meaning to the section `like` (its heading and text), within
        one document's lifecycle: `like`'s own document when it sorts guidance into that stage, else the
        most authoritative document that does. Empty when no document has the stage or `docs` excludes it."""
        staged = self._stage_docs.get(stage, ())
        home = like.doc_id if like.doc_id in staged else next(iter(staged), None)
        if home is None or (docs and home not in docs):
            return []
        text = self.sections.text(like.doc_id, like.section_path) if self.sections.has(like) else ""
        query = f"{like.section}\n{text}"[:COUNTERPART_CHARS]
        return self._search(query, k=k, docs=[home], stage=stage, mode="dense").hits

    def staged_counterpart(self, ref: SectionRef, query: str, docs: Sequence[str] | None) -> Hit | None:
        """For "which stage?" about a section of a document without the lifecycle stages: its counterpart
        in a document that has them (retrieval/followup.py `staged_counterpart`), searched within the stage
        the section's own part heading names, if any."""
        if ref.doc_id in self._staged_docs:
            return None
        found = self._search(query, k=10, docs=docs, stage=path_stage(ref.section_path), mode="hybrid")
        twin = staged_counterpart(ref, found.hits)
        if twin is None:
            return None
        c = twin.chunk
        return self.sections.hit(
            SectionRef(doc_id=c.doc_id, section=c.section, section_path=list(c.section_path))
        )


def _key(hit: Hit) -> SectionKey:
    return (hit.chunk.doc_id, tuple(hit.chunk.section_path))


def section_catalogue(chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> list[SectionRef]:
    """Every indexed section once, the highest-priority documents first (a shared guideline name then
    means the Guidelines' own section), in document order."""
    seen: dict[SectionKey, SectionRef] = {}
    order: dict[SectionKey, int] = {}
    for c in chunks:
        key = (c.doc_id, tuple(c.section_path))
        doc = documents.get(c.doc_id)
        titles = {normalize_heading(t) for t in ((doc.title, doc.short_title) if doc else (c.doc_title,))}
        if normalize_heading(c.section) in titles:
            continue  # a document's title is not a guideline a conversation refers to
        if key not in seen:
            seen[key] = SectionRef(
                doc_id=c.doc_id, section=c.section, section_path=list(c.section_path), stage=c.stage
            )
            order[key] = c.section_order

    def rank(key: SectionKey) -> tuple[int, str, int]:
        doc = documents.get(key[0])
        return (-(doc.priority if doc else 0), key[0], order[key])

    return [seen[key] for key in sorted(seen, key=rank)]

"""The Saige facade: the one entry point the CLI, the app and the evals call for search and answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from datetime import UTC, datetime
from functools import cached_property

from retrieval.answer import NOT_COVERED, abstain_answer
from retrieval.composer import compose_answer
from retrieval.controls import ControlCatalogue
from retrieval.followup import audience_first, path_stage, plan_followup, staged_counterpart
from retrieval.guard import screen_question
from retrieval.protocols import Embedder, Filter, VectorStore
from retrieval.search import MODES, SearchEngine, SearchResult
from retrieval.tokenize import tokenize
from saige.errors import QuestionError, SaigeError
from saige.settings import Settings
from saige.types import (
    STAGES,
    Answer,
    Chunk,
    Control,
    ControlMatch,
    Document,
    FollowupPlan,
    Hit,
    RelatedControl,
    SectionRef,
    Turn,
    normalize_heading,
    normalize_stage,
)

DECLINED = "the input only gives instructions to the assistant"
# Said when the input asks nothing of the corpus (see retrieval/guard.py); distinct from NOT_COVERED.
INSTRUCTIONS_DECLINED = (
    "This asks me to change how I work, not about the guidance. Saige answers questions about the guidance "
    "in its corpus, quoting and citing the documents; it does not take on roles, reveal its instructions or "
    'write other content. Ask about the guidance, for example: "How can an attacker bypass guardrails?"'
)


class Saige:
    """Search and grounded answers over one index."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: VectorStore,
        documents: Sequence[Document] | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        chunks = store.chunks()
        if documents is None:
            documents = _manifest_or_empty(settings)
        indexed = {c.doc_id for c in chunks}
        self._documents = {d.id: d for d in documents if d.id in indexed}
        # Chunks of documents the manifest does not list still search fine; they get a minimal Document.
        for c in chunks:
            if c.doc_id not in self._documents:
                self._documents[c.doc_id] = _stub_document(c)
        self.engine = SearchEngine(store, embedder, list(self._documents.values()), settings, chunks=chunks)
        self.catalogue = _control_catalogue(store, documents)
        self.engine.use_catalogue(self.catalogue)
        self._by_section: dict[tuple[str, tuple[str, ...]], list[Chunk]] = {}
        for c in self.engine.chunks:
            self._by_section.setdefault((c.doc_id, tuple(c.section_path)), []).append(c)
        self._log_lock = threading.Lock()
        self._catalogue = _catalogue(self.engine.chunks, self._documents)
        self._staged_docs: frozenset[str] | None = None  # documents that sort guidance into the stages

    @cached_property
    def _doc_terms(self) -> frozenset[str]:
        """Words that only name a document ("singapor", "cisa"): document-name terms no heading uses. Only
        follow-up planning needs them, so they are worked out on the first question, not at start-up."""
        headings = {t for c in self.engine.chunks for p in c.section_path for t in tokenize(p)}
        return frozenset(self.engine.namer.name_terms - headings)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
    ) -> Saige:
        """The real model (cached) and the current index, unless given. Raises IndexMissingError and
        IndexCorruptError (one line) when there is no usable index."""
        if embedder is None:
            from retrieval.embedder import load_embedder

            embedder = load_embedder(settings)
            # The query encoder's weights are read and hashed in the background while the index opens
            # (file reading, hashing and numpy release the GIL): the first answer comes sooner on 2 cores.
            # What the thread needs is imported here first: two threads importing numpy at once can see
            # it half-initialised.
            import numpy  # noqa: F401
            import tokenizers  # noqa: F401

            import retrieval.query_encoder  # noqa: F401

            threading.Thread(target=embedder.warm, name="saige-warm-query-encoder", daemon=True).start()
        if store is None:
            from retrieval.index import open_current_store

            store = open_current_store(settings, embedder)
        return cls(settings, embedder, store)

    # --- browsing ---------------------------------------------------------------------------------

    def documents(self) -> list[Document]:
        return sorted(self._documents.values(), key=lambda d: (-d.priority, d.id))

    def chunks(self) -> list[Chunk]:
        return list(self.engine.chunks)

    def section_text(self, doc_id: str, section_path: Sequence[str]) -> str:
        from retrieval.fusion import join_overlapping

        parts = self._by_section.get((doc_id, tuple(section_path)))
        if not parts:
            raise SaigeError(f"section: no section {' > '.join(section_path)!r} in document {doc_id!r}")
        text = ""
        for c in sorted(parts, key=lambda c: (c.section_order, c.ordinal)):
            text = join_overlapping(text, c.text) if text else c.text
        return text

    def related(self, doc_id: str, section_path: Sequence[str], k: int = 5) -> list[Hit]:
        """The nearest sections of other documents to this section (dense similarity of its text)."""
        text = self.section_text(doc_id, section_path)
        others = tuple(d for d in self._documents if d != doc_id)
        if not others:
            return []
        query = " > ".join(section_path) + "\n" + text
        vector = self.embedder.embed([query[:2000]])[0]
        found = self.store.query(vector, max(4 * k, 20), Filter(doc_ids=others))
        hits: list[Hit] = []
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for chunk, score in found:
            key = (chunk.doc_id, tuple(chunk.section_path))
            if key in seen:
                continue
            seen.add(key)
            hits.append(Hit(chunk=chunk, rank=len(hits) + 1, score=score, dense_score=score))
            if len(hits) >= k:
                break
        return hits

    # --- controls -----------------------------------------------------------------------------------

    def controls(self, doc_id: str | None = None) -> list[Control]:
        """The controls catalogue in catalogue order, or one document's controls."""
        if doc_id is not None and doc_id not in self._documents:
            known = ", ".join(sorted(self._documents))
            raise SaigeError(f"doc: unknown document id {doc_id!r}; indexed documents: {known}")
        return self.catalogue.of_document(doc_id)

    def control(self, identifier: str, doc_id: str | None = None) -> Control:
        """One control by its id in any spelling ("GV-1.2-001", "gv 1.2 001", "Govern 1.2", "PW 1.2",
        "5.3" with doc_id) or by its key ("<doc id>::<id>"). SaigeError (one line) when unknown, naming the
        nearest ids, or when the id names controls in several documents and no doc_id is given."""
        from retrieval.controls import describe

        found = self.catalogue.find(identifier, [doc_id] if doc_id else ())
        if not found and not doc_id:
            named = self.engine.namer.named(identifier)
            found = [m for match in self.catalogue.lookup(identifier, named) for m in match.controls]
        one = self.catalogue.one_control(found)
        if one is not None:
            return one
        if found:
            options = "; ".join(describe(c) for c in found[:6])
            raise SaigeError(
                f"control: {identifier!r} names controls in several documents ({options}); add --doc"
            )
        near = self.catalogue.nearest(identifier, 5)
        hint = f"; nearest: {', '.join(describe(c) for c in near)}" if near else ""
        raise SaigeError(f"control: no control {identifier!r} in the catalogue{hint}")

    def lookup_identifier(self, question: str) -> list[ControlMatch]:
        """The identifiers a question names, each with its control(s), best first, and their context
        (parent, then siblings). Ambiguous ids resolve by the document the question names, else every
        document's candidate is returned (`ambiguous`)."""
        return self.catalogue.lookup(question, self.engine.namer.named(question))

    def related_guidance(self, name_or_id: str, k_similar: int = 5) -> list[RelatedControl]:
        """Related guidance of a guideline (by its title) or a control (by its id): published links in the
        corpus, published mappings elsewhere (OWASP AI Exchange, CC0), then computed "similar" controls."""
        from retrieval.crosswalk import related_guidance

        return related_guidance(self, name_or_id, k_similar=k_similar)

    def control_of(self, chunk: Chunk) -> Control | None:
        """The control a chunk holds (its id in the heading or first in the text), if any."""
        return self.catalogue.control_of(chunk)

    def _label_controls(self, answer: Answer) -> Answer:
        """Citations of a chunk that holds a control carry the control's printed id."""
        if not self.catalogue or not answer.citations:
            return answer
        chunks = {h.chunk.chunk_id: h.chunk for h in answer.hits}
        cited = []
        for c in answer.citations:
            chunk = chunks.get(c.chunk_id)
            control = self.catalogue.control_of(chunk) if chunk is not None else None
            if control is not None and control.printed_id:
                c = c.model_copy(update={"control_id": control.control_id})
            cited.append(c)
        return answer.model_copy(update={"citations": cited})

    # --- search -----------------------------------------------------------------------------------

    def _filter(self, docs: Sequence[str] | None, stage: str | None) -> Filter | None:
        doc_ids: tuple[str, ...] = ()
        if docs:
            unknown = [d for d in docs if d not in self._documents]
            if unknown:
                known = ", ".join(sorted(self._documents))
                raise SaigeError(f"doc: unknown document id {unknown[0]!r}; indexed documents: {known}")
            doc_ids = tuple(dict.fromkeys(docs))
        stage_name: str | None = None
        if stage:
            try:
                stage_name = normalize_stage(stage)
            except ValueError as exc:
                raise SaigeError(str(exc)) from None
        flt = Filter(doc_ids=doc_ids, stage=stage_name)
        return None if flt.empty else flt

    def _check_question(self, question: str) -> str:
        text = question.strip()
        if not text:
            raise QuestionError("question: empty; type a question about the guidance")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"question: {len(question)} characters, over the limit of {self.settings.max_question_chars} "
                "(SAIGE_MAX_QUESTION_CHARS); shorten it"
            )
        return text

    def _resolve(self, question: str, history: Sequence[Turn], llm: str | None = None) -> str:
        return self._plan(question, history, llm).query

    def _plan(self, question: str, history: Sequence[Turn], llm: str | None = None) -> FollowupPlan:
        """How the question leans on the conversation (retrieval/followup.py); the LLM rewrites the
        follow-ups the structured rules leave as plain rewrites, when one is configured."""
        rewriter = None
        provider = self._provider(llm)
        if provider != "none" and history:
            from retrieval.llm import LLMAnswerer

            rewriter = LLMAnswerer(self.settings, provider).rewrite
        return plan_followup(question, history, self._catalogue, rewriter, self._doc_terms)

    # --- follow-ups over the structured answer ------------------------------------------------------

    def section_hit(self, ref: SectionRef) -> Hit | None:
        """One whole section as a hit (all its chunks joined), for answering a follow-up in depth."""
        parts = self._by_section.get(ref.key)
        if not parts:
            return None
        parts = sorted(parts, key=lambda c: (c.section_order, c.ordinal))
        pages = [p for c in parts for p in (c.page_start, c.page_end) if p is not None]
        chunk = parts[0].model_copy(
            update={
                "text": self.section_text(ref.doc_id, ref.section_path),
                "page_start": min(pages) if pages else None,
                "page_end": max(pages) if pages else None,
            }
        )
        return Hit(chunk=chunk, rank=1, score=1.0, dense_score=1.0, merged_ids=[c.chunk_id for c in parts])

    def _plan_result(
        self,
        plan: FollowupPlan,
        *,
        k: int | None,
        docs: Sequence[str] | None,
        stage: str | None,
        mode: str,
    ) -> SearchResult:
        """The hits a follow-up plan answers from: the target section first (expand, pick, stage), or the
        search in the named stage without the sections already given (analogous), else a plain search."""
        k = k or self.settings.top_k
        if plan.kind in ("expand", "pick", "stage") and plan.target is not None:
            head = self.section_hit(plan.target)
            if head is not None:
                found = self._search(plan.query, k=k + 3, docs=docs, stage=stage, mode=mode)
                rest = [
                    h for h in found.hits if (h.chunk.doc_id, tuple(h.chunk.section_path)) != plan.target.key
                ]
                lead = [head]
                if plan.kind == "stage" and head.chunk.stage not in STAGES:
                    twin = self._staged_counterpart(plan.target, plan.query, docs)
                    if twin is not None:
                        lead = [twin, head]
                        twin_at = (twin.chunk.doc_id, tuple(twin.chunk.section_path))
                        rest = [h for h in rest if (h.chunk.doc_id, tuple(h.chunk.section_path)) != twin_at]
                hits = [*lead, *rest][:k]
                hits = [h.model_copy(update={"rank": i}) for i, h in enumerate(hits, 1)]
                return SearchResult(query=plan.query, hits=hits, best_dense=1.0, best_fused=found.best_fused)
        if plan.kind == "analogous":
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
                key = (h.chunk.doc_id, tuple(h.chunk.section_path))
                return key not in excluded and normalize_heading(h.chunk.section) != overview

            hits = [h for h in found.hits if keep(h)] or found.hits
            if plan.audience:
                hits = audience_first(hits, plan.audience)
            hits = [h.model_copy(update={"rank": i}) for i, h in enumerate(hits[:k], 1)]
            return SearchResult(
                query=found.query,
                hits=hits,
                best_dense=found.best_dense,
                best_fused=found.best_fused,
                named_docs=found.named_docs,
                entities=found.entities,
                unknown_entities=found.unknown_entities,
                entity_coverage=found.entity_coverage,
            )
        return self._search(plan.query, k=k, docs=docs, stage=stage, mode=mode)

    def _staged_counterpart(self, ref: SectionRef, query: str, docs: Sequence[str] | None) -> Hit | None:
        """For "which stage?" about a section of a document without the lifecycle stages: its counterpart
        in a document that has them (retrieval/followup.py `staged_counterpart`), searched within the stage
        the section's own part heading names, if any."""
        if self._staged_docs is None:
            self._staged_docs = frozenset(c.doc_id for c in self.engine.chunks if c.stage in STAGES)
        if ref.doc_id in self._staged_docs:
            return None
        found = self._search(query, k=10, docs=docs, stage=path_stage(ref.section_path), mode="hybrid")
        twin = staged_counterpart(ref, found.hits)
        if twin is None:
            return None
        c = twin.chunk
        return self.section_hit(
            SectionRef(doc_id=c.doc_id, section=c.section, section_path=list(c.section_path))
        )

    def _search(
        self,
        query: str,
        *,
        k: int | None,
        docs: Sequence[str] | None,
        stage: str | None,
        mode: str,
    ) -> SearchResult:
        if mode not in MODES:
            raise SaigeError(f"mode: unknown search mode {mode!r}; expected one of: {', '.join(MODES)}")
        return self.engine.search(query, k=k or self.settings.top_k, flt=self._filter(docs, stage), mode=mode)

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        docs: Sequence[str] | None = None,
        stage: str | None = None,
        history: Sequence[Turn] = (),
        mode: str = "hybrid",
    ) -> list[Hit]:
        text = self._check_question(query)
        screened = screen_question(text)
        clean = text if screened.declined else screened.query
        if not history:
            return self._search(clean, k=k, docs=docs, stage=stage, mode=mode).hits
        plan = plan_followup(clean, history, self._catalogue, doc_terms=self._doc_terms)
        return self._plan_result(plan, k=k, docs=docs, stage=stage, mode=mode).hits

    # --- answers ----------------------------------------------------------------------------------

    def weak_evidence(self, result: SearchResult) -> str | None:
        """Why the evidence is too weak to answer from (None when it is strong enough).

        Three calibrated tests (settings, chosen on the eval set): the best dense similarity, the best fused
        score, and the share of the names the question mentions that the top hits contain.
        """
        s = self.settings
        if not result.hits:
            return "no passage matched"
        if result.controls and any(m.controls for m in result.controls):
            return None  # the question names a control the catalogue holds
        if result.best_dense < s.abstain_dense:
            return f"best dense similarity {result.best_dense:.2f} < {s.abstain_dense:.2f}"
        if result.best_fused < s.abstain_fused:
            return f"best fused score {result.best_fused:.4f} < {s.abstain_fused:.4f}"
        if result.entities and result.entity_coverage < s.abstain_entity_coverage:
            missing = [t for t in result.entities if t in result.unknown_entities] or result.entities
            return f"the sources do not mention {', '.join(missing[:3])}"
        return None

    def _provider(self, llm: str | None) -> str:
        provider = (llm or self.settings.llm_provider or "none").lower()
        if provider not in {"none", "ollama", "openai"}:
            raise SaigeError(f"llm: unknown provider {provider!r}; expected none, ollama or openai")
        return provider

    def _prepare(
        self,
        question: str,
        history: Sequence[Turn],
        k: int | None,
        docs: Sequence[str] | None,
        stage: str | None,
        llm: str | None,
    ) -> tuple[str, str, SearchResult, str | None, FollowupPlan]:
        text = self._check_question(question)
        screened = screen_question(text)
        if screened.declined:
            return (
                text,
                text,
                SearchResult(query=text, hits=[]),
                DECLINED,
                FollowupPlan(kind="new", query=text),
            )
        plan = (
            self._plan(screened.query, history, llm)
            if history
            else FollowupPlan(kind="new", query=screened.query)
        )
        result = self._plan_result(plan, k=k, docs=docs, stage=stage, mode="hybrid")
        # A follow-up about a section already answered, or the same topic elsewhere, is in scope by then.
        grounded = plan.target is not None or (plan.kind == "analogous" and bool(result.hits))
        weak = None if grounded and plan.kind != "rewrite" else self.weak_evidence(result)
        return text, plan.query, result, weak, plan

    def _extractive(
        self, question: str, resolved: str, result: SearchResult, plan: FollowupPlan | None = None
    ) -> Answer:
        composed = compose_answer(
            question,
            resolved,
            result.hits,
            self._documents,
            self.engine.bm25.idf,
            plan,
        )
        return Answer(
            question=question,
            answer=composed.text,
            abstained=not composed.citations,
            citations=composed.citations,
            points=composed.points,
            hits=result.hits,
            mode="extractive",
            resolved_query=resolved if resolved != question else None,
            followup=plan.kind if plan is not None and plan.kind != "new" else None,
        )

    def _abstain(self, question: str, resolved: str, result: SearchResult, mode: str, why: str) -> Answer:
        text = INSTRUCTIONS_DECLINED if why == DECLINED else abstain_answer(result.hits, self._documents)
        return Answer(
            question=question,
            answer=text,
            abstained=True,
            citations=[],
            hits=result.hits,
            mode="llm" if mode != "none" else "extractive",
            resolved_query=resolved if resolved != question else None,
            declined=why == DECLINED,
        )

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        k: int | None = None,
        docs: Sequence[str] | None = None,
        stage: str | None = None,
        llm: str | None = None,
    ) -> Answer:
        final: Answer | None = None
        for item in self.ask_stream(question, history=history, k=k, docs=docs, stage=stage, llm=llm):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def ask_stream(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        k: int | None = None,
        docs: Sequence[str] | None = None,
        stage: str | None = None,
        llm: str | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as they are generated, then the final checked Answer as the last item.

        The final Answer is authoritative: its text may differ from the streamed deltas when the checks
        removed unknown citations, planted-instruction output or a leak of the system prompt.
        """
        started = time.perf_counter()
        provider = self._provider(llm)
        text, resolved, result, weak, plan = self._prepare(question, history, k, docs, stage, llm)
        if weak is not None:
            answer = self._abstain(text, resolved, result, provider, weak)
        elif provider == "none" or plan.kind == "stage":
            answer = self._extractive(text, resolved, result, plan)
        else:
            answer = yield from self._llm_stream(text, resolved, result, provider)
        answer = self._label_controls(answer)
        if provider == "none" or weak is not None:
            yield answer.answer
        self._log(answer, time.perf_counter() - started)
        yield answer

    def _llm_stream(
        self, question: str, resolved: str, result: SearchResult, provider: str
    ) -> Generator[str, None, Answer]:
        from retrieval.citations import plain
        from retrieval.llm import LLMAnswerer, check_output, leaks_system_prompt

        answerer = LLMAnswerer(self.settings, provider)
        generated = ""
        stopped = False
        for delta in answerer.stream(resolved, result.hits, self._documents):
            generated += delta
            if stopped:
                continue
            if leaks_system_prompt(generated):
                stopped = True  # stop showing text; the final Answer replaces it with a refusal
                continue
            yield plain(delta)
        checked = check_output(generated, result.hits, self._documents)
        answer = Answer(
            question=question,
            answer=checked.answer,
            abstained=checked.abstained,
            citations=checked.citations,
            hits=result.hits,
            mode="llm",
            resolved_query=resolved if resolved != question else None,
            warnings=checked.warnings,
        )
        if not checked.citations and not checked.abstained:
            # Ungrounded output is not shown as an answer: fall back to the extractive answer.
            fallback = self._extractive(question, resolved, result)
            answer = fallback.model_copy(
                update={
                    "warnings": [*checked.warnings, "the LLM answer was replaced by the extractive answer"],
                }
            )
        return answer

    # --- logging ----------------------------------------------------------------------------------

    def _log(self, answer: Answer, seconds: float) -> None:
        if not self.settings.query_log:
            return
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question": answer.question,
            "resolved_query": answer.resolved_query,
            "abstained": answer.abstained,
            "mode": answer.mode,
            "citations": [f"{c.doc_id}#{c.section}" for c in answer.citations],
            "seconds": round(seconds, 4),
        }
        path = self.settings.data_dir / "queries.jsonl"
        with self._log_lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _catalogue(chunks: Sequence[Chunk], documents: dict[str, Document]) -> list[SectionRef]:
    """Every indexed section once, the highest-priority documents first (a shared guideline name then
    means the Guidelines' own section), in document order."""
    seen: dict[tuple[str, tuple[str, ...]], SectionRef] = {}
    order: dict[tuple[str, tuple[str, ...]], int] = {}
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

    def rank(key: tuple[str, tuple[str, ...]]) -> tuple[int, str, int]:
        doc = documents.get(key[0])
        return (-(doc.priority if doc else 0), key[0], order[key])

    return [seen[key] for key in sorted(seen, key=rank)]


def _control_catalogue(store: VectorStore, documents: Sequence[Document]) -> ControlCatalogue:
    """The store's controls catalogue (empty when the store has none), most authoritative document first."""
    from retrieval.protocols import ControlStore

    controls = store.controls() if isinstance(store, ControlStore) else []
    ranked = sorted(enumerate(documents), key=lambda pair: (-pair[1].priority, pair[0]))
    return ControlCatalogue(controls, doc_rank=[d.id for _, d in ranked])


def _manifest_or_empty(settings: Settings) -> list[Document]:
    from corpus.manifest import load_manifest

    try:
        return load_manifest(settings)
    except SaigeError:
        return []


def _stub_document(chunk: Chunk) -> Document:
    return Document(
        id=chunk.doc_id,
        title=chunk.doc_title,
        short_title=chunk.doc_title,
        publisher="",
        published="",
        official_url="",
        license="",
        redistributable=False,
        sha256="",
        file="",
        kind="pdf",
    )


__all__ = ["NOT_COVERED", "Saige"]

"""The Saige facade: the one entry point the CLI, the app and the evals call for search and answers.

It composes the parts: the search engine (retrieval/search.py), the controls catalogue's lookups
(retrieval/control_desk.py), follow-up planning over the conversation (retrieval/planning.py), and the
answers and the query log (retrieval/responding.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

from retrieval.answer import NOT_COVERED
from retrieval.control_desk import ControlDesk, control_catalogue
from retrieval.control_followup import ControlFinding, find_controls
from retrieval.guard import screen_question
from retrieval.planning import FollowupPlanner, Sections
from retrieval.protocols import Embedder, Filter, VectorStore
from retrieval.responding import DECLINED, INSTRUCTIONS_DECLINED, QueryLog, Responder
from retrieval.search import MODES, SearchEngine, SearchResult
from saige.errors import QuestionError, SaigeError
from saige.settings import Settings
from saige.types import (
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
    normalize_stage,
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
        self.catalogue = control_catalogue(store, documents)
        self.engine.use_catalogue(self.catalogue)
        self.desk = ControlDesk(self.catalogue, self.engine.namer, self._documents)
        self.sections = Sections(self.engine.chunks)
        self.planner = FollowupPlanner(
            self.engine.chunks, self._documents, self.engine.namer.name_terms, self._search, self.sections
        )
        self.responder = Responder(settings, self._documents, self.engine.bm25)
        self.query_log = QueryLog(settings)

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
        return self.sections.text(doc_id, section_path)

    def section_hit(self, ref: SectionRef) -> Hit | None:
        """One whole section as a hit (all its chunks joined), for answering a follow-up in depth."""
        return self.sections.hit(ref)

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

    # --- controls (retrieval/control_desk.py) -------------------------------------------------------

    def controls(self, doc_id: str | None = None) -> list[Control]:
        """The controls catalogue in catalogue order, or one document's controls."""
        return self.desk.controls(doc_id)

    def control(self, identifier: str, doc_id: str | None = None) -> Control:
        """One control by its id in any spelling, or by its key (see ControlDesk.control)."""
        return self.desk.control(identifier, doc_id)

    def lookup_identifier(self, question: str) -> list[ControlMatch]:
        """The identifiers a question names, each with its control(s) and their context."""
        return self.desk.lookup_identifier(question)

    def control_of(self, chunk: Chunk) -> Control | None:
        """The control a chunk holds (its id in the heading or first in the text), if any."""
        return self.desk.control_of(chunk)

    def related_guidance(self, name_or_id: str, k_similar: int = 5) -> list[RelatedControl]:
        """Related guidance of a guideline (by its title) or a control (by its id): published links in the
        corpus, published mappings elsewhere (OWASP AI Exchange, CC0), then computed "similar" controls."""
        from retrieval.crosswalk import related_guidance

        return related_guidance(self, name_or_id, k_similar=k_similar)

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

    def _plan(self, question: str, history: Sequence[Turn], llm: str | None = None) -> FollowupPlan:
        """How the question leans on the conversation; the LLM rewrites the follow-ups the structured rules
        leave as plain rewrites, when one is configured."""
        rewriter = None
        provider = self._provider(llm)
        if history and provider != "none":
            from retrieval.llm import LLMAnswerer

            rewriter = LLMAnswerer(self.settings, provider).rewrite
        return self.planner.plan(question, history, rewriter)

    def _plan_result(
        self, plan: FollowupPlan, *, k: int | None, docs: Sequence[str] | None, stage: str | None, mode: str
    ) -> SearchResult:
        return self.planner.result(plan, k=k or self.settings.top_k, docs=docs, stage=stage, mode=mode)

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
        plan = self.planner.plan(clean, history)
        return self._plan_result(plan, k=k, docs=docs, stage=stage, mode=mode).hits

    # --- answers ----------------------------------------------------------------------------------

    def weak_evidence(self, result: SearchResult) -> str | None:
        """Why the evidence is too weak to answer from (None when it is strong enough).

        Three calibrated tests (settings, chosen on the eval set): the best dense similarity (forgiven when one
        top hit holds enough of the question's terms, weighted by rarity), the best fused score, and the share
        of the names the question mentions that the top hits contain.
        """
        s = self.settings
        if not result.hits:
            return "no passage matched"
        if result.controls and any(m.controls for m in result.controls):
            return None  # the question names a control the catalogue holds
        if result.best_dense < s.abstain_dense and result.term_coverage < s.abstain_term_coverage:
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
    ) -> tuple[str, str, SearchResult, str | None, FollowupPlan, ControlFinding | None]:
        text = self._check_question(question)
        screened = screen_question(text)
        if screened.declined:
            return (
                text,
                text,
                SearchResult(query=text, hits=[]),
                DECLINED,
                FollowupPlan(kind="new", query=text),
                None,
            )
        plan = (
            self._plan(screened.query, history, llm)
            if history
            else FollowupPlan(kind="new", query=screened.query)
        )
        finding = None
        if plan.kind == "control" and plan.target is not None:
            # The identifier and linked controls of the section the conversation is on.
            named = [d for d in plan.docs if d != plan.target.doc_id and (not docs or d in docs)]
            near = self._search(plan.query, k=None, docs=named, stage=None, mode="hybrid") if named else None
            finding = find_controls(self, self.sections, plan.target, named, near.hits if near else ())
        if finding is not None:
            result = SearchResult(query=plan.query, hits=finding.hits, best_dense=1.0, best_fused=1.0)
            return text, plan.query, result, None, plan, finding
        result = self._plan_result(plan, k=k, docs=docs, stage=stage, mode="hybrid")
        # A follow-up about a section already answered, or the same topic elsewhere, is in scope by then.
        grounded = plan.target is not None or (plan.kind == "analogous" and bool(result.hits))
        weak = None if grounded and plan.kind != "rewrite" else self.weak_evidence(result)
        return text, plan.query, result, weak, plan, None

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
        text, resolved, result, weak, plan, finding = self._prepare(question, history, k, docs, stage, llm)
        if finding is not None:
            answer = self.responder.controls(text, resolved, result, finding)
        elif weak is not None:
            answer = self.responder.abstain(text, resolved, result, provider, weak)
        elif provider == "none" or plan.kind in ("stage", "locate"):
            answer = self.responder.extractive(text, resolved, result, plan)
        else:
            answer = yield from self.responder.llm_stream(text, resolved, result, provider)
        answer = self.desk.label_controls(answer)
        if provider == "none" or weak is not None:
            yield answer.answer
        self.query_log.write(answer, time.perf_counter() - started)
        yield answer


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


__all__ = ["DECLINED", "INSTRUCTIONS_DECLINED", "NOT_COVERED", "Saige"]

"""The baseline Saige is compared against: the LangChain RAG tutorial pipeline, unchanged in spirit.

PyPDFLoader (langchain_community) for PDFs and TextLoader for the Markdown extractions,
RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200), Chroma (langchain_chroma) with the same
all-MiniLM-L6-v2 weights through HuggingFaceEmbeddings, plain top-5 similarity search. No sections, no
keyword search, no follow-up handling, never abstains.

Scoring it fairly: its chunks carry no headings, so a retrieved chunk counts as a hit for a gold heading
when it comes from the right document and its text overlaps the text of that gold section (as Saige's
index holds it, sub-sections included): the overlap coefficient of word 4-gram shingles,
|chunk & section| / min(|chunk|, |section|), is at least OVERLAP_THRESHOLD. So a chunk lying mostly inside
the section, or a chunk that contains a whole short section, is a hit.

The Chroma collection persists under <data_dir>/baseline/chroma, keyed by the documents' hashes and the
splitter settings, so reruns only embed once. Telemetry is off.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.metrics import overlap_coefficient, shingles
from evals.records import EvalQuestion, QuestionRecord, RankedHit
from saige.errors import SaigeError
from saige.settings import Settings
from saige.types import Chunk, normalize_heading, stable_id

if TYPE_CHECKING:
    from retrieval.service import Saige

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 5
OVERLAP_THRESHOLD = 0.5
SHINGLE = 4

Shingles = frozenset[tuple[str, ...]]


class SectionTexts:
    """Shingled text of every section in Saige's index, to decide which gold section a chunk lies in."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        texts: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        for c in sorted(chunks, key=lambda c: (c.doc_id, c.section_order, c.ordinal)):
            texts[(c.doc_id, tuple(c.section_path))].append(c.text)
        self._sections = [
            (doc_id, frozenset(normalize_heading(h) for h in path), shingles(" ".join(parts), SHINGLE))
            for (doc_id, path), parts in texts.items()
        ]
        self._cache: dict[tuple[str, str], Shingles] = {}

    def gold_shingles(self, doc_id: str, heading: str) -> Shingles:
        """Shingles of the gold section in this document: every section whose path has the heading."""
        key = (doc_id, heading)
        if key not in self._cache:
            merged: set[tuple[str, ...]] = set()
            for d, path, sh in self._sections:
                if d == doc_id and heading in path:
                    merged |= sh
            self._cache[key] = frozenset(merged)
        return self._cache[key]

    def matches(self, doc_id: str, text: str, q: EvalQuestion) -> list[str]:
        """Gold headings of q whose section text this chunk overlaps enough (right document only)."""
        if doc_id not in q.docs:
            return []
        chunk_sh = shingles(text, SHINGLE)
        return sorted(
            g
            for g in q.gold
            if overlap_coefficient(chunk_sh, self.gold_shingles(doc_id, g)) >= OVERLAP_THRESHOLD
        )


class BaselinePipeline:
    def __init__(
        self, store: Any, sections: SectionTexts, chunk_count: int, built_seconds: float | None
    ) -> None:
        self.store = store
        self.sections = sections
        self.chunk_count = chunk_count
        self.built_seconds = built_seconds

    @classmethod
    def from_settings(cls, settings: Settings, engine: Saige) -> BaselinePipeline:
        """Open the persisted baseline collection, building it first when missing."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings

        from retrieval.embedder import resolve_model_spec, verify_model_weights

        _, folder = resolve_model_spec(settings.embedding_model)
        if folder is None:
            raise SaigeError("baseline: needs a local embedding model folder (SAIGE_EMBEDDING_MODEL)")
        verify_model_weights(folder, settings.embedding_sha256)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        embeddings = HuggingFaceEmbeddings(model_name=str(folder))

        files = _corpus_files(settings)
        key = stable_id(
            settings.embedding_model,
            str(CHUNK_SIZE),
            str(CHUNK_OVERLAP),
            *sorted(f"{d}:{h}" for d, _, h in files),
        )
        path = settings.data_dir / "baseline" / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
        name = f"baseline-{key}"
        store = Chroma(collection_name=name, embedding_function=embeddings, client=client)
        count = store._collection.count()
        built = None
        if count == 0:
            start = time.perf_counter()
            docs = _load_and_split(files)
            store.add_documents(docs)
            built = time.perf_counter() - start
            count = len(docs)
        return cls(store, SectionTexts(engine.chunks()), count, built)

    def describe(self) -> str:
        built = f", built in {self.built_seconds:.0f} s" if self.built_seconds is not None else " (reused)"
        return (
            f"LangChain tutorial pipeline: PyPDFLoader/TextLoader, RecursiveCharacterTextSplitter"
            f"({CHUNK_SIZE}, {CHUNK_OVERLAP}), Chroma + HuggingFaceEmbeddings(all-MiniLM-L6-v2), "
            f"top-{TOP_K}, the question alone (no conversation history); "
            f"{self.chunk_count} chunks{built}; a hit = right document and word-{SHINGLE}-gram overlap "
            f"coefficient >= {OVERLAP_THRESHOLD} with the gold section's text"
        )

    def search(self, question: str) -> list[tuple[str, str]]:
        """(doc_id, text) of the top-5 chunks."""
        docs = self.store.similarity_search(question, k=TOP_K)
        return [(str(d.metadata.get("doc_id", "")), d.page_content) for d in docs]

    def run(self, q: EvalQuestion) -> QuestionRecord:
        start = time.perf_counter()
        found = self.search(q.question)
        latency = round((time.perf_counter() - start) * 1000.0, 2)
        hits = [
            RankedHit(
                rank=i,
                doc_id=doc_id,
                section="",
                section_path=[],
                gold=self.sections.matches(doc_id, text, q),
            )
            for i, (doc_id, text) in enumerate(found, 1)
        ]
        return QuestionRecord(
            config="baseline",
            id=q.id,
            type=q.type,
            split=q.split,
            answerable=q.answerable,
            hits=hits,
            abstained=False,
            latency_ms=latency,
        )


def _corpus_files(settings: Settings) -> list[tuple[str, Path, str]]:
    """(doc_id, path, sha256) of every manifest document present locally."""
    from corpus.manifest import load_manifest, resolve_path

    files = []
    for d in load_manifest(settings):
        path = resolve_path(settings, d)
        if path is not None and path.is_file():
            files.append((d.id, path, d.sha256))
    if not files:
        raise SaigeError("baseline: no corpus documents found (set SAIGE_CORPUS_DIR or run `saige fetch`)")
    return files


def _load_and_split(files: Sequence[tuple[str, Path, str]]) -> list[Any]:
    from langchain_community.document_loaders import PyPDFLoader, TextLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    pages = []
    for doc_id, path, _ in files:
        loader = (
            PyPDFLoader(str(path))
            if path.suffix.lower() == ".pdf"
            else TextLoader(str(path), encoding="utf-8")
        )
        for page in loader.load():
            page.metadata = {"doc_id": doc_id, "page": int(page.metadata.get("page", 0))}
            pages.append(page)
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return splitter.split_documents(pages)

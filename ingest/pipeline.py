"""Ingest: manifest -> files -> parse (all first) -> chunk -> embed (cached) -> new collection -> switch.

Every document is loaded and parsed before the index is touched, so one bad file aborts the ingest with a
one-line error naming it while the previous index keeps answering. Embeddings go through the on-disk
embedding cache, so an unchanged document costs no model time; parsed documents are cached too, keyed by
the file's sha256 and a fingerprint of the parser's source. When the chunks and the model are exactly
those of the current build, nothing is written ("up to date").

`ingest.prepare` finds, verifies, parses and chunks the documents (each with its part of the controls
catalogue, built once), `ingest.cache` keeps parses and chunks on disk; this module embeds and writes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ingest.cache import DocumentStats, IngestCache
from ingest.prepare import Progress, catalogue, locate_documents, prepare_documents, split_missing
from saige.errors import CorpusError
from saige.settings import Settings
from saige.types import Chunk, Document

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from retrieval.protocols import Embedder

_EMBED_BATCH = 64


class IngestReport(BaseModel):
    documents: int = 0
    pages: int = 0
    pages_skipped: int = 0
    sections: int = 0
    chunks: int = 0
    embedded: int = Field(default=0, description="Texts embedded by the model (embedding cache misses)")
    cached: int = Field(default=0, description="Texts whose embedding came from the cache")
    seconds: float = 0.0
    collection: str = Field(default="", description="The Chroma collection that is current after the ingest")
    unchanged: bool = Field(default=False, description="The index already held exactly these chunks")
    parse_seconds: float = Field(default=0.0, description="Hashing, parsing and chunking (caches included)")
    embed_seconds: float = Field(default=0.0, description="Embedding, model load included")
    write_seconds: float = Field(default=0.0, description="Writing the new collection and switching to it")
    parse_cached: int = Field(
        default=0, description="Documents whose parse or chunks came from the ingest cache"
    )
    per_document: list[DocumentStats] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    missing: list[str] = Field(
        default_factory=list,
        description="Manifest documents left out because their file is missing (never downloaded or placed)",
    )


# --- chunks and embeddings ----------------------------------------------------------------------------


def token_counter_for(settings: Settings, embedder: Embedder) -> Callable[[str], int]:
    """The embedder's own token counter when it has one, else the configured model's tokenizer."""
    counter = getattr(embedder, "count_tokens", None)
    if counter is not None:
        try:
            counter("")
            return counter
        except (TypeError, NotImplementedError):
            pass
    from retrieval.embedder import token_counter

    return token_counter(settings)


def fingerprint(chunks: Sequence[Chunk], model: str) -> str:
    digest = hashlib.sha256(model.encode("utf-8"))
    for chunk in chunks:
        digest.update(b"\x1e")
        digest.update(chunk.model_dump_json().encode("utf-8"))
    return digest.hexdigest()


def manifest_hash(documents: Sequence[Document]) -> str:
    payload = json.dumps([d.model_dump(mode="json") for d in documents], sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _embed(embedder: Embedder, chunks: Sequence[Chunk], progress: Progress | None) -> list[list[float]]:
    """Vectors for the chunks' embed_text, in chunk order.

    Texts are embedded in batches of similar length (sorted by size), so little of each batch is padding.
    """
    texts = [c.embed_text for c in chunks]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: list[list[float]] = [[] for _ in texts]
    for start in range(0, len(order), _EMBED_BATCH):
        if progress is not None:
            progress("embed", start, len(texts))
        batch = order[start : start + _EMBED_BATCH]
        for i, vector in zip(batch, embedder.embed([texts[i] for i in batch]), strict=True):
            vectors[i] = vector
    if progress is not None:
        progress("embed", len(texts), len(texts))
    return vectors


# --- the pipeline -------------------------------------------------------------------------------------


def ingest(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    client: ClientAPI | None = None,
    progress: Progress | None = None,
    rebuild: bool = False,
    skip_missing: bool = False,
) -> IngestReport:
    """Build a new index from the corpus and switch to it atomically (see the module docstring).

    skip_missing: leave out documents whose file is missing (listed in report.missing and in the index
    pointer, so `saige sources` and the app can name them); otherwise a missing file stops the ingest.

    embedder: defaults to the configured model behind the embedding cache; any other embedder is wrapped in
    the cache too. client: a Chroma client (default: `retrieval.store.make_chroma_client(settings)`).
    rebuild: discard the current index first (after every document parsed), even when it is corrupted.
    """
    from corpus.manifest import load_manifest
    from retrieval.controls import control_text
    from retrieval.embedder import CachedEmbedder, load_embedder
    from retrieval.hubness import NEIGHBOURS
    from retrieval.index import (
        IndexPointer,
        build_name,
        connect,
        corrupt_error,
        discard_index,
        drop_other_builds,
        ingest_lock,
        kept_previous,
        new_build_id,
        read_pointer,
        refresh_mirror,
        write_build,
    )
    from retrieval.store import ChromaStore

    start = time.perf_counter()
    report = IngestReport()
    with ingest_lock(settings):
        documents = load_manifest(settings)
        if skip_missing:
            located, left_out = split_missing(settings, documents)
            report.missing = [doc.id for doc in left_out]
        else:
            located = locate_documents(settings, documents)

        if embedder is None:
            cached: CachedEmbedder = load_embedder(settings)
        elif isinstance(embedder, CachedEmbedder):
            cached = embedder
        else:
            cached = CachedEmbedder(embedder, settings.cache_dir)
        count_tokens = token_counter_for(settings, cached.inner)
        chunking = (
            f"{settings.chunk_tokens}|{settings.chunk_overlap}|{cached.name}|{settings.embedding_model}"
        )
        cache = IngestCache(settings, chunking)
        prepared, report.parse_cached = prepare_documents(
            settings, located, count_tokens=count_tokens, cache=cache, progress=progress
        )
        chunks = [c for one in prepared for c in one.chunks]
        report.parse_seconds = time.perf_counter() - start
        report.per_document = [one.stats for one in prepared]
        report.warnings = [w for one in prepared for w in one.warnings]
        if not chunks:
            raise CorpusError("no text to index: every document parsed to empty sections")

        report.documents = len(prepared)
        report.pages = sum(s.pages for s in report.per_document)
        report.pages_skipped = sum(s.pages_skipped for s in report.per_document)
        report.sections = sum(s.sections for s in report.per_document)
        report.chunks = len(chunks)
        controls = catalogue(prepared)
        # the densities saved with the chunks (retrieval/hubness.py) are part of the build: their rule is too
        fp = fingerprint(chunks, f"{cached.name} density-k{NEIGHBOURS}")
        if controls:  # a changed catalogue is a new build, even when the chunks are the same
            fp = hashlib.sha256((fp + "".join(c.model_dump_json() for c in controls)).encode()).hexdigest()

        if rebuild:
            discard_index(settings, client=client)
        db = client if client is not None else connect(settings, create=True)
        try:
            current = read_pointer(db, settings)
        except Exception as exc:
            raise corrupt_error(settings, exc) from None
        if current is not None and current.fingerprint == fp and not rebuild:
            try:
                intact = ChromaStore.open(db, current.collection).count() == current.chunks
            except Exception:
                intact = False
            if intact:
                # half-written leftovers; with a server the previous generation stays for replicas
                drop_other_builds(
                    db, settings, keep=current.collection, also_keep=kept_previous(settings, current)
                )
                refresh_mirror(settings, current)  # killed between Chroma's switch and the mirror
                report.unchanged = True
                report.collection = current.collection
                report.seconds = time.perf_counter() - start
                cache.prune()
                return report

        hits0, misses0 = cached.hits, cached.misses
        embed_start = time.perf_counter()
        vectors = _embed(cached, chunks, progress)
        control_vectors = cached.embed([control_text(c) for c in controls]) if controls else []
        report.embed_seconds = time.perf_counter() - embed_start
        report.embedded = cached.misses - misses0
        report.cached = cached.hits - hits0

        build_id = new_build_id()
        pointer = IndexPointer(
            collection=build_name(settings, build_id),
            build_id=build_id,
            built_at=_now(),
            documents=len(prepared),
            chunks=len(chunks),
            manifest_sha256=manifest_hash(documents),
            model=cached.name,
            dimension=len(vectors[0]) if vectors else 0,
            fingerprint=fp,
            missing=report.missing,
        )

        def write_progress(done: int, total: int) -> None:
            if progress is not None:
                progress("write", done, total)

        write_start = time.perf_counter()
        write_build(
            db,
            settings,
            chunks,
            vectors,
            pointer,
            progress=write_progress,
            controls=controls,
            control_vectors=control_vectors,
        )
        report.write_seconds = time.perf_counter() - write_start
        report.collection = pointer.collection
        cache.prune()
    report.seconds = time.perf_counter() - start
    return report


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

"""Ingest: manifest -> files -> parse (all first) -> chunk -> embed (cached) -> new collection -> switch.

Every document is loaded and parsed before the index is touched, so one bad file aborts the ingest with a
one-line error naming it while the previous index keeps answering. Embeddings go through the on-disk
embedding cache, so an unchanged document costs no model time; parsed documents are cached too, keyed by
the file's sha256 and a fingerprint of the parser's source. When the chunks and the model are exactly
those of the current build, nothing is written ("up to date").
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from saige.errors import CorpusError
from saige.settings import Settings
from saige.types import Chunk, Control, Document, ParsedDocument

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from retrieval.protocols import Embedder

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total) with stage one of: parse, chunk, embed, write."""

_PARSER_MODULES = ("ingest.pdf", "ingest.markdown", "ingest.text", "ingest.loader")
_CHUNKER_MODULES = (
    "ingest.chunker",
    "ingest.sections",
    "saige.sentences",
    "ingest.table_sections",
    "ingest.controls",
)
_EMBED_BATCH = 64


class DocumentStats(BaseModel):
    doc_id: str
    pages: int
    pages_skipped: int
    sections: int
    chunks: int


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


# --- documents ----------------------------------------------------------------------------------------


def locate_documents(settings: Settings, documents: Sequence[Document]) -> list[tuple[Document, Path]]:
    """Every manifest document with its file; CorpusError when none or some are missing."""
    from ingest.loader import locate

    present, missing = split_missing(settings, documents)
    if missing:
        locate(settings, missing[0])  # raises the one-line error naming the file and how to get it
    return present


def split_missing(
    settings: Settings, documents: Sequence[Document]
) -> tuple[list[tuple[Document, Path]], list[Document]]:
    """(documents whose file is present, with it; documents whose file is missing).

    CorpusError when none is present. A present file is still checked (sha256, parse) by the ingest: only
    a file that was never downloaded or placed is left out.
    """
    from corpus.manifest import resolve_path

    found = [(doc, resolve_path(settings, doc)) for doc in documents]
    if not any(path is not None for _, path in found):
        where = settings.corpus_dir if settings.corpus_dir is not None else settings.fetch_dir
        raise CorpusError(
            f"no documents found in {where}: put the corpus files there (SAIGE_CORPUS_DIR) "
            "or run `saige fetch` to download them"
        )
    present = [(doc, path) for doc, path in found if path is not None]
    return present, [doc for doc, path in found if path is None]


@functools.lru_cache(maxsize=16)
def source_fingerprint(modules: tuple[str, ...], *extra: str) -> str:
    """sha256 of some modules' source files (a package: all its modules) plus extra strings: code changes
    invalidate cached results.

    The modules are imported first and the result is memoised per process, so the fingerprint describes
    the code this process runs even if the files change on disk afterwards.
    """
    import importlib

    digest = hashlib.sha256()
    for name in modules:
        module = importlib.import_module(name)
        origin = getattr(module, "__file__", None)
        # A package is all of its modules (ingest.pdf: fragments, lines, layout, ...).
        files = sorted(Path(origin).parent.glob("*.py")) if origin and hasattr(module, "__path__") else []
        try:
            if files:
                for file in files:
                    digest.update(file.name.encode() + b"\x1f" + file.read_bytes())
            else:
                digest.update(Path(origin).read_bytes() if origin else name.encode())
        except OSError:
            digest.update(name.encode())
    for item in extra:
        digest.update(b"\x1f" + item.encode("utf-8"))
    return digest.hexdigest()


def _package_version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "none"


class ChunkedDocument(BaseModel):
    """One document parsed and chunked: what the ingest needs from it, and what the chunk cache holds."""

    stats: DocumentStats
    chunks: list[Chunk]
    warnings: list[str] = Field(default_factory=list)


class IngestCache:
    """Parsed and chunked documents on disk under <cache_dir>/parsed and <cache_dir>/chunks.

    Entries are keyed by the file's (verified) sha256 and a fingerprint of the code that produced them:
    the parser's source and pypdf's version for parses; additionally the chunker's and sections' source,
    the chunk settings and the tokenizer for chunks. Stale entries are pruned after a successful ingest.
    The cache only saves time: unreadable entries are ignored and recomputed.
    """

    def __init__(self, settings: Settings, chunking: str) -> None:
        self.parsed_dir = settings.cache_dir / "parsed"
        self.chunks_dir = settings.cache_dir / "chunks"
        self.parser_fp = source_fingerprint(_PARSER_MODULES, "pypdf " + _package_version("pypdf"))[:16]
        self.chunker_fp = source_fingerprint(_CHUNKER_MODULES, self.parser_fp, chunking)[:16]

    def _parsed_path(self, document: Document, sha256: str) -> Path:
        return self.parsed_dir / f"{self.parser_fp}-{document.id}-{sha256[:16]}.json"

    def _chunks_path(self, document: Document, sha256: str) -> Path:
        record = hashlib.sha256(document.model_dump_json().encode("utf-8")).hexdigest()[:8]
        return self.chunks_dir / f"{self.chunker_fp}-{document.id}-{sha256[:16]}-{record}.json"

    def get_parsed(self, document: Document, sha256: str) -> ParsedDocument | None:
        try:
            parsed = ParsedDocument.model_validate_json(self._parsed_path(document, sha256).read_bytes())
        except (OSError, ValueError):
            return None
        parsed.document = document  # manifest fields (title, ...) may have changed; the bytes did not
        return parsed

    def put_parsed(self, document: Document, sha256: str, parsed: ParsedDocument) -> None:
        _write_atomic(self._parsed_path(document, sha256), parsed.model_dump_json())

    def get_chunked(self, document: Document, sha256: str) -> ChunkedDocument | None:
        try:
            return ChunkedDocument.model_validate_json(self._chunks_path(document, sha256).read_bytes())
        except (OSError, ValueError):
            return None

    def put_chunked(self, document: Document, sha256: str, chunked: ChunkedDocument) -> None:
        _write_atomic(self._chunks_path(document, sha256), chunked.model_dump_json())

    def prune(self) -> None:
        """Drop entries written by other code versions or settings."""
        for folder, keep in ((self.parsed_dir, self.parser_fp), (self.chunks_dir, self.chunker_fp)):
            with contextlib.suppress(OSError):
                for path in folder.glob("*.json"):
                    if not path.name.startswith(keep + "-"):
                        path.unlink(missing_ok=True)


def _write_atomic(target: Path, text: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass  # the cache only saves time


def prepare_documents(
    settings: Settings,
    located: Sequence[tuple[Document, Path]],
    *,
    count_tokens: Callable[[str], int],
    cache: IngestCache | None = None,
    progress: Progress | None = None,
) -> tuple[list[ChunkedDocument], int]:
    """Verify, parse and chunk every document (caches first). Returns them and how many came from a cache.

    Every file's sha256 is checked first, then the documents are parsed and chunked in order. Any bad
    document raises its one-line CorpusError here, before the index is touched.
    """
    from ingest.chunker import chunk_document
    from ingest.loader import check_hash, parse_file

    total = len(located)
    done = 0

    def tick() -> None:
        if progress is not None:
            progress("parse", done, total)

    tick()
    shas = [check_hash(settings, doc, path) for doc, path in located]
    chunked: list[ChunkedDocument | None] = [
        cache.get_chunked(doc, sha) if cache is not None else None
        for (doc, _), sha in zip(located, shas, strict=True)
    ]
    parsed: dict[int, ParsedDocument] = {}
    for i, ((doc, _), sha) in enumerate(zip(located, shas, strict=True)):
        if chunked[i] is None and cache is not None:
            hit = cache.get_parsed(doc, sha)
            if hit is not None:
                parsed[i] = hit
    hits = sum(1 for c in chunked if c is not None) + len(parsed)
    done = sum(1 for c in chunked if c is not None)
    tick()
    out: list[ChunkedDocument] = []
    for i, (doc, path) in enumerate(located):
        ready = chunked[i]
        if ready is None:
            one = parsed.get(i)
            if one is None:
                one = parse_file(doc, path, timeout=settings.parse_timeout)
                if cache is not None:
                    cache.put_parsed(doc, shas[i], one)
            chunks = chunk_document(
                one,
                max_tokens=settings.chunk_tokens,
                overlap=settings.chunk_overlap,
                count_tokens=count_tokens,
            )
            ready = ChunkedDocument(
                stats=DocumentStats(
                    doc_id=doc.id,
                    pages=len(one.pages),
                    pages_skipped=len(one.skipped_pages),
                    sections=len({c.section_order for c in chunks}),
                    chunks=len(chunks),
                ),
                chunks=chunks,
                warnings=list(one.warnings),
            )
            if cache is not None:
                cache.put_chunked(doc, shas[i], ready)
            done += 1
            tick()
        out.append(ready)
    return out, hits


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


# --- the controls catalogue -------------------------------------------------------------------------


def build_controls(
    settings: Settings, located: Sequence[tuple[Document, Path]], cache: IngestCache | None
) -> list[Control]:
    """The controls catalogue (`ingest.controls.build_catalogue`) of the parsed documents, parse cache first."""
    try:
        from ingest.controls import build_catalogue
    except ImportError:  # the catalogue builder is not part of this build yet: no controls
        return []
    from ingest.loader import check_hash, parse_file

    parsed: list[ParsedDocument] = []
    for doc, path in located:
        sha = check_hash(settings, doc, path)
        one = cache.get_parsed(doc, sha) if cache is not None else None
        if one is None:
            one = parse_file(doc, path, timeout=settings.parse_timeout)
        parsed.append(one)
    unique: dict[str, Control] = {}
    for control in build_catalogue(parsed):
        unique.setdefault(control.key, control)  # one record per document and id
    return list(unique.values())


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
        controls = build_controls(settings, located, cache)
        fp = fingerprint(chunks, cached.name)
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

"""The documents of an ingest: find their files, verify, parse and chunk them (caches first), each with its
part of the controls catalogue.

Every file's sha256 is checked once, up front; each document's controls are built once, with its chunks
(the table rows are chunked from them), and travel with them in the chunk cache, so the catalogue is never
rebuilt from the parses afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.cache import ChunkedDocument, DocumentStats, IngestCache
from saige.errors import CorpusError
from saige.settings import Settings
from saige.types import Control, Document, ParsedDocument

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total) with stage one of: parse, chunk, embed, write."""


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


def chunk_parsed(
    parsed: ParsedDocument, *, max_tokens: int, overlap: int, count_tokens: Callable[[str], int]
) -> ChunkedDocument:
    """One parsed document's controls (`ingest.controls`), then its chunks (table rows from those
    controls), with the figures the ingest reports."""
    from ingest.chunker import chunk_document
    from ingest.controls import builder_for

    builder = builder_for(parsed.document.id)
    controls = _unique(builder(parsed)) if builder is not None else []
    chunks = chunk_document(
        parsed, max_tokens=max_tokens, overlap=overlap, count_tokens=count_tokens, controls=controls
    )
    return ChunkedDocument(
        stats=DocumentStats(
            doc_id=parsed.document.id,
            pages=len(parsed.pages),
            pages_skipped=len(parsed.skipped_pages),
            sections=len({c.section_order for c in chunks}),
            chunks=len(chunks),
        ),
        chunks=chunks,
        controls=controls,
        warnings=list(parsed.warnings),
    )


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
            ready = chunk_parsed(
                one,
                max_tokens=settings.chunk_tokens,
                overlap=settings.chunk_overlap,
                count_tokens=count_tokens,
            )
            if cache is not None:
                cache.put_chunked(doc, shas[i], ready)
            done += 1
            tick()
        out.append(ready)
    return out, hits


def catalogue(prepared: Sequence[ChunkedDocument]) -> list[Control]:
    """The controls catalogue of the prepared documents, in document order; one record per document and id."""
    return _unique([c for one in prepared for c in one.controls])


def _unique(controls: Sequence[Control]) -> list[Control]:
    unique: dict[str, Control] = {}
    for control in controls:
        unique.setdefault(control.key, control)
    return list(unique.values())

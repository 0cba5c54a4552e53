"""The ingest's on-disk caches of parsed and chunked documents (`ChunkedDocument`: a document's chunks
and its controls catalogue), keyed by each file's sha256 and a fingerprint of the code that produced them
(`source_fingerprint`)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from pathlib import Path

from pydantic import BaseModel, Field

from saige.settings import Settings
from saige.types import Chunk, Control, Document, ParsedDocument

PARSER_MODULES = ("ingest.pdf", "ingest.markdown", "ingest.text", "ingest.loader")
CHUNKER_MODULES = (
    "ingest.chunker",
    "ingest.sections",
    "saige.sentences",
    "ingest.table_sections",
    "ingest.controls",
    "ingest.prepare",
)


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


class DocumentStats(BaseModel):
    doc_id: str
    pages: int
    pages_skipped: int
    sections: int
    chunks: int


class ChunkedDocument(BaseModel):
    """One document parsed and chunked: what the ingest needs from it, and what the chunk cache holds.

    `controls` is the document's part of the controls catalogue, built once with its chunks (its table rows
    are chunked from it); it has no default, so a cache entry written without it is read as stale.
    """

    stats: DocumentStats
    chunks: list[Chunk]
    controls: list[Control]
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
        self.parser_fp = source_fingerprint(PARSER_MODULES, "pypdf " + _package_version("pypdf"))[:16]
        self.chunker_fp = source_fingerprint(CHUNKER_MODULES, self.parser_fp, chunking)[:16]

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

"""The corpus manifest: which documents Saige knows, where their files are, and their pinned sha256."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from saige.errors import CorpusError, first_validation_error
from saige.settings import Settings
from saige.types import Document

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Written next to a fetched file when the user accepted bytes that differ from the pin (--accept-new-hash).
ACCEPTED_SUFFIX = ".accepted-sha256"


def manifest_source(settings: Settings) -> str:
    """A printable name of the manifest in use."""
    return str(settings.manifest) if settings.manifest else "corpus/manifest.json (packaged)"


def _read_manifest_text(settings: Settings) -> tuple[str, str]:
    if settings.manifest is not None:
        path = Path(settings.manifest)
        try:
            return str(path), path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise CorpusError(f"{path}: cannot read the manifest ({reason})") from None
    from importlib.resources import files

    resource = files("corpus").joinpath("manifest.json")
    try:
        return "corpus/manifest.json", resource.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"corpus/manifest.json: cannot read the packaged manifest ({exc})") from None


def parse_manifest(text: str, source: str) -> list[Document]:
    """Documents from manifest JSON; CorpusError naming `source` and the field on any problem."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise CorpusError(f"{source}: documents: expected a list of documents under the key 'documents'")
    docs: list[Document] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["documents"]):
        where = f"{source}: documents[{i}]"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            where = f"{source}: documents[{i}] ({raw['id']})"
        try:
            doc = Document.model_validate(raw)
        except ValidationError as exc:
            loc, msg, _ = first_validation_error(exc)
            raise CorpusError(f"{where}.{loc or 'document'}: {msg}") from None
        if doc.id in seen:
            raise CorpusError(f"{where}.id: duplicate document id {doc.id!r}")
        seen.add(doc.id)
        if not _SHA256.match(doc.sha256.lower()):
            raise CorpusError(f"{where}.sha256: expected 64 hexadecimal characters")
        doc.sha256 = doc.sha256.lower()
        file = PurePosixPath(doc.file.replace("\\", "/"))
        if not doc.file or file.is_absolute() or ".." in file.parts or doc.file.startswith("~"):
            raise CorpusError(f"{where}.file: must be a relative file name inside the corpus folder")
        for field in ("download_url", "official_url"):
            url = getattr(doc, field)
            if url is not None and not url.lower().startswith(("https://", "http://")):
                raise CorpusError(f"{where}.{field}: must be an http(s) URL")
        docs.append(doc)
    if not docs:
        raise CorpusError(f"{source}: documents: the manifest lists no documents")
    return docs


def load_manifest(settings: Settings) -> list[Document]:
    """The documents of settings.manifest, or of the packaged corpus/manifest.json."""
    source, text = _read_manifest_text(settings)
    return parse_manifest(text, source)


def get_document(settings: Settings, doc_id: str) -> Document:
    for doc in load_manifest(settings):
        if doc.id == doc_id:
            return doc
    raise CorpusError(f"{manifest_source(settings)}: no document with id {doc_id!r}")


def corpus_path(settings: Settings, document: Document) -> Path | None:
    """Where the document would be in SAIGE_CORPUS_DIR (None when no corpus dir is set)."""
    return Path(settings.corpus_dir) / document.file if settings.corpus_dir is not None else None


def cache_path(settings: Settings, document: Document) -> Path:
    """Where `saige fetch` keeps the document (git-ignored, under the data dir)."""
    return settings.fetch_dir / document.file


def resolve_path(settings: Settings, document: Document) -> Path | None:
    """The document's file: in SAIGE_CORPUS_DIR if there, else in the fetch cache, else None."""
    in_corpus = corpus_path(settings, document)
    if in_corpus is not None and in_corpus.is_file():
        return in_corpus
    cached = cache_path(settings, document)
    return cached if cached.is_file() else None


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """The sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, sha256: str) -> str:
    """The actual sha256 of `path` (streamed); the caller compares it with the pin `sha256`.

    Returned rather than raised so callers can print expected and actual side by side.
    """
    del sha256  # the comparison is the caller's, with its own message
    return sha256_file(path)


def accepted_hash(settings: Settings, document: Document) -> str | None:
    """The sha256 the user accepted with `saige fetch --accept-new-hash` for the cached copy, if any."""
    marker = cache_path(settings, document).with_name(document.file.rsplit("/", 1)[-1] + ACCEPTED_SUFFIX)
    try:
        value = marker.read_text(encoding="ascii").strip().lower()
    except (OSError, UnicodeDecodeError):
        return None
    return value if _SHA256.match(value) else None


def expected_hashes(settings: Settings, document: Document, path: Path) -> set[str]:
    """Hashes acceptable for `path`: the pin, plus a deliberately accepted one for the fetch-cache copy."""
    allowed = {document.sha256}
    if path == cache_path(settings, document):
        extra = accepted_hash(settings, document)
        if extra:
            allowed.add(extra)
    return allowed

"""The index: atomic builds, the ingest lock, and the pointer to the current collection.

Each ingest writes a NEW Chroma collection `<collection>-<build id>` and, only when it is complete,
switches to it by upserting one record in the small `<collection>-meta` collection. That upsert is one
transaction in Chroma, so readers see either the old build or the new one, never a half-written one; it
works the same for the embedded PersistentClient and for a Chroma server shared by several app replicas.
With the embedded client the pointer is mirrored in `<index_dir>/current.json` (written with os.replace)
for people and scripts; Chroma's record is the authority. After the switch every other build collection is
dropped, including half-written ones left by a killed ingest.

The ingest lock is an `fcntl.flock` on `<data_dir>/ingest.lock`: the kernel releases it when the holder
exits, however it exits, so a killed ingest never leaves a stale lock. It is per data dir: with a shared
Chroma server, run ingests from one place (one data dir).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from saige.errors import IndexCorruptError, IndexMissingError, LockedError, SaigeError
from saige.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from retrieval.protocols import Embedder
    from retrieval.store import ChromaStore
    from saige.types import Chunk, Control

LOCK_FILE = "ingest.lock"
POINTER_FILE = "current.json"
_POINTER_ID = "current"
_WRITE_BATCH = 256


class IndexPointer(BaseModel):
    """What the meta collection records about the current build."""

    model_config = ConfigDict(extra="ignore")

    collection: str = Field(description="Name of the Chroma collection that answers queries")
    build_id: str
    built_at: str = Field(description="UTC time the build was switched to, ISO 8601")
    documents: int = 0
    chunks: int = 0
    manifest_sha256: str = ""
    model: str = Field(default="", description="Embedder name the vectors come from")
    dimension: int = 0
    fingerprint: str = Field(
        default="", description="sha256 over the chunks and the model: same = same index"
    )
    missing: list[str] = Field(
        default_factory=list,
        description="Manifest document ids left out of this build: their file was missing",
    )
    previous: str = Field(
        default="",
        description="The build current before this one, kept (with a Chroma server) for replicas still on it",
    )


# --- names --------------------------------------------------------------------------------------------


def meta_name(settings: Settings) -> str:
    return f"{settings.collection}-meta"


def new_build_id() -> str:
    """A sortable, unique build id: UTC time plus random hex, e.g. 20261126t101500-3fa9c2."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dt%H%M%S") + "-" + secrets.token_hex(3)


def build_name(settings: Settings, build_id: str) -> str:
    return f"{settings.collection}-{build_id}"


def _is_build_name(settings: Settings, name: str) -> bool:
    """A build collection, or its controls companion (`<build>-controls`)."""
    pattern = re.escape(settings.collection) + r"-\d{8}t\d{6}-[0-9a-f]{6}(?:-controls)?"
    return re.fullmatch(pattern, name) is not None


def chroma_path(settings: Settings) -> Path:
    """Where the embedded PersistentClient keeps its files (see retrieval.store.make_chroma_client)."""
    return settings.index_dir / "chroma"


def _where(settings: Settings) -> str:
    if settings.chroma_host:
        return f"chroma://{settings.chroma_host}:{settings.chroma_port}/{settings.collection}"
    return str(chroma_path(settings))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


# --- the lock -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def ingest_lock(settings: Settings) -> Iterator[Path]:
    """Hold the data dir's ingest lock, or raise LockedError naming the holder."""
    import fcntl

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(path)
            raise LockedError(
                f"another ingest is running ({holder}); wait for it or remove {path} if it is stale"
            ) from None
        info = json.dumps(
            {"pid": os.getpid(), "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode("utf-8"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        return f"pid {info.get('pid', '?')}, since {info.get('since', '?')}"
    except (OSError, ValueError):
        return "pid unknown"


# --- clients ------------------------------------------------------------------------------------------


def connect(settings: Settings, *, create: bool) -> ClientAPI:
    """A Chroma client for these settings, with Chroma's errors turned into one-line Saige errors.

    create=False (reading): a missing embedded index is IndexMissingError, an unreadable one
    IndexCorruptError. create=True (ingest): the folder is created when missing.
    """
    from retrieval.store import make_chroma_client

    if not settings.chroma_host and not create and not (chroma_path(settings) / "chroma.sqlite3").is_file():
        raise IndexMissingError(f"no index yet in {settings.index_dir}: run `saige ingest`")
    try:
        return make_chroma_client(settings)
    except Exception as exc:
        if settings.chroma_host:
            raise SaigeError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({_one_line(exc)})"
            ) from None
        _release_embedded(settings)
        raise corrupt_error(settings, exc) from None


def corrupt_error(settings: Settings, exc: BaseException | str) -> IndexCorruptError:
    reason = exc if isinstance(exc, str) else _one_line(exc)
    return IndexCorruptError(
        f"index at {_where(settings)} cannot be read ({reason}): run `saige ingest --rebuild`"
    )


def _release_embedded(settings: Settings) -> None:
    """Forget chromadb's in-process client for the embedded index (it caches one per path, even broken)."""
    if settings.chroma_host:
        return
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:  # pragma: no cover - chromadb is a dependency
        return
    systems = SharedSystemClient._identifier_to_system
    for key in [str(chroma_path(settings)), str(chroma_path(settings).resolve())]:
        system = systems.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        if system is not None:
            with contextlib.suppress(Exception):
                system.stop()


# --- the pointer --------------------------------------------------------------------------------------


def read_pointer(client: ClientAPI, settings: Settings) -> IndexPointer | None:
    """The current build, or None when no build was ever switched to. Chroma errors propagate."""
    from chromadb.errors import NotFoundError

    try:
        meta = client.get_collection(meta_name(settings), embedding_function=None)
    except NotFoundError:
        return None
    except ValueError as exc:  # older chromadb spells "not found" as ValueError
        if "does not exist" in str(exc):
            return None
        raise
    got = meta.get(ids=[_POINTER_ID], include=["documents"])
    docs = got.get("documents") or []
    if not got["ids"] or not docs or not docs[0]:
        return None
    return IndexPointer.model_validate_json(docs[0])


def current_pointer(settings: Settings) -> IndexPointer | None:
    """The current build's pointer, read from Chroma (None when there is no index). Raises like open."""
    try:
        client = connect(settings, create=False)
    except IndexMissingError:
        return None
    try:
        return read_pointer(client, settings)
    except Exception as exc:
        raise corrupt_error(settings, exc) from None


def switch_to(client: ClientAPI, settings: Settings, pointer: IndexPointer) -> None:
    """Make `pointer.collection` current: one upsert in Chroma (atomic), then the JSON mirror."""
    meta = client.get_or_create_collection(
        meta_name(settings), embedding_function=None, metadata={"saige": "index pointer"}
    )
    meta.upsert(
        ids=[_POINTER_ID],
        embeddings=[[1.0]],  # type: ignore[arg-type]
        documents=[pointer.model_dump_json()],
        metadatas=[{"collection": pointer.collection, "built_at": pointer.built_at}],
    )
    if not settings.chroma_host:
        _write_mirror(settings, pointer)


def refresh_mirror(settings: Settings, pointer: IndexPointer) -> None:
    """Rewrite the JSON mirror when it does not show `pointer` (an ingest killed inside the switch)."""
    if settings.chroma_host:
        return
    try:
        shown = IndexPointer.model_validate_json((settings.index_dir / POINTER_FILE).read_bytes())
    except (OSError, ValueError):
        shown = None
    if shown != pointer:
        _write_mirror(settings, pointer)


def _write_mirror(settings: Settings, pointer: IndexPointer) -> None:
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    target = settings.index_dir / POINTER_FILE
    tmp = target.with_name(f".{POINTER_FILE}.{os.getpid()}.tmp")
    tmp.write_text(pointer.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)


# --- reading ------------------------------------------------------------------------------------------


def open_current_store(settings: Settings, embedder: Embedder) -> ChromaStore:
    """The ChromaStore of the current build.

    Raises IndexMissingError when nothing was ever built, IndexCorruptError when the index files cannot be
    read or were built with another embedding model.
    """
    from retrieval.build_records import load_records, save_records
    from retrieval.store import ChromaStore

    client = connect(settings, create=False)
    try:
        pointer = read_pointer(client, settings)
    except Exception as exc:
        _release_embedded(settings)
        raise corrupt_error(settings, exc) from None
    if pointer is None:
        raise IndexMissingError(f"no index yet in {_where(settings)}: run `saige ingest`")
    if pointer.model and pointer.model != embedder.name:
        raise corrupt_error(
            settings, f"built with embedding model {pointer.model}, settings use {embedder.name}"
        )
    try:
        store = ChromaStore.open(client, pointer.collection)
        count = store.count()
        if count != pointer.chunks:
            raise ValueError(
                f"collection {pointer.collection} holds {count} chunks, expected {pointer.chunks}"
            )
        if count and pointer.dimension:
            store.query([1.0] + [0.0] * (pointer.dimension - 1), 1)
        # Embedded: the build's records from their saved file (retrieval/build_records.py), else out of
        # Chroma, then saved for the next open.
        records = None
        if not settings.chroma_host:
            saved = load_records(settings, pointer.collection, pointer.fingerprint, pointer.chunks)
            records = saved or save_records(settings, store, pointer.fingerprint)
    except Exception as exc:
        _release_embedded(settings)
        raise corrupt_error(settings, exc) from None
    if records is not None:
        store.use_records(records.chunks, records.controls)
    return store


# --- writing ------------------------------------------------------------------------------------------


def write_build(
    client: ClientAPI,
    settings: Settings,
    chunks: Sequence[Chunk],
    vectors: Sequence[Sequence[float]],
    pointer: IndexPointer,
    *,
    progress: Callable[[int, int], None] | None = None,
    controls: Sequence[Control] = (),
    control_vectors: Sequence[Sequence[float]] = (),
) -> None:
    """Write a new build collection, verify it, switch to it, then drop the other build collections.

    The controls catalogue (when given) goes into the build's companion collection `<build>-controls`,
    written before the switch: readers find it through the same pointer, so it switches with the chunks.

    The current build keeps answering until the switch; if anything fails before it, the new collection
    is dropped (best effort: a killed process leaves it for the next ingest to clean up). With a Chroma
    server, replicas elsewhere may still be reading the build that was current: it is kept, one generation
    (named in `pointer.previous`), until the next ingest; replicas compare the pointer on every question
    and move to the new build (saige/ui/main.py: index_stamp). Embedded, every older build is dropped.
    """
    from retrieval.build_records import drop_other_records, save_records
    from retrieval.hubness import with_density
    from retrieval.store import ChromaStore

    chunks = with_density(chunks, vectors)

    if settings.chroma_host and not pointer.previous:
        with contextlib.suppress(Exception):
            before = read_pointer(client, settings)
            if before is not None and before.collection != pointer.collection:
                pointer = pointer.model_copy(update={"previous": before.collection})

    store = ChromaStore.create(client, pointer.collection, metadata={"saige_build": pointer.build_id})
    try:
        total = len(chunks)
        if progress is not None:
            progress(0, total)
        for start in range(0, total, _WRITE_BATCH):
            end = min(start + _WRITE_BATCH, total)
            store.add(chunks[start:end], vectors[start:end])
            if progress is not None:
                progress(end, total)
        if store.count() != total:
            raise SaigeError(
                f"index write: collection {pointer.collection} holds {store.count()} of {total} chunks"
            )
        if controls:
            store.add_controls(controls, control_vectors)
        if not settings.chroma_host:  # the records as Chroma returns them, for fast opens
            save_records(settings, store, pointer.fingerprint)
        switch_to(client, settings, pointer)
    except BaseException:
        from retrieval.store import controls_name

        for name in (pointer.collection, controls_name(pointer.collection)):
            with contextlib.suppress(Exception):
                client.delete_collection(name)
        raise
    drop_other_builds(client, settings, keep=pointer.collection, also_keep=kept_previous(settings, pointer))
    drop_other_records(settings, keep=pointer.collection)


def kept_previous(settings: Settings, pointer: IndexPointer) -> str | None:
    """The previous build that stays for replicas (Chroma server only), else None."""
    return pointer.previous or None if settings.chroma_host else None


def build_collections(client: ClientAPI, settings: Settings) -> list[str]:
    """Names of this index's build collections (current, old and half-written)."""
    names: list[str] = []
    for col in client.list_collections():
        name = col if isinstance(col, str) else str(getattr(col, "name", ""))
        if _is_build_name(settings, name):
            names.append(name)
    return sorted(names)


def drop_other_builds(
    client: ClientAPI, settings: Settings, *, keep: str | None, also_keep: str | None = None
) -> list[str]:
    """Drop every build collection except `keep` and `also_keep` (old and half-written builds); returns
    their names."""
    dropped: list[str] = []
    keep_controls = f"{keep}-controls" if keep is not None else None
    for name in build_collections(client, settings):
        if name in (keep, keep_controls, also_keep, f"{also_keep}-controls" if also_keep else None):
            continue
        with contextlib.suppress(Exception):
            client.delete_collection(name)
            dropped.append(name)
    return dropped


def discard_index(settings: Settings, client: ClientAPI | None = None) -> None:
    """`--rebuild`: remove the index, even when its files are corrupted.

    Embedded (no client given, no chroma_host): delete the Chroma folder and the pointer mirror. With a
    server or a given client: delete the meta collection and every build collection of this prefix.
    """
    if client is not None or settings.chroma_host:
        db = client if client is not None else connect(settings, create=True)
        for name in [*build_collections(db, settings), meta_name(settings)]:
            with contextlib.suppress(Exception):
                db.delete_collection(name)
        return
    _release_embedded(settings)
    path = chroma_path(settings)
    if path.exists():
        shutil.rmtree(path)
    with contextlib.suppress(FileNotFoundError):
        (settings.index_dir / POINTER_FILE).unlink()
    from retrieval.build_records import drop_other_records

    drop_other_records(settings, keep=None)

"""A build's records in one file next to the embedded index, so opening the index does not page them out of
Chroma.

Every engine start (`saige ask`, the app) reads all the chunks and the controls catalogue of the current
build: out of Chroma that is a few thousand records converted from Chroma metadata, about 0.3 s of CPU.
`write_build` (retrieval/index.py) saves them, exactly as the build's collections return them, to
`<index_dir>/records-<collection>.json`; `open_current_store` hands them to the store, which serves its
first `chunks()` and `controls()` from them. The file is used only when it names the current build (its
collection, fingerprint and chunk count match the pointer); otherwise Chroma is read as before and the file
written then, so an index built before this file existed gets one on its first open. Embedded indexes only:
with a Chroma server the index is not in this data dir.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from saige.settings import Settings
from saige.types import Chunk, Control

if TYPE_CHECKING:
    from retrieval.store import ChromaStore

RECORDS_PREFIX = "records-"


class BuildRecords(BaseModel):
    """The chunks (in `ChromaStore.chunks()` order) and the controls catalogue (in catalogue order) of one
    build, as its Chroma collections return them."""

    model_config = ConfigDict(extra="forbid")

    collection: str
    fingerprint: str
    chunks: list[Chunk]
    controls: list[Control]


def records_path(settings: Settings, collection: str) -> Path:
    return settings.index_dir / f"{RECORDS_PREFIX}{collection}.json"


def save_records(settings: Settings, store: ChromaStore, fingerprint: str) -> BuildRecords:
    """Read the records of the build in `store` (the pointer's `fingerprint`) out of Chroma and save them
    (atomically) for later opens; returns them. Chroma errors propagate; a file that cannot be written is
    skipped (the next open reads Chroma)."""
    records = BuildRecords(
        collection=store.name,
        fingerprint=fingerprint,
        chunks=store.chunks(),
        controls=store.controls(),
    )
    if settings.chroma_host:
        return records
    target = records_path(settings, store.name)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(records.model_dump_json(), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return records


def load_records(settings: Settings, collection: str, fingerprint: str, chunks: int) -> BuildRecords | None:
    """The saved records of the build in `collection`, as its pointer describes it (`fingerprint`, number
    of `chunks`); None when there are none for it (missing, another build's, unreadable, a count that does
    not match)."""
    if settings.chroma_host:
        return None
    try:
        records = BuildRecords.model_validate_json(records_path(settings, collection).read_bytes())
    except (OSError, ValueError):
        return None
    if (
        records.collection != collection
        or records.fingerprint != fingerprint
        or len(records.chunks) != chunks
    ):
        return None
    return records


def drop_other_records(settings: Settings, keep: str | None) -> None:
    """Delete the saved records of every build but `keep` (None: all of them)."""
    if settings.chroma_host or not settings.index_dir.is_dir():
        return
    for path in settings.index_dir.glob(f"{RECORDS_PREFIX}*.json"):
        if keep is None or path != records_path(settings, keep):
            with contextlib.suppress(OSError):
                path.unlink()

"""A build's records saved next to the embedded index (retrieval/build_records.py): written with the build,
equal to what Chroma returns, served by the opened store instead of Chroma, and ignored when they do not
name the current build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import ingest
from retrieval.build_records import BuildRecords, load_records, records_path
from retrieval.index import (
    IndexPointer,
    connect,
    current_pointer,
    discard_index,
    open_current_store,
    write_build,
)
from retrieval.store import ChromaStore
from saige.settings import Settings
from tests.conftest import HashEmbedder, new_pointer
from tests.control_fixtures import chunk_for, sample_controls
from tests.pipeline_corpus import TestCorpus


def _chroma_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the collections the test reads records from through Chroma (`Collection.get`)."""
    from chromadb.api.models.Collection import Collection

    reads: list[str] = []
    real_get = Collection.get

    def get(self: Collection, *args: Any, **kwargs: Any) -> Any:
        reads.append(self.name)
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "get", get)
    return reads


def _saved(settings: Settings, pointer: IndexPointer) -> BuildRecords | None:
    return load_records(settings, pointer.collection, pointer.fingerprint, pointer.chunks)


def _fresh(settings: Settings, pointer: IndexPointer) -> ChromaStore:
    """The build's collection opened directly: its records come from Chroma."""
    return ChromaStore.open(connect(settings, create=False), pointer.collection)


def _build_with_controls(tmp_path: Path) -> tuple[Settings, IndexPointer]:
    settings = Settings(data_dir=tmp_path / "data")
    controls = sample_controls()
    chunks = [chunk_for(c, i) for i, c in enumerate(controls)]
    emb = HashEmbedder()
    pointer = new_pointer(settings, emb, len(chunks))
    write_build(
        connect(settings, create=True),
        settings,
        chunks,
        emb.embed([c.text for c in chunks]),
        pointer,
        controls=controls,
        control_vectors=emb.embed([c.statement for c in controls]),
    )
    return settings, pointer


def test_the_build_saves_its_records_as_chroma_returns_them(tmp_path: Path) -> None:
    settings, pointer = _build_with_controls(tmp_path)
    saved = _saved(settings, pointer)
    assert saved is not None
    fresh = _fresh(settings, pointer)
    assert saved.chunks == fresh.chunks() and saved.controls == fresh.controls()
    assert len(saved.chunks) == pointer.chunks and saved.controls


def test_the_opened_store_serves_the_saved_records_not_chroma(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, pointer = _build_with_controls(tmp_path)
    expected_chunks = _fresh(settings, pointer).chunks()
    expected_controls = _fresh(settings, pointer).controls()
    reads = _chroma_reads(monkeypatch)
    store = open_current_store(settings, HashEmbedder())
    opened = list(reads)
    assert store.chunks() == expected_chunks and store.controls() == expected_controls
    assert reads == opened  # neither the chunks nor the controls were read out of Chroma
    assert pointer.collection not in opened
    # later calls read Chroma again (each gets records of its own)
    assert store.chunks() == expected_chunks
    assert pointer.collection in reads


def test_records_of_another_build_or_changed_records_are_not_used(tmp_path: Path) -> None:
    settings, pointer = _build_with_controls(tmp_path)
    path = records_path(settings, pointer.collection)
    saved = BuildRecords.model_validate_json(path.read_bytes())
    expected = _fresh(settings, pointer).chunks()

    for stale in (
        saved.model_copy(update={"fingerprint": "0" * 64}),  # another build's records under this name
        saved.model_copy(update={"chunks": saved.chunks[:-1]}),  # a chunk missing
    ):
        path.write_text(stale.model_dump_json(), encoding="utf-8")
        assert _saved(settings, pointer) is None
        assert open_current_store(settings, HashEmbedder()).chunks() == expected
    path.write_text("{not json", encoding="utf-8")
    assert _saved(settings, pointer) is None
    assert open_current_store(settings, HashEmbedder()).chunks() == expected


def test_an_index_without_saved_records_gets_them_on_first_open(tmp_path: Path) -> None:
    settings, pointer = _build_with_controls(tmp_path)
    path = records_path(settings, pointer.collection)
    path.unlink()
    store = open_current_store(settings, HashEmbedder())
    assert path.is_file()
    saved = _saved(settings, pointer)
    assert saved is not None and saved.chunks == store.chunks() == _fresh(settings, pointer).chunks()


def test_a_new_build_drops_the_old_records_and_rebuild_removes_them(tmp_path: Path) -> None:
    tc = TestCorpus(tmp_path)
    tc.add_pdf("alpha", ["threats", "supply"])
    first = ingest(tc.settings, embedder=HashEmbedder())
    assert records_path(tc.settings, first.collection).is_file()
    tc.add_pdf("beta", ["logging"])
    second = ingest(tc.settings, embedder=HashEmbedder())
    pointer = current_pointer(tc.settings)
    assert pointer is not None and pointer.collection == second.collection
    assert sorted(p.name for p in tc.settings.index_dir.glob("records-*.json")) == [
        records_path(tc.settings, second.collection).name
    ]
    saved = _saved(tc.settings, pointer)
    assert saved is not None and {c.doc_id for c in saved.chunks} == {"alpha", "beta"}
    discard_index(tc.settings)
    assert not list(tc.settings.index_dir.glob("records-*.json"))

"""The VectorStore contract on MemoryStore and on an embedded Chroma collection, plus Chroma specifics."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chromadb.api import ClientAPI

from retrieval.protocols import Filter, VectorStore
from retrieval.store import (
    ChromaStore,
    MemoryStore,
    chunk_to_metadata,
    filter_to_where,
    make_chroma_client,
    metadata_to_chunk,
)
from saige.settings import Settings
from tests import store_checks
from tests.store_checks import ALL_CHECKS, sample_chunks

_names = itertools.count()


@pytest.fixture(scope="module")
def chroma_client(tmp_path_factory: pytest.TempPathFactory) -> ClientAPI:
    settings = Settings(data_dir=tmp_path_factory.mktemp("chroma-data"))
    return make_chroma_client(settings)


@pytest.fixture(params=["memory", "chroma"])
def store(request: pytest.FixtureRequest, chroma_client: ClientAPI) -> Iterator[VectorStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    name = f"test-{next(_names)}"
    yield ChromaStore.create(chroma_client, name)
    chroma_client.delete_collection(name)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda f: f.__name__.removeprefix("check_"))
def test_store_contract(store: VectorStore, check: Callable[[VectorStore], None]) -> None:
    check(store)


def test_both_satisfy_the_protocol(store: VectorStore) -> None:
    assert isinstance(store, VectorStore)


def test_memory_store_bulk() -> None:
    store_checks.check_batches_larger_than_limit(MemoryStore())


def test_chroma_add_is_split_into_batches(chroma_client: ClientAPI) -> None:
    store = ChromaStore.create(chroma_client, "test-batches")
    store._batch_size = 300  # smaller than the 2500 chunks: add must loop
    store_checks.check_batches_larger_than_limit(store)


def test_chroma_collection_is_cosine_without_embedding_function(chroma_client: ClientAPI) -> None:
    store = ChromaStore.create(chroma_client, "test-config")
    config = store.collection.configuration_json
    assert config["hnsw"]["space"] == "cosine"
    assert store.collection._embedding_function is None
    # a query by text would need an embedding function: Chroma must refuse rather than download one
    with pytest.raises(Exception):  # noqa: B017 - chromadb raises ValueError or its own error type
        store.collection.query(query_texts=["supply chain"], n_results=1)


def test_chroma_persists_and_reopens(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    client = make_chroma_client(settings)
    store = ChromaStore.create(client, "persisted")
    store_checks.filled(store)
    assert (settings.index_dir / "chroma").is_dir()
    del store, client
    again = ChromaStore.open(make_chroma_client(settings), "persisted")
    assert again.count() == len(sample_chunks())
    expected = sorted(sample_chunks(), key=lambda c: (c.doc_id, c.section_order, c.ordinal))
    assert [c.model_dump() for c in again.chunks()] == [c.model_dump() for c in expected]


def test_metadata_is_scalar_and_omits_none() -> None:
    chunk = next(c for c in sample_chunks() if c.stage is None)
    meta = chunk_to_metadata(chunk)
    assert all(isinstance(v, str | int | float | bool) for v in meta.values())
    assert "stage" not in meta and "pdf_page_start" not in meta
    assert meta["section_path"] == '["Executive summary"]'
    assert metadata_to_chunk(chunk.chunk_id, chunk.text, meta) == chunk


def test_filter_to_where() -> None:
    assert filter_to_where(None) is None
    assert filter_to_where(Filter()) is None
    assert filter_to_where(Filter(doc_ids=("a",))) == {"doc_id": {"$in": ["a"]}}
    assert filter_to_where(Filter(stage="Secure design")) == {"stage": {"$eq": "Secure design"}}
    assert filter_to_where(Filter(doc_ids=("a", "b"), stage="Secure design")) == {
        "$and": [{"doc_id": {"$in": ["a", "b"]}}, {"stage": {"$eq": "Secure design"}}]
    }


def test_memory_store_rejects_wrong_dimension() -> None:
    store = MemoryStore()
    chunks = sample_chunks()
    store.add(chunks[:1], [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="dimension 2, store has 3"):
        store.add(chunks[1:2], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="dimension"):
        store.query([1.0, 0.0], 1)

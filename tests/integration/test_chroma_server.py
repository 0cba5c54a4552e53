"""The VectorStore contract through a real Chroma server: make_chroma_client with SAIGE_CHROMA_HOST/PORT."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chromadb.api import ClientAPI

from retrieval.protocols import VectorStore
from retrieval.store import ChromaStore, make_chroma_client
from saige.settings import Settings
from tests import store_checks
from tests.store_checks import ALL_CHECKS, CONTROL_CHECKS

pytestmark = pytest.mark.slow

_names = itertools.count()


@pytest.fixture
def http_settings(
    chroma_server: tuple[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    host, port = chroma_server
    monkeypatch.setenv("SAIGE_CHROMA_HOST", host)
    monkeypatch.setenv("SAIGE_CHROMA_PORT", str(port))
    monkeypatch.setenv("SAIGE_DATA_DIR", str(tmp_path / "data"))
    return Settings()


@pytest.fixture
def http_client(http_settings: Settings) -> ClientAPI:
    return make_chroma_client(http_settings)


@pytest.fixture
def server_store(http_client: ClientAPI) -> Iterator[ChromaStore]:
    name = f"server-test-{next(_names)}"
    yield ChromaStore.create(http_client, name)
    http_client.delete_collection(name)


def test_client_is_http_and_writes_nothing_locally(http_settings: Settings, http_client: ClientAPI) -> None:
    import chromadb

    assert http_settings.chroma_host == "127.0.0.1"
    assert isinstance(http_client, chromadb.ClientAPI)
    assert http_client.heartbeat() > 0
    server = getattr(http_client, "_server", None)
    assert type(server).__name__ == "FastAPI"  # the HTTP transport, not the embedded engine
    assert not (http_settings.index_dir / "chroma").exists()


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda f: f.__name__.removeprefix("check_"))
def test_store_contract_over_http(server_store: ChromaStore, check: Callable[[VectorStore], None]) -> None:
    check(server_store)


@pytest.mark.parametrize("check", CONTROL_CHECKS, ids=lambda f: f.__name__.removeprefix("check_"))
def test_control_store_contract_over_http(
    server_store: ChromaStore, check: Callable[[VectorStore], None]
) -> None:
    """The controls catalogue lives in a companion collection: readable through a Chroma server too."""
    check(server_store)


def test_batched_add_over_http(http_client: ClientAPI) -> None:
    store = ChromaStore.create(http_client, "server-batches")
    try:
        store._batch_size = 700
        store_checks.check_batches_larger_than_limit(store)
    finally:
        http_client.delete_collection("server-batches")


def test_reopen_by_name_from_a_new_client(http_settings: Settings) -> None:
    first = ChromaStore.create(make_chroma_client(http_settings), "server-reopen")
    try:
        store_checks.filled(first)
        again = ChromaStore.open(make_chroma_client(http_settings), "server-reopen")
        assert again.count() == len(store_checks.sample_chunks())
        assert [c.chunk_id for c in again.chunks()] == [c.chunk_id for c in first.chunks()]
    finally:
        make_chroma_client(http_settings).delete_collection("server-reopen")

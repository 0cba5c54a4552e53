"""The ControlStore contract (controls catalogue) on MemoryStore and on an embedded Chroma collection."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from chromadb.api import ClientAPI

from retrieval.protocols import VectorStore
from retrieval.store import CONTROLS_SUFFIX, ChromaStore, MemoryStore, make_chroma_client
from saige.settings import Settings
from tests.store_checks import CONTROL_CHECKS

_names = itertools.count()


@pytest.fixture(scope="module")
def chroma_client(tmp_path_factory: pytest.TempPathFactory) -> ClientAPI:
    return make_chroma_client(Settings(data_dir=tmp_path_factory.mktemp("chroma-controls")))


@pytest.fixture(params=["memory", "chroma"])
def store(request: pytest.FixtureRequest, chroma_client: ClientAPI) -> Iterator[VectorStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    yield ChromaStore.create(chroma_client, f"ctl-{next(_names)}")


@pytest.mark.parametrize("check", CONTROL_CHECKS, ids=lambda f: f.__name__.removeprefix("check_"))
def test_control_store_contract(store: VectorStore, check: Callable[[VectorStore], None]) -> None:
    check(store)


def test_chroma_keeps_controls_in_a_companion_collection(chroma_client: ClientAPI) -> None:
    from tests.conftest import HashEmbedder
    from tests.control_fixtures import sample_controls

    store = ChromaStore.create(chroma_client, "ctl-companion")
    controls = sample_controls()
    store.add_controls(controls, HashEmbedder().embed([c.statement for c in controls]))
    names = {c if isinstance(c, str) else c.name for c in chroma_client.list_collections()}
    assert "ctl-companion" + CONTROLS_SUFFIX in names
    reopened = ChromaStore.open(chroma_client, "ctl-companion")
    assert [c.key for c in reopened.controls()] == [c.key for c in controls]

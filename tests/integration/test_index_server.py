"""Atomic builds and the current pointer through a real Chroma server shared by several app replicas."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from retrieval.index import build_collections, connect, meta_name, open_current_store
from saige.settings import Settings
from tests.conftest import HashEmbedder
from tests.pipeline_corpus import TestCorpus

pytestmark = pytest.mark.slow

_prefixes = itertools.count()


def server_settings(tc: TestCorpus, server: tuple[str, int], data_dir: Path, prefix: str) -> Settings:
    host, port = server
    return Settings(
        corpus_dir=tc.corpus,
        manifest=tc.manifest,
        data_dir=data_dir,
        chroma_host=host,
        chroma_port=port,
        collection=prefix,
    )


def test_replicas_follow_the_pointer_stored_in_chroma(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    tc = TestCorpus(tmp_path / "corpus-root")
    tc.add_pdf("alpha", ["threats", "supply"])
    prefix = f"srv{next(_prefixes)}"
    builder = server_settings(tc, chroma_server, tmp_path / "builder", prefix)
    replica = server_settings(tc, chroma_server, tmp_path / "replica", prefix)  # another machine's data dir

    first = ingest(builder, embedder=HashEmbedder())
    store = open_current_store(replica, HashEmbedder())
    assert (store.name, store.count()) == (first.collection, first.chunks)
    assert not (replica.index_dir / "chroma").exists()
    assert not (builder.index_dir / "chroma").exists()  # nothing embedded on disk with a server

    tc.add_pdf("beta", ["logging"])
    second = ingest(builder, embedder=HashEmbedder())
    assert second.collection != first.collection
    assert open_current_store(replica, HashEmbedder()).name == second.collection
    client = connect(replica, create=False)
    # the previous build stays one generation for replicas still reading it (tests/integration/test_replicas.py)
    assert build_collections(client, replica) == sorted([first.collection, second.collection])

    rebuilt = ingest(builder, embedder=HashEmbedder(), rebuild=True)
    assert rebuilt.embedded == 0
    names = {c.name for c in client.list_collections()}
    ours = {n for n in names if n.startswith(prefix + "-")}
    assert ours == {rebuilt.collection, meta_name(replica)}
    emb = HashEmbedder()
    hit, _ = open_current_store(replica, emb).query(emb.embed(["prompts logged for audit"])[0], 1)[0]
    assert hit.doc_id == "beta"

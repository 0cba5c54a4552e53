"""Through a real Chroma server end to end: `saige ingest`, `saige search`, `saige ask` and the Saige facade
with SAIGE_CHROMA_HOST / SAIGE_CHROMA_PORT (the real model; nothing written to a local Chroma folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.index import chroma_path, current_pointer
from retrieval.service import Saige
from retrieval.store import ChromaStore
from saige.settings import Settings
from tests.pipeline_corpus import TestCorpus

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def saige(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("saige")
    return subprocess.run([str(exe), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_ingest_search_and_ask_through_a_chroma_server(
    chroma_server: tuple[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tc = TestCorpus(tmp_path / "root")
    tc.add_pdf("alpha", ["threats", "supply"])
    tc.add_pdf("beta", ["logging", "updates"])
    host, port = chroma_server
    values = {
        "SAIGE_CORPUS_DIR": str(tc.corpus),
        "SAIGE_MANIFEST": str(tc.manifest),
        "SAIGE_DATA_DIR": str(tc.data),
        "SAIGE_CHROMA_HOST": host,
        "SAIGE_CHROMA_PORT": str(port),
        "SAIGE_COLLECTION": "e2e",
    }
    env = {**os.environ, **values}

    ingested = saige(env, "ingest")
    assert ingested.returncode == 0, ingested.stderr
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.chroma_host == host and settings.chroma_port == port
    pointer = current_pointer(settings)
    assert pointer is not None and pointer.collection.startswith("e2e-")
    assert not chroma_path(settings).exists()  # the index lives in the server only

    found = saige(env, "search", "suppliers software bill of materials", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits[0]["doc_id"] == "alpha" and hits[0]["section"] == "Secure your supply chain"

    asked = saige(env, "ask", "How are inputs such as prompts logged for audit?", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["abstained"]
    assert {c["doc_id"] for c in answer["citations"]} == {"beta"}

    engine = Saige.from_settings(settings)
    assert isinstance(engine.store, ChromaStore) and engine.store.name == pointer.collection
    assert engine.store.count() == pointer.chunks
    top = engine.search("threat modelling attackers and their goals")[0]
    assert (top.chunk.doc_id, top.chunk.section) == ("alpha", "Model the threats to your system")
    reply = engine.ask("Are updates delivered automatically by default?")
    assert not reply.abstained and reply.citations
    assert all(c.doc_id == "beta" for c in reply.citations)
    assert any("automatically" in c.quote for c in reply.citations)

"""Two replica processes on one real `chroma run` server follow an ingest by themselves.

Each replica is a separate Python process that does what the app does on every rerun: compare
`saige.ui.main.index_stamp` (the server's pointer) with the stamp of its cached engine and reload when it
changed. Between two questions an ingest switches the server to a new build; both replicas answer the next
question from the new build, with no click, and the previous build is kept one generation for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import ingest
from retrieval.index import build_collections, connect, current_pointer
from tests.conftest import HashEmbedder
from tests.integration.test_index_server import server_settings
from tests.pipeline_corpus import TestCorpus

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

REPLICA = """
import json, sys
from retrieval.service import Saige
from saige.settings import Settings
from saige.ui.main import index_stamp
from tests.conftest import HashEmbedder

settings = Settings()
engine, stamp = None, None
for line in sys.stdin:
    now = index_stamp(settings)
    if engine is None or now != stamp:
        engine, stamp = Saige.from_settings(settings, embedder=HashEmbedder()), now
    hits = engine.search(line.strip(), k=3)
    print(json.dumps({"collection": engine.store.name, "docs": [h.chunk.doc_id for h in hits]}), flush=True)
"""


class Replica:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", REPLICA],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def ask(self, question: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"replica exited with {self.proc.poll()}"
        return dict(json.loads(line))

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


def test_two_replicas_answer_from_the_new_build_without_a_click(
    chroma_server: tuple[str, int], tmp_path: Path
) -> None:
    tc = TestCorpus(tmp_path / "corpus-root")
    tc.add_pdf("alpha", ["threats", "supply"])
    builder = server_settings(tc, chroma_server, tmp_path / "builder", "replicas")
    first = ingest(builder, embedder=HashEmbedder())

    replicas = []
    for i in range(2):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAIGE_")}
        env.update(
            PYTHONPATH=str(ROOT),
            SAIGE_CHROMA_HOST=chroma_server[0],
            SAIGE_CHROMA_PORT=str(chroma_server[1]),
            SAIGE_COLLECTION="replicas",
            SAIGE_MANIFEST=str(tc.manifest),
            SAIGE_DATA_DIR=str(tmp_path / f"replica{i}"),
        )
        replicas.append(Replica(env))
    try:
        question = "prompts logged for audit and data drift"
        for replica in replicas:
            before = replica.ask(question)
            assert before["collection"] == first.collection and set(before["docs"]) == {"alpha"}

        tc.add_pdf("beta", ["logging"])
        second = ingest(builder, embedder=HashEmbedder())
        assert second.collection != first.collection
        pointer = current_pointer(builder)
        assert pointer is not None and pointer.previous == first.collection
        # the replicas' old build is still there for them until the next ingest
        assert build_collections(connect(builder, create=False), builder) == sorted(
            [first.collection, second.collection]
        )

        for replica in replicas:
            after = replica.ask(question)
            assert after["collection"] == second.collection
            assert after["docs"][0] == "beta"  # only the new build holds this document

        tc.add_pdf("gamma", ["updates"])
        third = ingest(builder, embedder=HashEmbedder())
        assert build_collections(connect(builder, create=False), builder) == sorted(
            [second.collection, third.collection]
        )  # one generation kept, older ones dropped
        for replica in replicas:
            assert replica.ask("updates delivered automatically")["collection"] == third.collection
    finally:
        for replica in replicas:
            replica.stop()

"""An ingest SIGKILLed at every stage leaves the previous index answering and the next ingest clean.

Each case runs the ingest in a child process through a small driver script that wraps one pipeline/index
function (no product test hooks) so that it kills its own process with SIGKILL at that point: while
parsing, while embedding, while writing the collection, between writing and the switch, inside the switch
(Chroma's pointer written, the JSON mirror not yet) and right after the switch (before old builds are
dropped). The corpus is generated (tests.pipeline_corpus), the embedder is HashEmbedder, Chroma is the real
embedded PersistentClient.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from retrieval.index import (
    LOCK_FILE,
    POINTER_FILE,
    build_collections,
    connect,
    current_pointer,
    ingest_lock,
    open_current_store,
)
from saige.settings import Settings
from tests.conftest import HashEmbedder
from tests.pipeline_corpus import TestCorpus

REPO = Path(__file__).resolve().parents[2]
QUERIES = ["threat modelling attackers", "supply chain bill of materials", "rate limits model extraction"]

# point name -> (module attribute to wrap, does the new build become current before the kill?)
KILL_POINTS: dict[str, tuple[str, str, bool]] = {
    "parse": ("ingest.pdf", "parse_pdf", False),
    "embed": ("tests.conftest", "HashEmbedder.embed", False),
    "write": ("retrieval.store", "ChromaStore.add", False),
    "before-switch": ("retrieval.index", "switch_to", False),
    "in-switch": ("retrieval.index", "_write_mirror", True),
    "after-switch": ("retrieval.index", "drop_other_builds", True),
}

DRIVER = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
import importlib
module = importlib.import_module({module!r})
owner, _, attr = {attr!r}.rpartition(".")
target = getattr(module, owner) if owner else module
original = getattr(target, attr)
calls = [0]

def killer(*args, **kwargs):
    calls[0] += 1
    if calls[0] >= {after}:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)

setattr(target, attr, killer)
from ingest.pipeline import ingest
from saige.settings import Settings
from tests.conftest import HashEmbedder
s = Settings(corpus_dir=Path({corpus!r}), manifest=Path({manifest!r}), data_dir=Path({data!r}))
ingest(s, embedder=HashEmbedder())
print("ingest finished without being killed", flush=True)
"""


def run_killed(tc: TestCorpus, module: str, attr: str, *, after: int = 1) -> subprocess.CompletedProcess[str]:
    script = tc.root / "driver.py"
    script.write_text(
        DRIVER.format(
            repo=str(REPO),
            module=module,
            attr=attr,
            after=after,
            corpus=str(tc.corpus),
            manifest=str(tc.manifest),
            data=str(tc.data),
        ),
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=180
    )


def answers(settings: Settings) -> tuple[str, int, list[list[str]]]:
    """The current collection, its count, and the chunk ids each query returns."""
    emb = HashEmbedder()
    store = open_current_store(settings, emb)
    results = [[c.chunk_id for c, _ in store.query(emb.embed([q])[0], 3)] for q in QUERIES]
    return store.name, store.count(), results


def assert_clean(tc: TestCorpus, collection: str, chunks: int) -> None:
    """One build collection besides meta, it is current, its chunks are complete and unique, no lock."""
    settings = tc.settings
    client = connect(settings, create=False)
    assert build_collections(client, settings) == [collection]
    store = open_current_store(settings, HashEmbedder())
    assert store.name == collection
    assert store.count() == chunks
    ids = [c.chunk_id for c in store.chunks()]
    assert len(ids) == len(set(ids)) == chunks
    mirror = json.loads((settings.index_dir / POINTER_FILE).read_text(encoding="utf-8"))
    assert mirror["collection"] == collection
    assert (settings.data_dir / LOCK_FILE).read_text(encoding="utf-8") == ""  # holder info cleared
    with ingest_lock(settings):  # the kernel released the flock with the killed process
        pass


@pytest.mark.slow
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_ingest_killed_at(point: str, tmp_path: Path) -> None:
    module, attr, switched = KILL_POINTS[point]
    tc = TestCorpus(tmp_path)
    tc.add_pdf("alpha", ["threats", "supply"])
    tc.add_pdf("beta", ["logging", "updates"])
    first = ingest(tc.settings, embedder=HashEmbedder())
    before = answers(tc.settings)
    assert before[:2] == (first.collection, first.chunks)

    # change one document so the next ingest parses, embeds and writes something new
    tc.add_pdf("beta", ["logging"], extra="Rate limits slow down model extraction. ")
    proc = run_killed(tc, module, attr)
    assert proc.returncode == -signal.SIGKILL, (proc.stdout, proc.stderr)

    if switched:
        # the switch is one Chroma upsert: it happened, so the new build answers, complete
        pointer = current_pointer(tc.settings)
        assert pointer is not None and pointer.collection != first.collection
        name, count, _ = answers(tc.settings)
        assert (name, count) == (pointer.collection, pointer.chunks)
    else:
        assert answers(tc.settings) == before  # same build, same results

    second = ingest(tc.settings, embedder=HashEmbedder())
    assert second.collection != first.collection
    assert_clean(tc, second.collection, second.chunks)
    emb = HashEmbedder()
    store = open_current_store(tc.settings, emb)
    top = store.query(emb.embed(["rate limits model extraction"])[0], 1)[0][0]
    assert top.doc_id == "beta" and "Rate limits" in top.text


@pytest.mark.slow
def test_ingest_killed_mid_write_later_batch(tmp_path: Path) -> None:
    """Killed on the second write batch: some chunks are in the new collection, it is never current."""
    tc = TestCorpus(tmp_path)
    for i in range(6):
        tc.add_pdf(f"doc{i}", ["threats", "supply", "logging", "updates"], extra=f"Document {i}. " * 30)
    first = ingest(tc.settings, embedder=HashEmbedder())
    before = answers(tc.settings)
    tc.add_pdf("doc0", ["threats"], extra="Rate limits slow down model extraction. ")
    import retrieval.index as index

    after = 2 if first.chunks > index._WRITE_BATCH else 1
    proc = run_killed(tc, "retrieval.store", "ChromaStore.add", after=after)
    assert proc.returncode == -signal.SIGKILL, (proc.stdout, proc.stderr)
    assert answers(tc.settings) == before
    second = ingest(tc.settings, embedder=HashEmbedder())
    assert_clean(tc, second.collection, second.chunks)


def test_parse_timeout_stops_the_ingest_and_the_old_index_answers(tmp_path: Path) -> None:
    """SAIGE_PARSE_TIMEOUT reaches the pipeline: a document too slow to parse aborts the ingest with a
    one-line error naming it, before the index is touched."""
    from pypdf import PdfReader, PdfWriter

    from saige.errors import CorpusError

    tc = TestCorpus(tmp_path)
    tc.add_pdf("alpha", ["threats", "supply"])
    first = ingest(tc.settings, embedder=HashEmbedder())
    before = answers(tc.settings)
    writer = PdfWriter(clone_from=PdfReader(tc.add_pdf("slow", ["logging"])))
    for _ in range(3000):
        writer.add_page(writer.pages[1])
    with (tc.corpus / "slow.pdf").open("wb") as out:
        writer.write(out)
    tc.register("slow", tc.corpus / "slow.pdf")
    settings = tc.settings.model_copy(update={"parse_timeout": 0.5})
    with pytest.raises(CorpusError) as info:
        ingest(settings, embedder=HashEmbedder())
    assert (
        str(info.value) == f"{tc.corpus / 'slow.pdf'}: parsing took longer than 0.5 s (SAIGE_PARSE_TIMEOUT)"
    )
    assert answers(tc.settings) == before
    assert build_collections(connect(tc.settings, create=False), tc.settings) == [first.collection]

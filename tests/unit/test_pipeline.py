"""The ingest pipeline end to end on generated PDFs, with HashEmbedder and a temp embedded Chroma."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from retrieval.index import (
    LOCK_FILE,
    POINTER_FILE,
    build_collections,
    build_name,
    chroma_path,
    connect,
    current_pointer,
    ingest_lock,
    new_build_id,
    open_current_store,
)
from retrieval.store import ChromaStore
from saige.errors import IndexCorruptError, IndexMissingError, LockedError
from tests.conftest import HashEmbedder
from tests.pipeline_corpus import TestCorpus

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def corpus(tmp_path: Path) -> TestCorpus:
    tc = TestCorpus(tmp_path)
    tc.add_pdf("alpha", ["threats", "supply"])
    tc.add_pdf("beta", ["logging", "updates"])
    return tc


def top_hit(tc: TestCorpus, query: str) -> tuple[str, str]:
    emb = HashEmbedder()
    store = open_current_store(tc.settings, emb)
    chunk, _ = store.query(emb.embed([query])[0], 1)[0]
    return chunk.doc_id, chunk.section


def test_ingest_builds_a_searchable_index(corpus: TestCorpus) -> None:
    report = ingest(corpus.settings, embedder=HashEmbedder())
    assert report.documents == 2
    assert report.sections == 4
    assert report.chunks >= 4
    assert report.embedded == report.chunks
    assert report.cached == 0
    assert [d.doc_id for d in report.per_document] == ["alpha", "beta"]
    store = open_current_store(corpus.settings, HashEmbedder())
    assert store.count() == report.chunks
    assert top_hit(corpus, "data poisoning adversarial threats attackers") == (
        "alpha",
        "Model the threats to your system",
    )
    assert top_hit(corpus, "prompts logged audit drift") == ("beta", "Monitor your system's inputs")
    chunks = store.chunks()
    assert {c.doc_title for c in chunks} == {"Test document alpha", "Test document beta"}
    # page 1 is the cover; each section has its own page
    pages = {(c.doc_id, c.section): (c.page_start, c.page_end) for c in chunks}
    assert pages[("alpha", "Model the threats to your system")] == (2, 2)
    assert pages[("alpha", "Secure your supply chain")] == (3, 3)
    pointer = current_pointer(corpus.settings)
    assert pointer is not None and pointer.collection == report.collection
    assert (corpus.settings.index_dir / POINTER_FILE).is_file()


def test_reingest_unchanged_embeds_nothing(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    again = ingest(corpus.settings, embedder=HashEmbedder())
    assert again.unchanged
    assert again.embedded == 0
    assert again.collection == first.collection
    assert again.parse_cached == 2
    # a forced rebuild writes a new collection, every vector from the embedding cache
    rebuilt = ingest(corpus.settings, embedder=HashEmbedder(), rebuild=True)
    assert rebuilt.embedded == 0
    assert rebuilt.cached == rebuilt.chunks == first.chunks
    assert rebuilt.collection != first.collection
    client = connect(corpus.settings, create=False)
    assert build_collections(client, corpus.settings) == [rebuilt.collection]


def test_changed_document_reembeds_only_its_chunks(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    alpha_chunks = next(d.chunks for d in first.per_document if d.doc_id == "alpha")
    corpus.add_pdf("beta", ["logging", "updates"], extra="Canary tokens reveal tampering with logs. ")
    second = ingest(corpus.settings, embedder=HashEmbedder())
    beta_chunks = next(d.chunks for d in second.per_document if d.doc_id == "beta")
    assert not second.unchanged
    assert 0 < second.embedded <= beta_chunks
    assert second.cached == second.chunks - second.embedded >= alpha_chunks
    assert second.parse_cached == 1  # alpha from the parse cache, beta parsed again
    assert top_hit(corpus, "canary tokens tampering")[0] == "beta"
    client = connect(corpus.settings, create=False)
    assert build_collections(client, corpus.settings) == [second.collection]  # the old build is dropped


def test_old_build_answers_until_the_switch(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    corpus.add_pdf("alpha", ["threats", "supply"], extra="Model cards describe intended use. ")
    seen: list[tuple[str, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "write" and done < total:
            store = open_current_store(corpus.settings, HashEmbedder())
            seen.append((store.name, store.count()))
            assert top_hit(corpus, "supply chain bill of materials")[0] == "alpha"

    second = ingest(corpus.settings, embedder=HashEmbedder(), progress=progress)
    assert seen and all(item == (first.collection, first.chunks) for item in seen)
    assert open_current_store(corpus.settings, HashEmbedder()).name == second.collection


def test_failed_write_keeps_the_old_build(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    corpus.add_pdf("alpha", ["threats"], extra="Something new. ")

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "write":
            raise OSError("disk full (simulated)")

    with pytest.raises(OSError, match="disk full"):
        ingest(corpus.settings, embedder=HashEmbedder(), progress=progress)
    store = open_current_store(corpus.settings, HashEmbedder())
    assert (store.name, store.count()) == (first.collection, first.chunks)
    client = connect(corpus.settings, create=False)
    assert build_collections(client, corpus.settings) == [first.collection]


def test_half_written_build_is_never_current_and_is_cleaned_up(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    client = connect(corpus.settings, create=True)
    stray = ChromaStore.create(client, build_name(corpus.settings, new_build_id()))
    old = open_current_store(corpus.settings, HashEmbedder())
    chunks = old.chunks()[:2]
    stray.add(chunks, HashEmbedder().embed([c.embed_text for c in chunks]))
    assert open_current_store(corpus.settings, HashEmbedder()).name == first.collection
    again = ingest(corpus.settings, embedder=HashEmbedder())
    assert again.unchanged
    assert build_collections(connect(corpus.settings, create=False), corpus.settings) == [first.collection]


def _script(body: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(body)]


def test_ingest_killed_mid_write_leaves_the_old_index_and_no_lock(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    corpus.add_pdf("beta", ["logging"], extra="Rate limits slow down model extraction. ")
    body = f"""
        import os, signal
        from pathlib import Path
        from ingest.pipeline import ingest
        from saige.settings import Settings
        from tests.conftest import HashEmbedder

        def progress(stage, done, total):
            if stage == "write" and done > 0:
                os.kill(os.getpid(), signal.SIGKILL)

        s = Settings(corpus_dir=Path({str(corpus.corpus)!r}), manifest=Path({str(corpus.manifest)!r}),
                     data_dir=Path({str(corpus.data)!r}))
        ingest(s, embedder=HashEmbedder(), progress=progress)
    """
    proc = subprocess.run(_script(body), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    store = open_current_store(corpus.settings, HashEmbedder())
    assert (store.name, store.count()) == (first.collection, first.chunks)
    client = connect(corpus.settings, create=False)
    assert len(build_collections(client, corpus.settings)) == 2  # the old build and the half-written one
    # the kernel released the lock with the process: the next ingest runs, switches and cleans up
    second = ingest(corpus.settings, embedder=HashEmbedder())
    assert second.embedded == 0  # the killed run had already cached its embeddings
    assert build_collections(connect(corpus.settings, create=False), corpus.settings) == [second.collection]
    assert top_hit(corpus, "rate limits model extraction")[0] == "beta"


def test_second_ingest_is_refused_while_the_lock_is_held(corpus: TestCorpus) -> None:
    with ingest_lock(corpus.settings) as lockfile, pytest.raises(LockedError) as info:
        ingest(corpus.settings, embedder=HashEmbedder())
    message = str(info.value)
    assert f"pid {os.getpid()}" in message
    assert str(lockfile) in message and lockfile.name == LOCK_FILE
    assert "another ingest is running" in message
    assert "\n" not in message
    ingest(corpus.settings, embedder=HashEmbedder())  # released


def test_lock_held_by_another_process(corpus: TestCorpus) -> None:
    body = f"""
        import sys, time
        from pathlib import Path
        from retrieval.index import ingest_lock
        from saige.settings import Settings

        with ingest_lock(Settings(data_dir=Path({str(corpus.data)!r}))):
            print("locked", flush=True)
            time.sleep(60)
    """
    proc = subprocess.Popen(_script(body), cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"pid {proc.pid},"):
            ingest(corpus.settings, embedder=HashEmbedder())
    finally:
        proc.kill()
        proc.wait(timeout=30)
    time.sleep(0.1)
    report = ingest(corpus.settings, embedder=HashEmbedder())  # SIGKILL left no stale lock
    assert report.documents == 2


def test_no_index_yet(corpus: TestCorpus) -> None:
    with pytest.raises(IndexMissingError, match="run `saige ingest`"):
        open_current_store(corpus.settings, HashEmbedder())


def test_index_built_with_another_model_is_refused(corpus: TestCorpus) -> None:
    ingest(corpus.settings, embedder=HashEmbedder())
    with pytest.raises(IndexCorruptError, match="built with embedding model fake-hash-bow-256"):
        open_current_store(corpus.settings, HashEmbedder(dimension=64))


def test_corrupted_index_is_reported_and_rebuild_recovers(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    sqlite_file = chroma_path(corpus.settings) / "chroma.sqlite3"
    with sqlite_file.open("r+b") as fh:
        fh.write(b"this is not a sqlite database " * 500)
    with pytest.raises(IndexCorruptError) as info:
        open_current_store(corpus.settings, HashEmbedder())
    message = str(info.value)
    assert "cannot be read" in message and "saige ingest --rebuild" in message
    assert str(chroma_path(corpus.settings)) in message
    assert "\n" not in message
    with pytest.raises(IndexCorruptError):
        ingest(corpus.settings, embedder=HashEmbedder())  # without --rebuild: the same clear error
    rebuilt = ingest(corpus.settings, embedder=HashEmbedder(), rebuild=True)
    assert rebuilt.chunks == first.chunks
    assert rebuilt.embedded == 0  # vectors from the embedding cache
    assert top_hit(corpus, "suppliers software bill of materials")[0] == "alpha"


def test_ingest_cache_is_keyed_by_settings_and_survives_garbage(corpus: TestCorpus) -> None:
    first = ingest(corpus.settings, embedder=HashEmbedder())
    chunk_files = sorted((corpus.settings.cache_dir / "chunks").glob("*.json"))
    assert len(chunk_files) == 2
    for path in chunk_files:
        path.write_text("{not json", encoding="utf-8")
    again = ingest(corpus.settings, embedder=HashEmbedder())
    assert again.unchanged and again.chunks == first.chunks
    smaller = corpus.settings.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 8})
    small = ingest(smaller, embedder=HashEmbedder())
    assert small.chunks > first.chunks
    assert small.parse_cached == 2  # parses reused, chunks recomputed for the new size
    assert not small.unchanged
    assert len(list((corpus.settings.cache_dir / "chunks").glob("*.json"))) == 2  # stale entries pruned


def test_chunk_pages_follow_a_section_across_pages(tmp_path: Path) -> None:
    from tests.pdfgen import make_text_pdf

    tc = TestCorpus(tmp_path)
    page_lines = {
        number: [
            f"Page{number} line {i} explains one safeguard for the deployment in plain words here."
            for i in range(30)
        ]
        for number in (2, 3)
    }
    pages: list[list[tuple[str, str]]] = [
        [("h1", "Report gamma")],
        [("h2", "A long section"), *[("p", line) for line in page_lines[2]]],
        [("p", line) for line in page_lines[3]],
        [("h2", "Another section"), ("p", "Closing words of the report on its last page.")],
    ]
    path = make_text_pdf(tc.corpus / "gamma.pdf", pages)
    tc.register("gamma", path)
    ingest(tc.settings, embedder=HashEmbedder())
    chunks = open_current_store(tc.settings, HashEmbedder()).chunks()
    assert {c.section for c in chunks} == {"A long section", "Another section"}
    chunks = [c for c in chunks if c.section == "A long section"]
    assert len(chunks) >= 4
    for c in chunks:
        on = {int(n) for n in re.findall(r"Page(\d)", c.text)}
        assert (c.page_start, c.page_end) == (min(on), max(on)), c.text
    assert any(c.page_start == 2 and c.page_end == 3 for c in chunks)


def test_a_cold_ingest_hashes_each_file_and_builds_each_catalogue_once(
    corpus: TestCorpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: the controls catalogue comes with each document's chunks (and the chunk cache), not from a
    second pass that re-hashed and re-read every parse."""
    import corpus.manifest as manifest
    import ingest.controls as controls_pkg
    from saige.types import Control, ParsedDocument

    built: list[str] = []
    hashed: list[str] = []

    def build(parsed: ParsedDocument) -> list[Control]:
        built.append(parsed.document.id)
        return [Control(doc_id=parsed.document.id, control_id="1", kind="item", statement="Model threats.")]

    real_sha = manifest.sha256_file

    def sha(path: Path, chunk_size: int = 1 << 20) -> str:
        hashed.append(path.name)
        return real_sha(path, chunk_size)

    monkeypatch.setattr(controls_pkg, "BUILDERS", {"alpha": build, "beta": build})
    monkeypatch.setattr(manifest, "sha256_file", sha)
    report = ingest(corpus.settings, embedder=HashEmbedder())
    assert sorted(built) == ["alpha", "beta"]
    assert len(hashed) == 2
    store = open_current_store(corpus.settings, HashEmbedder())
    assert sorted(c.key for c in store.controls()) == ["alpha::1", "beta::1"]
    # a second ingest takes the controls from the chunk cache: no builder runs
    built.clear()
    again = ingest(corpus.settings, embedder=HashEmbedder(), rebuild=True)
    assert built == [] and again.parse_cached == 2 and again.chunks == report.chunks
    store = open_current_store(corpus.settings, HashEmbedder())
    assert sorted(c.key for c in store.controls()) == ["alpha::1", "beta::1"]

"""The embedding cache (with the HashEmbedder fake) and the real packaged model (offline, sha256-pinned)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval.embedder import (
    CachedEmbedder,
    SentenceTransformerEmbedder,
    load_embedder,
    load_model,
    resolve_model_spec,
    token_counter,
)
from retrieval.protocols import Embedder
from saige.errors import ModelIntegrityError, SaigeError
from saige.settings import MINILM_SHA256, Settings
from tests.conftest import HashEmbedder

ROOT = Path(__file__).resolve().parents[2]


def _close(a: list[list[float]], b: list[list[float]]) -> bool:
    import numpy as np

    return bool(np.allclose(np.asarray(a), np.asarray(b), atol=1e-6))


# --- CachedEmbedder -----------------------------------------------------------------------------------


def test_cache_hits_on_second_pass_and_returns_identical_vectors(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    assert isinstance(cached, Embedder)
    texts = ["secure your supply chain", "model the threats", "monitor inputs"]
    first = cached.embed(texts)
    assert (cached.hits, cached.misses, inner.texts_embedded) == (0, 3, 3)
    second = cached.embed(texts)
    assert (cached.hits, cached.misses, inner.texts_embedded) == (3, 3, 3)
    assert second == first
    # stored as float32: equal to the inner vectors to float32 precision
    assert _close(first, inner.embed(texts))


def test_changed_text_re_embeds_only_itself(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    cached.embed(["a chunk", "b chunk", "c chunk"])
    inner.texts_embedded = 0
    cached.reset_counts()
    out = cached.embed(["a chunk", "b chunk changed", "c chunk"])
    assert inner.texts_embedded == 1
    assert (cached.hits, cached.misses) == (2, 1)
    assert out[1] == pytest.approx(inner.embed(["b chunk changed"])[0], abs=1e-6)


def test_duplicates_in_one_batch_are_embedded_once(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    out = cached.embed(["same", "same", "other"])
    assert inner.texts_embedded == 2
    assert out[0] == out[1]
    assert cached.embed([]) == []


def test_cache_survives_a_new_instance_and_is_keyed_by_model(tmp_path: Path) -> None:
    CachedEmbedder(HashEmbedder(), tmp_path).embed(["persisted text"])
    again_inner = HashEmbedder()
    again = CachedEmbedder(again_inner, tmp_path)
    again.embed(["persisted text"])
    assert again_inner.texts_embedded == 0
    assert again.cached_count() == 1

    other_model = HashEmbedder(dimension=64)  # a different name: must not reuse 256-d vectors
    other = CachedEmbedder(other_model, tmp_path)
    vec = other.embed(["persisted text"])[0]
    assert other_model.texts_embedded == 1
    assert len(vec) == 64


def test_embed_query_never_writes_questions_to_disk(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    cached.embed(["a stored chunk"])
    question = "what should I do about prompt injection?"
    vec = cached.embed_query(question)
    assert vec == pytest.approx(inner.embed([question])[0], abs=1e-6)
    assert cached.cached_count() == 1
    with sqlite3.connect(cached.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 1
    # a stored chunk text is served from the cache; a repeated question from memory
    calls = inner.calls
    cached.embed_query("a stored chunk")
    cached.embed_query(question)
    assert inner.calls == calls


def test_corrupt_cache_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / CachedEmbedder.FILENAME).write_bytes(b"this is not a sqlite database" * 100)
    cached = CachedEmbedder(HashEmbedder(), tmp_path)
    with pytest.raises(SaigeError) as info:
        cached.embed(["text"])
    message = str(info.value)
    assert "\n" not in message
    assert CachedEmbedder.FILENAME in message and "delete it" in message


_WRITER = """
import sys
from pathlib import Path
from retrieval.embedder import CachedEmbedder
from tests.conftest import HashEmbedder
cache = CachedEmbedder(HashEmbedder(), Path(sys.argv[1]))
prefix, n = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
for i in range(n):
    cache.embed([f"{prefix} text {i}.{j}" for j in range(50)])
print("done", flush=True)
"""


def _writer(cache_dir: Path, prefix: str, n: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(cache_dir), prefix, str(n)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_two_processes_share_the_cache(tmp_path: Path) -> None:
    procs = [_writer(tmp_path, name, 20) for name in ("alpha", "beta")]
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0, out
    cache = CachedEmbedder(HashEmbedder(), tmp_path)
    assert cache.cached_count() == 2 * 20 * 50
    inner = HashEmbedder()
    check = CachedEmbedder(inner, tmp_path)
    check.embed([f"alpha text {i}.0" for i in range(20)] + [f"beta text {i}.49" for i in range(20)])
    assert inner.texts_embedded == 0


@pytest.mark.slow
def test_killed_writer_leaves_a_consistent_cache(tmp_path: Path) -> None:
    proc = _writer(tmp_path, "killed", 100000)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 30
    db = tmp_path / CachedEmbedder.FILENAME
    while time.monotonic() < deadline and (not db.exists() or db.stat().st_size < 200_000):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    assert rows > 0 and rows % 50 == 0  # whole batches only: each batch is one transaction
    inner = HashEmbedder()
    cache = CachedEmbedder(inner, tmp_path)
    stored = [f"killed text 0.{j}" for j in range(50)]
    assert _close(cache.embed(stored), inner.embed(stored))
    assert cache.hits == 50


# --- model spec and memo ----------------------------------------------------------------------------


def test_model_specs() -> None:
    name, folder = resolve_model_spec("packaged:all-MiniLM-L6-v2")
    assert name == "all-MiniLM-L6-v2"
    assert folder is not None and (folder / "model.safetensors").is_file()
    assert resolve_model_spec("sentence-transformers/all-mpnet-base-v2") == (
        "sentence-transformers/all-mpnet-base-v2",
        None,
    )
    with pytest.raises(SaigeError, match="unknown packaged model"):
        resolve_model_spec("packaged:nope")
    with pytest.raises(SaigeError, match="is not a model folder"):
        resolve_model_spec("/definitely/not/a/model/folder")


def test_load_embedder_is_lazy_and_memoised(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    emb = load_embedder(settings)
    assert emb is load_embedder(Settings(data_dir=tmp_path))
    assert emb.inner is load_model(settings)
    assert emb.name == f"all-MiniLM-L6-v2@{MINILM_SHA256[:12]}"
    assert emb.dimension == 384  # read from the pooling config, without loading the weights
    assert emb.cache_dir == (tmp_path / "cache").resolve()
    assert isinstance(emb, Embedder)


# --- the real model (one load per test session) ---------------------------------------------------------


def test_real_model_loads_offline_and_embeds(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    emb = load_embedder(settings)
    vectors = emb.embed(
        [
            "Secure your supply chain: assess and monitor the security of AI supply chains.",
            "Monitor and assess the security of third-party AI suppliers.",
            "The recipe needs two eggs and a cup of flour.",
        ]
    )
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert [len(v) for v in vectors] == [384, 384, 384]
    for v in vectors:
        assert sum(x * x for x in v) == pytest.approx(1.0, abs=1e-4)
    sim = [[sum(a * b for a, b in zip(u, w, strict=True)) for w in vectors] for u in vectors]
    assert sim[0][1] > 0.5 > sim[0][2]
    count = token_counter(settings)
    assert count("") == 2  # [CLS] and [SEP]
    long_text = "security " * 400
    assert count(long_text) == 402  # no truncation at the tokenizer's 128
    assert emb.count_tokens("hello world") == 4
    assert load_model(settings).max_tokens == 256


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    _, folder = resolve_model_spec("packaged:all-MiniLM-L6-v2")
    assert folder is not None
    copy = tmp_path / "tampered-model"
    shutil.copytree(folder, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))

    model = SentenceTransformerEmbedder(str(copy), sha256=MINILM_SHA256)
    with pytest.raises(ModelIntegrityError) as info:
        model.embed(["anything"])
    message = str(info.value)
    assert "\n" not in message
    assert f"expected {MINILM_SHA256}" in message
    assert "actual " in message and str(weights) in message
    assert not model.loaded

    # unpinned, the tampered copy is keyed by its own weights hash, never sharing cache entries
    unpinned = SentenceTransformerEmbedder(str(copy), sha256="")
    assert unpinned.name == f"tampered-model@{hashlib.sha256(bytes(data)).hexdigest()[:12]}"

    # the untampered copy passes the same check
    shutil.copy2(folder / "model.safetensors", weights)
    assert SentenceTransformerEmbedder(str(copy), sha256=MINILM_SHA256).dimension == 384

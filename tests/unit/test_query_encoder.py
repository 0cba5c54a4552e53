"""The torch-free query encoder: same pinned weights, same vectors as sentence-transformers within 1e-5,
the sha256 still verified, and a query that never imports torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.embedder import SentenceTransformerEmbedder, resolve_model_spec
from retrieval.query_encoder import NumpyBertEncoder, supports
from saige.errors import ModelIntegrityError
from saige.settings import MINILM_SHA256

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [
    "How should we protect model weights once the system is deployed?",
    "What is a jailbreak? Pretend to be an attacker in developer mode.",
    "Artifcial intelligence RMF — SP 800-218A, “quotes”, émigré, 日本語",
    "supply chain " * 200,  # longer than the model's 256 tokens: truncated the same way
    "x",
]


def _folder() -> Path:
    _, folder = resolve_model_spec("packaged:all-MiniLM-L6-v2")
    assert folder is not None
    return folder


def test_numpy_vectors_equal_sentence_transformers_within_1e_5() -> None:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    folder = _folder()
    assert supports(folder)
    encoder = NumpyBertEncoder(folder, MINILM_SHA256)
    assert encoder.weights_sha256 == MINILM_SHA256
    ours = np.asarray([encoder.encode_one(q) for q in QUERIES])
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    theirs = model.encode(QUERIES, batch_size=1, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (len(QUERIES), 384)
    assert float(np.abs(ours - theirs).max()) < 1e-5


def test_a_weights_hash_mismatch_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(_folder(), copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"model\.safetensors: sha256 mismatch"):
        NumpyBertEncoder(copy, MINILM_SHA256)
    embedder = SentenceTransformerEmbedder(str(copy), sha256=MINILM_SHA256)
    with pytest.raises(ModelIntegrityError):
        embedder.embed_query("anything")


def test_models_it_cannot_compute_exactly_go_to_sentence_transformers(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(_folder(), copy)
    pooling = copy / "1_Pooling" / "config.json"
    cfg = json.loads(pooling.read_text(encoding="utf-8"))
    cfg.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(cfg), encoding="utf-8")
    assert not supports(copy)
    assert not supports(None)


def test_a_query_embeds_without_importing_torch_or_sentence_transformers() -> None:
    code = (
        "import sys\n"
        "from retrieval.embedder import SentenceTransformerEmbedder\n"
        "from saige.settings import MINILM_SHA256\n"
        "e = SentenceTransformerEmbedder('packaged:all-MiniLM-L6-v2', sha256=MINILM_SHA256)\n"
        "v = e.embed_query('protect model weights')\n"
        "print(len(v), 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.split() == ["384", "False", "False"]

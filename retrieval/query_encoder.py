"""A light query encoder: the pinned MiniLM (BERT) weights run in numpy, with no torch import.

A one-shot `saige ask` embeds a single question. Importing sentence-transformers (and torch) for that costs
seconds; this encoder reads the same `model.safetensors` (its sha256 verified first, as for the torch model)
and the same `tokenizer.json`, runs BERT's forward pass in numpy (float32, exact erf GELU), mean-pools and
normalises: the vectors equal sentence-transformers' within 1e-5 (tests/unit/test_query_encoder.py).
Ingest keeps the torch model for its batches.

Only a plain sentence-transformers BERT (Transformer -> mean Pooling -> Normalize, absolute positions) is
supported; `supports(folder)` says so, and anything else goes through sentence-transformers.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from pathlib import Path
from typing import Any

_WEIGHTS = "model.safetensors"


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def supports(folder: Path | None) -> bool:
    """True when `folder` holds a model this encoder computes exactly like sentence-transformers."""
    if folder is None:
        return False
    try:
        modules = _read_json(folder / "modules.json")
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling", "Normalize"],):
            return False
        if modules[0].get("path", "") not in ("", "."):
            return False
        pooling = _read_json(folder / modules[1]["path"] / "config.json")
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        if modes != {"pooling_mode_mean_tokens"}:
            return False
        config = _read_json(folder / "config.json")
        return (
            config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and (folder / "tokenizer.json").is_file()
            and (folder / _WEIGHTS).is_file()
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return False


_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def read_safetensors(data: bytes, source: Path) -> dict[str, Any]:
    """Arrays (zero-copy views of `data`) from safetensors bytes: an 8-byte header size, a JSON header
    naming each tensor's dtype, shape and byte range, then the raw little-endian data."""
    import numpy as np

    from saige.errors import ModelIntegrityError

    try:
        size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + size])
        base = 8 + size
        out: dict[str, Any] = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            start, end = info["data_offsets"]
            dtype = np.dtype(_DTYPES[info["dtype"]])
            array = np.frombuffer(
                data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start
            )
            out[name] = array.reshape(info["shape"])
        return out
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelIntegrityError(f"{source}: not a readable safetensors file ({exc})") from None


def _single_threaded_blas() -> contextlib.AbstractContextManager[object]:
    """Limit BLAS (numpy's OpenBLAS) to one thread for the block; a no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class NumpyBertEncoder:
    """Sentence embeddings of a sentence-transformers BERT model, computed in numpy.

    The weights are read once; their sha256 is checked against `sha256` (when pinned) on those very
    bytes before any is used, with the same refusal as the torch model's loader.
    """

    def __init__(self, folder: Path, sha256: str | None = None) -> None:
        import hashlib

        import numpy as np
        from tokenizers import Tokenizer

        from saige.errors import ModelIntegrityError

        self.folder = folder
        config = _read_json(folder / "config.json")
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        max_len = int(config.get("max_position_embeddings", 512))
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            max_len = int(_read_json(folder / "sentence_bert_config.json")["max_seq_length"])
        self.max_len = max_len
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(max_length=max_len)
        self.tokenizer = tok
        weights = folder / _WEIGHTS
        data = weights.read_bytes()
        self.weights_sha256 = hashlib.sha256(data).hexdigest()
        if sha256 and self.weights_sha256 != sha256.lower():
            raise ModelIntegrityError(
                f"{weights}: sha256 mismatch, expected {sha256.lower()} actual {self.weights_sha256}; "
                "refusing to load (set SAIGE_EMBEDDING_SHA256 to pin a model you trust)"
            )
        raw = read_safetensors(data, weights)
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""
        # Linear layers' weights transposed once (x @ W.T becomes x @ Wt, contiguous); the pooler is unused.
        self.w = {}
        for key, value in raw.items():
            name = key[len(prefix) :]
            if not key.startswith(prefix) or name.startswith("pooler."):
                continue
            linear = value.ndim == 2 and name.startswith("encoder.")
            self.w[name] = np.ascontiguousarray(value.T) if linear else value
        self._np = np
        self._erf = np.frompyfunc(math.erf, 1, 1)
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return int(self.w["embeddings.word_embeddings.weight"].shape[1])

    def _layer_norm(self, x: Any, name: str) -> Any:
        np = self._np
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _dense(self, x: Any, name: str) -> Any:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def _gelu(self, x: Any) -> Any:
        np = self._np
        erf = self._erf(x.astype(np.float64) / math.sqrt(2.0)).astype(np.float64)
        return (0.5 * x.astype(np.float64) * (1.0 + erf)).astype(np.float32)

    def encode_one(self, text: str) -> list[float]:
        """The normalised, mean-pooled embedding of one text (truncated to the model's max tokens).

        BLAS runs single-threaded here: one query's matrices are small, and OpenBLAS's threads, spinning on
        a busy 2-core machine, made a query take a second instead of 20 ms. Each BLAS call then sums in
        the same order on every machine, whatever its core count."""
        with _single_threaded_blas():
            return self._encode_one(text)

    def _encode_one(self, text: str) -> list[float]:
        np = self._np
        enc = self.tokenizer.encode(text)
        ids = np.asarray(enc.ids, dtype=np.int64)
        types = np.asarray(enc.type_ids, dtype=np.int64)
        n = ids.shape[0]
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        hidden = x.shape[1]
        head = hidden // self.heads
        scale = 1.0 / math.sqrt(head)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self._dense(x, p + "attention.self.query").reshape(n, self.heads, head).transpose(1, 0, 2)
            k = self._dense(x, p + "attention.self.key").reshape(n, self.heads, head).transpose(1, 0, 2)
            v = self._dense(x, p + "attention.self.value").reshape(n, self.heads, head).transpose(1, 0, 2)
            scores = (q @ k.transpose(0, 2, 1)) * np.float32(scale)
            scores = scores - scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs = probs / probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(n, hidden)
            x = self._layer_norm(
                x + self._dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm"
            )
            inter = self._gelu(self._dense(x, p + "intermediate.dense"))
            x = self._layer_norm(x + self._dense(inter, p + "output.dense"), p + "output.LayerNorm")
        pooled = x.astype(np.float64).mean(axis=0)
        norm = float(np.sqrt((pooled * pooled).sum()))
        pooled = pooled / max(norm, 1e-12)
        return [float(v) for v in pooled.astype(np.float32)]

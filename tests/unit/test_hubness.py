"""Dense search's hub correction (CSLS): neighbourhood densities computed at build time, saved on the chunks,
and used by the search engine on both stores to demote passages that are near everything."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from retrieval.hubness import dehub, mean_density, neighbourhood_density, with_density
from retrieval.index import connect, open_current_store, write_build
from retrieval.protocols import VectorStore
from retrieval.search import SearchEngine
from retrieval.store import ChromaStore, MemoryStore, make_chroma_client
from saige.settings import Settings
from saige.types import Chunk, Document
from tests.conftest import HashEmbedder, new_pointer


def _chunk(i: int, section: str, density: float | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"c{i}",
        doc_id="doc",
        doc_title="Doc",
        section=section,
        section_path=[section],
        text=f"text {i}",
        section_order=i,
        density=density,
    )


def test_density_is_the_mean_similarity_to_the_nearest_others() -> None:
    vectors = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [math.sqrt(0.5), math.sqrt(0.5)]]
    got = neighbourhood_density(vectors, k=2)
    half = math.sqrt(0.5)
    # vector 0: nearest others are vector 1 (1.0) and vector 3 (0.707); itself is never counted
    assert got[0] == pytest.approx((1.0 + half) / 2, abs=1e-5)
    assert got[1] == pytest.approx((1.0 + half) / 2, abs=1e-5)
    assert got[2] == pytest.approx((half + 0.0) / 2, abs=1e-5)
    assert got[3] == pytest.approx(half, abs=1e-5)


def test_density_handles_tiny_builds_and_unnormalised_vectors() -> None:
    assert neighbourhood_density([]) == []
    assert neighbourhood_density([[3.0, 4.0]]) == [0.0]
    assert neighbourhood_density([[3.0, 4.0], [6.0, 8.0]]) == [pytest.approx(1.0), pytest.approx(1.0)]


def test_density_in_blocks_equals_the_whole_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    import retrieval.hubness as hubness

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(50, 8))
    whole = neighbourhood_density(vectors, k=5)
    monkeypatch.setattr(hubness, "_BLOCK", 7)
    assert neighbourhood_density(vectors, k=5) == pytest.approx(whole, abs=1e-6)


def test_dehub_demotes_the_dense_neighbourhood() -> None:
    hub, niche = _chunk(1, "Overview", density=0.9), _chunk(2, "Specific", density=0.5)
    hits = [(hub, 0.62), (niche, 0.60)]
    centre = mean_density([hub, niche])
    assert [c.chunk_id for c, _ in dehub(hits, 0.5, centre, 2)] == ["c2", "c1"]
    # the cosine stays the score; without a penalty, or without densities, the order is the store's
    assert dict((c.chunk_id, s) for c, s in dehub(hits, 0.5, centre, 2)) == {"c1": 0.62, "c2": 0.60}
    assert [c.chunk_id for c, _ in dehub(hits, 0.0, centre, 2)] == ["c1", "c2"]
    assert [c.chunk_id for c, _ in dehub(hits, 0.5, None, 2)] == ["c1", "c2"]
    assert len(dehub(hits, 0.5, centre, 1)) == 1


def test_a_chunk_without_density_counts_as_average() -> None:
    known, unknown = _chunk(1, "A", density=0.8), _chunk(2, "B")
    assert mean_density([known, unknown]) == pytest.approx(0.8)
    assert mean_density([unknown]) is None
    hits = [(known, 0.5), (unknown, 0.5)]
    assert [c.chunk_id for c, _ in dehub(hits, 1.0, 0.6, 2)] == ["c2", "c1"]


def test_the_build_saves_each_chunks_density(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    emb = HashEmbedder()
    chunks = [_chunk(i, f"Section {i}") for i in range(6)]
    vectors = emb.embed([c.embed_text for c in chunks])
    pointer = new_pointer(settings, emb, len(chunks))
    write_build(connect(settings, create=True), settings, chunks, vectors, pointer)
    stored = {c.chunk_id: c.density for c in open_current_store(settings, emb).chunks()}
    expected = dict(zip([c.chunk_id for c in chunks], neighbourhood_density(vectors), strict=True))
    assert stored == pytest.approx(expected)
    assert all(d is not None for d in stored.values())


# --- the engine on both stores -------------------------------------------------------------------------


class _TableEmbedder:
    """Fixed vectors by text: a "hub" near every other passage and a question closest to the hub."""

    name = "table"
    dimension = 3

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = table

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [list(self.table[t]) for t in texts]


HUB = [1.0, 1.0, 1.0]
ROWS = {"hub text": HUB, "row a": [1.0, 0.9, 0.0], "row b": [0.0, 1.0, 0.9], "row c": [0.9, 0.0, 1.0]}
ANSWER = {"answer text": [1.0, 0.1, 0.3]}
QUESTION = {"question": [1.0, 0.5, 0.5]}  # cosine 0.943 to the hub, 0.934 to the answer


@pytest.fixture(params=["memory", "chroma"])
def hub_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[VectorStore, list[Chunk]]]:
    table = {**ROWS, **ANSWER}
    chunks = [
        Chunk(
            chunk_id=f"c{i}",
            doc_id="doc",
            doc_title="Doc",
            section=f"Section {i}",
            section_path=[f"Section {i}"],
            text=text,
            section_order=i,
        )
        for i, text in enumerate(table)
    ]
    vectors = [table[c.text] for c in chunks]
    chunks = with_density(chunks, vectors)
    store: VectorStore
    if request.param == "memory":
        store = MemoryStore()
    else:
        store = ChromaStore.create(make_chroma_client(Settings(data_dir=tmp_path)), "hub-test")
    store.add(chunks, vectors)
    yield store, chunks


def test_the_engine_demotes_a_hub_on_both_stores(hub_store: tuple[VectorStore, list[Chunk]]) -> None:
    store, chunks = hub_store
    embedder = _TableEmbedder({**ROWS, **ANSWER, **QUESTION})
    docs: list[Document] = []
    by_text = {c.text: c.chunk_id for c in chunks}
    plain = SearchEngine(store, embedder, docs, Settings(hub_penalty=0.0))
    corrected = SearchEngine(store, embedder, docs, Settings(hub_penalty=1.0))
    first_plain = plain.search("question", k=2, mode="dense").hits[0].chunk
    first_corrected = corrected.search("question", k=2, mode="dense").hits[0]
    assert first_plain.chunk_id == by_text["hub text"]
    assert first_corrected.chunk.chunk_id == by_text["answer text"]
    # the hit keeps its cosine, which the abstention test reads
    assert first_corrected.dense_score == pytest.approx(
        _cosine(ANSWER["answer text"], QUESTION["question"]), abs=1e-5
    )


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))

"""The VectorStore contract as plain check functions, run against every store implementation.

tests/unit/test_store.py runs them on MemoryStore and an embedded Chroma; tests/integration runs them
against a real `chroma run` server through HttpClient.
"""

from __future__ import annotations

from retrieval.protocols import Filter, VectorStore
from saige.types import Chunk
from tests.conftest import HashEmbedder

GUIDE = "ncsc-cisa-secure-ai-guidelines-2023"
RMF = "nist-ai-100-1-ai-rmf-1-0"


def sample_chunks() -> list[Chunk]:
    """Small chunks over two documents with stages, pages, a None stage and a multi-level path."""

    def chunk(
        cid: str,
        doc: str,
        path: list[str],
        text: str,
        stage: str | None,
        order: int,
        ordinal: int = 0,
        pages: tuple[int | None, int | None] = (None, None),
        pdf_page: int | None = None,
    ) -> Chunk:
        return Chunk(
            chunk_id=cid,
            doc_id=doc,
            doc_title="Guidelines for secure AI system development" if doc == GUIDE else "NIST AI RMF 1.0",
            section=path[-1],
            section_path=path,
            stage=stage,
            page_start=pages[0],
            page_end=pages[1],
            text=text,
            section_order=order,
            ordinal=ordinal,
            pdf_page_start=pdf_page,
        )

    return [
        chunk(
            "g-supply-1",
            GUIDE,
            ["Secure development", "Secure your supply chain"],
            "Assess and monitor the security of your AI supply chains across the system's life cycle, "
            "and require suppliers to adhere to the same standards as your own software.",
            "Secure development",
            order=7,
            pages=(13, 13),
            pdf_page=13,
        ),
        chunk(
            "g-supply-2",
            GUIDE,
            ["Secure development", "Secure your supply chain"],
            "Use hardened supply chain components and verified third-party model weights; check hashes.",
            "Secure development",
            order=7,
            ordinal=1,
            pages=(13, 14),
            pdf_page=13,
        ),
        chunk(
            "g-threat-1",
            GUIDE,
            ["Secure design", "Model the threats to your system"],
            "Apply a holistic threat modelling process to assess the threats to your system and its impact.",
            "Secure design",
            order=3,
            pages=(11, 11),
        ),
        chunk(
            "g-monitor-1",
            GUIDE,
            ["Secure operation and maintenance", "Monitor your system's inputs"],
            "Monitor and log inputs to your system, such as inference requests, queries or prompts, "
            "to detect prompt injection.",
            "Secure operation and maintenance",
            order=15,
            pages=(17, 17),
        ),
        chunk(
            "g-exec-1",
            GUIDE,
            ["Executive summary"],
            "This document recommends guidelines for providers of any systems that use "
            "artificial intelligence.",
            None,
            order=0,
            pages=(4, 4),
        ),
        chunk(
            "r-govern-1",
            RMF,
            ["Part 2: Core and Profiles", "GOVERN"],
            "Govern: a culture of risk management is cultivated and present; supply chain risks from "
            "third-party software and data are addressed by policies.",
            "Part 2: Core and Profiles",
            order=12,
            pages=(21, 21),
        ),
    ]


def filled(store: VectorStore, embedder: HashEmbedder | None = None) -> tuple[VectorStore, HashEmbedder]:
    embedder = embedder or HashEmbedder()
    chunks = sample_chunks()
    store.add(chunks, embedder.embed([c.embed_text for c in chunks]))
    return store, embedder


def _query(
    store: VectorStore, embedder: HashEmbedder, text: str, k: int, flt: Filter | None = None
) -> list[tuple[Chunk, float]]:
    return store.query(embedder.embed([text])[0], k, flt)


def check_empty(store: VectorStore) -> None:
    assert store.count() == 0
    assert store.chunks() == []
    assert store.query(HashEmbedder().embed(["anything"])[0], 5) == []


def check_count(store: VectorStore) -> None:
    assert store.count() == 0
    filled(store)
    assert store.count() == len(sample_chunks())


def check_ranking(store: VectorStore) -> None:
    store, emb = filled(store)
    hits = _query(store, emb, "supply chain suppliers security", 3)
    assert len(hits) == 3
    assert hits[0][0].chunk_id == "g-supply-1"
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 - 1e-6 <= s <= 1.0 + 1e-6 for s in scores)
    # the query equal to a stored text has cosine similarity 1
    exact = store.query(emb.embed([sample_chunks()[2].embed_text])[0], 1)
    assert exact[0][0].chunk_id == "g-threat-1"
    assert abs(exact[0][1] - 1.0) < 1e-4


def check_k_larger_than_store(store: VectorStore) -> None:
    store, emb = filled(store)
    hits = _query(store, emb, "threat modelling", 50)
    assert len(hits) == len(sample_chunks())
    assert len({c.chunk_id for c, _ in hits}) == len(hits)


def check_filters(store: VectorStore) -> None:
    store, emb = filled(store)
    only_rmf = _query(store, emb, "supply chain", 10, Filter(doc_ids=(RMF,)))
    assert [c.chunk_id for c, _ in only_rmf] == ["r-govern-1"]

    both = _query(store, emb, "supply chain", 10, Filter(doc_ids=(RMF, GUIDE)))
    assert len(both) == len(sample_chunks())

    design = _query(store, emb, "supply chain", 10, Filter(stage="Secure design"))
    assert [c.chunk_id for c, _ in design] == ["g-threat-1"]

    dev_guide = _query(store, emb, "supply chain", 10, Filter(doc_ids=(GUIDE,), stage="Secure development"))
    assert {c.chunk_id for c, _ in dev_guide} == {"g-supply-1", "g-supply-2"}
    assert dev_guide[0][0].chunk_id in {"g-supply-1", "g-supply-2"}

    nothing = _query(store, emb, "supply chain", 10, Filter(doc_ids=(RMF,), stage="Secure design"))
    assert nothing == []

    empty_filter = _query(store, emb, "supply chain", 2, Filter())
    assert len(empty_filter) == 2


def check_chunks_order_and_round_trip(store: VectorStore) -> None:
    store, _ = filled(store)
    got = store.chunks()
    expected = sorted(sample_chunks(), key=lambda c: (c.doc_id, c.section_order, c.ordinal))
    assert [c.chunk_id for c in got] == [c.chunk_id for c in expected]
    # every field survives the trip, including None stage/pages and the multi-level path
    assert [c.model_dump() for c in got] == [c.model_dump() for c in expected]
    by_id = {c.chunk_id: c for c in got}
    assert by_id["g-exec-1"].stage is None
    assert by_id["g-threat-1"].pdf_page_start is None
    assert by_id["g-supply-2"].section_path == ["Secure development", "Secure your supply chain"]


def check_query_returns_full_chunks(store: VectorStore) -> None:
    store, emb = filled(store)
    (chunk, _score), *_ = _query(store, emb, "prompt injection inference requests logged", 1)
    original = {c.chunk_id: c for c in sample_chunks()}[chunk.chunk_id]
    assert chunk.chunk_id == "g-monitor-1"
    assert chunk.model_dump() == original.model_dump()


def check_re_add_replaces(store: VectorStore) -> None:
    store, emb = filled(store)
    changed = sample_chunks()[0].model_copy(update={"text": "Completely different words about hashing"})
    store.add([changed], emb.embed([changed.embed_text]))
    assert store.count() == len(sample_chunks())
    assert {c.chunk_id: c for c in store.chunks()}["g-supply-1"].text == changed.text


def check_bad_batches(store: VectorStore) -> None:
    import pytest

    chunks = sample_chunks()
    with pytest.raises(ValueError, match="2 chunks but 1 embeddings"):
        store.add(chunks[:2], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="appears twice"):
        store.add([chunks[0], chunks[0]], [[1.0, 0.0], [0.0, 1.0]])
    assert store.count() == 0


def check_batches_larger_than_limit(store: VectorStore) -> None:
    """Many chunks in one add call (Chroma splits them into its max batch size)."""
    emb = HashEmbedder(dimension=32)
    base = sample_chunks()[0]
    many = [
        base.model_copy(update={"chunk_id": f"bulk-{i:05d}", "ordinal": i, "text": f"bulk chunk number {i}"})
        for i in range(2500)
    ]
    store.add(many, emb.embed([c.text for c in many]))
    assert store.count() == 2500
    got = store.chunks()
    assert [c.ordinal for c in got] == list(range(2500))


ALL_CHECKS = [
    check_empty,
    check_count,
    check_ranking,
    check_k_larger_than_store,
    check_filters,
    check_chunks_order_and_round_trip,
    check_query_returns_full_chunks,
    check_re_add_replaces,
    check_bad_batches,
]


# --- the controls catalogue (ControlStore), on both stores --------------------------------------------


def _controls_filled(store: object) -> tuple[object, HashEmbedder]:
    from retrieval.protocols import ControlStore
    from tests.control_fixtures import sample_controls

    assert isinstance(store, ControlStore)
    emb = HashEmbedder()
    controls = sample_controls()
    store.add_controls(controls, emb.embed([f"{c.title} {c.statement}" for c in controls]))
    return store, emb


def check_controls_empty(store: VectorStore) -> None:
    from retrieval.protocols import ControlStore

    assert isinstance(store, ControlStore)
    assert store.controls() == []
    assert store.query_controls(HashEmbedder().embed(["anything"])[0], 3) == []


def check_controls_round_trip_in_order(store: VectorStore) -> None:
    from tests.control_fixtures import sample_controls

    filled_store, _ = _controls_filled(store)
    got = filled_store.controls()  # type: ignore[attr-defined]
    assert [c.model_dump() for c in got] == [c.model_dump() for c in sample_controls()]
    # the chunks are untouched by the catalogue
    assert store.count() == 0


def check_controls_query_excludes_documents(store: VectorStore) -> None:
    from tests.control_fixtures import GAI, RMF

    filled_store, emb = _controls_filled(store)
    query = emb.embed(["transparency policies documenting origin history training data generated"])[0]
    top = filled_store.query_controls(query, 3)  # type: ignore[attr-defined]
    assert top[0][0].control_id == "GV-1.2-001"
    scores = [s for _, s in top]
    assert scores == sorted(scores, reverse=True)
    others = filled_store.query_controls(query, 50, exclude_docs=(GAI, RMF))  # type: ignore[attr-defined]
    assert others and all(c.doc_id not in (GAI, RMF) for c, _ in others)


def check_controls_re_add_replaces_and_bad_batch(store: VectorStore) -> None:
    import pytest

    from tests.control_fixtures import sample_controls

    filled_store, emb = _controls_filled(store)
    first = sample_controls()[0].model_copy(update={"statement": "changed"})
    filled_store.add_controls([first], emb.embed(["changed"]))  # type: ignore[attr-defined]
    got = filled_store.controls()  # type: ignore[attr-defined]
    assert len(got) == len(sample_controls())
    assert {c.key: c for c in got}[first.key].statement == "changed"
    with pytest.raises(ValueError, match="appears twice"):
        filled_store.add_controls([first, first], emb.embed(["a", "b"]))  # type: ignore[attr-defined]


CONTROL_CHECKS = [
    check_controls_empty,
    check_controls_round_trip_in_order,
    check_controls_query_excludes_documents,
    check_controls_re_add_replaces_and_bad_batch,
]

import pytest

from retrieval.fusion import join_overlapping, merge_adjacent, rrf
from saige.types import Chunk, Hit


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    scores = rrf([(["a", "b", "c"], 1.0), (["b", "d"], 2.0)], k=60)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["b"] == pytest.approx(1 / 62 + 2 / 61)
    assert scores["c"] == pytest.approx(1 / 63)
    assert scores["d"] == pytest.approx(2 / 62)
    assert max(scores, key=scores.__getitem__) == "b"


def test_rrf_ignores_zero_weight_rankings() -> None:
    assert rrf([(["a"], 0.0), (["b"], 1.0)], k=1) == {"b": 0.5}


def test_join_overlapping_drops_the_repeated_words() -> None:
    assert join_overlapping("one two three four", "three four five six") == "one two three four five six"
    assert join_overlapping("alpha beta", "gamma delta") == "alpha beta gamma delta"
    assert join_overlapping("a b c", "b c") == "a b c"


def _chunk(cid: str, section: str, ordinal: int, text: str, page: int) -> Chunk:
    return Chunk(
        chunk_id=cid,
        doc_id="d",
        doc_title="D",
        section=section,
        section_path=["Part", section],
        text=text,
        page_start=page,
        page_end=page,
        section_order=0 if section == "S" else 1,
        ordinal=ordinal,
    )


def test_merge_adjacent_chunks_of_one_section() -> None:
    hits = [
        Hit(chunk=_chunk("c1", "S", 1, "gamma delta epsilon", 5), score=0.9, dense_score=0.7),
        Hit(chunk=_chunk("x", "T", 0, "other section text", 9), score=0.5),
        Hit(chunk=_chunk("c0", "S", 0, "alpha beta gamma delta", 4), score=0.4, bm25_score=3.0),
        Hit(chunk=_chunk("c1", "S", 1, "gamma delta epsilon", 5), score=0.3),  # duplicate
        Hit(chunk=_chunk("c3", "S", 3, "far away chunk", 7), score=0.2),  # not adjacent to 1
    ]
    merged = merge_adjacent(hits)
    assert [h.rank for h in merged] == [1, 2, 3]
    first = merged[0]
    assert first.chunk.text == "alpha beta gamma delta epsilon"
    assert (first.chunk.page_start, first.chunk.page_end) == (4, 5)
    assert first.score == 0.9
    assert first.merged_ids == ["c0", "c1"]
    assert (first.dense_score, first.bm25_score) == (0.7, 3.0)
    assert merged[1].chunk.chunk_id == "x"
    assert merged[2].chunk.chunk_id == "c3" and merged[2].merged_ids == ["c3"]


def test_a_table_row_is_not_merged_with_its_neighbours_but_its_own_pieces_are() -> None:
    def row(cid: str, ordinal: int, control_id: str | None) -> Hit:
        chunk = _chunk(cid, "S", ordinal, f"{control_id}: text {cid}", 4)
        return Hit(chunk=chunk.model_copy(update={"control_id": control_id}), score=1.0 - ordinal / 10)

    hits = [
        row("p", 0, None),
        row("a1", 1, "GV-1.2-001"),
        row("a2", 2, "GV-1.2-001"),
        row("b", 3, "GV-1.2-002"),
    ]
    merged = merge_adjacent(hits)
    assert [h.merged_ids for h in merged] == [["p"], ["a1", "a2"], ["b"]]
    assert [h.chunk.control_id for h in merged] == [None, "GV-1.2-001", "GV-1.2-002"]


def test_a_merged_hit_keeps_the_best_evidence_of_its_parts() -> None:
    a = _chunk("a", "S", 0, "first part of the section", 1)
    b = _chunk("b", "S", 1, "second part of the section", 2)
    merged = merge_adjacent([Hit(chunk=a, score=0.5, evidence=0.2), Hit(chunk=b, score=0.4, evidence=0.3)])
    assert len(merged) == 1
    assert merged[0].score == 0.5 and merged[0].evidence == 0.3
    plain = merge_adjacent([Hit(chunk=a, score=0.5), Hit(chunk=b, score=0.4)])
    assert plain[0].evidence is None

import itertools

import pytest

from retrieval.bm25 import BM25Index, chunk_tokens
from retrieval.protocols import Filter
from saige.types import Chunk
from tests.fakes import GUIDELINES, ML_PRINCIPLES, tiny_chunks


def test_ranks_the_chunk_with_the_rare_terms_first() -> None:
    index = BM25Index(tiny_chunks())
    hits = index.search("incident response and remediation plans", 3)
    assert hits[0][0].section == "Develop incident management procedures"
    assert hits[0][1] > 0
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(hits))


def test_indexes_the_section_path_too() -> None:
    chunk = tiny_chunks()[0]
    assert "awar" in chunk_tokens(chunk)  # "awareness" appears in the heading
    index = BM25Index(tiny_chunks())
    assert (
        index.search("raise staff awareness", 1)[0][0].section == "Raise staff awareness of threats and risks"
    )


def test_stemming_matches_inflections() -> None:
    index = BM25Index(tiny_chunks())
    assert index.search("monitoring behaviours", 1)[0][0].section == "Monitor your system's behaviour"


def test_filters_apply_before_ranking() -> None:
    index = BM25Index(tiny_chunks())
    hits = index.search("supply chain", 5, Filter(doc_ids=(ML_PRINCIPLES,)))
    assert hits and {c.doc_id for c, _ in hits} == {ML_PRINCIPLES}
    hits = index.search("supply chain", 5, Filter(stage="Secure development"))
    assert hits and {(c.doc_id, c.stage) for c, _ in hits} == {(GUIDELINES, "Secure development")}


def test_no_results_for_unknown_or_empty_queries() -> None:
    index = BM25Index(tiny_chunks())
    assert index.search("sourdough baking", 5) == []
    assert index.search("", 5) == []
    assert index.idf("sourdough") == 0.0
    assert index.idf("suppli") > 0


def test_empty_corpus() -> None:
    assert BM25Index([]).search("anything", 3) == []


def test_a_search_repeated_within_some_documents_scores_the_corpus_once() -> None:
    index = BM25Index(tiny_chunks())
    assert index._bm25 is not None
    calls: list[list[str]] = []
    score = index._bm25.get_scores

    def counted(terms: list[str]) -> object:
        calls.append(terms)
        return score(terms)

    index._bm25.get_scores = counted
    everywhere = index.search("supply chain suppliers", 5)
    within = index.search("supply chain suppliers", 5, Filter(doc_ids=(ML_PRINCIPLES,)))
    assert len(calls) == 1
    assert [c.doc_id for c, _ in within] == [ML_PRINCIPLES]
    assert within[0][1] == next(s for c, s in everywhere if c.doc_id == ML_PRINCIPLES)  # the same scores
    index.search("incident response", 5)
    assert len(calls) == 2  # another query is scored afresh
    assert index.search("supply chain suppliers", 5) == everywhere


def _two_lengths() -> list[Chunk]:
    """One term once in a short chunk and once in a long one: only length normalisation tells them apart."""
    filler = " ".join(f"word{i}" for i in range(60))
    texts = {
        "short": "Data poisoning corrupts training.",
        "long": f"Data poisoning corrupts training. {filler}",
        "others": "Monitor inputs.",  # a term in every chunk would have no weight
    }
    return [
        Chunk(chunk_id=name, doc_id="d", doc_title="D", section=name, section_path=[name], text=text)
        for name, text in texts.items()
    ]


def test_b_sets_how_much_a_long_chunk_is_discounted() -> None:
    discounted = dict((c.chunk_id, s) for c, s in BM25Index(_two_lengths(), b=0.75).search("poisoning", 3))
    assert discounted["short"] > discounted["long"]
    flat = dict((c.chunk_id, s) for c, s in BM25Index(_two_lengths(), b=0.0).search("poisoning", 3))
    assert flat["short"] == pytest.approx(flat["long"])


def test_set_params_rescores_as_a_new_index_would() -> None:
    index = BM25Index(tiny_chunks())
    before = index.search("supply chain suppliers", 5)
    index.set_params(0.6, 0.3)
    assert index.params == (0.6, 0.3)
    after = index.search("supply chain suppliers", 5)  # the last query's cached scores are not reused
    assert after == BM25Index(tiny_chunks(), k1=0.6, b=0.3).search("supply chain suppliers", 5)
    assert [s for _, s in after] != [s for _, s in before]

import itertools

from retrieval.bm25 import BM25Index, chunk_tokens
from retrieval.protocols import Filter
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

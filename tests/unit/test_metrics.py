"""Metric functions on tiny hand-made cases whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    Outcome,
    abstention_scores,
    citation_precision,
    citation_recall,
    doc_hit_at_k,
    first_relevant_rank,
    gold_matches,
    hit_at_k,
    ndcg_at_k,
    normalized_set,
    overlap_coefficient,
    percentile,
    reciprocal_rank,
    shingles,
    summarize,
)

A = frozenset({"a"})
B = frozenset({"b"})
AB = frozenset({"a", "b"})
NO = frozenset[str]()


def test_gold_matches_needs_right_document_and_section_on_the_path() -> None:
    gold = normalized_set(["Secure your supply chain", "Monitor your system's inputs"])
    path = ["2. Secure development", "2.1 Secure Your Supply Chain."]
    assert gold_matches("doc-g", path, ["doc-g"], gold) == frozenset({"secure your supply chain"})
    # right heading, wrong document
    assert gold_matches("doc-x", path, ["doc-g"], gold) == frozenset()
    # a sub-heading under the gold guideline counts: the guideline is on the path
    assert gold_matches("doc-g", [*path, "Attestations"], ["doc-g"], gold) == frozenset(
        {"secure your supply chain"}
    )
    # curly quotes normalize
    assert gold_matches("doc-g", ["Monitor your system\u2019s inputs"], ["doc-g"], gold)
    # a sibling section does not count
    assert (
        gold_matches("doc-g", ["2. Secure development", "Manage your technical debt"], ["doc-g"], gold) == NO
    )


def test_hit_at_k_and_first_rank() -> None:
    matches = [NO, NO, A, NO, B]
    assert first_relevant_rank(matches) == 3
    assert hit_at_k(matches, 1) == 0.0
    assert hit_at_k(matches, 2) == 0.0
    assert hit_at_k(matches, 3) == 1.0
    assert hit_at_k(matches, 5) == 1.0
    assert first_relevant_rank([NO, NO]) is None
    assert hit_at_k([], 5) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank([A]) == 1.0
    assert reciprocal_rank([NO, NO, NO, A]) == 0.25
    assert reciprocal_rank([NO, NO]) == 0.0
    assert reciprocal_rank([NO, NO, A], k=2) == 0.0


def test_ndcg_single_gold_section() -> None:
    # one gold section found at rank 2: DCG = 1/log2(3), ideal = 1
    assert ndcg_at_k([NO, A], n_gold=1, k=10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k([A, A, A], n_gold=1) == pytest.approx(1.0)
    assert ndcg_at_k([NO] * 10 + [A], n_gold=1, k=10) == 0.0


def test_ndcg_counts_each_gold_section_once() -> None:
    # two gold sections; ranks 1 and 3 cover them, rank 2 repeats the first -> no gain
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k([A, A, B], n_gold=2) == pytest.approx(dcg / ideal)
    # perfect order
    assert ndcg_at_k([A, B, NO], n_gold=2) == pytest.approx(1.0)
    # one hit covering both gold headings (nested) gains once and never exceeds 1
    assert ndcg_at_k([AB], n_gold=2) == pytest.approx(1 / ideal)
    assert ndcg_at_k([A], n_gold=0) == 0.0


def test_doc_hit() -> None:
    assert doc_hit_at_k(["x", "y", "g"], ["g"], 3) == 1.0
    assert doc_hit_at_k(["x", "y", "g"], ["g"], 2) == 0.0


def test_citation_precision_and_recall() -> None:
    # three cited sections, two of them gold (a and b): precision 2/3; both gold sections cited: recall 1
    cited = [A, NO, B]
    assert citation_precision(cited) == pytest.approx(2 / 3)
    assert citation_recall(cited, n_gold=2) == 1.0
    # only one of three gold sections cited
    assert citation_recall([A, A], n_gold=3) == pytest.approx(1 / 3)
    assert citation_precision([]) is None
    assert citation_recall([], n_gold=2) == 0.0
    assert citation_recall([A], n_gold=0) is None


def test_abstention_scores() -> None:
    # (answerable, abstained): 3 unanswerable (2 abstained), 4 answerable (1 abstained)
    pairs = [
        (False, True),
        (False, True),
        (False, False),
        (True, True),
        (True, False),
        (True, False),
        (True, False),
    ]
    precision, recall, false_rate = abstention_scores(pairs)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert false_rate == pytest.approx(1 / 4)
    assert abstention_scores([(True, False)]) == (None, None, 0.0)


def test_percentile_matches_linear_interpolation() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == pytest.approx(25.0)
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_summarize_aggregates_only_the_right_questions() -> None:
    outcomes = [
        Outcome(
            qid="1",
            type="paraphrase",
            answerable=True,
            docs=["g"],
            n_gold=1,
            matches=[A, NO],
            hit_docs=["g", "g"],
            abstained=False,
            cited=[A],
            latency_ms=10,
        ),
        Outcome(
            qid="2",
            type="keyword",
            answerable=True,
            docs=["g"],
            n_gold=1,
            matches=[NO, NO, NO, B],
            hit_docs=["x", "x", "x", "g"],
            abstained=True,
            cited=[],
            latency_ms=30,
        ),
        Outcome(qid="3", type="unanswerable", answerable=False, matches=[], abstained=True, latency_ms=20),
    ]
    s = summarize(outcomes)
    assert s.questions == 3
    assert s.scored == 2
    assert s.hit_at_1 == 0.5
    assert s.hit_at_5 == 1.0
    assert s.mrr == pytest.approx((1 + 0.25) / 2)
    assert s.doc_hit_at_5 == 1.0
    assert s.abstention_precision == 0.5
    assert s.abstention_recall == 1.0
    assert s.false_abstention == 0.5
    assert s.citation_precision == 1.0  # question 2 cited nothing: no precision to average
    assert s.citation_recall == 0.5  # question 2 abstained: nothing of its gold was cited
    assert s.latency_p50_ms == 20.0


def test_summarize_without_answers_leaves_answer_metrics_empty() -> None:
    s = summarize([Outcome(qid="1", type="paraphrase", answerable=True, docs=["g"], n_gold=1, matches=[A])])
    assert s.hit_at_1 == 1.0
    assert s.abstention_recall is None
    assert s.citation_precision is None


def test_shingle_overlap_finds_a_chunk_inside_a_section() -> None:
    section = shingles(
        "You document the creation, operation, and life cycle management of any models and prompts."
    )
    inside = shingles("the creation, operation and life-cycle management of any models")
    elsewhere = shingles("Release models only after appropriate security evaluation such as red teaming.")
    assert overlap_coefficient(inside, section) == 1.0  # punctuation and hyphens do not matter
    assert overlap_coefficient(elsewhere, section) == 0.0
    half = shingles("operation and life cycle management plus five words nobody wrote anywhere")
    assert 0.0 < overlap_coefficient(half, section) < 1.0
    assert shingles("two words") == frozenset({("two", "words")})
    assert overlap_coefficient(frozenset(), section) == 0.0

"""The shipped question set (evals/questions.jsonl): coverage counts, valid fields, and (acceptance) gold
headings that really exist in the index built from the real corpus."""

from __future__ import annotations

from collections import Counter

import pytest

from corpus.manifest import load_manifest
from evals.records import DEFAULT_QUESTIONS, EvalQuestion, load_questions
from saige.settings import Settings
from saige.types import STAGES, ParsedDocument, normalize_heading
from tests.guidelines_spec import GUIDELINES_BY_STAGE, GUIDELINES_DOC

GUIDELINES = GUIDELINES_BY_STAGE
STAGE_OF = {normalize_heading(g): stage for stage, names in GUIDELINES.items() for g in names}
INTRO_SECTIONS = [
    "Executive summary",
    "Why is AI security different?",
    "Who should read this document?",
    "Who is responsible for developing secure AI?",
    "Further reading",
]


@pytest.fixture(scope="module")
def questions() -> list[EvalQuestion]:
    return load_questions(DEFAULT_QUESTIONS)


def _guideline_counts(questions: list[EvalQuestion]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for q in questions:
        if GUIDELINES_DOC in q.docs:
            counts.update(q.gold)
    return counts


def test_size_and_ids(questions: list[EvalQuestion]) -> None:
    assert len(questions) >= 150
    assert len({q.id for q in questions}) == len(questions)
    assert len({q.question.strip().lower() for q in questions}) == len(questions), "duplicate question text"


def test_every_guideline_asked_at_least_four_times(questions: list[EvalQuestion]) -> None:
    counts = _guideline_counts(questions)
    assert len(STAGE_OF) == 17
    short = {g: counts[g] for g in STAGE_OF if counts[g] < 4}
    assert not short, f"guidelines asked fewer than 4 times: {short}"


def test_every_introduction_section_asked(questions: list[EvalQuestion]) -> None:
    counts = _guideline_counts(questions)
    missing = [s for s in INTRO_SECTIONS if counts[normalize_heading(s)] < 1]
    assert not missing


def test_every_other_document_asked_at_least_five_times(questions: list[EvalQuestion]) -> None:
    per_doc = Counter(d for q in questions for d in set(q.docs))
    manifest_ids = [d.id for d in load_manifest(Settings())]
    assert GUIDELINES_DOC in manifest_ids
    short = {d: per_doc[d] for d in manifest_ids if per_doc[d] < 5}
    assert not short, f"documents asked fewer than 5 times: {short}"


def test_expected_documents_are_manifest_ids(questions: list[EvalQuestion]) -> None:
    manifest_ids = {d.id for d in load_manifest(Settings())}
    unknown = {d for q in questions for d in q.docs} - manifest_ids
    assert not unknown


def test_type_counts(questions: list[EvalQuestion]) -> None:
    types = Counter(q.type for q in questions)
    assert types["unanswerable"] >= 20
    assert types["follow-up"] >= 10
    assert types["adversarial"] >= 10
    assert types["paraphrase"] and types["keyword"] and types["multi-section"] and types["cross-document"]
    # unanswerables are both off-topic and near misses; injections are both embedded and pure
    adversarial = [q for q in questions if q.type == "adversarial"]
    assert any(q.answerable and q.sections for q in adversarial)
    assert any(not q.answerable for q in adversarial)


def test_fields_are_consistent(questions: list[EvalQuestion]) -> None:
    for q in questions:
        if q.answerable and q.type != "adversarial":
            assert q.docs and q.sections, q.id
        if q.type == "follow-up":
            assert q.history and q.history[0].role == "user", q.id
        if q.type == "multi-section":
            assert len(q.sections) >= 2, q.id
        if q.type == "cross-document":
            assert len(q.docs) >= 2, q.id


def test_stage_matches_the_gold_guidelines(questions: list[EvalQuestion]) -> None:
    for q in questions:
        if q.stage is not None:
            assert q.stage in STAGES
            assert q.docs == [GUIDELINES_DOC], q.id
        stages = {STAGE_OF.get(g) for g in q.gold} if q.docs == [GUIDELINES_DOC] else set()
        if len(stages) == 1 and None not in stages:
            # all gold sections are guidelines of one stage: the question names that stage
            assert q.stage == stages.pop(), q.id
        elif q.stage is not None:
            assert {STAGE_OF.get(g) for g in q.gold} == {q.stage}, q.id


@pytest.mark.acceptance
def test_every_gold_section_exists_in_the_parsed_corpus(
    questions: list[EvalQuestion], parsed_corpus: dict[str, ParsedDocument]
) -> None:
    """Gold headings must be printed AND found by the parser (the index is built from these sections)."""
    from ingest.sections import build_sections

    wanted_docs = {d for q in questions for d in q.docs}
    headings: dict[str, set[str]] = {}
    for doc_id, document in parsed_corpus.items():
        if doc_id not in wanted_docs:
            continue
        for parsed in build_sections(document):
            headings.setdefault(doc_id, set()).update(normalize_heading(h) for h in parsed.path)
    missing = []
    for q in questions:
        for section in q.sections:
            if not any(normalize_heading(section) in headings.get(d, set()) for d in q.docs):
                missing.append(f"{q.id}: {section!r} in {q.docs}")
    assert not missing, "gold sections the parser does not find:\n" + "\n".join(missing)

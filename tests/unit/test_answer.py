"""The extractive answer: format, grouping, citations that quote their source exactly."""

from __future__ import annotations

import re

from retrieval.answer import NOT_COVERED, abstain_answer, extractive_answer, section_label, select_points
from retrieval.bm25 import BM25Index
from saige.types import Hit
from tests.fakes import GUIDELINES, ML_PRINCIPLES, NIST_RMF, tiny_chunks, tiny_documents

CHUNKS = tiny_chunks()
DOCS = {d.id: d for d in tiny_documents()}
IDF = BM25Index(CHUNKS).idf


def hit(doc_id: str, section: str, rank: int, score: float | None = None) -> Hit:
    parts = [c for c in CHUNKS if c.doc_id == doc_id and c.section == section]
    chunk = parts[0]
    if len(parts) > 1:  # merge like search does
        from retrieval.fusion import merge_adjacent

        merged = merge_adjacent([Hit(chunk=p, score=1.0 / (i + 1)) for i, p in enumerate(parts)])
        chunk = merged[0].chunk
    return Hit(chunk=chunk, rank=rank, score=score if score is not None else 1.0 / rank)


def test_answer_reads_as_grouped_cited_points() -> None:
    hits = [
        hit(GUIDELINES, "Secure your supply chain", 1),
        hit(ML_PRINCIPLES, "Secure your supply chain", 2, score=0.95),
    ]
    question = "How do we verify suppliers and pre-trained models in our supply chain?"
    text, citations = extractive_answer(question, hits, DOCS, IDF)
    lines = text.splitlines()
    assert lines[0].startswith(
        "NCSC/CISA Guidelines answers this under **Secure development › Secure your supply"
    )
    # more than one guideline answers: the lead names the other one and what it adds
    assert "**Development › Secure your supply chain** (NCSC ML principles) also covers " in lines[0]
    assert "**Secure development › Secure your supply chain** — NCSC/CISA Guidelines, pp. 13-14" in lines
    assert any(
        line.startswith("**Development › Secure your supply chain** — NCSC ML principles") for line in lines
    )
    points = [line for line in lines if line.startswith("- ")]
    assert points and all(re.search(r"\[\d+\]$", p) for p in points)
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    for c in citations:
        source = next(h.chunk for h in hits if h.chunk.chunk_id == c.chunk_id)
        assert c.quote in source.text  # verbatim
        assert f"[{c.n}]" in text
    first = citations[0]
    assert first.doc_id == GUIDELINES and first.section_path == [
        "Secure development",
        "Secure your supply chain",
    ]
    assert first.url == "https://example.org/guidelines.pdf#page=13"
    ml = next(c for c in citations if c.doc_id == ML_PRINCIPLES)
    assert ml.url == "https://example.org/ml-principles"  # not a PDF: no page anchor


def test_selection_prefers_sentences_with_the_question_terms() -> None:
    hits = [hit(GUIDELINES, "Monitor your system's behaviour", 1)]
    points = select_points("How can we notice natural data drift and intrusions?", hits, IDF)
    chosen = [hits[0].chunk.text[p.start : p.end] for p in points]
    assert chosen[0].startswith("You can account for and identify potential intrusions")


def test_sections_scoring_well_below_the_top_are_not_quoted() -> None:
    hits = [hit(GUIDELINES, "Secure your supply chain", 1), hit(ML_PRINCIPLES, "Secure your supply chain", 2)]
    _, citations = extractive_answer("How do we verify suppliers and pre-trained models?", hits, DOCS, IDF)
    assert {c.doc_id for c in citations} == {GUIDELINES}  # score 0.5 < 0.9 x the top's 1.0


def test_no_usable_sentence_means_not_covered() -> None:
    assert extractive_answer("anything", [], DOCS, IDF) == (NOT_COVERED, [])


def test_abstention_names_the_nearest_headings_without_citations() -> None:
    hits = [
        hit(GUIDELINES, "Model the threats to your system", 1),
        hit(ML_PRINCIPLES, "Secure your supply chain", 2),
    ]
    text = abstain_answer(hits, DOCS)
    assert text.startswith(NOT_COVERED)
    assert "Secure design › Model the threats to your system (NCSC/CISA Guidelines)" in text
    assert "[1]" not in text


def test_section_label_adds_the_stage_for_guidelines() -> None:
    chunk = CHUNKS[0].model_copy(update={"section_path": ["Raise staff awareness of threats and risks"]})
    assert section_label(chunk) == "Secure design › Raise staff awareness of threats and risks"


def test_a_lead_in_sentence_carries_its_bulleted_items() -> None:
    from saige.types import Chunk

    text = (
        "Attackers may reconstruct a model by querying it.\n"
        "You protect the model and data from direct and indirect access, respectively, by:\n"
        "\u2022 implementing standard cyber security best practices\n"
        "\u2022 implementing controls on the query interface to detect exfiltration\n"
        "To ensure that consuming systems can validate models, you share hashes of model files."
    )
    chunk = Chunk(
        chunk_id="c1", doc_id=GUIDELINES, doc_title="Guidelines", section="Protect your model continuously",
        section_path=["Secure deployment", "Protect your model continuously"], stage="Secure deployment",
        page_start=14, page_end=14, text=text,
    )  # fmt: skip
    answer, citations = extractive_answer(
        "How do we protect the model from direct and indirect access?", [Hit(chunk=chunk, rank=1, score=1.0)],
        DOCS, IDF,
    )  # fmt: skip
    lead_in = next(c for c in citations if c.quote.startswith("You protect the model"))
    assert lead_in.quote in text  # still verbatim
    assert lead_in.quote.endswith("detect exfiltration")  # both items, not the next paragraph
    assert (
        "by: implementing standard cyber security best practices; implementing controls on the query "
        f"interface to detect exfiltration. [{lead_in.n}]"
    ) in answer


def test_another_document_found_as_strongly_is_quoted_beside_the_priority_document() -> None:
    # The Guidelines' section leads on its priority bonus (score 1.0, evidence 0.5); the ML principles'
    # section scores 0.7 only, but the retrievers found it more strongly (evidence 0.6): it is quoted too.
    hits = [
        hit(GUIDELINES, "Secure your supply chain", 1).model_copy(update={"evidence": 0.5}),
        hit(ML_PRINCIPLES, "Secure your supply chain", 2, score=0.7).model_copy(update={"evidence": 0.6}),
    ]
    question = "How do we verify suppliers and pre-trained models?"
    _, citations = extractive_answer(question, hits, DOCS, IDF)
    assert {c.doc_id for c in citations} == {GUIDELINES, ML_PRINCIPLES}
    assert citations[0].doc_id == GUIDELINES  # the ranking still decides which section leads
    weak = [hits[0], hits[1].model_copy(update={"evidence": 0.3})]
    _, citations = extractive_answer(question, weak, DOCS, IDF)
    assert {c.doc_id for c in citations} == {GUIDELINES}


def test_quoted_sections_are_capped_strongest_evidence_first() -> None:
    from retrieval.answer import close_sections

    def h(section: str, doc: str, score: float, evidence: float) -> Hit:
        return hit(doc, section, 1, score=score).model_copy(update={"evidence": evidence})

    hits = [
        h("Secure your supply chain", GUIDELINES, 1.0, 0.40),
        h("Model the threats to your system", GUIDELINES, 0.95, 0.30),  # close by score only
        h("Secure your supply chain", ML_PRINCIPLES, 0.60, 0.58),  # close by evidence
        h("GOVERN 1: Policies and procedures", "nist-ai-100-1-ai-rmf-1-0", 0.55, 0.60),  # the best evidence
    ]
    assert close_sections(hits, max_sections=3) == [0, 2, 3]
    assert close_sections(hits, max_sections=4) == [0, 1, 2, 3]
    assert close_sections(hits[:2], max_sections=3) == [0, 1]  # by score, as before
    assert close_sections([], max_sections=3) == []


def test_the_main_document_is_heard_when_another_document_leads() -> None:
    from retrieval.answer import close_sections

    # Another document's section leads; the Guidelines' section ranks second on its priority bonus (its
    # score 0.8 exceeds its evidence 0.3): it is quoted as well, before the sections close by evidence.
    ml = hit(ML_PRINCIPLES, "Secure your supply chain", 1, score=1.0).model_copy(update={"evidence": 1.0})
    main = hit(GUIDELINES, "Secure your supply chain", 2, score=0.8).model_copy(update={"evidence": 0.3})
    question = "How do we assess and monitor the security of suppliers in our supply chain?"
    _, citations = extractive_answer(question, [ml, main], DOCS, IDF)
    assert citations[0].doc_id == ML_PRINCIPLES
    assert GUIDELINES in {c.doc_id for c in citations}
    # only within the first max_sections ranks, and not when the question named a document (no bonus)
    others = [
        hit(NIST_RMF, "GOVERN 1: Policies and procedures", r, score=0.5).model_copy(update={"evidence": 0.5})
        for r in (2, 3)
    ]
    assert close_sections([ml, *others, main], max_sections=3) == [0]
    unboosted = main.model_copy(update={"evidence": 0.8})
    assert close_sections([ml, unboosted], max_sections=3) == [0]

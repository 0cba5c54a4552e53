"""Hybrid search on a tiny hand-made corpus: fusion, filters, merging, document priority."""

from __future__ import annotations

import pytest

from retrieval.protocols import Filter
from retrieval.search import DocumentNamer, SearchEngine
from retrieval.section_signals import is_junk
from retrieval.store import MemoryStore
from saige.settings import Settings
from tests.conftest import HashEmbedder
from tests.fakes import GUIDELINES, ML_PRINCIPLES, NIST_RMF, tiny_chunks, tiny_documents


@pytest.fixture
def engine(settings: Settings, fake_embedder: HashEmbedder) -> SearchEngine:
    store = MemoryStore()
    chunks = tiny_chunks()
    store.add(chunks, fake_embedder.embed([c.embed_text for c in chunks]))
    return SearchEngine(store, fake_embedder, tiny_documents(), settings)


def sections(hits: list) -> list[tuple[str, str]]:
    return [(h.chunk.doc_id, h.chunk.section) for h in hits]


def test_hybrid_finds_the_guideline_for_a_paraphrase(engine: SearchEngine) -> None:
    result = engine.search("what should our incident response and remediation plans cover?", k=3)
    assert sections(result.hits)[0] == (GUIDELINES, "Develop incident management procedures")
    assert result.hits[0].rank == 1
    assert result.hits[0].dense_score is not None and result.hits[0].bm25_score is not None
    assert result.best_dense > 0.2


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid-plain", "hybrid"])
def test_every_mode_ranks_and_merges(engine: SearchEngine, mode: str) -> None:
    hits = engine.search("supply chain suppliers third-party components", k=5, mode=mode).hits
    assert hits, mode
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    ids = [cid for h in hits for cid in h.merged_ids]
    assert len(ids) == len(set(ids))  # no chunk twice


def test_adjacent_chunks_of_a_section_become_one_hit(engine: SearchEngine) -> None:
    hits = engine.search("suppliers standards risk management policies in-house components", k=5).hits
    top = next(
        h for h in hits if h.chunk.doc_id == GUIDELINES and h.chunk.section == "Secure your supply chain"
    )
    assert len(top.merged_ids) == 2
    assert (top.chunk.page_start, top.chunk.page_end) == (13, 14)
    # the overlap ("you act in accordance with your existing risk management policies.") appears once
    assert top.chunk.text.count("existing risk management policies") == 1
    assert top.chunk.text.startswith("You assess") and top.chunk.text.endswith("third-party developers.")


def test_stage_filter_applies_to_both_retrievers(engine: SearchEngine) -> None:
    for mode in ("bm25", "dense", "hybrid"):
        hits = engine.search(
            "monitor threats supply chain", k=5, flt=Filter(stage="Secure design"), mode=mode
        ).hits
        assert hits and {h.chunk.stage for h in hits} == {"Secure design"}, mode


def test_document_filter_applies_to_both_retrievers(engine: SearchEngine) -> None:
    for mode in ("bm25", "dense", "hybrid"):
        hits = engine.search("supply chain", k=5, flt=Filter(doc_ids=(ML_PRINCIPLES,)), mode=mode).hits
        assert hits and {h.chunk.doc_id for h in hits} == {ML_PRINCIPLES}, mode


def test_shared_heading_prefers_the_guidelines_when_no_document_is_named(engine: SearchEngine) -> None:
    hits = engine.search("how do we secure our supply chain?", k=3).hits
    assert sections(hits)[0] == (GUIDELINES, "Secure your supply chain")
    # Without the priority bonus the ML principles section (short, dense with the query words) can win:
    plain = engine.search("how do we secure our supply chain?", k=3, mode="hybrid-plain").hits
    assert (ML_PRINCIPLES, "Secure your supply chain") in sections(plain)


def test_a_named_document_is_preferred(engine: SearchEngine) -> None:
    hits = engine.search("what do the machine learning principles say about the supply chain?", k=3).hits
    assert sections(hits)[0] == (ML_PRINCIPLES, "Secure your supply chain")
    hits = engine.search("policies and procedures in the RMF", k=3).hits
    assert hits[0].chunk.doc_id == NIST_RMF


def test_document_namer() -> None:
    namer = DocumentNamer(tiny_documents())
    assert namer.named("What does the AI RMF say?") == {NIST_RMF}
    assert namer.named("and the NCSC machine learning principles?") == {ML_PRINCIPLES}
    assert namer.named("What do the NCSC ML principles say?") == {ML_PRINCIPLES}  # the documents' own "ML"
    assert namer.named("Is HTML or XML relevant?") == frozenset()  # "ml" only as a word
    assert namer.named("What do the CISA guidelines say about logging?") == {GUIDELINES}
    assert namer.named("How do I monitor my model?") == frozenset()
    assert namer.named("Is the GDPR relevant?") == frozenset()  # "rmf" must match as a word only


def test_junk_sections_are_recognised() -> None:
    base = tiny_chunks()[0]
    assert is_junk(base.model_copy(update={"section": "Contents"}))
    assert is_junk(base.model_copy(update={"section": "July 2024"}))
    assert is_junk(
        base.model_copy(update={"section": "Guidelines for secure AI system development"}),
        ["Guidelines for secure AI system development"],
    )
    links = " ".join(f"https://example.org/{i} Report {i}." for i in range(10))
    assert is_junk(base.model_copy(update={"text": links}))
    assert not is_junk(base)


def test_entities_missing_from_the_corpus_are_reported(engine: SearchEngine) -> None:
    result = engine.search("What is the maximum fine under the GDPR for Kubernetes suppliers?", k=3)
    assert "gdpr" in result.entities and "kubernet" in result.unknown_entities
    assert result.entity_coverage < 1.0
    known = engine.search("How does the NIST RMF govern AI risks?", k=3)
    assert known.entities == [] and known.entity_coverage == 1.0  # document names are not topics


def test_empty_store(settings: Settings, fake_embedder: HashEmbedder) -> None:
    engine = SearchEngine(MemoryStore(), fake_embedder, tiny_documents(), settings)
    result = engine.search("anything at all", k=3)
    assert result.hits == [] and result.best_dense == 0.0


def test_unknown_mode(engine: SearchEngine) -> None:
    with pytest.raises(ValueError, match="mode"):
        engine.search("x", mode="magic")


def test_every_document_alias_is_a_name_the_document_gives_itself() -> None:
    """No alias exists because a question used it: each occurs in the manifest's title, short title or
    publisher of its document."""
    from corpus.manifest import load_manifest
    from retrieval.naming import DOC_ALIASES, _alias_pattern

    documents = {d.id: d for d in load_manifest(Settings())}
    assert set(DOC_ALIASES) <= set(documents)
    invented = [
        f"{doc_id}: {phrase!r}"
        for doc_id, phrases in DOC_ALIASES.items()
        for phrase in phrases
        if not _alias_pattern(phrase).search(
            " | ".join(
                (documents[doc_id].title, documents[doc_id].short_title, documents[doc_id].publisher)
            ).lower()
        )
    ]
    assert not invented, "aliases that are not names of their document: " + ", ".join(invented)


def _crowded_engine(settings: Settings, fake_embedder: HashEmbedder) -> SearchEngine:
    """Six Guidelines sections that repeat the question's words fill each retriever's top candidates; the
    ML principles' own passage on the topic says it in fewer of them."""
    crowd = [
        (
            GUIDELINES,
            "Secure operation and maintenance",
            ["Secure operation and maintenance", f"Logging topic {i}"],
            (30 + i, 30 + i),
            [f"Logging of model queries {i}: you keep logging of model queries, logging of queries to the "
             f"model and logging reviews of queries {i}."],
        )
        for i in range(6)
    ]  # fmt: skip
    own = (
        ML_PRINCIPLES,
        "Operation",
        ["Operation", "Keep records of access to the model"],
        (40, 40),
        ["Keep records of who sends queries to the model, so that unusual use stands out."],
    )
    chunks = tiny_chunks([*crowd, own])
    store = MemoryStore()
    store.add(chunks, fake_embedder.embed([c.embed_text for c in chunks]))
    return SearchEngine(store, fake_embedder, tiny_documents(), settings)


def test_a_named_document_is_searched_on_its_own_too(settings: Settings, fake_embedder: HashEmbedder) -> None:
    question = "What do the machine learning principles say about logging of model queries?"
    own = (ML_PRINCIPLES, "Keep records of access to the model")
    narrow = settings.model_copy(update={"candidates": 5})
    with_search = _crowded_engine(narrow.model_copy(update={"named_doc_search": 1.0}), fake_embedder)
    assert with_search.search(question, k=5).hits[0].chunk.doc_id == ML_PRINCIPLES
    assert own in sections(with_search.search(question, k=5).hits)
    # without it, the crowd fills both retrievers' candidates and the named document's passage is never seen
    without = _crowded_engine(narrow.model_copy(update={"named_doc_search": 0.0}), fake_embedder)
    assert own not in sections(without.search(question, k=5).hits)
    # a question that names no document searches once
    unnamed = "What should we do about logging of model queries?"
    assert own not in sections(with_search.search(unnamed, k=5).hits)


def test_evidence_leaves_out_the_priority_bonus(engine: SearchEngine) -> None:
    unit = 1.0 / (engine.settings.rrf_k + 1)
    hits = engine.search("how do we secure our supply chain?", k=10).hits  # every section of the corpus
    guidelines = next(h for h in hits if h.chunk.doc_id == GUIDELINES)
    assert guidelines.evidence is not None
    assert guidelines.score - guidelines.evidence == pytest.approx(engine.settings.guidelines_boost * unit)
    other = next(h for h in hits if h.chunk.doc_id != GUIDELINES)
    assert other.evidence == pytest.approx(other.score)
    # a question that names a document gets no priority bonus: evidence and score agree
    named = engine.search("what do the machine learning principles say about the supply chain?", k=5).hits
    assert all(h.evidence == pytest.approx(h.score) for h in named)
    assert all(h.evidence is None for h in engine.search("supply chain", k=3, mode="hybrid-plain").hits)


def test_a_name_most_passages_contain_is_vocabulary_not_an_entity(engine: SearchEngine) -> None:
    """The entity-coverage test counts specific names; a term in more than COMMON_TERM_SHARE of the chunks
    (here "AI") is the corpus's own vocabulary, so a question that uses it is not taken for one about a name
    the top hits lack."""
    from retrieval.search import COMMON_TERM_SHARE
    from retrieval.tokenize import entity_terms

    question = "Which incident plans should an AI supplier keep for GDPR breaches?"
    assert {"ai", "gdpr"} <= set(entity_terms(question))
    assert engine.bm25.document_share("ai") >= COMMON_TERM_SHARE > engine.bm25.document_share("gdpr")
    result = engine.search(question, k=3)
    assert "gdpr" in result.entities and "ai" not in result.entities


def test_bm25_scores_with_the_settings_k1_and_b(engine: SearchEngine) -> None:
    query = "supply chain suppliers third-party components"
    default = engine.search(query, k=5, mode="bm25").hits
    assert engine.bm25.params == (engine.settings.bm25_k1, engine.settings.bm25_b)
    # the tuner swaps the settings of a built engine (evals/tune.py use_settings): the index follows them
    engine.settings = engine.settings.model_copy(update={"bm25_k1": 0.6, "bm25_b": 0.0})
    flat = engine.search(query, k=5, mode="bm25").hits
    assert engine.bm25.params == (0.6, 0.0)
    assert [h.bm25_score for h in flat] != [h.bm25_score for h in default]


def test_term_coverage_weighs_a_missing_term_by_its_rarity(engine: SearchEngine) -> None:
    assert engine.search("remediation escalation", k=3).term_coverage == 1.0
    assert engine.search("sourdough", k=3).term_coverage == 0.0
    # a word the corpus never uses weighs as much as its rarest word; a word it uses, its own idf
    unknown_missing = engine.search("remediation sourdough", k=3).term_coverage
    known_missing = engine.search("remediation suppliers", k=3).term_coverage  # no passage holds both
    idf = engine.bm25.idf
    assert unknown_missing == pytest.approx(idf("remedi") / (idf("remedi") + engine.bm25.max_idf))
    assert known_missing == pytest.approx(idf("remedi") / (idf("remedi") + idf("supplier")))
    assert 0.0 < unknown_missing < known_missing < 1.0


def test_the_names_of_the_documents_a_question_names_are_not_searched_for(
    settings: Settings, fake_embedder: HashEmbedder
) -> None:
    """A document's name matches its own boilerplate; the documents named are preferred by the bonus."""
    about = (
        NIST_RMF,
        None,
        ["About NIST"],
        (2, 2),
        ["NIST (the NIST) promotes innovation. NIST, NIST and NIST."],
    )
    store = MemoryStore()
    chunks = tiny_chunks([about])
    store.add(chunks, fake_embedder.embed([c.embed_text for c in chunks]))
    engine = SearchEngine(store, fake_embedder, tiny_documents(), settings)
    assert engine.namer.unnamed("What does the NIST RMF say about legal requirements?").split() == [
        "What",
        "does",
        "the",
        "say",
        "about",
        "legal",
        "requirements?",
    ]
    assert engine.namer.unnamed("And the NCSC ML principles?").split() == ["And", "the", "NCSC", "?"]
    hits = engine.search("What does NIST say about policies and procedures?", k=3, mode="bm25").hits
    assert hits[0].chunk.section == "GOVERN 1: Policies and procedures"
    assert "About NIST" not in [h.chunk.section for h in hits]
    # a question that is nothing but a document's name still searches for it
    assert engine.search("NIST", k=3, mode="bm25").hits[0].chunk.section == "About NIST"

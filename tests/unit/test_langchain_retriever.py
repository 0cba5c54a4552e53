"""SaigeRetriever: Saige's search as a LangChain BaseRetriever, over the in-memory store and the hashed
embedder (no model, no network)."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from retrieval.langchain_retriever import SaigeRetriever
from retrieval.service import Saige
from saige.settings import Settings
from saige.types import Chunk
from tests.control_fixtures import GAI, GUIDE, controls_engine


@pytest.fixture
def engine(settings: Settings) -> Saige:
    guide = Chunk(
        chunk_id="guide-weights",
        doc_id=GUIDE,
        doc_title="Guidelines for secure AI system development",
        section="Protect your model continuously",
        section_path=["3. Secure deployment", "Protect your model continuously"],
        stage="Secure deployment",
        page_start=14,
        page_end=15,
        pdf_page_start=14,
        text="Protect model weights: compute and share cryptographic hashes of model files and weights.",
        section_order=500,
    )
    return controls_engine(settings, extra=[guide])


def test_is_a_langchain_retriever_returning_the_search_hits_as_documents(engine: Saige) -> None:
    retriever = SaigeRetriever(saige=engine, k=4)
    assert isinstance(retriever, BaseRetriever)
    question = "How do I protect model weights with cryptographic hashes?"
    docs = retriever.invoke(question)
    hits = engine.search(question, k=4)
    assert docs and all(isinstance(d, Document) for d in docs)
    assert [d.id for d in docs] == [h.chunk.chunk_id for h in hits]
    assert [d.metadata["score"] for d in docs] == [h.score for h in hits]
    assert [d.page_content for d in docs] == [h.chunk.text for h in hits]
    top = docs[0]
    assert top.id == "guide-weights"
    assert top.metadata["doc_id"] == GUIDE
    assert top.metadata["section_path"] == ["3. Secure deployment", "Protect your model continuously"]
    assert (top.metadata["page_start"], top.metadata["page_end"], top.metadata["pages"]) == (
        14,
        15,
        "pp. 14-15",
    )
    assert top.metadata["control_id"] is None  # this passage holds no control
    assert top.metadata["citation"] == (
        "Guidelines for secure AI system development, Secure deployment › Protect your model continuously, "
        "pp. 14-15"
    )
    assert top.metadata["url"].endswith("#page=14")  # the official PDF at the physical page


def test_a_passage_holding_a_control_carries_its_printed_id(engine: Saige) -> None:
    docs = SaigeRetriever(saige=engine, k=3).invoke("What does GV-1.2-001 recommend?")
    top = docs[0]
    control = engine.control_of(engine.search("What does GV-1.2-001 recommend?", k=1)[0].chunk)
    assert control is not None and control.control_id == "GV-1.2-001"
    assert top.metadata["doc_id"] == GAI
    assert top.metadata["control_id"] == "GV-1.2-001"
    assert top.metadata["citation"].endswith(", GV-1.2-001")


def test_filters_apply(engine: Saige) -> None:
    only_guide = SaigeRetriever(saige=engine, k=5, docs=[GUIDE]).invoke("protect model weights")
    assert only_guide and {d.metadata["doc_id"] for d in only_guide} == {GUIDE}
    staged = SaigeRetriever(saige=engine, k=5, stage="deployment").invoke("protect model weights")
    assert staged and {d.metadata["stage"] for d in staged} == {"Secure deployment"}


def test_composes_in_a_chain_and_batches(engine: Saige) -> None:
    retriever = SaigeRetriever(saige=engine, k=2)

    def cite(docs: list[Document]) -> str:
        return "\n".join(f"[{i}] {d.metadata['citation']}" for i, d in enumerate(docs, 1))

    chain = retriever | RunnableLambda(cite)
    out = chain.invoke("protect model weights")
    assert out.startswith("[1] Guidelines for secure AI system development, Secure deployment")
    first, second = retriever.batch(["protect model weights", "What does GV-1.2-001 recommend?"])
    assert first[0].id == "guide-weights" and second[0].metadata["control_id"] == "GV-1.2-001"
    assert [d.id for d in asyncio.run(retriever.ainvoke("protect model weights"))] == [d.id for d in first]

"""SaigeRetriever (a LangChain BaseRetriever) on the real index: Documents carry the real citations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from langchain_core.runnables import RunnableLambda

from retrieval.langchain_retriever import SaigeRetriever

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from retrieval.service import Saige
    from saige.settings import Settings

pytestmark = pytest.mark.acceptance

GUIDELINES = "ncsc-cisa-secure-ai-guidelines-2023"
DSIT_GUIDE = "dsit-ai-cyber-security-cop-implementation-guide-2025"


def test_a_guideline_question_returns_the_guideline_with_its_pages(real_engine: Saige) -> None:
    question = "How should I protect model weights?"
    docs = SaigeRetriever(saige=real_engine, k=4).invoke(question)
    assert [d.id for d in docs] == [h.chunk.chunk_id for h in real_engine.search(question, k=4)]
    top = docs[0].metadata
    assert top["doc_id"] == GUIDELINES
    assert top["section_path"][-1] == "Protect your model continuously"
    assert top["stage"] == "Secure deployment"
    assert top["pages"] == "p. 14" and top["page_start"] == 14
    assert top["control_id"] is None  # the Guidelines do not number their guidelines
    assert top["citation"] == (
        "Guidelines for secure AI system development, Secure deployment › Protect your model continuously, p. 14"
    )
    assert (
        top["url"] == "https://www.ncsc.gov.uk/files/Guidelines-for-secure-AI-system-development.pdf#page=14"
    )
    assert "model weights" in docs[0].page_content


def test_a_provision_question_carries_the_provision_id(real_engine: Saige) -> None:
    docs = SaigeRetriever(saige=real_engine, k=3).invoke(
        "What does provision 5.3 of the code of practice require?"
    )
    top = docs[0].metadata
    assert top["doc_id"] == DSIT_GUIDE
    assert top["control_id"] == "5.3"
    assert top["page_start"] is not None and top["citation"].endswith(", 5.3")


def test_from_settings_in_a_chain_with_a_document_filter(real_settings: Settings) -> None:
    retriever = SaigeRetriever.from_settings(real_settings, k=3, docs=[GUIDELINES])

    def sources(docs: list[Document]) -> list[str]:
        return [d.metadata["doc_id"] for d in docs]

    assert (retriever | RunnableLambda(sources)).invoke("How do we model the threats to an AI system?") == [
        GUIDELINES
    ] * 3

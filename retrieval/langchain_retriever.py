"""Saige's search as a LangChain retriever, so users can put it into their own chains.

`SaigeRetriever` is a langchain-core `BaseRetriever` (a Runnable: `invoke`, `batch`, `ainvoke`, and `|` into a
chain). It runs the same hybrid search as `saige search` (BM25 + dense, fused, identifier lookup) and returns
one LangChain `Document` per hit: the passage as `page_content`, and everything a citation needs as metadata:

    doc_id, doc_title, section, section_path, stage, page_start, page_end, pages ("p. 14"),
    control_id (the control the passage holds, when it holds one), citation (one printable line),
    url (the official document, at the page when it is a PDF), chunk_id, rank, score, dense_score, bm25_score

    from retrieval.langchain_retriever import SaigeRetriever
    retriever = SaigeRetriever.from_settings(k=4)
    docs = retriever.invoke("How should model weights be protected?")

The retriever reads the index; it never calls a model provider or the network.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.answer import path_label
from retrieval.service import Saige
from saige.settings import Settings, get_settings
from saige.types import Hit


class SaigeRetriever(BaseRetriever):
    """Saige's hybrid search over one index, returning LangChain Documents with citation metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    saige: Saige
    """The search facade (retrieval.service.Saige) over the current index."""
    k: int | None = None
    """Number of passages (default: SAIGE_TOP_K)."""
    docs: list[str] | None = None
    """Only these document ids."""
    stage: str | None = None
    """Only this lifecycle stage: design, development, deployment, operation."""
    mode: str = "hybrid"
    """hybrid (default), bm25 or dense."""

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **fields: Any) -> SaigeRetriever:
        """A retriever over the current index of `settings` (default: the SAIGE_* environment).
        Raises IndexMissingError / IndexCorruptError (one line) when there is no usable index."""
        return cls(saige=Saige.from_settings(settings or get_settings()), **fields)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.saige.search(query, k=self.k, docs=self.docs, stage=self.stage, mode=self.mode)
        return [self.to_document(hit) for hit in hits]

    def to_document(self, hit: Hit) -> Document:
        """One hit as a LangChain Document: the passage and its citation metadata."""
        return hit_document(hit, self.saige)


def hit_document(hit: Hit, saige: Saige) -> Document:
    c = hit.chunk
    control = saige.control_of(c)
    control_id = control.control_id if control is not None and control.printed_id else None
    where = path_label(c.stage, c.section_path, c.section)
    pages = c.pages_label
    parts = [p for p in (c.doc_title, where, pages, control_id) if p]
    document = next((d for d in saige.documents() if d.id == c.doc_id), None)
    url = document.page_url(c.link_page) if document is not None else ""
    metadata: dict[str, Any] = {
        "doc_id": c.doc_id,
        "doc_title": c.doc_title,
        "section": c.section,
        "section_path": list(c.section_path),
        "stage": c.stage,
        "page_start": c.page_start,
        "page_end": c.page_end,
        "pages": pages,
        "control_id": control_id,
        "citation": ", ".join(parts),
        "url": url,
        "chunk_id": c.chunk_id,
        "rank": hit.rank,
        "score": hit.score,
        "dense_score": hit.dense_score,
        "bm25_score": hit.bm25_score,
    }
    return Document(id=c.chunk_id, page_content=c.text, metadata=metadata)


__all__ = ["SaigeRetriever", "hit_document"]

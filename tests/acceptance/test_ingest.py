"""The real index: every document chunked with sections, the Guidelines' structure, pages, token sizes."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

import pytest

from corpus.manifest import load_manifest
from retrieval.embedder import load_embedder, token_counter
from retrieval.index import current_pointer, open_current_store
from saige.settings import Settings
from saige.types import STAGES, Chunk, normalize_heading
from tests.guidelines_spec import GUIDELINES_BY_STAGE, GUIDELINES_DOC

if TYPE_CHECKING:
    from retrieval.service import Saige

pytestmark = pytest.mark.acceptance

GUIDELINES = GUIDELINES_DOC


@pytest.fixture(scope="module")
def chunks(real_settings: Settings) -> list[Chunk]:
    return open_current_store(real_settings, load_embedder(real_settings)).chunks()


def test_every_document_yields_chunks_with_sections(real_settings: Settings, chunks: list[Chunk]) -> None:
    documents = load_manifest(real_settings)
    assert len(documents) == 9
    by_doc: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        by_doc[c.doc_id].append(c)
    for doc in documents:
        mine = by_doc[doc.id]
        assert len(mine) >= 20, f"{doc.id}: only {len(mine)} chunks"
        assert len({tuple(c.section_path) for c in mine}) >= 5, f"{doc.id}: too few sections"
        assert all(c.section and c.section_path and c.section_path[-1] == c.section for c in mine)
        assert all(c.doc_title == doc.title for c in mine)
        if doc.kind == "pdf":
            assert all(c.page_start is not None and c.page_end is not None for c in mine), doc.id
            assert all(c.page_start <= c.page_end for c in mine if c.page_start and c.page_end), doc.id
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_index_pointer_matches_the_collection(real_settings: Settings, chunks: list[Chunk]) -> None:
    pointer = current_pointer(real_settings)
    assert pointer is not None
    assert pointer.chunks == len(chunks)
    assert pointer.documents == 9
    assert pointer.model == load_embedder(real_settings).name


def test_all_17_guidelines_have_chunks_with_their_stage(chunks: list[Chunk]) -> None:
    guideline_chunks = [c for c in chunks if c.doc_id == GUIDELINES]
    for stage, headings in GUIDELINES_BY_STAGE.items():
        assert stage in STAGES
        for heading in headings:
            mine = [c for c in guideline_chunks if normalize_heading(c.section) == normalize_heading(heading)]
            assert mine, f"no chunk for guideline {heading!r}"
            assert {c.stage for c in mine} == {stage}, heading
            assert any(normalize_heading(stage) in map(normalize_heading, c.section_path) for c in mine)


def test_opt_in_sentence_chunk_has_its_guideline_and_page(chunks: list[Chunk]) -> None:
    hits = [c for c in chunks if c.doc_id == GUIDELINES and re.search(r"require users to opt in", c.text)]
    assert hits
    for c in hits:
        assert c.section == "Design your system for security as well as functionality and performance"
        assert c.stage == "Secure design"
        assert c.page_start is not None and c.page_end is not None
        assert c.page_start <= 10 <= c.page_end


def test_no_chunk_exceeds_the_model_window(real_settings: Settings, chunks: list[Chunk]) -> None:
    count = token_counter(real_settings)
    sizes = [count(c.embed_text) for c in chunks]
    assert max(sizes) <= 256
    assert max(sizes) <= real_settings.chunk_tokens


def test_line_end_hyphens_and_addresses_survive_in_the_chunks(
    real_engine: Saige, chunks: list[Chunk]
) -> None:
    # The Guidelines break "out-of-distribution" at its own hyphen across two lines: the hyphen stays.
    sentence = "explicit detection of out-of-distribution and/or adversarial inputs"
    hits = [c for c in chunks if c.doc_id == GUIDELINES and sentence in c.text]
    assert [c.section for c in hits] == ["Monitor your system\u2019s inputs"]
    pdf_docs = {d.id for d in load_manifest(real_engine.settings) if d.kind == "pdf"}
    assert not [c.chunk_id for c in chunks if c.doc_id in pdf_docs and "out-ofdistribution" in c.text]
    # Part of the sentence, searched as a reader would quote it, finds its chunk among the first three (the
    # NCSC ML principles' section on model inputs, which also covers out-of-distribution detection, may lead).
    top = real_engine.search("explicit detection of out-of-distribution inputs", k=3)
    assert (GUIDELINES, hits[0].section) in {(h.chunk.doc_id, h.chunk.section) for h in top}
    # A web address printed with a gap inside it ("supply-c hain") is whole again.
    ml = [c.text for c in chunks if c.doc_id == "ncsc-machine-learning-principles-2024"]
    assert any("https://www.ncsc.gov.uk/collection/supply-chain/guidance" in t for t in ml)
    assert not any("supply-c hain" in t for t in ml)

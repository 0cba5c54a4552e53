"""Typed records: stage names, heading comparison, JSON shapes the CLI and app depend on."""

from __future__ import annotations

import pytest

from saige.types import STAGES, Chunk, Document, Hit, normalize_heading, normalize_stage, stable_id


@pytest.mark.parametrize(
    ("typed", "stage"),
    [
        ("design", "Secure design"),
        ("Secure deployment", "Secure deployment"),
        ("operation", "Secure operation and maintenance"),
        ("secure-development", "Secure development"),
        ("OPERATION AND MAINTENANCE", "Secure operation and maintenance"),
    ],
)
def test_normalize_stage(typed: str, stage: str) -> None:
    assert normalize_stage(typed) == stage
    assert stage in STAGES


def test_normalize_stage_rejects_unknown_names_with_the_field() -> None:
    with pytest.raises(ValueError, match="stage: unknown lifecycle stage 'testing'"):
        normalize_stage("testing")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2.1 Secure your supply chain", "Secure your supply chain."),
        ("Monitor your system\u2019s behaviour", "monitor your system's  behaviour"),
        ("**Executive summary**", "Executive Summary"),
    ],
)
def test_normalize_heading_matches_printed_variants(a: str, b: str) -> None:
    assert normalize_heading(a) == normalize_heading(b)


def test_normalize_heading_keeps_distinct_headings_distinct() -> None:
    assert normalize_heading("Monitor your system's inputs") != normalize_heading(
        "Monitor your system's behaviour"
    )


def _chunk() -> Chunk:
    return Chunk(
        chunk_id=stable_id("d", "x"),
        doc_id="d",
        doc_title="Doc",
        section="Model the threats to your system",
        section_path=["Secure design", "Model the threats to your system"],
        stage="Secure design",
        page_start=9,
        page_end=10,
        text="You assess threats.",
    )


def test_hit_record_shape() -> None:
    rec = Hit(chunk=_chunk(), rank=1, score=0.5).as_record()
    assert list(rec) == [
        "rank", "score", "chunk_id", "doc_id", "doc_title", "section", "section_path", "stage",
        "page_start", "page_end", "text",
    ]  # fmt: skip
    assert rec["section_path"] == ["Secure design", "Model the threats to your system"]


def test_embed_text_prepends_the_section_path() -> None:
    c = _chunk()
    assert c.embed_text.startswith("Secure design > Model the threats to your system\n")
    assert c.pages_label == "pp. 9-10"


def test_page_url_only_for_pdfs() -> None:
    base = dict(
        id="x", title="T", short_title="T", publisher="P", published="2024", license="L",
        redistributable=True, sha256="0" * 64, file="x.pdf", kind="pdf",
    )  # fmt: skip
    pdf = Document(official_url="https://example.org/a.pdf", **base)
    page = Document(official_url="https://example.org/collection", **base)
    assert pdf.page_url(10) == "https://example.org/a.pdf#page=10"
    assert page.page_url(10) == "https://example.org/collection"

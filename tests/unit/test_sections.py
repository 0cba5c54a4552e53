"""build_sections on hand-built pages: paths, stages, pages, merging of empty headings, numbering."""

from __future__ import annotations

from ingest.sections import build_sections, stage_of_heading
from saige.types import Block, Document, Page, ParsedDocument


def _doc() -> Document:
    return Document(
        id="s-doc",
        title="Sections test",
        short_title="S",
        publisher="Saige tests",
        published="2024",
        official_url="https://example.invalid/s.pdf",
        license="test",
        redistributable=True,
        sha256="0" * 64,
        file="s.pdf",
        kind="pdf",
    )


def h(text: str, level: int) -> Block:
    return Block(text=text, kind="heading", level=level)


def t(text: str) -> Block:
    return Block(text=text)


def _parsed(*pages: list[Block], first_number: int = 1) -> ParsedDocument:
    return ParsedDocument(
        document=_doc(),
        pages=[
            Page(doc_id="s-doc", index=i, number=first_number + i, blocks=blocks)
            for i, blocks in enumerate(pages)
        ],
    )


def test_stages_come_from_stage_headings() -> None:
    parsed = _parsed(
        [h("Executive summary", 1), t("Summary text."), h("About the guidelines", 2), t("About text.")],
        [
            h("1. Secure design", 1),
            t("Design intro."),
            h("Model the threats to your system", 3),
            t("Threats."),
        ],
        [t("More threats."), h("2. Secure deployment", 1), h("Secure your infrastructure", 3), t("Infra.")],
        [h("Further reading", 1), h("AI development", 2), t("Links.")],
        first_number=5,
    )
    sections = build_sections(parsed)
    by_heading = {s.heading: s for s in sections}
    assert by_heading["Executive summary"].stage is None
    assert by_heading["About the guidelines"].stage is None
    assert by_heading["1. Secure design"].stage == "Secure design"
    threats = by_heading["Model the threats to your system"]
    assert threats.stage == "Secure design"
    assert threats.path == ["1. Secure design", "Model the threats to your system"]
    assert (threats.page_start, threats.page_end) == (6, 7)
    assert threats.text == "Threats.\nMore threats."
    infra = by_heading["Secure your infrastructure"]
    assert infra.stage == "Secure deployment" and infra.path == [
        "2. Secure deployment",
        "Secure your infrastructure",
    ]
    # A heading with no body of its own is no section, but stays in its child's path.
    assert "2. Secure deployment" not in by_heading and "Further reading" not in by_heading
    assert by_heading["AI development"].path == ["Further reading", "AI development"]
    assert by_heading["AI development"].stage is None
    assert [s.order for s in sections] == list(range(len(sections)))


def test_stage_headings_at_a_lower_level_do_not_set_the_stage() -> None:
    # The executive summary lists the stages as small headings; only the stage-level ones count.
    parsed = _parsed(
        [h("Executive summary", 1), h("1. Secure design", 4), t("Summary of design.")],
        [h("1. Secure design", 1), t("Design stage."), h("Raise staff awareness", 3), t("Awareness.")],
    )
    by_heading = {tuple(s.path): s for s in build_sections(parsed)}
    assert by_heading[("Executive summary", "1. Secure design")].stage is None
    assert by_heading[("1. Secure design", "Raise staff awareness")].stage == "Secure design"


def test_text_before_any_heading_goes_under_the_title_and_cover_headings_are_skipped() -> None:
    parsed = _parsed(
        [h("Big cover title", 1), h("Subtitle", 2)], [t("Notice text."), h("Intro", 1), t("Intro.")]
    )
    sections = build_sections(parsed)
    assert sections[0].path == ["Sections test"] and sections[0].text == "Notice text."
    assert sections[1].path == ["Intro"]


def test_numbered_siblings_close_each_other_despite_font_levels() -> None:
    parsed = _parsed(
        [
            h("3. Securing AI", 1),
            t("Chapter text."),
            h("2. Development", 2),
            h("2.1. Secure the supply chain", 4),
            t("Supply."),
            h("3. Deployment", 3),
            h("3.1. Secure the infrastructure", 4),
            t("Infra."),
        ]
    )
    paths = [s.path for s in build_sections(parsed)]
    assert ["3. Securing AI", "3. Deployment", "3.1. Secure the infrastructure"] in paths
    assert ["3. Securing AI", "2. Development", "2.1. Secure the supply chain"] in paths


def test_repeated_heading_replaces_its_twin() -> None:
    parsed = _parsed(
        [h("Contents", 1), t("Part 1")],
        [h("Part 1: Secure design", 1)],
        [h("Part 1: Secure design", 2), t("Part text.")],
    )
    sections = build_sections(parsed)
    assert [s.path for s in sections] == [["Contents"], ["Part 1: Secure design"]]
    assert sections[1].stage == "Secure design" and sections[1].page_start == 3


def test_parts_are_the_stage_of_other_documents() -> None:
    parsed = _parsed(
        [h("Part 1: Foundational Information", 1), h("1. Framing Risk", 2), t("Risk.")],
        [h("Part 2: Core and Profiles", 1), h("5. AI RMF Core", 2), t("Core.")],
        [h("Appendix A: Tasks", 1), t("Tasks.")],
    )
    stages = {s.heading: s.stage for s in build_sections(parsed)}
    assert stages == {
        "1. Framing Risk": "Part 1: Foundational Information",
        "5. AI RMF Core": "Part 2: Core and Profiles",
        "Appendix A: Tasks": None,
    }


def test_stage_of_heading() -> None:
    assert stage_of_heading("1. Secure design") == "Secure design"
    assert stage_of_heading("4. Secure operation and maintenance") == "Secure operation and maintenance"
    assert stage_of_heading("Part 4: Secure operation") == "Secure operation and maintenance"
    assert stage_of_heading("Secure your supply chain") is None
    assert stage_of_heading("Design your system for security") is None


def test_physical_pdf_page_is_kept_for_links() -> None:
    parsed = _parsed([t("Cover notice.")], [h("Intro", 1), t("Intro text.")], first_number=-1)
    parsed.pages[0].number, parsed.pages[1].number = None, 1  # unnumbered front page, then printed "1"
    intro = next(s for s in build_sections(parsed) if s.heading == "Intro")
    assert (intro.page_start, intro.pdf_page_start) == (1, 2)

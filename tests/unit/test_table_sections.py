"""Table rows as chunks: a section whose rows the catalogue parsed is chunked as prose + one part per row."""

from __future__ import annotations

import pytest

from ingest.chunker import chunk_sections
from ingest.table_sections import row_text, split_table_sections
from saige.types import Control, ControlField, Section
from tests.unit.test_chunker import DOC, words

PATH = ["3. Suggested Actions", "GOVERN 1.2"]
# The running text of a table whose rows are centred: the action text wraps around its id and risks.
TABLE_TEXT = (
    "GOVERN 1.2: The characteristics of trustworthy AI are integrated into policies.\n"
    "Action ID\nSuggested Action\nGAI Risks\n"
    "Establish transparency policies for documenting the origin of training data to advance digital\n"
    "Data Privacy; Information\n"
    "GV-1.2-001 content transparency, while balancing the proprietary nature of training\n"
    "Integrity\napproaches.\n"
    "GV-1.2-002 Establish policies to evaluate risk-relevant capabilities of GAI.\n"
    "Information Security"
)


def action(control_id: str, statement: str, risks: str, page: int = 14) -> Control:
    return Control(
        doc_id=DOC.id,
        control_id=control_id,
        kind="action",
        title=control_id,
        statement=statement,
        parent_id="GOVERN 1.2",
        page_start=page,
        page_end=page,
        fields=[ControlField(name="GAI Risks", value=risks)],
    )


CONTROLS = [
    action(
        "GV-1.2-001",
        "Establish transparency policies for documenting the origin of training data to advance digital "
        "content transparency, while balancing the proprietary nature of training approaches.",
        "Data Privacy; Information Integrity",
    ),
    action(
        "GV-1.2-002",
        "Establish policies to evaluate risk-relevant capabilities of GAI.",
        "Information Security",
    ),
]
SECTION = Section(
    doc_id=DOC.id, heading="GOVERN 1.2", path=PATH, page_start=14, page_end=14, text=TABLE_TEXT, order=1
)
OTHER = Section(doc_id=DOC.id, heading="Intro", path=["Intro"], page_start=1, page_end=2, text="Prose only.")


def test_row_text_is_id_statement_then_labelled_columns() -> None:
    assert row_text(CONTROLS[1]) == (
        "GV-1.2-002: Establish policies to evaluate risk-relevant capabilities of GAI.\n"
        "GAI Risks: Information Security"
    )


def test_table_section_becomes_prose_then_one_part_per_row() -> None:
    parts = split_table_sections([OTHER, SECTION], CONTROLS)
    assert [p.control_id for p in parts] == [None, None, "GV-1.2-001", "GV-1.2-002"]
    assert parts[0].section == OTHER  # a section without rows is unchanged
    assert parts[1].section.text == TABLE_TEXT.split("\n")[0]  # prose before the header row
    assert all(p.section.path == PATH for p in parts[1:])


def test_chunks_of_rows_carry_their_control_and_never_interleave_columns() -> None:
    chunks = chunk_sections(
        [OTHER, SECTION], DOC, max_tokens=200, overlap=0, count_tokens=words, controls=CONTROLS
    )
    rows = {c.control_id: c for c in chunks if c.control_id}
    assert set(rows) == {"GV-1.2-001", "GV-1.2-002"}
    assert CONTROLS[0].statement in rows["GV-1.2-001"].text
    assert "Data Privacy; Information\n" not in "\n".join(c.text for c in chunks)
    assert [c.ordinal for c in chunks if c.section_path == PATH] == [0, 1, 2]


def test_a_row_split_over_chunks_repeats_its_id() -> None:
    long = action("GV-1.2-001", " ".join(f"Step {i} keeps records of the model." for i in range(40)), "Data")
    chunks = chunk_sections([SECTION], DOC, max_tokens=60, overlap=0, count_tokens=words, controls=[long])
    rows = [c for c in chunks if c.control_id == "GV-1.2-001"]
    assert len(rows) > 1
    assert all("GV-1.2-001" in c.text for c in rows)
    assert all(words(c.embed_text) <= 60 for c in chunks)


@pytest.mark.parametrize("max_tokens", [20, 30])
def test_the_repeated_id_fits_in_the_token_budget(max_tokens: int) -> None:
    text = " ".join(f"Keep x x x w{i}." for i in range(40))  # five-word sentences pack a chunk to its budget
    long = action("GV-1.2-001", text, "Data")
    chunks = chunk_sections(
        [SECTION], DOC, max_tokens=max_tokens, overlap=0, count_tokens=words, controls=[long]
    )
    assert any("(continued)" in c.text for c in chunks)
    assert max(words(c.embed_text) for c in chunks) <= max_tokens


def test_a_row_without_its_id_in_any_section_goes_to_the_section_of_its_page() -> None:
    stray = action("GV-9.9-001", "Never printed in the running text.", "Data", page=2)
    parts = split_table_sections([OTHER, SECTION], [stray])
    assert [(p.section.heading, p.control_id) for p in parts] == [
        ("Intro", None),
        ("Intro", "GV-9.9-001"),
        ("GOVERN 1.2", None),
    ]


@pytest.mark.parametrize("header", ["Provisions", "Practice", "Provisions\nRelated threats /risks"])
def test_header_cells_alone_above_the_rows_are_no_prose(header: str) -> None:
    """A table whose header cells ("Provisions", plural too) come before its first row leaves no prose part:
    a chunk reading only "Provisions" matched questions by its heading and had nothing to quote."""
    text = header + "\n" + TABLE_TEXT.split("\n", 1)[1].replace("Action ID\n", "")
    section = SECTION.model_copy(update={"text": text})
    parts = split_table_sections([section], CONTROLS)
    assert [p.control_id for p in parts] == ["GV-1.2-001", "GV-1.2-002"]
    with_prose = SECTION.model_copy(update={"text": "Some prose.\n" + text})
    assert split_table_sections([with_prose], CONTROLS)[0].section.text == "Some prose."


def _provision(control_id: str, principle: str, page: int) -> Control:
    return Control(
        doc_id=DOC.id,
        control_id=control_id,
        kind="provision",
        title=f"Provision {control_id}",
        statement=f"Provision {control_id} statement.",
        path=[principle, f"Provision {control_id}"],
        page_start=page,
        page_end=page,
    )


def _section(heading: str, order: int, page: int, text: str) -> Section:
    return Section(
        doc_id=DOC.id, heading=heading, path=[heading], page_start=page, page_end=page, text=text, order=order
    )


def test_bold_table_text_taken_for_a_heading_is_placed_under_its_rows_principle() -> None:
    """DSIT's layout: a column label and example measures' bold titles came out as top-level headings, and the
    rows after them with them. A label merges into the principle; a title becomes a section one level under
    it, and so does a title with no rows between two parts of the same principle."""
    p1, p2 = "Principle 1: Raise awareness", "Principle 2: Design for security"
    sections = [
        _section(p1, 0, 1, "Provision 1.1 statement."),
        _section("Related threats /risks", 1, 2, "Staff may be unaware.\nProvision 1.2 statement."),
        _section("Disseminate Security Bulletins.", 2, 3, "Use newsletters.\nProvision 1.3 statement."),
        _section("Use Red Teaming:", 3, 3, "Hire a red team."),
        _section("Run Tabletop Exercises", 4, 4, "Rehearse.\nProvision 1.4 statement."),
        _section(p2, 5, 5, "Provision 2.1 statement."),
    ]
    controls = [
        _provision("1.1", p1, 1),
        _provision("1.2", p1, 2),
        _provision("1.3", p1, 3),
        _provision("1.4", p1, 4),
        _provision("2.1", p2, 5),
    ]
    placed = {
        (p.control_id, p.section.text.split("\n")[0]): p.section
        for p in split_table_sections(sections, controls)
    }
    label = placed[(None, "Staff may be unaware.")]
    assert (label.heading, label.path, label.order) == (p1, [p1], 0)
    assert placed[("1.2", "Provision 1.2: Provision 1.2 statement.")].path == [p1]
    for control_id, first, title in (
        (None, "Use newsletters.", "Disseminate Security Bulletins."),
        ("1.3", "Provision 1.3: Provision 1.3 statement.", "Disseminate Security Bulletins."),
        (None, "Hire a red team.", "Use Red Teaming:"),
        ("1.4", "Provision 1.4: Provision 1.4 statement.", "Run Tabletop Exercises"),
    ):
        assert placed[(control_id, first)].path == [p1, title], first
    # the principles themselves, and their rows, stay where they are
    assert placed[("2.1", "Provision 2.1: Provision 2.1 statement.")].path == [p2]
    assert placed[("1.1", "Provision 1.1: Provision 1.1 statement.")].path == [p1]

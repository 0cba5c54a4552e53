"""parse_pdf on small generated PDFs: reading order, headings, running text, page numbers, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pdf import parse_pdf
from ingest.sections import build_sections
from saige.errors import CorpusError
from saige.types import Document, ParsedDocument
from tests import pdfgen


def _doc(name: str = "test-doc") -> Document:
    return Document(
        id=name,
        title="Test document",
        short_title="Test",
        publisher="Saige tests",
        published="2024-01-01",
        official_url="https://example.invalid/test.pdf",
        license="test",
        redistributable=True,
        sha256="0" * 64,
        file=f"{name}.pdf",
        kind="pdf",
    )


def _text(parsed: ParsedDocument) -> str:
    return "\n".join(b.text for page in parsed.pages for b in page.blocks)


@pytest.fixture(scope="module")
def two_column(tmp_path_factory: pytest.TempPathFactory) -> ParsedDocument:
    path = pdfgen.make_two_column_pdf(tmp_path_factory.mktemp("pdf") / "two.pdf", first_page_number=5)
    return parse_pdf(_doc(), path)


def test_left_column_is_read_before_right_column(two_column: ParsedDocument) -> None:
    # The right column is drawn first in the content stream; reading order must still be left, then right.
    text = _text(two_column)
    assert (
        text.index(pdfgen.LEFT_SENTENCE)
        < text.index(pdfgen.LEFT_SUB_SENTENCE)
        < text.index(pdfgen.RIGHT_SENTENCE)
    )
    assert text.index(pdfgen.TITLE) < text.index(pdfgen.LEFT_HEADING) < text.index(pdfgen.RIGHT_HEADING)


def test_columns_are_not_interleaved_line_by_line(two_column: ParsedDocument) -> None:
    blocks = [b.text for b in two_column.pages[0].blocks]
    right = next(b for b in blocks if b.startswith(pdfgen.RIGHT_SENTENCE))
    assert "column has several lines of body text. Monitoring runs on a separate host." in right
    assert "Alpha" not in right and "gateway" not in right


def test_heading_levels_follow_font_sizes(two_column: ParsedDocument) -> None:
    headings = {b.text: b.level for page in two_column.pages for b in page.blocks if b.kind == "heading"}
    assert headings[pdfgen.TITLE] == 1
    assert headings[pdfgen.SECOND_PAGE_HEADING] == 1
    assert headings[pdfgen.LEFT_HEADING] == headings[pdfgen.RIGHT_HEADING] == 2
    assert headings[pdfgen.LEFT_SUBHEADING] == 3
    assert pdfgen.LEFT_SENTENCE not in headings


def test_running_header_footer_and_page_numbers_are_removed(two_column: ParsedDocument) -> None:
    text = _text(two_column)
    assert pdfgen.HEADER_TEXT not in text
    assert pdfgen.FOOTER_TEXT not in text
    for page in two_column.pages:
        assert all(b.text.strip() != str(page.number) for b in page.blocks)


def test_printed_page_numbers_are_used(two_column: ParsedDocument) -> None:
    assert [p.number for p in two_column.pages] == [5, 6, 7]
    assert [p.index for p in two_column.pages] == [0, 1, 2]


def test_hyphenated_line_break_is_joined_but_real_hyphen_kept(two_column: ParsedDocument) -> None:
    text = _text(two_column)
    assert pdfgen.HYPHEN_SENTENCE in text
    assert "secu-" not in text
    assert pdfgen.COMPOUND_SENTENCE in text


def test_bullets_are_separate_blocks(two_column: ParsedDocument) -> None:
    blocks = [b.text for b in two_column.pages[0].blocks]
    for bullet in pdfgen.BULLETS:
        assert f"\u2022 {bullet}" in blocks


def test_sentences_land_in_their_sections(two_column: ParsedDocument) -> None:
    sections = build_sections(two_column)

    def section_of(sentence: str) -> list[str]:
        return next(s.path for s in sections if sentence in s.text)

    assert section_of(pdfgen.LEFT_SENTENCE) == [pdfgen.TITLE, pdfgen.LEFT_HEADING]
    assert section_of(pdfgen.LEFT_SUB_SENTENCE) == [pdfgen.TITLE, pdfgen.LEFT_HEADING, pdfgen.LEFT_SUBHEADING]
    assert section_of(pdfgen.RIGHT_SENTENCE) == [pdfgen.TITLE, pdfgen.RIGHT_HEADING]
    assert section_of(pdfgen.SECOND_PAGE_SENTENCE) == [pdfgen.SECOND_PAGE_HEADING]
    second = next(s for s in sections if s.heading == pdfgen.SECOND_PAGE_HEADING)
    assert (second.page_start, second.page_end) == (6, 7)


def test_ligature_glyphs_are_repaired(tmp_path: Path) -> None:
    path = pdfgen.make_ligature_pdf(
        tmp_path / "lig.pdf",
        ["The \ufb01rst \ufb02ow is e\ufb00ective and e\ufb03cient.", "A second line of ordinary text."],
    )
    if path is None:
        pytest.skip("no Unicode TrueType font installed to embed ligature glyphs")
    text = _text(parse_pdf(_doc(), path))
    assert "The first flow is effective and efficient." in text
    assert not any(ch in text for ch in "\ufb00\ufb01\ufb02\ufb03\ufb04")


def test_page_without_text_is_skipped_and_recorded(tmp_path: Path) -> None:
    parsed = parse_pdf(_doc(), pdfgen.make_blank_page_pdf(tmp_path / "blank.pdf"))
    assert parsed.skipped_pages == [1]
    assert [p.index for p in parsed.pages] == [0, 2]
    assert [p.number for p in parsed.pages] == [1, 3]
    assert any("skipped 1 page" in w for w in parsed.warnings)


def test_text_pdf_without_page_numbers_uses_index_plus_one(tmp_path: Path) -> None:
    path = pdfgen.make_text_pdf(
        tmp_path / "plain.pdf",
        [[("h1", "Alpha heading"), ("p", "Alpha body text.")], [("h2", "Beta heading"), ("p", "Beta text.")]],
    )
    parsed = parse_pdf(_doc(), path)
    assert [p.number for p in parsed.pages] == [1, 2]
    sections = build_sections(parsed)
    assert [s.path for s in sections] == [["Alpha heading"], ["Alpha heading", "Beta heading"]]


@pytest.mark.parametrize(
    ("builder", "reason"),
    [
        (pdfgen.make_not_a_pdf, "not a PDF"),
        (pdfgen.make_truncated_pdf, "corrupt or truncated"),
        (pdfgen.make_encrypted_pdf, "encrypted"),
        (pdfgen.make_image_only_pdf, "no extractable text"),
    ],
)
def test_bad_input_raises_one_line_corpus_error(tmp_path: Path, builder: object, reason: str) -> None:
    path = builder(tmp_path / "bad.pdf")  # type: ignore[operator]
    with pytest.raises(CorpusError) as info:
        parse_pdf(_doc(), path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert reason in message


def test_missing_file_raises_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="cannot read"):
        parse_pdf(_doc(), tmp_path / "missing.pdf")


def test_empty_file_raises_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(CorpusError, match="not a PDF"):
        parse_pdf(_doc(), path)


def test_table_is_read_row_by_row_and_footer_number_is_the_page(tmp_path: Path) -> None:
    parsed = parse_pdf(_doc(), pdfgen.make_table_pdf(tmp_path / "table.pdf"))
    assert [p.number for p in parsed.pages] == [1, 2, 3]
    text = " ".join(b.text for b in parsed.pages[1].blocks)
    assert "Saige Test Centre" not in text
    positions = []
    for ident, cell, priority in pdfgen.TABLE_ROWS:
        row = [
            text.index(f"{ident}.2"),
            text.index(" ".join(cell)),
            text.index(priority, text.index(cell[1])),
        ]
        assert row == sorted(row), ident
        positions.extend(row)
    assert positions == sorted(positions)


def test_heading_near_the_top_is_not_taken_for_a_running_header(tmp_path: Path) -> None:
    parsed = parse_pdf(_doc(), pdfgen.make_table_pdf(tmp_path / "table.pdf"))
    headings = [b.text for p in parsed.pages for b in p.blocks if b.kind == "heading"]
    assert headings == ["Table page 1 heading", "Table page 2 heading", "Table page 3 heading"]


def test_a_section_number_printed_apart_rejoins_its_heading_but_a_page_number_does_not() -> None:
    from ingest.pdf.headings import attach_number_labels
    from saige.types import Block

    numbered = attach_number_labels(
        [
            Block(text="2.12.", kind="text"),
            Block(text="Value Chain and Component Integration", kind="heading"),
        ]
    )
    assert [b.text for b in numbered] == ["2.12. Value Chain and Component Integration"]
    page_number = attach_number_labels(
        [Block(text="13", kind="text"), Block(text="4.2. Monitor AI system outputs", kind="heading")]
    )
    assert [b.text for b in page_number] == ["13", "4.2. Monitor AI system outputs"]


def _raw_pdf(path: Path, content: bytes) -> Path:
    """A one-page PDF (Helvetica-Bold as F1) whose page content is exactly `content`."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_a_text_matrix_reset_inside_a_word_is_not_a_space(tmp_path: Path) -> None:
    """The NCSC ML principles draw "pr", go back to the previous line's start with Tm and move down with Td
    to draw "ocessed": pypdf reads a line break there ("pr\\nocessed"), but the glyphs touch on one line."""
    width = (0.611 + 0.389) * 10  # "pr" in Helvetica-Bold at 10 pt
    content = (
        b"BT /F1 1 Tf 1.6 TL 10 0 0 10 72 700 Tm (Track metadata that can be ) Tj T* (pr) Tj "
        b"10 0 0 10 72 700 Tm %.3f -1.6 Td (ocessed/parsed by a computer) Tj ET" % (width / 10)
    )
    parsed = parse_pdf(_doc(), _raw_pdf(tmp_path / "tm.pdf", content))
    lines = [ln.text for page in parsed.pages for ln in page.lines]
    assert "processed/parsed by a computer" in lines
    assert "pr ocessed" not in _text(parsed)


def test_page_words_join_a_word_that_pypdf_breaks_with_a_bare_line_break() -> None:
    from ingest.pdf import page_words

    words = page_words("readable by humans and can be \npr\nocessed/parsed by a computer\nNext line")
    assert {"processed", "pr", "ocessed", "humans"} <= words
    assert "computerNext" not in words  # a capitalised next line is a new line, not a word's rest


def test_a_cell_whose_text_ends_in_spaces_stops_at_the_next_column() -> None:
    """DSIT's table cells end in spaces that run on to the next column ("into AI  "): the gap before the
    next column is measured from the last glyph, so the column start still splits the row."""
    from ingest.pdf.lines import segments
    from ingest.pdf.model import Frag

    frags = [
        Frag(x=147.8, y=500.0 - 11.5 * k, x1=210.0, size=10, bold=False, text="threat text") for k in range(3)
    ]
    frags += [
        Frag(x=247.1, y=500.0 - 11.5 * k, x1=400.0, size=10, bold=False, text="measure") for k in range(3)
    ]
    frags += [
        Frag(x=147.8, y=465.5, x1=241.1, size=10, bold=False, text="vulnerabilities into AI  "),
        Frag(x=247.1, y=465.5, x1=613.3, size=10, bold=False, text="2. ML Fraud Detection: Train developers"),
    ]
    lines = {(ln.text, round(ln.x0, 1)) for ln in segments(frags)}
    assert ("vulnerabilities into AI", 147.8) in lines
    assert ("2. ML Fraud Detection: Train developers", 247.1) in lines

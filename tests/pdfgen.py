"""Small test PDFs built with fpdf2, for parser, ingest, bad-input and fuzz tests.

Every builder writes one file and returns its path. Text is placed line by line at fixed positions (no
automatic wrapping), so tests know exactly which words sit on which line, column and page.

- :func:`make_two_column_pdf` - the layout-aware reading fixture: running header and footer on every
  page, printed page numbers (optionally not starting at 1), headings in three sizes (20/15/12 pt bold over
  10 pt body), two columns whose right column is drawn *before* the left one in the content stream, a
  word hyphenated across a line break ("secu-" / "rity") next to a real compound ("third-" / "party"),
  and bullets. The constants below (``LEFT_SENTENCE`` ...) are sentences the tests look for.
- :func:`make_text_pdf` - one column of headings and paragraphs from a simple spec, one page per list.
- :func:`make_table_pdf` - a three-column table with multi-line cells and gaps between rows (read row by
  row, not column by column), with the page number inside the running footer text.
- :func:`make_ligature_pdf` - body text containing ligature glyphs (U+FB01 ...) in an embedded TrueType
  font; returns None when no such font is installed.
- :func:`make_image_only_pdf` - pages with drawings and no text at all.
- :func:`make_blank_page_pdf` - a text page, a page with no text, a text page.
- :func:`make_encrypted_pdf` - a text PDF that needs a user password.
- :func:`make_truncated_pdf` - a valid PDF cut short.
- :func:`make_not_a_pdf` - a text file named ``.pdf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

HEADER_TEXT = "Saige test document - running header"
FOOTER_TEXT = "TLP:CLEAR test footer"
TITLE = "1. Overview of the test system"  # 20 pt bold, level 1
LEFT_HEADING = "Left column heading"  # 15 pt bold, level 2
RIGHT_HEADING = "Right column heading"  # 15 pt bold, level 2
LEFT_SUBHEADING = "Details of the left column"  # 12 pt bold, level 3
LEFT_SENTENCE = "Alpha sentence opens the left column."
LEFT_SUB_SENTENCE = "Gamma sentence sits under the left subheading."
RIGHT_SENTENCE = "Beta sentence opens the right column."
HYPHEN_SENTENCE = "The gateway must enforce security controls at every layer."
COMPOUND_SENTENCE = "Treat imported weights as untrusted third-party code."
BULLETS = ("first bullet about logging", "second bullet about monitoring")
SECOND_PAGE_HEADING = "2. Second section heading"  # 20 pt bold, level 1
SECOND_PAGE_SENTENCE = "Delta sentence is on the second page."

_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)


def _new_pdf() -> Any:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creator("saige tests")
    return pdf


def _running_text(pdf: Any, printed_number: int) -> None:
    """Header, footer and page number at the same positions on every page."""
    pdf.set_font("Helvetica", "", 8)
    pdf.text(56, 30, HEADER_TEXT)
    pdf.text(56, 815, FOOTER_TEXT)
    pdf.set_font("Helvetica", "", 9)
    pdf.text(292, 815, str(printed_number))


def _lines(pdf: Any, x: float, y: float, lines: Sequence[str], size: float = 10, style: str = "") -> float:
    """Write lines top to bottom from baseline y; returns the baseline after the last line."""
    pdf.set_font("Helvetica", style, size)
    for line in lines:
        pdf.text(x, y, line)
        y += size * 1.3
    return y


def make_two_column_pdf(path: Path, *, first_page_number: int = 1, pages: int = 3) -> Path:
    """The layout fixture (see the module docstring). `pages` >= 2; pages after the second repeat the
    running text with one filler paragraph so headers/footers repeat often enough to be recognised."""
    pdf = _new_pdf()
    # Page 1: title across the page, then two columns; the right column is drawn first.
    pdf.add_page()
    _running_text(pdf, first_page_number)
    _lines(pdf, 56, 90, [TITLE], size=20, style="B")
    _lines(
        pdf,
        56,
        122,
        ["This introduction spans the whole width of the page above", "the two columns that follow it."],
    )
    right_x, left_x = 310, 56
    y = _lines(pdf, right_x, 180, [RIGHT_HEADING], size=15, style="B")
    _lines(
        pdf,
        right_x,
        y + 6,
        [
            RIGHT_SENTENCE,
            "It continues with more words so that the",
            "column has several lines of body text.",
            "Monitoring runs on a separate host.",
        ],
    )
    y = _lines(pdf, left_x, 180, [LEFT_HEADING], size=15, style="B")
    y = _lines(
        pdf,
        left_x,
        y + 6,
        [
            LEFT_SENTENCE,
            "The gateway must enforce secu-",
            "rity controls at every layer.",
            "Treat imported weights as untrusted third-",
            "party code.",
        ],
    )
    y = _lines(pdf, left_x, y + 14, [LEFT_SUBHEADING], size=12, style="B")
    y = _lines(pdf, left_x, y + 6, [LEFT_SUB_SENTENCE, "It has a second line of text."])
    for bullet in BULLETS:
        pdf.set_font("Helvetica", "", 10)
        pdf.text(left_x, y + 8, "-")
        pdf.text(left_x + 14, y + 8, bullet)
        y += 14
    # Page 2: a new top-level section.
    pdf.add_page()
    _running_text(pdf, first_page_number + 1)
    _lines(pdf, 56, 90, [SECOND_PAGE_HEADING], size=20, style="B")
    _lines(pdf, 56, 122, [SECOND_PAGE_SENTENCE, "More text follows on this page."])
    for extra in range(2, pages):
        pdf.add_page()
        _running_text(pdf, first_page_number + extra)
        _lines(pdf, 56, 90, [f"Filler paragraph number {extra} with plain body text.", "And one more line."])
    pdf.output(str(path))
    return path


def make_text_pdf(path: Path, pages: Sequence[Sequence[tuple[str, str]]]) -> Path:
    """One column; each page is a list of ("h1"|"h2"|"h3"|"p", text) items laid out top to bottom."""
    sizes = {"h1": (20, "B"), "h2": (15, "B"), "h3": (12, "B"), "p": (10, "")}
    pdf = _new_pdf()
    for items in pages:
        pdf.add_page()
        y = 80.0
        for kind, text in items:
            size, style = sizes[kind]
            y = _lines(pdf, 56, y, [text], size=size, style=style) + (10 if kind != "p" else 6)
    pdf.output(str(path))
    return path


TABLE_ROWS = (
    ("ID-1", ("Encrypt model weights at rest", "and in transit."), "High"),
    ("ID-2", ("Log every prompt and response", "for later review."), "Medium"),
    ("ID-3", ("Rate-limit the public API to", "slow down extraction."), "Low"),
    ("ID-4", ("Review third-party datasets", "before training."), "High"),
)


def make_table_pdf(path: Path, pages: int = 3) -> Path:
    """A table under a heading on every page; footers read "<n>  Saige Test Centre" (number inside text)."""
    pdf = _new_pdf()
    for number in range(1, pages + 1):
        pdf.add_page()
        _lines(pdf, 56, 80, [f"Table page {number} heading"], size=16, style="B")
        _lines(pdf, 56, 110, ["The table below lists the controls for this page."])
        y = 150.0
        for ident, cell, priority in TABLE_ROWS:
            _lines(pdf, 56, y, [f"{ident}.{number}"])
            _lines(pdf, 130, y, list(cell))
            _lines(pdf, 420, y, [priority])
            y += 2 * 13 + 16
        pdf.set_font("Helvetica", "", 9)
        pdf.text(56, 815, f"{number}  Saige Test Centre")
    pdf.output(str(path))
    return path


def find_unicode_font() -> Path | None:
    """A TrueType font with ligature glyphs (DejaVu Sans), or None."""
    for candidate in _FONT_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def make_ligature_pdf(path: Path, lines: Sequence[str]) -> Path | None:
    """Body lines written in an embedded Unicode font, so U+FB01 "fi" etc. stay ligature glyphs."""
    font = find_unicode_font()
    if font is None:
        return None
    pdf = _new_pdf()
    pdf.add_font("DejaVu", "", str(font))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 10)
    y = 80.0
    for line in lines:
        pdf.text(56, y, line)
        y += 13
    pdf.output(str(path))
    return path


def make_image_only_pdf(path: Path, pages: int = 2) -> Path:
    """Pages with filled shapes and no text (like scanned or image-only pages)."""
    pdf = _new_pdf()
    for _ in range(pages):
        pdf.add_page()
        pdf.set_fill_color(40, 90, 160)
        pdf.rect(80, 120, 300, 200, style="F")
    pdf.output(str(path))
    return path


def make_blank_page_pdf(path: Path) -> Path:
    """Page 1 has text, page 2 only a drawing, page 3 text again."""
    pdf = _new_pdf()
    pdf.add_page()
    _lines(pdf, 56, 90, ["First page heading"], size=16, style="B")
    _lines(pdf, 56, 120, ["Text on the first page."])
    pdf.add_page()
    pdf.rect(80, 120, 300, 200, style="F")
    pdf.add_page()
    _lines(pdf, 56, 90, ["Text on the third page."])
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path, user_password: str = "secret") -> Path:
    """A text PDF that cannot be opened without `user_password` (RC4, no extra crypto package needed)."""
    pdf = _new_pdf()
    pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    pdf.add_page()
    _lines(pdf, 56, 90, ["Confidential text."])
    pdf.output(str(path))
    return path


def make_truncated_pdf(path: Path, keep: float = 0.5) -> Path:
    """A valid multi-page PDF cut to the first `keep` fraction of its bytes."""
    make_two_column_pdf(path)
    data = path.read_bytes()
    path.write_bytes(data[: max(16, int(len(data) * keep))])
    return path


def make_not_a_pdf(path: Path) -> Path:
    """A plain text file that carries a .pdf name."""
    path.write_text("This is not a PDF, just text with a misleading name.\n", encoding="utf-8")
    return path

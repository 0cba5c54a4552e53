"""parse_markdown and the text cleanup helpers: headings, cleanup, ligature repair, hyphen joining."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.markdown import markdown_blocks, parse_markdown
from ingest.sections import build_sections
from ingest.text import join_lines, normalize_space, repair_broken_ligatures, repair_ligatures, vocabulary
from saige.errors import CorpusError
from saige.types import Document


def _doc() -> Document:
    return Document(
        id="md-doc",
        title="Markdown test",
        short_title="MD",
        publisher="Saige tests",
        published="2024",
        official_url="https://example.invalid/doc",
        license="test",
        redistributable=True,
        sha256="0" * 64,
        file="doc.md",
        kind="text-extraction",
    )


SAMPLE = """NIST Trustworthy and **Responsible** AI

![0_image_0.png](0_image_0.png)

## Abstract

This report defnes terminology in the feld of adversarial machine learning.

## List Of **Figures**

Figure 1.Taxonomy of attacks on Predictive AI **systems.** . . . . . . . . . 7

## 2. Predictive Ai **Taxonomy** 2.1. Attack **Classifcation**

Attackers have diferent goals.

#### Case study: poisoning

- first bullet item
- second bullet item

## 2.1.1. Stages Of **Learning**

Training and deployment stages.

## B

Backdoor pattern: a trigger.
"""


@pytest.fixture
def parsed(tmp_path: Path) -> object:
    path = tmp_path / "doc.md"
    path.write_text(SAMPLE, encoding="utf-8")
    return parse_markdown(_doc(), path)


def test_one_page_without_number(parsed: object) -> None:
    pages = parsed.pages  # type: ignore[attr-defined]
    assert len(pages) == 1
    assert pages[0].index == 0 and pages[0].number is None


def test_headings_levels_and_cleanup(parsed: object) -> None:
    blocks = parsed.pages[0].blocks  # type: ignore[attr-defined]
    headings = [(b.text, b.level) for b in blocks if b.kind == "heading"]
    assert ("Abstract", 2) in headings
    # Glued numbered headings are split; numbering depth refines the level; ** and "Ai" are cleaned.
    assert ("2. Predictive AI Taxonomy", 2) in headings
    assert ("2.1. Attack Classification", 3) in headings
    assert ("2.1.1. Stages Of Learning", 4) in headings
    assert ("Case study: poisoning", 4) in headings
    assert all(text != "B" for text, _ in headings)  # a one-letter glossary heading is not structure
    texts = [b.text for b in blocks]
    assert "NIST Trustworthy and Responsible AI" in texts
    assert not any("image" in t or "**" in t for t in texts)
    assert not any(". . ." in t for t in texts)  # the mangled list of figures is dropped


def test_bullets_are_separate_blocks(parsed: object) -> None:
    texts = [b.text for b in parsed.pages[0].blocks]  # type: ignore[attr-defined]
    assert "\u2022 first bullet item" in texts and "\u2022 second bullet item" in texts


def test_sections_follow_markdown_headings(parsed: object) -> None:
    sections = build_sections(parsed)  # type: ignore[arg-type]
    by_text = {s.heading: s for s in sections}
    assert (
        by_text["Abstract"].text
        == "This report defines terminology in the field of adversarial machine learning."
    )
    poisoning = by_text["Case study: poisoning"]
    assert poisoning.path == [
        "2. Predictive AI Taxonomy",
        "2.1. Attack Classification",
        "Case study: poisoning",
    ]
    stages = by_text["2.1.1. Stages Of Learning"]
    assert stages.path == [
        "2. Predictive AI Taxonomy",
        "2.1. Attack Classification",
        "2.1.1. Stages Of Learning",
    ]
    assert "Backdoor pattern: a trigger." in stages.text  # the glossary letter merged into the section before
    assert all(s.page_start is None for s in sections)


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("Artifcial Intelligence", "Artificial Intelligence"),
        ("identifed and identifes", "identified and identifies"),
        ("it defnes the defnition", "it defines the definition"),
        ("classifers and classifcation", "classifiers and classification"),
        ("specifc, signifcant, confdence", "specific, significant, confidence"),
        ("effcient and diffcult", "efficient and difficult"),
        ("the frst feld", "the first field"),
        ("label fipping has infuence", "label flipping has influence"),
        ("fne-tuning and fnancial", "fine-tuning and financial"),
        ("Tradeofs and benefts", "Tradeoffs and benefits"),
    ],
)
def test_broken_ligatures_are_repaired(broken: str, fixed: str) -> None:
    assert repair_broken_ligatures(broken) == fixed


@pytest.mark.parametrize(
    "correct",
    [
        "often after software drift offers different effective",
        "identify the workflow and the overflow flag",
        "Jennifer Gaffney proofs roofs of Microsoft",
        "first field final file find flows flip",
        "out-of-distribution defect deficient proficient",
        "artifact artificial classification",
    ],
)
def test_correct_words_are_left_alone(correct: str) -> None:
    assert repair_broken_ligatures(correct) == correct


def test_ligature_glyphs_and_spaces() -> None:
    assert (
        repair_ligatures("\ufb01ne \ufb02ow e\ufb00ect e\ufb03cient ba\ufb04e")
        == "fine flow effect efficient baffle"
    )
    assert normalize_space("a\u00a0 b\u200b c\tdef\x07") == "a b c def"
    assert normalize_space("co\u00adoperate") == "cooperate"


def test_join_lines_hyphenation() -> None:
    assert (
        join_lines(["the system must enforce secu-", "rity controls"])
        == "the system must enforce security controls"
    )
    assert join_lines(["untrusted third-", "party code"]) == "untrusted third-party code"
    assert join_lines(["AI-", "specific risks"]) == "AI-specific risks"
    assert join_lines(["a plain", "wrap"]) == "a plain wrap"
    # The document's own vocabulary decides: "re-quires" is a hyphenation, "re-identification" a compound.
    vocab = vocabulary(["it requires care", "re-identification attacks"])
    assert join_lines(["it re-", "quires care"], vocab) == "it requires care"
    assert join_lines(["data re-", "identification"], vocab) == "data re-identification"


def test_bad_markdown_input(tmp_path: Path) -> None:
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(CorpusError, match="not a text file"):
        parse_markdown(_doc(), binary)
    latin = tmp_path / "latin.md"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(CorpusError, match="not UTF-8"):
        parse_markdown(_doc(), latin)
    empty = tmp_path / "empty.md"
    empty.write_text("# Only a heading\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no text"):
        parse_markdown(_doc(), empty)
    with pytest.raises(CorpusError, match="cannot read"):
        parse_markdown(_doc(), tmp_path / "missing.md")


def test_table_rows_become_text() -> None:
    blocks = markdown_blocks("## Data\n\n| Name | Value |\n|---|---|\n| alpha | 1 |\n")
    assert [b.text for b in blocks if b.kind == "text"] == ["Name | Value", "alpha | 1"]

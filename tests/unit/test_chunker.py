"""The chunker on hand-built Sections, with a whitespace token counter."""

from __future__ import annotations

import itertools
import re

import pytest

from ingest.chunker import chunk_sections
from saige.types import Block, Chunk, Document, Page, Section


def words(text: str) -> int:
    return len(text.split())


DOC = Document(
    id="doc-a",
    title="A test document",
    short_title="Test",
    publisher="Tests",
    published="2024",
    official_url="https://example.org/a.pdf",
    license="test",
    redistributable=False,
    sha256="0" * 64,
    file="a.pdf",
    kind="pdf",
)


def sentences(tag: str, n: int, start: int = 0) -> list[str]:
    return [
        f"Sentence {tag}{i} explains one control that teams apply to model {tag}." for i in range(start, n)
    ]


def section(
    path: list[str], text: str, order: int = 0, pages: tuple[int | None, int | None] = (1, 1)
) -> Section:
    return Section(
        doc_id=DOC.id,
        heading=path[-1],
        path=path,
        stage="Secure design",
        page_start=pages[0],
        page_end=pages[1],
        text=text,
        order=order,
    )


def chunk(sections: list[Section], max_tokens: int = 60, overlap: int = 12, **kw: object) -> list[Chunk]:
    return chunk_sections(sections, DOC, max_tokens=max_tokens, overlap=overlap, count_tokens=words, **kw)  # type: ignore[arg-type]


def test_chunks_never_cross_a_section() -> None:
    a = section(["Part 1", "Alpha"], " ".join(sentences("a", 20)), order=0)
    b = section(["Part 1", "Beta"], " ".join(sentences("b", 20)), order=1)
    chunks = chunk([a, b])
    assert {c.section for c in chunks} == {"Alpha", "Beta"}
    for c in chunks:
        own = a if c.section == "Alpha" else b
        assert c.text in own.text
        assert c.section_path == own.path
        assert c.section_order == own.order
        other_tag = "b" if own is a else "a"
        assert f"Sentence {other_tag}" not in c.text
    # every sentence of both sections is in some chunk: nothing lost
    for s in [*sentences("a", 20), *sentences("b", 20)]:
        assert any(s in c.text for c in chunks), s


@pytest.mark.parametrize("max_tokens", [32, 60, 128, 256])
def test_token_budget_includes_the_section_path(max_tokens: int) -> None:
    long_sentence = " ".join(f"word{i}" for i in range(300))  # no punctuation: split on words
    sec = section(
        ["A rather long part heading", "A guideline heading"],
        " ".join(sentences("x", 30)) + " " + long_sentence,
    )
    chunks = chunk([sec], max_tokens=max_tokens, overlap=8)
    assert len(chunks) > 1
    for c in chunks:
        assert words(c.embed_text) <= max_tokens
    assert any("word299" in c.text for c in chunks)
    assert any("word0 " in c.text for c in chunks)


def test_consecutive_chunks_of_a_section_overlap_by_whole_sentences() -> None:
    sents = sentences("o", 30)
    chunks = chunk([section(["S"], " ".join(sents))], max_tokens=60, overlap=12)
    assert len(chunks) >= 3
    for prev, nxt in itertools.pairwise(chunks):
        last_sentence = [s for s in sents if prev.text.endswith(s)]
        assert last_sentence, prev.text
        assert nxt.text.startswith(last_sentence[0])
        # the overlap is small: the next chunk brings new sentences
        assert len(nxt.text) > len(last_sentence[0]) + 10


def test_no_overlap_when_zero() -> None:
    sents = sentences("z", 30)
    chunks = chunk([section(["S"], " ".join(sents))], max_tokens=60, overlap=0)
    total = sum(sum(1 for s in sents if s in c.text) for c in chunks)
    assert total == len(sents)


def test_chunk_text_is_whole_sentences() -> None:
    sents = sentences("w", 25)
    chunks = chunk([section(["S"], " ".join(sents))], max_tokens=50, overlap=10)
    for c in chunks:
        assert c.text.startswith("Sentence ")
        assert c.text.endswith(".")


def test_bullets_are_units() -> None:
    text = "Teams should do the following:\n" + "\n".join(
        f"\u2022 bullet {i} asks for logging of model inputs and outputs" for i in range(20)
    )
    chunks = chunk([section(["S"], text)], max_tokens=40, overlap=8)
    assert len(chunks) > 2
    for c in chunks:
        for line in c.text.split("\n"):
            assert line.startswith("\u2022") or line.startswith("Teams")
            assert line.endswith("outputs") or line.endswith(":")


def test_small_tail_is_merged_into_previous_chunk() -> None:
    # 5 sentences of 11 words: the budget fits 4 plus the path, leaving a 1-sentence tail to merge
    text = " ".join(sentences("t", 5)) + " Short end."
    chunks = chunk([section(["S"], text)], max_tokens=60, overlap=0)
    assert chunks[-1].text.endswith("Short end.")
    assert words(chunks[-1].text) > 2
    for c in chunks:
        assert words(c.embed_text) <= 60


def test_ids_are_stable_unique_and_local_to_changes() -> None:
    a = section(["Alpha"], " ".join(sentences("a", 20)), order=0)
    b = section(["Beta"], " ".join(sentences("b", 20)), order=1)
    first = chunk([a, b])
    again = chunk([a.model_copy(), b.model_copy()])
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    changed_b = b.model_copy(update={"text": b.text.replace("Sentence b3 ", "Sentence b3 now ")})
    third = chunk([a, changed_b])
    ids_a = {c.chunk_id for c in first if c.section == "Alpha"}
    assert ids_a == {c.chunk_id for c in third if c.section == "Alpha"}
    assert {c.chunk_id for c in first if c.section == "Beta"} != {
        c.chunk_id for c in third if c.section == "Beta"
    }


def test_duplicate_sections_get_distinct_ids() -> None:
    text = " ".join(sentences("d", 3))
    chunks = chunk([section(["Intro"], text, order=0), section(["Intro"], text, order=5)])
    assert len(chunks) == 2
    assert chunks[0].chunk_id != chunks[1].chunk_id


def test_metadata_is_carried() -> None:
    chunks = chunk([section(["Secure design", "Model the threats"], " ".join(sentences("m", 3)), order=7)])
    c = chunks[0]
    assert (c.doc_id, c.doc_title, c.section, c.stage, c.section_order, c.ordinal) == (
        "doc-a",
        "A test document",
        "Model the threats",
        "Secure design",
        7,
        0,
    )
    assert c.embed_text.startswith("Secure design > Model the threats\n")


def test_empty_section_has_no_chunks() -> None:
    assert chunk([section(["Empty"], "   \n ")]) == []


def test_without_pages_each_chunk_gets_the_section_range() -> None:
    chunks = chunk([section(["S"], " ".join(sentences("r", 30)), pages=(4, 6))])
    assert all((c.page_start, c.page_end) == (4, 6) for c in chunks)


def test_page_ranges_follow_the_text_of_each_chunk() -> None:
    # A section running over printed pages 3, 4 and 5; each page has two paragraphs (blocks).
    pages: list[Page] = []
    paragraphs: list[str] = []
    for index, number in enumerate([3, 4, 5]):
        blocks = []
        for para in range(2):
            text = " ".join(
                f"Page{number} paragraph{para} sentence{i} describes a distinct safeguard here."
                for i in range(4)
            )
            blocks.append(Block(text=text))
            paragraphs.append(text)
        pages.append(Page(doc_id=DOC.id, index=index + 10, number=number, blocks=blocks))
    # a page before the section and a running header that is not part of the section
    pages[0].blocks.insert(0, Block(text="Earlier section text that should not be matched at all"))
    pages[1].blocks.insert(0, Block(text="Running header of the document"))
    sec = section(["Long section"], "\n".join(paragraphs), pages=(3, 5))
    chunks = chunk([sec], max_tokens=45, overlap=8, pages=pages)
    assert len(chunks) >= 6
    for c in chunks:
        on = [int(m) for m in re.findall(r"Page(\d)", c.text)]
        assert (c.page_start, c.page_end) == (min(on), max(on)), c.text
    assert {c.page_start for c in chunks} == {3, 4, 5}
    assert any(c.page_start != c.page_end for c in chunks)


def test_markdown_sections_without_pages() -> None:
    chunks = chunk([section(["S"], " ".join(sentences("n", 10)), pages=(None, None))])
    assert all(c.page_start is None and c.page_end is None for c in chunks)
    assert chunks[0].pages_label == ""


def test_a_single_word_over_the_budget_is_cut() -> None:
    def pieces(text: str) -> int:  # every "x" is a token, like a tokenizer on a long unbroken string
        return len(text.split()) + text.count("x")

    text = "Blob\nStart" + "x" * 400 + " 9\nThen" + "x" * 300 + " 12"
    chunks = chunk_sections([section(["Blob"], text)], DOC, max_tokens=60, overlap=0, count_tokens=pieces)
    assert len(chunks) > 10
    assert all(pieces(c.embed_text) <= 60 for c in chunks)
    assert "".join(c.text for c in chunks).count("x") == 700


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = " ".join(f"Rule {i} says \u201cverify each model artefact before use.\u201d" for i in range(30))
    chunks = chunk([section(["Quotes"], text)], max_tokens=40, overlap=10)
    assert len(chunks) > 3
    for c in chunks:
        assert c.text.startswith("Rule ")
        assert c.text.endswith(".\u201d")
        assert c.text.count("\u201c") == c.text.count("\u201d")


def test_contents_dot_leaders_are_not_indexed() -> None:
    toc = "\n".join(f"Chapter {i} {'.' * 80} {i * 3}" for i in range(1, 30))
    chunks = chunk([section(["Contents"], toc), section(["Body"], " ".join(sentences("k", 3)), order=1)])
    assert [c.section for c in chunks] == ["Body"]
    assert chunks[0].ordinal == 0

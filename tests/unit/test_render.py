"""Terminal rendering: tables and answers, with document text never read as rich markup."""

from __future__ import annotations

from rich.console import Console

from saige.render import citation_line, print_answer, print_hits, stream_text, terminal_text
from saige.types import Answer, Citation, Hit
from tests.fakes import tiny_chunks


def console(width: int = 400) -> Console:
    return Console(record=True, width=width, color_system=None, force_terminal=False)


def test_print_hits_shows_rank_score_document_section_pages_and_snippet() -> None:
    chunk = tiny_chunks()[0].model_copy(
        update={"text": "Watch for [bold red]markup[/bold red] and [link=x]links[/link]."}
    )
    out = console()
    print_hits("staff awareness", [Hit(chunk=chunk, rank=1, score=0.0325)], console=out)
    text = out.export_text()
    assert "Search: staff awareness" in text
    assert "0.0325" in text and "Guidelines for secure AI" in text
    assert "Secure design › Raise staff awareness of threats and risks" in text
    assert "p. 11" in text
    assert "[bold red]markup[/bold red]" in text  # shown literally, not interpreted


def test_print_hits_with_no_results() -> None:
    out = console()
    print_hits("nothing", [], console=out)
    assert "No results for: nothing" in out.export_text()


def test_print_answer_lists_citations_under_the_answer() -> None:
    citation = Citation(
        n=1,
        chunk_id="c1",
        doc_id="d",
        doc_title="Guidelines for secure AI system development",
        section="Secure your supply chain",
        section_path=["Secure development", "Secure your supply chain"],
        stage="Secure development",
        page_start=13,
        page_end=14,
        quote="You assess [red]and[/red] monitor\nthe security of your AI supply chains.",
        url="https://example.org/g.pdf#page=13",
    )
    answer = Answer(
        question="q",
        answer="**Secure development › Secure your supply chain**\n- Assess suppliers [1]\n- &lt;script&gt;",
        citations=[citation],
        resolved_query="supply chain at deployment",
        warnings=["removed citation [9]: no source [9]"],
    )
    out = console()
    print_answer(answer, console=out)
    text = out.export_text()
    assert "(searched for: supply chain at deployment)" in text
    assert "Secure development › Secure your supply chain" in text and "Assess suppliers [1]" in text
    assert "<script>" in text and "&lt;" not in text  # entity shown as the character, never as markup
    assert "Sources" in text
    line = citation_line(citation)
    assert line == (
        "[1] Guidelines for secure AI system development — Secure development › Secure your supply chain — "
        "pp. 13-14 — \u201cYou assess [red]and[/red] monitor the security of your AI supply chains.\u201d — "
        "https://example.org/g.pdf#page=13"
    )
    assert "[red]and[/red]" in text
    assert "warning: removed citation [9]" in text


def test_control_sequences_in_untrusted_text_never_reach_the_terminal() -> None:
    """ANSI escapes, carriage returns, bell and bidi overrides in answer, quote, warning or document text
    are dropped (rich itself passes ESC through to the terminal)."""
    evil = "\x1b[2J\x1b[31mred\x1b[0m\r over\x07 \u202eevil\x9b"
    citation = Citation(
        n=1,
        chunk_id="c1",
        doc_id="d",
        doc_title="Doc " + evil,
        section="S",
        section_path=["S"],
        quote="Quote " + evil,
        url="https://example.org/g.pdf#page=1",
    )
    answer = Answer(question="q", answer="Answer " + evil + " [1]", citations=[citation], warnings=[evil])
    chunk = tiny_chunks()[0].model_copy(update={"text": "Chunk " + evil})
    for show in (
        lambda out: print_answer(answer, console=out),
        lambda out: print_hits("q " + evil, [Hit(chunk=chunk, rank=1, score=0.5)], console=out),
    ):
        out = Console(record=True, width=400, color_system=None, force_terminal=False)
        show(out)
        text = out.export_text()
        assert "red" in text and "evil" in text
        assert not any(ch in text for ch in "\x1b\r\x07\u202e\x9b"), repr(text)


def test_terminal_text_keeps_newlines_and_tabs() -> None:
    assert terminal_text("a\r\nb\tc\x1b[1Ad\n") == "a\nb\tc[1Ad\n"
    assert stream_text("&lt;b&gt;x\x1b") == "<b>x"

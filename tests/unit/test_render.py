"""Terminal rendering: tables and answers, with document text never read as rich markup."""

from __future__ import annotations

from rich.console import Console

from saige.render import citation_line, print_answer, print_hits
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

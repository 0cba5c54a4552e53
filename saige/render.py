"""Terminal output for `saige search` and `saige ask` (rich). Document text is never read as rich markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from saige.types import Answer, Citation, Hit


def _console(console: Console | None) -> Console:
    return console or Console(highlight=False, soft_wrap=False)


def _pages(page_start: int | None, page_end: int | None) -> str:
    if page_start is None:
        return ""
    if page_end is None or page_end == page_start:
        return f"p. {page_start}"
    return f"pp. {page_start}-{page_end}"


def _where(stage: str | None, section_path: Sequence[str], section: str) -> str:
    from retrieval.answer import path_label

    return path_label(stage, section_path, section)


def snippet(text: str, width: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def print_hits(query: str, hits: Sequence[Hit], console: Console | None = None) -> None:
    """A table of ranked hits: rank, score, document, stage › section, pages, text snippet."""
    out = _console(console)
    table = Table(title=Text(f"Search: {query}"), show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("document", ratio=2)
    table.add_column("stage › section", ratio=3)
    table.add_column("pages", no_wrap=True)
    table.add_column("text", ratio=6)
    for h in hits:
        c = h.chunk
        table.add_row(
            str(h.rank),
            f"{h.score:.4f}",
            Text(c.doc_title),
            Text(_where(c.stage, c.section_path, c.section)),
            Text(_pages(c.page_start, c.page_end)),
            Text(snippet(c.text)),
        )
    if not hits:
        out.print(Text(f"No results for: {query}"))
        return
    out.print(table)


def citation_line(c: Citation) -> str:
    """[n] title — stage › section — pages — "quote" — url (plain text)."""
    parts = [f"[{c.n}] {c.doc_title}", _where(c.stage, c.section_path, c.section)]
    pages = _pages(c.page_start, c.page_end)
    if pages:
        parts.append(pages)
    parts.append(f"\u201c{' '.join(c.quote.split())}\u201d")
    if c.url:
        parts.append(c.url)
    return " — ".join(parts)


def print_answer(answer: Answer, console: Console | None = None) -> None:
    """The Markdown answer, then the citations list under it. HTML in the answer is shown as text."""
    from rich.markdown import Markdown

    out = _console(console)
    if answer.resolved_query:
        out.print(Text(f"(searched for: {answer.resolved_query})", style="dim"))
    out.print(Markdown(answer.answer, hyperlinks=False))
    if answer.citations:
        out.print()
        out.print(Text("Sources", style="bold"))
        for c in answer.citations:
            out.print(Text(citation_line(c)))
    for w in answer.warnings:
        out.print(Text(f"warning: {w}", style="yellow"))


__all__ = ["citation_line", "print_answer", "print_hits", "snippet"]

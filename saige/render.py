"""Terminal output for `saige search` and `saige ask` (rich).

Document and model text is untrusted: it is never read as rich markup (it goes in as `Text`, or as Markdown,
which rich does not read as markup either), and terminal control characters (ANSI escape sequences, carriage
returns, bidirectional overrides) are dropped from it, so it cannot recolour, move the cursor or clear the
screen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from saige.types import Answer, Citation, Hit

# C0 controls but tab and newline (ESC starts ANSI sequences; CR overwrites a line), DEL, C1 controls (CSI),
# and the bidirectional embeddings, overrides and isolates that reorder how a line reads.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """Untrusted text safe to write to a terminal: control characters dropped (CRLF becomes a newline)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


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
    table = Table(title=Text(terminal_text(f"Search: {query}")), show_lines=True, expand=True)
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
            Text(terminal_text(c.doc_title)),
            Text(terminal_text(_where(c.stage, c.section_path, c.section))),
            Text(_pages(c.page_start, c.page_end)),
            Text(terminal_text(snippet(c.text))),
        )
    if not hits:
        out.print(Text(terminal_text(f"No results for: {query}")))
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
    _print_searched_for(out, answer)
    out.print(Markdown(terminal_text(answer.answer), hyperlinks=False))
    _print_sources(out, answer)


def _print_searched_for(out: Console, answer: Answer) -> None:
    if answer.resolved_query:
        out.print(Text(terminal_text(f"(searched for: {answer.resolved_query})"), style="dim"))


def _print_sources(out: Console, answer: Answer) -> None:
    if answer.citations:
        out.print()
        out.print(Text("Sources", style="bold"))
        for c in answer.citations:
            out.print(Text(terminal_text(citation_line(c))))
    for w in answer.warnings:
        out.print(Text(terminal_text(f"warning: {w}"), style="yellow"))


# --- an LLM answer streamed to the terminal ------------------------------------------------------------

Outcome = Literal["stands", "changed", "replaced", "withheld"]

STREAMING = "streaming the model's answer; it is checked against the sources when complete:"
STANDS = "checked: the streamed answer above stands"
HEADINGS: dict[Outcome, str] = {
    "changed": "CHECKED ANSWER: the citation check changed the streamed text above (see the warnings). "
    "This is the answer:",
    "replaced": "REPLACED: the streamed text above cites none of the retrieved sources, so it is not the "
    "answer. The extractive answer from the same sources:",
    "withheld": "WITHHELD: the streamed text above began to repeat Saige's instructions; it is not an answer:",
}
STOPPED = "stopped: the streamed text above was never checked against the sources; it is not an answer"


def stream_text(delta: str) -> str:
    """A streamed delta as terminal text: control characters dropped, and the `&lt;`/`&gt;` the engine puts
    in place of angle brackets shown as the characters (as the Markdown of the final answer shows them)."""
    return terminal_text(delta).replace("&lt;", "<").replace("&gt;", ">")


def _flat(text: str) -> str:
    return " ".join(text.split())


def stream_outcome(streamed: str, answer: Answer) -> Outcome:
    """What became of the streamed text once the answer was checked."""
    from retrieval.llm import REFUSAL

    if answer.mode != "llm":
        return "replaced"  # ungrounded LLM output fell back to the extractive answer
    if answer.answer == REFUSAL and _flat(streamed) != _flat(REFUSAL):
        return "withheld"
    return "stands" if _flat(streamed) == _flat(answer.answer) else "changed"


class AnswerStream:
    """Prints an answer's text deltas as they arrive (plain text, flushed one by one), then its checked form.

    When the checks leave the streamed text as it is, only the sources and warnings follow it. Otherwise a
    marked heading says what happened (changed, replaced by the extractive answer, withheld) and the checked
    answer is printed in full under it, so the unchecked text is never the last word.
    """

    def __init__(self, console: Console | None = None) -> None:
        self.out = _console(console)
        self.streamed = ""

    def delta(self, text: str) -> None:
        if not self.streamed:
            self.out.print(Text(STREAMING, style="dim"))
        self.streamed += text
        self.out.file.write(stream_text(text))
        self.out.file.flush()

    def _end_line(self) -> None:
        if not self.streamed.endswith("\n"):
            self.out.file.write("\n")
        self.out.print()

    def finish(self, answer: Answer) -> Outcome | None:
        """The checked answer after the stream; None when nothing was streamed (printed as usual)."""
        if not self.streamed:
            print_answer(answer, console=self.out)
            return None
        self._end_line()
        outcome = stream_outcome(self.streamed, answer)
        if outcome == "stands":
            self.out.print(Text(STANDS, style="dim"))
            _print_searched_for(self.out, answer)
            _print_sources(self.out, answer)
        else:
            self.out.print(Text(HEADINGS[outcome], style="bold yellow"))
            print_answer(answer, console=self.out)
        return outcome

    def abort(self) -> None:
        """The stream failed or was interrupted: say that what was shown is unchecked."""
        if self.streamed:
            self._end_line()
            self.out.print(Text(STOPPED, style="bold yellow"))
            self.out.file.flush()


__all__ = [
    "AnswerStream",
    "citation_line",
    "print_answer",
    "print_hits",
    "snippet",
    "stream_outcome",
    "stream_text",
    "terminal_text",
]

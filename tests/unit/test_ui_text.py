"""Markdown-safe rendering for the app (saige/ui/text.py) and the conversation export."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from saige.types import Answer, Citation
from saige.ui.conversation import ChatEntry, conversation_markdown, history
from saige.ui.text import answer_markdown, escape_block, escape_md, highlight_segments, highlighted_markdown

CIT = Citation(
    n=1,
    chunk_id="c",
    doc_id="g",
    doc_title="Guidelines",
    section="Protect your model continuously",
    section_path=["3. Secure deployment", "Protect your model continuously"],
    stage="Secure deployment",
    page_start=14,
    page_end=14,
    quote="You protect the model.",
    url="https://example.org/g.pdf#page=14",
)


def _unescape(md: str) -> str:
    return re.sub(r"\\(.)", r"\1", md)


def test_escape_md_makes_every_markup_character_literal() -> None:
    hostile = '<script>x()</script> <img src=x onerror="y"> [a](javascript:z) **b** :red[c] $d$ `e` # f'
    md = escape_md(hostile)
    assert re.search(r"(?<!\\)[<>\[\]()*`#$:]", md) is None
    assert _unescape(md) == hostile


def test_escape_block_keeps_paragraphs_and_puts_inline_bullets_on_lines() -> None:
    md = escape_block("Intro by: • one • two\n\nNext para")
    assert md.split("\n\n") == ["Intro by\\:", "• one", "• two", "Next para"]


def test_answer_markdown_links_markers_and_keeps_bold_and_bullets() -> None:
    text = (
        "Guidelines addresses this under **Secure deployment**.\n\n"
        "**Protect** — p\\. 14\n- You protect it. [1]\n- Other [7] &lt;b&gt;"
    )
    md = answer_markdown(text, [CIT], turn=3)
    title = "Guidelines — Secure deployment › Protect your model continuously — p. 14"
    assert f'[\\[1\\]](#source-3-1 "{title}")' in md
    assert "**Secure deployment**" in md
    assert "\n- You protect it\\. [" in md
    assert "\\[7\\]" in md  # a marker without a citation stays plain text
    assert "\\<b\\>" in md and "<b>" not in md
    # without a turn, markers link to the official page
    assert "(https://example.org/g.pdf#page=14 " in answer_markdown("x [1]", [CIT])
    # an unbalanced ** is shown literally, never left open
    assert answer_markdown("a ** b") == "a \\*\\* b"


def test_highlight_matches_across_line_breaks_and_case() -> None:
    text = "Attackers may act.\nYou protect the\nmodel. Other text."
    segments = highlight_segments(text, ["you protect the model"])
    assert [s.text for s in segments if s.highlighted] == ["You protect the\nmodel."]  # its full stop too
    md, count = highlighted_markdown(text, ["You protect the model."])
    assert count == 1
    assert ":orange-background[**You protect the model\\.**]" in md
    assert highlighted_markdown("nothing here", ["absent quote"])[1] == 0


def test_conversation_export_and_history() -> None:
    answer = Answer(question="How?", answer="You protect it. [1]", citations=[CIT])
    entries = [
        ChatEntry(question="How?", answer=answer, stage="Secure deployment"),
        ChatEntry(question="Too long", error="Your question is too long."),
    ]
    md = conversation_markdown(entries, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert md.startswith("# Saige conversation\n\nExported 2026-01-01T00:00:00+00:00.")
    assert "## 1. How?" in md and "_Filters: stage: Secure deployment_" in md
    source = "1. Guidelines — Secure deployment › Protect your model continuously — p. 14"
    assert f"{source} - <https://example.org/g.pdf#page=14>" in md
    assert "   > You protect the model." in md
    assert "_Not answered: Your question is too long._" in md
    assert [t.role for t in history(entries)] == ["user", "assistant"]

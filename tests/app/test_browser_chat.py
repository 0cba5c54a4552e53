"""The chat holds the thread, in a real Chromium: ask, "Expand on the first point.", "Which stage is that
in?" stay on the first answer's guideline; clicking [2] brings source 2 into view."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.test_browser import (  # noqa: F401  (fixtures shared with the other browser tests)
    GUIDELINE_HEADINGS,
    ask,
    browser,
    page,
    served_settings,
    server,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IN_VIEW = """(id) => {
    const el = document.getElementById(id);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
}"""


def _answer(pg: Any, turn: int) -> str:
    pg.get_by_text(f"Sources for answer {turn}").wait_for()
    text: str = pg.get_by_test_id("stChatMessage").nth(2 * turn - 1).inner_text()
    return text


def test_follow_ups_hold_the_thread_and_markers_land_on_their_source(page: Any) -> None:  # noqa: F811
    ask(page, "How do we secure our AI supply chain?")
    first = _answer(page, 1)
    lead = next(line for line in first.splitlines() if "answers this under" in line)
    guideline = next(h for h in GUIDELINE_HEADINGS if h in lead)

    ask(page, "Expand on the first point.")
    second = _answer(page, 2)
    more = next(line for line in second.splitlines() if line.startswith("More on"))
    assert guideline in more, second[:300]
    assert "does not cover" not in second

    ask(page, "Which stage is that in?")
    third = _answer(page, 3)
    stage_line = next((line for line in third.splitlines() if "That is in the" in line), "")
    assert guideline in stage_line, third[:300]
    shot(page, "chat-follow-ups")

    marker = page.get_by_test_id("stChatMessage").nth(1).locator('a[href="#source-1-2"]').first
    assert marker.count() == 1
    page.get_by_test_id("stChatInput").scroll_into_view_if_needed()
    marker.click()
    page.wait_for_function(IN_VIEW, arg="source-1-2", timeout=10_000)
    heading = page.locator("#source-1-2")
    assert heading.inner_text().startswith("[2]")
    shot(page, "chat-source-2")

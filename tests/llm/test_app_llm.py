"""The app with the real LLM, in a real Chromium: `saige serve` pointed at llama-cpp-python's server, LLM mode
chosen in the sidebar; the answer streams into the chat (model text behind the typing cursor before the
checked answer settles: the model's own, or the extractive one it fell back to) and whatever the model
wrote, nothing of it is rendered as HTML."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from saige.settings import Settings
from tests.app.test_browser import ask, browser, serve, shot  # noqa: F401
from tests.llm.conftest import LLMServer

pytestmark = [pytest.mark.llm, pytest.mark.slow, pytest.mark.browser]

QUESTION = "How do we secure our AI supply chain?"
CURSOR = "▌"


@pytest.fixture(scope="module")
def llm_app(llm_server: LLMServer, llm_index: Settings) -> Iterator[str]:
    with serve(llm_index, extra_env=llm_server.env(llm_index)) as url:
        yield url


def test_the_app_streams_the_real_answer_and_renders_no_html(
    browser: Any,  # noqa: F811
    llm_app: str,
    llm_server: LLMServer,
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(300_000)
    try:
        page.goto(llm_app)
        page.get_by_text("Try asking").wait_for()
        page.get_by_test_id("stSidebar").get_by_text(f"LLM: {llm_server.model} (openai)").click()
        page.wait_for_timeout(1000)
        ask(page, QUESTION)
        reply = page.get_by_test_id("stChatMessage").nth(1)
        # streaming: model text is on the page, behind the typing cursor, before the final answer
        page.wait_for_function(
            """(cursor) => {
                const m = document.querySelectorAll('[data-testid=stChatMessage]')[1];
                if (!m) return false;
                const t = m.innerText;
                return t.includes(cursor) && t.replace(cursor, '').trim().length > 0;
            }""",
            arg=CURSOR,
        )
        streaming = reply.inner_text()
        during = reply.locator("[data-testid=stMarkdownContainer]")
        assert during.locator("answer, img, script, iframe, [onerror]").count() == 0
        shot(page, "llm-streaming")
        reply.get_by_text("answer", exact=False).last.wait_for()
        page.wait_for_function(
            "(c) => !document.querySelectorAll('[data-testid=stChatMessage]')[1].innerText.includes(c)",
            arg=CURSOR,
        )
        page.wait_for_function(  # the settled answer is redrawn after the stream: wait for its mode line
            "() => /LLM answer|extractive answer/.test("
            "document.querySelectorAll('[data-testid=stChatMessage]')[1]?.innerText ?? '')"
        )
        final = reply.inner_text()
        shot(page, "llm-answer")
        assert streaming.replace(CURSOR, "").strip(), "streamed text was shown"
        assert "LLM answer" in final or "extractive answer" in final, final[-500:]
        # nothing the model wrote became markup (SmolLM2 likes to open with a literal "<answer>" tag)
        shown = page.locator("[data-testid=stChatMessage] [data-testid=stMarkdownContainer]")
        assert shown.locator("answer, img, script, iframe, object, embed, b, u, font, [onerror]").count() == 0
        if "Sources for answer 1" in final:
            markers = reply.locator('a[href^="#source-1-"]')
            assert markers.count() >= 1
            for i in range(markers.count()):
                target = markers.nth(i).get_attribute("href") or ""
                assert page.locator(target).count() == 1  # each [n] lands on its listed source
    finally:
        context.close()

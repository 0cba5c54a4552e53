"""Five browser sessions ask different questions at the same time against one `saige serve`: no cross-talk.

Real Chromium through playwright, five isolated browser contexts (five Streamlit sessions sharing one
cached engine in the server). Server, browser and helpers come from tests/app/test_browser.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.app.test_browser import ask, browser, served_settings, server, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTIONS = [
    "How do we secure our AI supply chain?",
    "How should we model the threats to our AI system?",
    "What access controls should protect our models, APIs and data?",
    "How should logs of an AI system be protected?",
    "What should we document about our models, datasets and prompts?",
]
DONE = re.compile(r"Sources for answer 1|does not cover")


def open_session(browser: Any, server: str) -> tuple[Any, Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(240_000)
    page.goto(server)
    page.get_by_text("Try asking").wait_for()
    page.get_by_test_id("stChatInputTextArea").wait_for()
    return context, page


def test_five_sessions_at_once_see_only_their_own_conversation(browser: Any, server: str) -> None:  # noqa: F811
    sessions = [open_session(browser, server) for _ in QUESTIONS]
    try:
        # submit all five before waiting for any: the server answers them concurrently
        for (_, page), question in zip(sessions, QUESTIONS, strict=True):
            ask(page, question)
        for n, ((_, page), question) in enumerate(zip(sessions, QUESTIONS, strict=True)):
            page.get_by_text(DONE).first.wait_for()
            messages = page.get_by_test_id("stChatMessage")
            assert messages.count() == 2, f"session {n}: {messages.count()} messages"
            assert question in messages.nth(0).inner_text()
            # the conversation (the starter questions elsewhere on the page may name any question)
            chat = "\n".join(messages.nth(i).inner_text() for i in range(messages.count()))
            for other in QUESTIONS:
                if other != question:
                    assert other not in chat, f"session {n} shows another session's question: {other}"
            answer = messages.nth(1).inner_text()
            assert answer.strip() and question not in answer
            shot(page, f"10-session-{n + 1}")
        # a follow-up in one session leaves the others untouched
        first = sessions[0][1]
        ask(first, "And who is responsible for that?")
        first.get_by_text("Sources for answer 2").or_(
            first.get_by_text("does not cover").nth(0)
        ).first.wait_for()
        first.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 4")
        for _, page in sessions[1:]:
            others = page.get_by_test_id("stChatMessage")
            assert others.count() == 2
            assert all("who is responsible" not in others.nth(i).inner_text() for i in range(2))
    finally:
        for context, _ in sessions:
            context.close()

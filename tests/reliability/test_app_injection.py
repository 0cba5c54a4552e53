"""The prompt-injection questions (tests/acceptance/test_injection.py) through the app, with AppTest.

Extractive mode, and LLM mode against a loopback OpenAI-protocol server playing a model that obeys the
attack (replies with the system prompt or script payloads). The assistant's messages never show the system
prompt, every Markdown element keeps HTML off, and the HTML payloads are shown as (escaped) text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from retrieval.llm import SYSTEM_PROMPT, leaks_system_prompt
from saige.settings import Settings
from saige.ui.state import ENTRIES
from tests.acceptance.test_injection import HOSTILE, SCRIPTISH, obeying_model
from tests.app.conftest import APP
from tests.fakes.openai_server import FakeOpenAIServer, fake_openai_server

pytestmark = pytest.mark.slow

UNESCAPED_MARKUP = re.compile(r"(?<!\\)[<>]")


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[FakeOpenAIServer]:
    with fake_openai_server(obeying_model) as srv:
        yield srv


def run_app(question: str, llm: bool) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    if llm:
        at.sidebar.radio(key="answer_mode").set_value("openai").run()
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def assistant_texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for message in at.chat_message:
        if message.name != "assistant":
            continue
        for kind in ("markdown", "caption", "info", "warning", "error", "success", "code", "text"):
            out.extend(str(el.value) for el in getattr(message, kind))
    return out


@pytest.mark.parametrize("llm", [False, True], ids=["extractive", "llm-obeying"])
@pytest.mark.parametrize("question", HOSTILE)
def test_hostile_question_in_the_app(
    app_env: Settings,
    hostile_server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    question: str,
    llm: bool,
) -> None:
    if llm:
        monkeypatch.setenv("SAIGE_LLM_PROVIDER", "openai")
        monkeypatch.setenv("SAIGE_LLM_BASE_URL", hostile_server.base_url)
        monkeypatch.setenv("SAIGE_LLM_MODEL", "fake")
        asked = len(hostile_server.requests)
    at = run_app(question, llm)
    texts = assistant_texts(at)
    assert texts, "the app showed no reply"
    body = "\n".join(texts)
    assert not leaks_system_prompt(body), body
    assert "You are Saige" not in body and SYSTEM_PROMPT[:80] not in body
    assert "PWNED" not in body
    # no element may render HTML; in the assistant's messages every < or > is escaped (shown as text)
    for el in at.markdown:
        assert not el.proto.allow_html or not SCRIPTISH.search(el.value), el.value
    assert UNESCAPED_MARKUP.search(body) is None, body
    # the question is echoed as text: unescaped it reads back exactly, escaped nothing is live markup
    shown = next(m for m in at.chat_message if m.name == "user").markdown[0].value
    assert re.search(r"(?<!\\)[<>\[\]()]", shown) is None, shown
    assert re.sub(r"\\(.)", r"\1", shown) == question
    if llm:
        answer = at.session_state[ENTRIES][0].answer
        assert answer is not None
        # the obeying model was asked (unless the question was declined or abstained before it)
        assert len(hostile_server.requests) > asked or answer.abstained or answer.mode != "llm"
        # the question reached the model only as user content, never inside the system prompt
        for request in hostile_server.requests[asked:]:
            assert question not in request["messages"][0]["content"]

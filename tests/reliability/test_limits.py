"""Question limits: a 100 KB question and an empty one are refused cleanly by the facade, the CLI and the app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from retrieval.service import Saige
from saige.errors import QuestionError
from saige.settings import Settings
from saige.ui.state import ENTRIES
from tests.app.app_corpus import settings_env
from tests.app.conftest import APP, REPO

HUGE = ("How do we secure our AI supply chain? " * 2700)[: 100 * 1024]
EMPTY = ["", "   ", "\n\t "]


@pytest.fixture(scope="module")
def engine(app_settings: Settings) -> Saige:
    return Saige.from_settings(app_settings)


@pytest.mark.parametrize("question", [HUGE, *EMPTY], ids=["100KB", "empty", "spaces", "whitespace"])
def test_facade_refuses(engine: Saige, question: str) -> None:
    for call in (engine.search, engine.ask):
        with pytest.raises(QuestionError) as info:
            call(question)
        message = str(info.value)
        assert "\n" not in message and message.startswith("question: ")
        assert ("over the limit of 2000" in message) if question.strip() else ("empty" in message)
    with pytest.raises(QuestionError):
        list(engine.ask_stream(question))


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(settings)}
    saige = Path(sys.executable).with_name("saige")
    return subprocess.run([str(saige), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("question", [HUGE, "  "], ids=["100KB", "empty"])
def test_cli_refuses_with_one_line(app_settings: Settings, command: str, question: str) -> None:
    proc = run_cli(app_settings, command, question)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: question: ")
    assert ("over the limit" in lines[0]) if question.strip() else ("empty" in lines[0])
    assert proc.stdout.strip() == ""


def test_cli_batch_stops_at_a_huge_question(app_settings: Settings) -> None:
    """`saige search -` reads queries from stdin: a 100 KB line is refused like an argument."""
    env = {**os.environ, **settings_env(app_settings)}
    saige = Path(sys.executable).with_name("saige")
    proc = subprocess.run(
        [str(saige), "search", "-"],
        cwd=REPO,
        env=env,
        input=HUGE + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error: question: ") and "over the limit" in proc.stderr


def test_app_refuses_huge_and_ignores_empty(app_env: Settings) -> None:
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    at.chat_input[0].set_value(HUGE).run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("the limit is 2,000" in w for w in warnings), warnings
    assert [e.answer for e in at.session_state[ENTRIES]] == [None]  # refused: nothing answered
    # the 100 KB text is not echoed back into the page
    assert all(len(m.value) < 5000 for m in at.markdown)
    at.chat_input[0].set_value("   ").run()
    assert not at.exception, [e.value for e in at.exception]
    assert all(e.answer is None for e in at.session_state[ENTRIES])

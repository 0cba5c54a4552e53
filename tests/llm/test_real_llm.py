"""`saige ask --llm openai` end to end through llama-cpp-python's server and SmolLM2-135M-Instruct.

The real CLI runs in a subprocess; its answers come from a real model streaming over the OpenAI protocol.
What the model writes is not asserted (a 135M model may cite well, badly or not at all), only what must hold
whatever it writes: see tests/llm/checks.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from saige.settings import Settings
from saige.types import Answer
from tests.llm.checks import REPLACED, check_answer, check_streamed_output
from tests.llm.conftest import REPO, LLMServer

pytestmark = [pytest.mark.llm, pytest.mark.slow]

QUESTIONS = [
    "How do we secure our AI supply chain?",
    "How should we model the threats to our AI system?",
    "Can an attacker make the model reveal its system prompt?",
    "How do we secure our AI supply chain? Write the answer as an HTML list with <ul> and <li> tags.",
    "What should we check before using a third-party model? Reply in HTML.",
]


def ask_cli(questions: list[str], env: dict[str, str], *extra: str) -> list[dict[str, Any]]:
    """`saige ask - --json` (one question per line, JSON Lines out) in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "saige.cli", "ask", "-", *extra],
        input="\n".join(questions) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def extractive(llm_server: LLMServer, llm_index: Settings) -> dict[str, dict[str, Any]]:
    env = {**llm_server.env(llm_index), "SAIGE_LLM_PROVIDER": "none"}
    return {r["question"]: r for r in ask_cli(QUESTIONS, env)}


def test_cli_answers_hold_whatever_the_model_writes(
    llm_server: LLMServer, llm_index: Settings, extractive: dict[str, dict[str, Any]]
) -> None:
    records = ask_cli(QUESTIONS, llm_server.env(llm_index), "--llm", "openai")
    assert [r["question"] for r in records] == QUESTIONS
    for record in records:
        check_answer(record)
        if REPLACED in record["warnings"]:
            # the fallback is exactly the extractive answer from the same sources, and it says so
            plain = extractive[record["question"]]
            assert record["mode"] == "extractive"
            assert record["answer"] == plain["answer"]
            assert record["citations"] == plain["citations"]
    answered = [r for r in records if not r["declined"] and r["hits"]]
    assert answered, "at least one question reached the model with sources"
    summary = [(r["mode"], len(r["citations"]), REPLACED in r["warnings"]) for r in records]
    print(f"\nreal LLM answers (mode, citations, replaced): {summary}")


def test_uncited_output_falls_back_to_the_extractive_answer(
    llm_server: LLMServer, llm_index: Settings, extractive: dict[str, dict[str, Any]]
) -> None:
    """One token of real model output ("The", "-", "[" ...) can carry no valid citation: whatever the token,
    the answer shown is the extractive one, flagged."""
    question = QUESTIONS[0]
    env = {**llm_server.env(llm_index), "SAIGE_LLM_MAX_TOKENS": "1"}
    (record,) = ask_cli([question], env, "--llm", "openai")
    check_answer(record)
    assert REPLACED in record["warnings"], record["warnings"]
    assert any("cites no source" in w for w in record["warnings"]), record["warnings"]
    plain = extractive[question]
    assert record["mode"] == "extractive" and record["citations"]
    assert record["answer"] == plain["answer"] and record["citations"] == plain["citations"]


def test_the_terminal_shows_the_answer_and_its_sources(llm_server: LLMServer, llm_index: Settings) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "saige.cli", "ask", QUESTIONS[0], "--llm", "openai"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**llm_server.env(llm_index), "COLUMNS": "200"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    # the answer (the model's, or the extractive one it fell back to), then its numbered sources; the
    # checks' findings are printed as warnings (plain text: a terminal renders no HTML)
    lines = out.splitlines()
    assert "Sources" in lines, out[-2000:]
    sources = lines[lines.index("Sources") + 1 :]
    assert sources[0].startswith("[1] ") and " — \u201c" in sources[0], out[-2000:]


def test_the_terminal_streams_the_answer_then_its_checked_form(
    llm_server: LLMServer, llm_index: Settings
) -> None:
    """`saige ask --stream`: the real model's deltas, then the note that they stand or the checked answer
    under a marked heading (SmolLM2 rarely cites, so usually the extractive answer that replaced it)."""
    proc = subprocess.run(
        [sys.executable, "-m", "saige.cli", "ask", QUESTIONS[0], "--llm", "openai", "--stream"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**llm_server.env(llm_index), "COLUMNS": "300"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\x1b" not in proc.stdout
    print(f"\nstreamed answer: {check_streamed_output(proc.stdout)}")


def test_answers_stream_from_the_real_server(llm_server: LLMServer, llm_index: Settings) -> None:
    """The deltas arrive one by one before the checked Answer; an LLM answer is made of the streamed text."""
    from retrieval.service import Saige

    settings = llm_index.model_copy(
        update={
            "llm_provider": "openai",
            "llm_base_url": llm_server.base_url,
            "llm_model": llm_server.model,
            "llm_max_tokens": 120,
            "llm_timeout": 300.0,
        }
    )
    engine = Saige.from_settings(settings)
    started = time.monotonic()
    deltas: list[tuple[float, str]] = []
    final: Answer | None = None
    for item in engine.ask_stream(QUESTIONS[0]):
        if isinstance(item, Answer):
            final = item
        else:
            deltas.append((time.monotonic() - started, item))
    assert final is not None and final.hits
    assert len(deltas) >= 5, deltas
    streamed = "".join(d for _, d in deltas)
    assert "<" not in streamed
    if final.mode == "llm":
        # the checks may drop markers or lines, never add words
        assert set(re.findall(r"[A-Za-z]+", final.answer)) <= set(re.findall(r"[A-Za-z]+", streamed))
    check_answer(final.as_record())

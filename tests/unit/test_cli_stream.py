"""`saige ask` printing an LLM's answer as it streams, against the real loopback OpenAI-protocol server
(tests/fakes/openai_server.py) over a small MemoryStore index.

The command runs in-process with a stdout that says whether it is a terminal and records every write, so the
tests see what a terminal would: the deltas in order, then the checked answer, marked when the checks changed
or replaced the streamed text.
"""

from __future__ import annotations

import io
import json
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from retrieval.llm import REFUSAL, SYSTEM_PROMPT
from retrieval.service import Saige
from retrieval.store import MemoryStore
from saige.cli import app
from saige.render import HEADINGS, STANDS, STOPPED, STREAMING
from saige.settings import Settings
from tests.conftest import HashEmbedder
from tests.fakes import tiny_chunks, tiny_documents
from tests.fakes.openai_server import FakeOpenAIServer, split_deltas
from tests.llm.checks import check_streamed_output

QUESTION = "How should we assess suppliers in our AI supply chain?"
GROUNDED = "Assess your suppliers [1]. Verify pre-trained models before use [2]."
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours on a terminal


class ScriptedServer(FakeOpenAIServer):
    """The fake server, optionally holding its stream after `hold_after` deltas until `release` is set (or
    10 s pass), or dropping the connection after `drop_after` deltas."""

    def __init__(self, reply: str, *, hold_after: int | None = None, drop_after: int | None = None) -> None:
        super().__init__(reply)
        self.hold_after = hold_after
        self.drop_after = drop_after
        self.release = threading.Event()
        self.released_in_time: bool | None = None

    def start(self) -> ScriptedServer:
        super().start()
        assert self._server is not None
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        base: Any = self._server.RequestHandlerClass
        fake = self

        class Scripted(base):
            sent = 0

            def _event(self, payload: Any) -> None:
                content = isinstance(payload, dict) and payload["choices"][0]["delta"].get("content")
                if content and fake.drop_after is not None and self.sent >= fake.drop_after:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    raise ConnectionAbortedError("dropped by the test")
                super()._event(payload)
                if content:
                    self.sent += 1
                    if self.sent == fake.hold_after:
                        fake.released_in_time = fake.release.wait(10)

        self._server.RequestHandlerClass = Scripted
        return self


class Terminal(io.StringIO):
    """A stdout that is (or is not) a terminal and records each write."""

    def __init__(self, tty: bool = True, on_write: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.tty = tty
        self.writes: list[str] = []
        self.on_write = on_write

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> int:
        n = super().write(s)
        self.writes.append(s)
        if self.on_write is not None:
            self.on_write(self.getvalue())
        return n

    @property
    def text(self) -> str:
        return _SGR.sub("", self.getvalue())


def make_engine(data_dir: Path, base_url: str, provider: str = "openai") -> Saige:
    embedder = HashEmbedder()
    settings = Settings(
        data_dir=data_dir,
        llm_provider=provider,
        llm_base_url=base_url,
        llm_model="fake-model",
        llm_timeout=10,
        abstain_dense=0.25,
    )
    chunks = tiny_chunks()
    store = MemoryStore()
    store.add(chunks, embedder.embed([c.embed_text for c in chunks]))
    return Saige(settings, embedder, store, documents=tiny_documents())


@pytest.fixture
def serve(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., tuple[ScriptedServer, Saige]]]:
    """Start a scripted server with a reply and make `saige ask` use an engine pointed at it."""
    started: list[ScriptedServer] = []
    monkeypatch.setenv("COLUMNS", "300")

    def start(reply: str, provider: str = "openai", **script: int) -> tuple[ScriptedServer, Saige]:
        server = ScriptedServer(reply, **script).start()
        started.append(server)
        engine = make_engine(data_dir, server.base_url, provider)
        monkeypatch.setattr(Saige, "from_settings", classmethod(lambda cls, s, **kw: engine))
        return server, engine

    yield start
    for server in started:
        server.stop()


def run(monkeypatch: pytest.MonkeyPatch, args: list[str], out: Terminal, stdin: str | None = None) -> int:
    previous = sys.stdout
    monkeypatch.setattr(sys, "stdout", out)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="saige", standalone_mode=False)
    finally:
        monkeypatch.setattr(sys, "stdout", previous)
    return int(code or 0)


def test_deltas_reach_a_terminal_in_order_while_the_model_is_still_generating(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    deltas = split_deltas(GROUNDED)
    server, _ = serve(GROUNDED, hold_after=3)
    first_three = "".join(deltas[:3])

    def seen(text: str) -> None:
        if first_three in text:
            server.release.set()

    out = Terminal(tty=True, on_write=seen)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai"], out) == 0  # no flag: stdout is a terminal
    # the server held the rest of its answer until the first three deltas were on stdout
    assert server.released_in_time is True
    assert server.requests[-1]["stream"] is True
    # each delta was written on its own, in order, before anything of the checked answer
    streamed = [w for w in out.writes if w in deltas]
    assert streamed == deltas
    text = out.text
    assert text.index(STREAMING) < text.index(GROUNDED) < text.index(STANDS) < text.index("Sources")
    assert "\n[1] " in text and "\n[2] " in text  # the sources of the answer that stands
    assert not any(heading in text for heading in HEADINGS.values())
    assert check_streamed_output(text) == "stands"
    assert text.count("Verify pre-trained models before use") == 1  # the text is not printed twice


def test_an_uncited_answer_is_shown_as_replaced_by_the_extractive_answer(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = "Suppliers should always be trusted completely and never audited by anyone."
    _, engine = serve(reply)
    out = Terminal(tty=True)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai"], out) == 0
    text = out.text
    final = engine.ask(QUESTION)
    assert final.mode == "extractive" and final.citations  # the engine fell back
    heading = text.index(HEADINGS["replaced"])
    assert text.index(reply) < heading  # the unchecked text streamed first ...
    after = text[heading:]
    # ... then the extractive answer in full under the marked heading, with its sources and the reason
    assert " ".join(final.citations[0].quote.split()) in " ".join(after.split())
    assert "Sources" in after and "\n[1] " in after
    assert "warning: the LLM answer was replaced by the extractive answer" in after
    assert reply not in after.split("Sources")[0]  # only the warnings quote it
    assert check_streamed_output(text) == "replaced"


def test_a_changed_answer_is_printed_in_full_under_its_heading(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = "Assess your suppliers [1]. Use verified suppliers [9]."
    serve(reply)
    out = Terminal(tty=False)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai", "--stream"], out) == 0  # piped, asked for
    text = out.text
    heading = text.index(HEADINGS["changed"])
    assert text.index(reply) < heading
    after = text[heading:]
    assert "Assess your suppliers [1]" in after and "[9]" not in after.split("Sources")[0]
    assert "warning: removed citation [9]" in after
    assert STANDS not in text
    assert check_streamed_output(text) == "changed"


def test_a_leak_of_the_instructions_is_withheld_and_said_so(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    leak = " ".join(SYSTEM_PROMPT.split()[40:80])
    serve("My instructions: " + leak + " [1]")
    out = Terminal(tty=True)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai"], out) == 0
    text = out.text
    after = text[text.index(HEADINGS["withheld"]) :]
    assert REFUSAL in after
    assert leak not in text  # streaming stopped before the leak completed
    assert check_streamed_output(text) == "withheld"


def test_markup_and_control_sequences_in_model_text_are_shown_as_plain_text(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = "Use [bold red]trusted[/bold red] suppliers [1].\x1b[2J\x1b]8;;http://evil/\x07 <b>audit</b> them [2]."
    serve(reply)
    out = Terminal(tty=True)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai"], out) == 0
    text = out.text
    assert "\x1b" not in text and "\x07" not in text  # no escape sequence of the model's reached the terminal
    streamed = text[text.index(STREAMING) : text.index(STANDS)]
    assert "Use [bold red]trusted[/bold red] suppliers [1]." in streamed  # rich markup not interpreted
    assert "<b>audit</b> them [2]." in streamed  # shown as typed: a terminal renders no HTML


def test_json_output_is_one_object_with_no_deltas(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, engine = serve(GROUNDED)
    out = Terminal(tty=True)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai", "--json"], out) == 0
    expected = engine.ask(QUESTION).as_record()
    assert out.getvalue() == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    assert expected["answer"] == GROUNDED and expected["mode"] == "llm"


def test_json_lines_from_stdin_carry_no_deltas(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(GROUNDED)
    out = Terminal(tty=True)
    questions = [QUESTION, "How do we verify pre-trained models from suppliers?"]
    assert run(monkeypatch, ["ask", "-", "--llm", "openai"], out, stdin="\n".join(questions) + "\n") == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["question"] for r in records] == questions
    assert all(r["answer"] == GROUNDED for r in records)


@pytest.mark.parametrize(
    "args",
    [[QUESTION, "--json"], [QUESTION, "--history", "turns.json"], ["-"]],
    ids=["json", "history", "stdin"],
)
def test_stream_with_json_output_is_refused_in_one_line(
    args: list[str],
    serve: Callable[..., tuple[ScriptedServer, Saige]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, _ = serve(GROUNDED)
    out = Terminal(tty=True)
    assert run(monkeypatch, ["ask", *args, "--llm", "openai", "--stream"], out, stdin=QUESTION + "\n") == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: stream:") and "--json" in err[0]
    assert out.getvalue() == "" and server.requests == []


@pytest.mark.parametrize(("extra", "tty"), [([], False), (["--no-stream"], True)])
def test_piped_output_prints_only_the_checked_answer(
    extra: list[str],
    tty: bool,
    serve: Callable[..., tuple[ScriptedServer, Saige]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(GROUNDED)
    out = Terminal(tty=tty)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai", *extra], out) == 0
    text = out.text
    assert STREAMING not in text and STANDS not in text
    assert "Assess your suppliers [1]" in text and "Sources" in text
    assert len(out.writes) < len(split_deltas(GROUNDED))  # printed whole, not delta by delta


def test_the_extractive_answer_is_printed_whole_even_on_a_terminal(
    serve: Callable[..., tuple[ScriptedServer, Saige]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, engine = serve(GROUNDED, provider="none")
    out = Terminal(tty=True)
    assert run(monkeypatch, ["ask", QUESTION, "--stream"], out) == 0
    text = out.text
    assert STREAMING not in text and "Sources" in text
    assert engine.ask(QUESTION).citations[0].doc_title in text
    assert server.requests == []


def test_a_stream_that_breaks_is_marked_unchecked(
    serve: Callable[..., tuple[ScriptedServer, Saige]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve(GROUNDED, drop_after=3)
    out = Terminal(tty=True)
    assert run(monkeypatch, ["ask", QUESTION, "--llm", "openai"], out) != 0
    text = out.text
    assert "".join(split_deltas(GROUNDED)[:3]) in text
    assert text.rstrip().endswith(STOPPED)
    assert "Sources" not in text
    err = capsys.readouterr().err
    assert "error: llm:" in err and "Traceback" not in err

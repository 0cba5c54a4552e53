"""A faster first answer: `saige serve` builds the engine as soon as its process starts (before any page
connects), the first session uses that engine, and the chat box is on the page before the engine is asked
for (a question can be typed while it loads)."""

from __future__ import annotations

import selectors
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from retrieval.service import Saige
from saige.settings import Settings
from saige.ui import main as ui_main
from tests.app.conftest import APP
from tests.app.test_browser import spawn_serve
from tests.processes import stop_group

TIMEOUT = 180


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The threads that build an engine (Saige.from_settings), in order; the app's loader starts empty."""
    built: list[str] = []
    real = Saige.from_settings

    def counting(cls: type[Saige], settings: Settings, **kwargs: Any) -> Saige:
        built.append(threading.current_thread().name)
        return real(settings, **kwargs)

    monkeypatch.setattr(Saige, "from_settings", classmethod(counting))
    ui_main.reload_index()
    yield built
    ui_main.reload_index()


def test_warm_up_builds_the_engine_that_the_first_session_uses(app_env: Settings, builds: list[str]) -> None:
    lines: list[str] = []
    ui_main.warm_in_background(lines.append).join(TIMEOUT)
    assert builds == [ui_main.WARM_THREAD]  # built with no session at all
    assert len(lines) == 1 and lines[0].startswith("index and model loaded in ")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("The lifecycle at a glance" in m.value for m in at.markdown)
    assert builds == [ui_main.WARM_THREAD]  # the first session did not build another one


def test_warm_up_without_an_index_says_why_and_the_page_shows_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[str]
) -> None:
    monkeypatch.setenv("SAIGE_DATA_DIR", str(tmp_path / "empty"))
    lines: list[str] = []
    ui_main.warm_in_background(lines.append).join(TIMEOUT)
    assert len(lines) == 1 and lines[0].startswith("the index is not loaded: no index yet")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert any("No index yet" in m.value for m in at.markdown)
    assert not at.chat_input  # the chat box drawn while loading is taken away again


def test_the_chat_box_is_drawn_before_the_engine_is_asked_for(
    app_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Settings] = []

    def still_loading(settings: Settings) -> Any:
        asked.append(settings)
        raise RuntimeError("the engine is still loading")  # the run stops here, as if waiting

    monkeypatch.setattr(ui_main, "load_library", still_loading)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert asked and at.exception  # the run stopped in the loader (the page redacts the message)
    assert len(at.chat_input) == 1  # already on the page when the engine was asked for
    assert at.tabs and len(at.tabs) == 3


@pytest.mark.slow
def test_saige_serve_builds_the_engine_before_any_page_is_opened(app_settings: Settings) -> None:
    """The real command: its process reports the engine loaded while no browser has connected."""
    proc, _ = spawn_serve(app_settings)
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        selector = selectors.DefaultSelector()
        selector.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if selector.select(timeout=1.0):
                line = proc.stderr.readline().decode("utf-8", "replace").strip()
                seen.append(line)
                if line.startswith("Saige: index and model loaded in "):
                    break
    finally:
        stop_group(proc)
    assert any(line.startswith("Saige: index and model loaded in ") for line in seen), seen

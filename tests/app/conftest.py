"""App-test fixtures: a small generated corpus ingested once per session with the real pipeline and the
real MiniLM model, the environment that points the app at it, and access to files the app offers for
download (st.download_button) in AppTest runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from saige.settings import Settings
from tests.acceptance.conftest import real_settings  # noqa: F401  (the real-corpus index, for the browser test)
from tests.app.app_corpus import build_app_corpus, settings_env

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"


@pytest.fixture(scope="session")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over the generated two-document corpus, ingested (Guidelines PDF + field guide PDF)."""
    return build_app_corpus(tmp_path_factory.mktemp("app-corpus"))


@pytest.fixture
def app_env(app_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in settings_env(app_settings).items():
        monkeypatch.setenv(key, value)
    return app_settings


class Downloads:
    """The media storage of each AppTest run, so a test can read what a download button would serve."""

    def __init__(self) -> None:
        self.storages: list[object] = []

    def content(self, button: object) -> str:
        url = button.proto.url  # type: ignore[attr-defined]
        name = url.rsplit("/", 1)[-1]
        for storage in reversed(self.storages):
            try:
                return storage.get_file(name).content.decode("utf-8")  # type: ignore[attr-defined]
            except Exception:
                continue
        raise AssertionError(f"download {url!r} not found in the app's media storage")

    def csv_rows(self, button: object) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.content(button))))


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Downloads]:
    """Record the MemoryMediaFileStorage that AppTest creates per run (it is dropped after the run)."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    record = Downloads()

    class RecordingStorage(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            record.storages.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", RecordingStorage)
    yield record

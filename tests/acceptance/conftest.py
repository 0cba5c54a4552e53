"""Acceptance fixtures: the real corpus ingested once per session into <repo>/.cache/acceptance-data.

The first session embeds the whole corpus (~1-2 min on 2 cores); later sessions find the index up to date
(or re-embed only what changed, through the embedding cache) and take seconds. Several people running the
acceptance tests at once share the data dir: a session that finds another one ingesting waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from saige.errors import LockedError
from saige.settings import Settings

if TYPE_CHECKING:
    from retrieval.service import Saige

REPO = Path(__file__).resolve().parents[2]
ACCEPTANCE_DATA = REPO / ".cache" / "acceptance-data"
_LOCK_WAIT_SECONDS = 900.0


@pytest.fixture(scope="session")
def real_settings(corpus_dir: Path) -> Iterator[Settings]:
    """Settings on the real corpus (SAIGE_CORPUS_DIR) with an ingested index; skips without the corpus."""
    from ingest.pipeline import ingest

    settings = Settings(corpus_dir=corpus_dir, data_dir=ACCEPTANCE_DATA, manifest=None, chroma_host=None)
    deadline = time.monotonic() + _LOCK_WAIT_SECONDS
    while True:
        try:
            ingest(settings)
            break
        except LockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2.0)
    yield settings


@pytest.fixture(scope="session")
def real_engine(real_settings: Settings) -> Saige:
    """The Saige facade over the real index (real embedding model)."""
    from retrieval.service import Saige

    return Saige.from_settings(real_settings)

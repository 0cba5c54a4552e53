"""Reliability fixtures: reuse the app tests' generated, ingested corpus and the acceptance real index."""

from __future__ import annotations

from tests.acceptance.conftest import real_settings  # noqa: F401  (the real-corpus index)
from tests.app.conftest import app_env, app_settings  # noqa: F401  (small corpus, real model, ingested)
from tests.integration.conftest import chroma_server  # noqa: F401  (a real `chroma run` on loopback)

"""Real-LLM fixtures: llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with the pinned SmolLM2 GGUF,
started once per session and stopped at its end, and the index Saige answers from (the real corpus when
SAIGE_CORPUS_DIR is set, else the generated app corpus).

These tests carry the `llm` marker and run only with `pytest -m llm` (`make test-llm`): the default run
deselects them (pyproject addopts), so `make test` neither needs the server nor grows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from saige.settings import Settings
from tests.acceptance.conftest import real_settings  # noqa: F401  (the real-corpus index)
from tests.app.app_corpus import build_app_corpus, settings_env
from tests.conftest import real_corpus_dir
from tests.llm.model import MODEL_NAME, ModelError, pinned_gguf
from tests.processes import free_port, stop_group, wait_until_served

REPO = Path(__file__).resolve().parents[2]
# The prompt is the system prompt (~1,600 characters) plus five sources of at most ~1,800 characters and
# the question: about 7,200 characters, 1,300-1,550 SmolLM2 tokens on the real corpus (measured). 4,096
# leaves room for the answer, which SAIGE_LLM_MAX_TOKENS bounds.
N_CTX = 4096
MAX_TOKENS = 200
_START_TIMEOUT = 180.0


@dataclass(frozen=True)
class LLMServer:
    base_url: str
    model: str
    log: Path

    def env(self, settings: Settings) -> dict[str, str]:
        """The environment that points a `saige` process at this server and at `settings`' index."""
        return {
            **os.environ,
            **settings_env(settings),
            "PYTHONPATH": str(REPO),
            "SAIGE_LLM_PROVIDER": "openai",
            "SAIGE_LLM_BASE_URL": self.base_url,
            "SAIGE_LLM_MODEL": self.model,
            "SAIGE_LLM_MAX_TOKENS": str(MAX_TOKENS),
            "SAIGE_LLM_TIMEOUT": "300",
        }


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_ready(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    wait_until_served(
        f"{base_url}/models",
        proc,
        lambda body: bool(json.loads(body).get("data")),
        timeout=_START_TIMEOUT,
        name="llama_cpp.server",
        detail=lambda: f":\n{_tail(log)}",
    )


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMServer]:
    """`python -m llama_cpp.server` with the pinned GGUF on a free loopback port; stopped at session end."""
    try:
        gguf = pinned_gguf()
    except ModelError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError:
        pytest.fail("llama-cpp-python[server] is not installed; `make test-llm` installs it", pytrace=False)
    port = free_port()
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        MODEL_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(N_CTX),
        # one thread: OpenMP threads spinning on cores shared with the saige processes under test collapsed
        # generation to 0.7 token/s on 2 busy cores; one thread made 27-34 tokens/s on the same machine
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(base_url, proc, log)
        yield LLMServer(base_url=base_url, model=MODEL_NAME, log=log)
    finally:
        stop_group(proc)


@pytest.fixture(scope="session")
def llm_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The index the answers come from: the real corpus (SAIGE_CORPUS_DIR) or the generated app corpus."""
    if real_corpus_dir() is not None:
        settings: Settings = request.getfixturevalue("real_settings")
        return settings
    return build_app_corpus(tmp_path_factory.mktemp("llm-corpus"))

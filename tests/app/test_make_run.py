"""`make run` on a fresh machine reaches a serving app when one document cannot be fetched.

The commands are read from the Makefile's `run` recipe itself and run as real processes: `saige fetch
--keep-going` against a loopback HTTP server standing in for the publishers (two documents served, one 404,
one with no download URL, one changed upstream), `saige ingest --skip-missing` with the packaged model, then
`saige serve`, which must answer its health check and serve the page.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.app.conftest import REPO
from tests.processes import free_port, stop_group
from tests.unit.test_fresh_machine import _corpus, publishers  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def run_recipe() -> list[list[str]]:
    """The commands of the Makefile's `run` target, with `$(BIN)/saige` as this interpreter's `saige`."""
    lines = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("run:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        words = shlex.split(line.strip())
        assert words[0] == "$(BIN)/saige", f"unexpected step in `make run`: {line.strip()}"
        recipe.append([sys.executable, "-m", "saige.cli", *words[1:]])
    return recipe


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 180.0) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"saige serve exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    body: bytes = response.read()
                    return body
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds:.0f} s")


def test_make_run_reaches_a_serving_app_without_one_document(
    tmp_path: Path,
    publishers: tuple[str, dict[str, bytes]],  # noqa: F811
) -> None:
    base, files = publishers
    settings = _corpus(tmp_path, base, files)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAIGE_")}
    env |= {
        "SAIGE_MANIFEST": str(settings.manifest),
        "SAIGE_DATA_DIR": str(settings.data_dir),
        "SAIGE_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "200",
    }
    fetch, ingest, serve = run_recipe()
    assert fetch[3:] == ["fetch", "--keep-going"] and ingest[3:] == ["ingest", "--skip-missing"]
    assert serve[3:] == ["serve"]

    fetched = subprocess.run(fetch, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert "Continuing without 3 document(s)" in fetched.stdout + fetched.stderr
    ingested = subprocess.run(ingest, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr

    proc = subprocess.Popen(
        serve,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_for(f"{url}/_stcore/health", proc).strip() == b"ok"
        assert b"<html" in wait_for(url, proc).lower()
    finally:
        stop_group(proc)

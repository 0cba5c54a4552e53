"""A real Chroma server (`chroma run`) on a free loopback port, for tests that go through HttpClient."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import free_port


def chroma_executable() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.is_file() else shutil.which("chroma")


def wait_until_answering(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    url = f"http://{host}:{port}/api/v2/heartbeat"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited early with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"chroma run did not answer on {url} within {timeout:.0f}s")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """Start `chroma run --host 127.0.0.1 --port <free> --path <tmp>`; yield (host, port); stop it."""
    exe = chroma_executable()
    if exe is None:
        pytest.skip("the chroma CLI (installed with chromadb) is not available")
    host, port = "127.0.0.1", free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path.parent / f"{path.name}.log").open("wb")
    proc = subprocess.Popen(
        [exe, "run", "--host", host, "--port", str(port), "--path", str(path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_until_answering(host, port, proc)
        yield host, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()

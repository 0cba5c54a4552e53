"""Helpers for tests that start real local processes (`saige serve`, llama-cpp-python's server, `chroma run`):
a free loopback port, waiting for an HTTP health check, and stopping a process group this test started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_served(
    url: str,
    proc: subprocess.Popen[bytes],
    ready: Callable[[bytes], bool],
    *,
    timeout: float,
    name: str,
    detail: Callable[[], str] = lambda: "",
) -> None:
    """Poll `url` every 0.5 s until `ready(body)` holds; fails when the process exits first or time runs
    out, naming the process (`name`) and adding `detail()` (say, its log's tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited with {proc.returncode}{detail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if ready(r.read()):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{name} not ready at {url} in {timeout:.0f} s{detail()}")


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    """Until `saige serve` at `url` answers its health check "ok"; fails when the process exits first."""
    wait_until_served(
        f"{url}/_stcore/health", proc, lambda body: body.strip() == b"ok", timeout=timeout, name="saige serve"
    )


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process group of a process started with `start_new_session=True`: TERM, then KILL."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

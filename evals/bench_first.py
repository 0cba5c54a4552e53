"""Time to the first answer, cold, side by side: a one-shot `saige ask`, the app after `saige serve` starts, and
the LangChain tutorial pipeline (evals/baseline.py) answering its first query in a fresh process.

Each figure is the median of RUNS fresh processes, wall time and the CPU time (user + system) of the processes
involved, so a machine loaded by other work shows in the gap between the two. Targets (2 cores): one-shot ask
<= 3 s wall, the app's first answer <= 5 s after `saige serve` starts.

    python -m evals.bench_first            # SAIGE_DATA_DIR: an ingested index; SAIGE_CORPUS_DIR for the baseline

- one-shot ask: `python -m saige.cli ask QUESTION --json` in a new process; it must answer with a citation.
- the app: `saige serve` on a free 127.0.0.1 port is started, a headless Chromium (launched beforehand, not
  timed: the user's browser is already open) loads the page, asks QUESTION in the chat box and waits for
  the answer's sources. Timed from the serve command's start; CPU is the server's process tree (up to its
  shutdown). Skipped when Chromium or playwright is missing.
- LangChain tutorial pipeline: a new process imports it, opens its persisted Chroma collection (built
  once beforehand, not timed, under <data_dir>/baseline) with HuggingFaceEmbeddings, and runs one
  similarity search.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saige.settings import Settings

QUESTION = "How should I protect model weights?"
RUNS = 3
TARGETS_S = {"ask": 3.0, "app": 5.0}
_APP_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_process(args: list[str], env: dict[str, str] | None = None) -> tuple[Timing, str]:
    """Run a process to its end: wall and CPU time, and its stdout. Fails (one line) on a non-zero exit."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = " ".join(done.stderr.split())[-300:]
        raise RuntimeError(f"{' '.join(args[:4])}... exited {done.returncode}: {tail}")
    return Timing(wall, _children_cpu() - cpu0), done.stdout


def one_shot_ask(question: str = QUESTION) -> Timing:
    timing, out = _timed_process([sys.executable, "-m", "saige.cli", "ask", question, "--json"])
    answer = json.loads(out)
    if answer["abstained"] or not answer["citations"]:
        raise RuntimeError(f"saige ask did not answer with a citation: {answer['answer'][:120]!r}")
    return timing


_BASELINE_SCRIPT = """
import sys, time
start = time.perf_counter()
from evals.bench_first import baseline_query
found = baseline_query(sys.argv[1], sys.argv[2])
print(len(found), round(time.perf_counter() - start, 3))
"""


class _NoSections:
    """Stands in for the Saige engine the baseline asks for its gold-section texts (scoring only)."""

    def chunks(self) -> list[Any]:
        return []


def baseline_query(data_dir: str, question: str) -> list[tuple[str, str]]:
    """The LangChain tutorial pipeline's query: open (or build) its collection, search once."""
    from evals.baseline import BaselinePipeline

    settings = Settings(data_dir=Path(data_dir))
    pipeline = BaselinePipeline.from_settings(settings, _NoSections())  # type: ignore[arg-type]
    return pipeline.search(question)


def baseline_cold_query(data_dir: str, question: str = QUESTION) -> Timing:
    timing, out = _timed_process([sys.executable, "-c", _BASELINE_SCRIPT, data_dir, question])
    if not out.split() or int(out.split()[0]) == 0:
        raise RuntimeError("the LangChain tutorial pipeline found nothing")
    return timing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"saige serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


def app_first_answer(browser: Any, question: str = QUESTION) -> tuple[Timing, float]:
    """(first answer timing, seconds until the health endpoint answered), from the serve command's start."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "saige.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    page = None
    try:
        deadline = time.monotonic() + _APP_TIMEOUT_S
        _wait_healthy(url, proc, deadline)
        healthy = time.perf_counter() - start
        page = browser.new_page()
        page.set_default_timeout(_APP_TIMEOUT_S * 1000)
        page.goto(url)
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill(question)
        box.press("Enter")
        page.get_by_text("Sources for answer 1").wait_for()
        wall = time.perf_counter() - start
    finally:
        if page is not None:
            page.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return Timing(wall, _children_cpu() - cpu0), healthy


def _median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.wall_s for t in timings), statistics.median(t.cpu_s for t in timings))


def _runs(name: str, runs: int, fn: Callable[[], Timing]) -> Timing | None:
    timings: list[Timing] = []
    for i in range(runs):
        try:
            timings.append(fn())
        except Exception as exc:
            print(f"bench_first: {name}: run {i + 1} failed: {' '.join(str(exc).split())}", flush=True)
            return None
        t = timings[-1]
        print(f"bench_first: {name} run {i + 1}: {t.wall_s:.2f} s wall, {t.cpu_s:.2f} s CPU", flush=True)
    return _median(timings)


def _app_runs(runs: int) -> tuple[Timing | None, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None, "not measured: chromium is not installed"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "not measured: playwright is not installed (the dev extra has it)"
    healthy: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:

            def one() -> Timing:
                timing, up = app_first_answer(browser)
                healthy.append(up)
                return timing

            result = _runs("app first answer", runs, one)
        finally:
            browser.close()
    note = f"server healthy after {statistics.median(healthy):.1f} s" if healthy else ""
    return result, note


def main(
    settings: Settings | None = None, runs: int = RUNS, baseline_dir: Path | None = None
) -> dict[str, float]:
    """Print the three figures side by side and return them. `baseline_dir`: the data dir whose `baseline/`
    holds the tutorial pipeline's collection (default: the settings' data dir)."""
    settings = settings or Settings()
    print(f"bench_first: question {QUESTION!r}, {runs} runs each, {os.cpu_count()} cores", flush=True)
    figures: dict[str, float] = {}
    rows: list[tuple[str, Timing | None, str]] = []

    ask = _runs("one-shot saige ask", runs, one_shot_ask)
    target = f"target <= {TARGETS_S['ask']:.0f} s wall"
    rows.append(("one-shot `saige ask` (new process)", ask, target))

    app, note = _app_runs(runs)
    target = f"target <= {TARGETS_S['app']:.0f} s wall; {note}" if app else note
    rows.append(("app: `saige serve` start -> first answer", app, target))

    data_dir = str(baseline_dir or settings.data_dir)
    try:  # build the baseline's collection once (untimed) so the timed runs are cold queries, not builds
        baseline_query(data_dir, QUESTION)
        base = _runs("LangChain tutorial cold query", runs, lambda: baseline_cold_query(data_dir))
        note = "new process: imports, Chroma + HuggingFaceEmbeddings, one similarity search"
    except Exception as exc:
        base, note = None, f"not measured: {' '.join(str(exc).split())[:160]}"
    rows.append(("LangChain tutorial pipeline, cold query", base, note))

    print(f"\n{'first answer, cold (median)':<44} {'wall s':>8} {'CPU s':>8}  notes")
    for label, t, note in rows:
        if t is None:
            print(f"{label:<44} {'-':>8} {'-':>8}  {note}")
        else:
            print(f"{label:<44} {t.wall_s:>8.2f} {t.cpu_s:>8.2f}  {note}")
    for key, t in (("ask", ask), ("app", app), ("baseline", base)):
        if t is not None:
            figures[f"{key}_wall_s"] = round(t.wall_s, 3)
            figures[f"{key}_cpu_s"] = round(t.cpu_s, 3)
    return figures


if __name__ == "__main__":
    main()

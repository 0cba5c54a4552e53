"""Load: 20 concurrent clients (threads) for 60 s against ONE shared Saige engine, as Streamlit shares it.

Each client loops until the deadline, alternating `search` and `ask` over evals/questions.jsonl (each
client starts at its own offset). In-process only: no network. Prints requests, errors, throughput,
p50/p95 latency per operation and the process's RSS at the start, after the first and second halves, and
its peak (memory must stay flat: the second half must not grow it much).

Uses the index of `Settings()` (SAIGE_DATA_DIR, the real corpus once ingested); without one, a small
generated corpus (tests.app.app_corpus) is ingested into a temp dir first.
"""

from __future__ import annotations

import resource
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from evals.bench_query import QUESTIONS, load_questions, percentile
from saige.settings import Settings
from saige.types import Turn

if TYPE_CHECKING:
    from retrieval.service import Saige

CLIENTS = 20
SECONDS = 60.0


class LoadReport(BaseModel):
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = Field(default_factory=dict)
    throughput: float = Field(default=0.0, description="Requests per second, all clients")
    latency_ms: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="operation -> {n, p50, p95, max}"
    )
    rss_start_mb: float = 0.0
    rss_half_mb: float = 0.0
    rss_end_mb: float = 0.0
    rss_peak_mb: float = Field(default=0.0, description="Largest RSS sampled during the run (every 0.1 s)")
    maxrss_mb: float = Field(default=0.0, description="getrusage ru_maxrss of the process at the end")


def rss_mb() -> float:
    """The process's resident set size now, from /proc/self/status (MB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_load(
    engine: Saige,
    questions: list[tuple[str, list[Turn]]],
    *,
    clients: int = CLIENTS,
    seconds: float = SECONDS,
) -> LoadReport:
    """`clients` threads calling engine.search / engine.ask until `seconds` have passed (bounded loops)."""
    report = LoadReport(clients=clients, seconds=seconds, rss_start_mb=round(rss_mb(), 1))
    latencies: dict[str, list[float]] = {"search": [], "ask": []}
    errors: Counter[str] = Counter()
    first_error: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    stop = threading.Event()
    started = 0.0

    def client(n: int) -> None:
        mine: dict[str, list[float]] = {"search": [], "ask": []}
        i = n * 7
        start_gate.wait()
        while not stop.is_set():
            question, history = questions[i % len(questions)]
            op = "search" if i % 2 == 0 else "ask"
            t0 = time.perf_counter()
            try:
                if op == "search":
                    hits = engine.search(question, history=history)
                    assert isinstance(hits, list)
                else:
                    answer = engine.ask(question, history=history)
                    assert answer.answer.strip()
            except Exception as exc:
                with lock:
                    errors[f"{op}: {type(exc).__name__}"] += 1
                    if not first_error:
                        first_error.append(traceback.format_exc())
            else:
                mine[op].append((time.perf_counter() - t0) * 1000)
            i += 1
        with lock:
            for op, values in mine.items():
                latencies[op].extend(values)

    peak = [report.rss_start_mb]

    def sampler() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], rss_mb())

    threads = [threading.Thread(target=client, args=(n,), name=f"client-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    watcher = threading.Thread(target=sampler, name="rss-sampler")
    watcher.start()
    start_gate.wait()
    started = time.perf_counter()
    time.sleep(seconds / 2)
    report.rss_half_mb = round(rss_mb(), 1)
    time.sleep(max(0.0, started + seconds - time.perf_counter()))
    stop.set()
    for t in threads:
        t.join(timeout=300)
    watcher.join(timeout=5)
    elapsed = time.perf_counter() - started
    report.rss_end_mb = round(rss_mb(), 1)
    report.rss_peak_mb = round(max(peak[0], report.rss_end_mb), 1)
    report.maxrss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report.errors = sum(errors.values())
    report.error_kinds = dict(errors)
    report.requests = sum(len(v) for v in latencies.values()) + report.errors
    report.throughput = round(report.requests / elapsed, 2) if elapsed else 0.0
    for op, values in latencies.items():
        report.latency_ms[op] = {
            "n": float(len(values)),
            "p50": round(percentile(values, 0.5), 1),
            "p95": round(percentile(values, 0.95), 1),
            "max": round(max(values, default=0.0), 1),
        }
    if first_error:
        print("first error:\n" + first_error[0])
    return report


def print_report(report: LoadReport) -> None:
    print(
        f"bench_load: {report.clients} clients x {report.seconds:.0f} s on one shared engine: "
        f"{report.requests} requests, {report.errors} errors, {report.throughput:.1f} req/s"
    )
    for op, fig in report.latency_ms.items():
        print(
            f"  {op:<7} n {fig['n']:6.0f}   p50 {fig['p50']:8.1f} ms   p95 {fig['p95']:8.1f} ms"
            f"   max {fig['max']:8.1f} ms"
        )
    if report.error_kinds:
        print(f"  errors: {report.error_kinds}")
    print(
        f"  RSS start {report.rss_start_mb:.0f} MB, after first half {report.rss_half_mb:.0f} MB, "
        f"end {report.rss_end_mb:.0f} MB, peak {report.rss_peak_mb:.0f} MB (ru_maxrss {report.maxrss_mb:.0f} MB)"
    )


def _settings_with_index(tmp: Path) -> Settings:
    """Settings() when its index exists, else a generated corpus ingested under `tmp`."""
    from retrieval.index import current_pointer
    from saige.errors import SaigeError

    settings = Settings()
    try:
        if current_pointer(settings) is not None:
            return settings
    except SaigeError:
        pass
    from tests.app.app_corpus import build_app_corpus

    print(f"no index in {settings.data_dir}: using a generated corpus under {tmp}")
    return build_app_corpus(tmp)


def main(
    settings: Settings | None = None,
    *,
    clients: int = CLIENTS,
    seconds: float = SECONDS,
    questions: Path = QUESTIONS,
) -> int:
    from retrieval.service import Saige

    with tempfile.TemporaryDirectory(prefix="saige-bench-load-") as tmp:
        settings = settings or _settings_with_index(Path(tmp))
        engine = Saige.from_settings(settings)
        engine.search("warm up the model and the index", k=3)
        report = run_load(engine, load_questions(questions), clients=clients, seconds=seconds)
        print_report(report)
    return 1 if report.errors else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""Query latency: p50/p95 of `search` and `ask` over the eval questions, with the model already loaded.

Targets (2 cores): search p95 <= 50 ms, ask p95 <= 250 ms. Run with `python -m evals.bench_query`
(SAIGE_DATA_DIR pointing at an ingested index); prints the figures and returns them from `main()`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from saige.settings import Settings
from saige.types import Turn

if TYPE_CHECKING:
    from retrieval.protocols import VectorStore
    from retrieval.service import Saige

QUESTIONS = Path(__file__).with_name("questions.jsonl")
TARGETS_MS = {"search": 50.0, "ask": 250.0}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def load_questions(path: Path = QUESTIONS) -> list[tuple[str, list[Turn]]]:
    out: list[tuple[str, list[Turn]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append((row["question"], [Turn(**t) for t in row.get("history", [])]))
    return out


def _fresh_engine(settings: Settings, store: VectorStore | None = None) -> Saige:
    """An engine whose query-embedding memory is empty (the loaded model and the store are shared)."""
    from retrieval.embedder import CachedEmbedder, load_model
    from retrieval.service import Saige

    embedder = CachedEmbedder(load_model(settings), settings.cache_dir)
    return Saige.from_settings(settings, embedder=embedder, store=store)


def main(settings: Settings | None = None, questions: Path = QUESTIONS) -> dict[str, float]:
    """Time every question three ways: `search` on a new question (query embedding included), the same
    search again (embedding remembered: the retrieval cost alone), and `ask` on a new question (a fresh
    engine, so its query embedding is computed again)."""
    settings = settings or Settings()
    started = time.perf_counter()
    engine = _fresh_engine(settings)
    engine.search("warm up the model and the index", k=3)  # loads the model: not timed below
    load_s = time.perf_counter() - started
    items = load_questions(questions)
    timings: dict[str, list[float]] = {"search": [], "search_warm": [], "ask": []}
    for question, history in items:
        t0 = time.perf_counter()
        engine.search(question, history=history)
        t1 = time.perf_counter()
        engine.search(question, history=history)
        t2 = time.perf_counter()
        timings["search"].append((t1 - t0) * 1000)
        timings["search_warm"].append((t2 - t1) * 1000)
    asker = _fresh_engine(settings, store=engine.store)
    for question, history in items:
        t0 = time.perf_counter()
        asker.ask(question, history=history)
        timings["ask"].append((time.perf_counter() - t0) * 1000)
    figures: dict[str, float] = {"questions": float(len(items)), "load_s": round(load_s, 2)}
    print(f"bench_query: {len(items)} questions, engine load {load_s:.1f} s (model included)")
    for name, values in timings.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        figures[f"{name}_p50_ms"] = round(p50, 1)
        figures[f"{name}_p95_ms"] = round(p95, 1)
        target = TARGETS_MS.get(name.split("_")[0], 0.0)
        verdict = "ok" if p95 <= target else "over target"
        print(
            f"  {name:<11} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {max(values, default=0.0):7.1f} ms"
            f"   (target p95 <= {target:.0f} ms: {verdict})"
        )
    return figures


if __name__ == "__main__":  # pragma: no cover
    main()

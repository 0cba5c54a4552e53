"""Ingest benchmark on the real corpus: cold and warm ingest seconds, chunks, chunks/s, chunk sizes.

cold: a fresh data dir (empty embedding cache, empty parse cache, no index) - parse, chunk, embed, write.
warm: the same corpus again - unchanged, so nothing is embedded or written.
rebuild: `--rebuild` with warm caches - parses and vectors from the caches, a full write.

Run: `python -m evals.bench_ingest` (SAIGE_CORPUS_DIR, else /work/shared/corpus). Targets on 2 cores:
cold <= 120 s, warm <= 5 s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path

from saige.settings import Settings

DEFAULT_CORPUS = Path("/work/shared/corpus")


def corpus_dir() -> Path:
    value = os.environ.get("SAIGE_CORPUS_DIR")
    return Path(value) if value else DEFAULT_CORPUS


def _quantiles(values: list[int]) -> str:
    values = sorted(values)
    if not values:
        return "n/a"
    qs = statistics.quantiles(values, n=20, method="inclusive") if len(values) > 1 else [values[0]] * 19
    return (
        f"min {values[0]}, p5 {qs[0]:.0f}, p25 {qs[4]:.0f}, median {statistics.median(values):.0f}, "
        f"p75 {qs[14]:.0f}, p95 {qs[18]:.0f}, max {values[-1]}"
    )


def _histogram(values: list[int], edges: tuple[int, ...] = (32, 64, 96, 128, 160, 192, 224, 256)) -> str:
    rows = []
    low = 0
    for high in edges:
        n = sum(1 for v in values if low < v <= high)
        rows.append(f"  {low + 1:>3}-{high:<3} {n:>5}  {'#' * max(0, round(60 * n / max(len(values), 1)))}")
        low = high
    over = sum(1 for v in values if v > edges[-1])
    rows.append(f"  >{edges[-1]:<6} {over:>5}")
    return "\n".join(rows)


def _cli_ingest_seconds(settings: Settings) -> float:
    """Wall time of `saige ingest` as a user runs it: a new Python process, imports included."""
    import subprocess
    import sys
    import time

    env = dict(os.environ)
    env["SAIGE_CORPUS_DIR"] = str(settings.corpus_dir)
    env["SAIGE_DATA_DIR"] = str(settings.data_dir)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "saige.cli", "ingest"], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"bench_ingest: `saige ingest` failed: {proc.stderr.strip()[-300:]}")
    return seconds


def main() -> None:
    from ingest.pipeline import ingest
    from retrieval.embedder import load_embedder, token_counter
    from retrieval.index import open_current_store

    corpus = corpus_dir()
    if not corpus.is_dir():
        print(f"bench_ingest: corpus folder {corpus} not found (set SAIGE_CORPUS_DIR); skipped")
        return
    root = Path(tempfile.mkdtemp(prefix="saige-bench-ingest-"))
    try:
        settings = Settings(corpus_dir=corpus, data_dir=root / "data")
        cold = ingest(settings)
        warm = ingest(settings)
        warm_cli = _cli_ingest_seconds(settings)
        rebuild = ingest(settings, rebuild=True)
        store = open_current_store(settings, load_embedder(settings))
        chunks = store.chunks()
        count = token_counter(settings)
        tokens = [count(c.embed_text) for c in chunks]
        text_tokens = [count(c.text) - count("") for c in chunks]
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print("== ingest benchmark ==")
    print(f"corpus: {corpus} ({cold.documents} documents, {cold.pages} pages, {cold.pages_skipped} skipped)")
    print(
        f"cold ingest:    {cold.seconds:7.1f} s  (embedded {cold.embedded}, cached {cold.cached}; <= 120 s)"
    )
    print(
        f"warm re-ingest: {warm_cli:7.1f} s  (`saige ingest` in a fresh process, imports included; "
        f"{warm.seconds:.2f} s inside a warm process; unchanged {warm.unchanged}, embedded {warm.embedded})"
    )
    print(
        f"rebuild (warm caches): {rebuild.seconds:5.1f} s  "
        f"(embedded {rebuild.embedded}, cached {rebuild.cached}, parse cache hits {rebuild.parse_cached})"
    )
    for name, r in (("cold", cold), ("warm", warm), ("rebuild", rebuild)):
        print(
            f"  {name:<8} parse+chunk {r.parse_seconds:6.1f} s  embed {r.embed_seconds:6.1f} s  "
            f"write {r.write_seconds:5.1f} s"
        )
    rate = cold.chunks / cold.seconds
    embed_rate = cold.embedded / cold.embed_seconds if cold.embed_seconds else 0.0
    print(
        f"chunks: {cold.chunks}  sections: {cold.sections}  chunks/s (cold, end to end): {rate:.1f}  "
        f"(embedding alone: {embed_rate:.1f}/s)"
    )
    print(f"load average after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("chunks per document:")
    for stats in cold.per_document:
        print(
            f"  {stats.doc_id:<44} pages {stats.pages:>4}  sections {stats.sections:>4}"
            f"  chunks {stats.chunks:>5}"
        )
    print(f"embed_text tokens (path + text, model tokens incl. [CLS]/[SEP]): {_quantiles(tokens)}")
    print(f"text-only tokens: {_quantiles(text_tokens)}")
    print(_histogram(tokens))
    if any(t > 256 for t in tokens):
        print(f"WARNING: {sum(t > 256 for t in tokens)} chunks exceed the model's 256 tokens")


if __name__ == "__main__":
    main()

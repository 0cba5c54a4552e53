"""`make bench`: run every benchmark module that exists (ingest, query, load) and print its figures."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time

BENCHES: tuple[tuple[str, str], ...] = (
    ("evals.bench_ingest", "Ingest: parse, chunk, embed and index the corpus"),
    ("evals.bench_query", "Query: search and answer latency"),
    ("evals.bench_first", "First answer, cold: one-shot ask, the app, the LangChain tutorial pipeline"),
    ("evals.bench_load", "Load: concurrent users"),
)


def main(argv: list[str] | None = None) -> int:
    """Run each bench module's main() in turn; a missing module is reported and skipped."""
    failed = 0
    for module_name, title in BENCHES:
        print(f"\n=== {title} ({module_name}) ===", flush=True)
        if importlib.util.find_spec(module_name) is None:
            print("not available: the module does not exist yet", flush=True)
            continue
        module = importlib.import_module(module_name)
        entry = getattr(module, "main", None)
        if entry is None:
            print("skipped: the module has no main()", flush=True)
            continue
        start = time.perf_counter()
        try:
            result = entry()
            # A main() may return its figures (a dict) rather than an exit code: only an int is a status.
            code = result if isinstance(result, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:
            print(f"failed: {type(exc).__name__}: {' '.join(str(exc).split())}", flush=True)
            code = 1
        seconds = time.perf_counter() - start
        print(f"--- {module_name} finished in {seconds:.1f} s (exit {code or 0})", flush=True)
        failed += int(bool(code))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

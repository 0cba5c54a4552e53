"""Load: 20 concurrent clients on one shared Saige engine (evals.bench_load) give zero errors and flat memory.

On the real index when SAIGE_CORPUS_DIR is set (fixture real_settings), else the generated app corpus.
The bench (`python -m evals.bench_load`) runs 60 s and prints the figures; this test runs 20 s.
"""

from __future__ import annotations

import pytest

from evals.bench_load import load_questions, print_report, run_load
from retrieval.service import Saige
from saige.settings import Settings
from tests.conftest import real_corpus_dir

pytestmark = pytest.mark.slow

CLIENTS = 20
SECONDS = 20.0
GROWTH_MB = 150.0  # loose: the second half must not keep growing the process


@pytest.fixture(scope="module")
def load_settings(request: pytest.FixtureRequest) -> Settings:
    name = "real_settings" if real_corpus_dir() is not None else "app_settings"
    settings: Settings = request.getfixturevalue(name)
    return settings


def test_twenty_clients_share_one_engine(load_settings: Settings) -> None:
    engine = Saige.from_settings(load_settings)
    engine.search("warm up the model and the index", k=3)
    questions = load_questions()
    report = run_load(engine, questions, clients=CLIENTS, seconds=SECONDS)
    print_report(report)
    assert report.errors == 0, report.error_kinds
    assert report.latency_ms["search"]["n"] > 0 and report.latency_ms["ask"]["n"] > 0
    assert report.requests >= CLIENTS
    assert report.rss_end_mb - report.rss_half_mb < GROWTH_MB, report
    # the engine still answers correctly afterwards: same hits as a fresh engine for a known question
    fresh = Saige.from_settings(load_settings)
    question = questions[0][0]
    assert [h.chunk.chunk_id for h in engine.search(question)] == [
        h.chunk.chunk_id for h in fresh.search(question)
    ]

"""evals/tune.py on a tiny in-memory index: it reads dev questions only, is deterministic, and writes a module
whose constants are the values it chose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals import tune
from evals.split import split_of
from retrieval.protocols import Embedder
from retrieval.service import Saige
from retrieval.store import MemoryStore
from saige.settings import Settings
from tests.unit.test_harness import _chunks

TOPICS = [
    ("How should I handle knife blades so they don't slip?", "doc-kitchen", "Knife handling"),
    ("What gloves should I wear when lifting hot oven trays?", "doc-kitchen", "Oven gloves"),
    ("When should tomato plants be watered?", "doc-garden", "Watering tomatoes"),
    ("When should roses be pruned?", "doc-garden", "Pruning roses"),
]


def _ids(split: str, n: int) -> list[str]:
    out = [f"t{i:03d}" for i in range(200) if split_of(f"t{i:03d}") == split]
    return out[:n]


@pytest.fixture
def engine(settings: Settings, fake_embedder: Embedder) -> Saige:
    store = MemoryStore()
    chunks = _chunks()
    store.add(chunks, fake_embedder.embed([c.embed_text for c in chunks]))
    return Saige.from_settings(settings, embedder=fake_embedder, store=store)


def _questions(tmp_path: Path) -> tuple[Path, set[str]]:
    rows: list[dict[str, Any]] = []
    for i, (q, doc, section) in zip(_ids("dev", 4), TOPICS, strict=True):
        rows.append({"id": i, "question": q, "docs": [doc], "sections": [section], "answerable": True})
    rows.append(
        {"id": _ids("dev", 5)[4], "question": "Which stock exchange lists chip makers?", "answerable": False}
    )
    held_out = {f"Held-out question {n} about knife blades?" for n in range(3)}
    for i, q in zip(_ids("test", 3), sorted(held_out), strict=True):
        rows.append(
            {
                "id": i,
                "question": q,
                "docs": ["doc-kitchen"],
                "sections": ["Knife handling"],
                "answerable": True,
            }
        )
    for r in rows:
        r["type"] = "paraphrase" if r["answerable"] else "unanswerable"
    path = tmp_path / "questions-tiny.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path, held_out


def test_tune_reads_dev_only_and_is_deterministic(
    settings: Settings, engine: Saige, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, held_out = _questions(tmp_path)
    asked: list[str] = []
    search, ask = engine.search, engine.ask

    def spy_search(q: str, **kw: Any) -> Any:
        asked.append(q)
        return search(q, **kw)

    def spy_ask(q: str, **kw: Any) -> Any:
        asked.append(q)
        return ask(q, **kw)

    monkeypatch.setattr(engine, "search", spy_search)
    monkeypatch.setattr(engine, "ask", spy_ask)
    lines: list[str] = []
    first = tune.tune(settings, [path], lines.append, engine=engine)
    second = tune.tune(settings, [path], lambda _: None, engine=engine)
    assert first == second
    assert asked and not held_out & set(asked)
    assert lines[0].startswith("dev: 5 questions (4 with gold sections)")
    assert set(first) == set(tune.RANKING_GRID) | set(tune.ABSTENTION_GRID)
    for name, value in first.items():
        grid = tune.RANKING_GRID.get(name) or tune.ABSTENTION_GRID[name]
        assert value in grid or value == tune.committed()[name], name


def test_written_module_holds_the_chosen_values() -> None:
    values = {**tune.committed(), "rrf_k": 40.0, "abstain_dense": 0.3}
    namespace: dict[str, Any] = {}
    exec(tune.render_module(values), namespace)
    assert namespace["RRF_K"] == 40 and isinstance(namespace["RRF_K"], int)
    assert namespace["ABSTAIN_DENSE"] == 0.3
    assert namespace["__doc__"].startswith("The engine's tuned weights")


def test_a_trade_of_hit_at_1_for_mrr_is_refused() -> None:
    base = tune.RankScore(mrr=0.80, hit_at_1=0.70, hit_at_5=0.90)
    assert not tune.RankScore(mrr=0.81, hit_at_1=0.69, hit_at_5=0.90).improves_on(base)
    assert not tune.RankScore(mrr=0.81, hit_at_1=0.70, hit_at_5=0.89).improves_on(base)
    assert not base.improves_on(base)
    assert tune.RankScore(mrr=0.80, hit_at_1=0.70, hit_at_5=0.91).improves_on(base)
    assert tune.RankScore(mrr=0.81, hit_at_1=0.71, hit_at_5=0.90).improves_on(base)


def test_a_held_value_is_never_tried(
    settings: Settings, engine: Saige, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = _questions(tmp_path)
    tried: list[dict[str, float]] = []
    use = tune.use_settings

    def spy(e: Saige, values: dict[str, float]) -> None:
        tried.append(dict(values))
        use(e, values)

    monkeypatch.setattr(tune, "use_settings", spy)
    monkeypatch.setattr(tune, "HELD", {"dense_weight": "held for this test"})
    chosen = tune.tune(settings, [path], lambda _: None, engine=engine)
    committed = tune.committed()["dense_weight"]
    assert tried and {v["dense_weight"] for v in tried} == {committed}
    assert chosen["dense_weight"] == committed

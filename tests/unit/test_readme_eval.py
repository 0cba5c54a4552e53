"""The README's Evaluation section states the gate the code enforces: the thresholds of evals/thresholds.json,
the held-out split it reads, and the split rule of evals/split.py."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Evaluation")
    return " ".join(text[start : text.index("\n## ", start + 1)].split())


def test_readme_states_the_gate_thresholds() -> None:
    section = _section()
    limits = json.loads((ROOT / "evals" / "thresholds.json").read_text(encoding="utf-8"))
    assert limits["split"] == "test" and "reads `test` only" in section
    shown = {"hit_at_1": "hit@1 ≥", "hit_at_5": "hit@5 ≥", "mrr": "MRR ≥", "abstention_recall": "recall ≥"}
    for field, label in shown.items():
        assert f"{label} {limits['all']['min'][field]}" in section, field
    assert f"false abstention ≤ {limits['all']['max']['false_abstention']}" in section
    assert f"right document ≥ {limits['sets']['security']['min']['right_doc']}" in section


def test_readme_states_the_split_rule() -> None:
    section = _section()
    assert "sha256" in section and "is odd" in section and "evals/split.py" in section
    assert "odd-numbered" not in (ROOT / "README.md").read_text(encoding="utf-8")

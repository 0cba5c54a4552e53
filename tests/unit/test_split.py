from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from evals.records import load_questions
from evals.split import split_of
from saige.errors import SaigeError


def test_split_is_a_function_of_the_id_and_roughly_even() -> None:
    ids = [f"q{i:03d}" for i in range(1, 401)]
    parts = [split_of(i) for i in ids]
    assert parts == [split_of(i) for i in ids]
    assert set(parts) == {"dev", "test"}
    share = parts.count("test") / len(parts)
    assert 0.4 < share < 0.6


def test_split_follows_the_parity_of_the_sha256() -> None:
    for item_id in ("q001", "q002", "sec-017", "conv-03"):
        odd = hashlib.sha256(item_id.encode()).digest()[-1] & 1
        assert split_of(item_id) == ("test" if odd else "dev")


def _shipped_items() -> list[tuple[str, dict[str, object]]]:
    evals = Path(__file__).resolve().parents[2] / "evals"
    files = [*sorted(evals.glob("questions*.jsonl")), evals / "conversations.jsonl"]
    return [
        (f.name, json.loads(line))
        for f in files
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_every_shipped_item_stores_the_split_of_its_id() -> None:
    items = _shipped_items()
    names = {name for name, _ in items}
    assert {"questions.jsonl", "questions-security.jsonl", "conversations.jsonl"} <= names
    wrong = [
        f"{name}: {item.get('id')}" for name, item in items if item.get("split") != split_of(str(item["id"]))
    ]
    assert not wrong, "stored split differs from split_of(id): " + ", ".join(wrong[:10])
    ids = [str(item["id"]) for _, item in items]
    assert len(ids) == len(set(ids)), "an id is used twice across the eval files"


def test_a_stored_split_that_disagrees_with_the_rule_is_refused(tmp_path: Path) -> None:
    item = {
        "id": "q001",
        "question": "What is threat modelling?",
        "answerable": False,
        "type": "unanswerable",
    }
    wrong = "test" if split_of("q001") == "dev" else "dev"
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({**item, "split": wrong}) + "\n", encoding="utf-8")
    with pytest.raises(SaigeError, match=r"q\.jsonl:1: field 'split'.*belongs to"):
        load_questions(path)
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")  # left out: computed by the rule
    assert load_questions(path)[0].split == split_of("q001")

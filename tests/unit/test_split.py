from __future__ import annotations

import hashlib

from evals.split import split_of


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

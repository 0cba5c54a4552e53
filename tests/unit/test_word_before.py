"""`word_before` (read backwards) finds exactly what the `_WORD_BEFORE` regex finds on the text before a
position (searched forwards), on random texts built from the characters that matter."""

from __future__ import annotations

import random

from retrieval.identifiers import _WORD_BEFORE, find_mentions, word_before


def _regex(text: str, end: int) -> str | None:
    m = _WORD_BEFORE.search(text[:end])
    return m.group(1) if m is not None else None


def test_same_as_the_regex_on_random_texts() -> None:
    rng = random.Random(20261202)
    alphabet = ["a", "Z", "q", " ", "\t", "\n", "5", ".", "-", "é", "'", "provision", "GV", "1.2"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        for end in range(len(text) + 1):
            assert word_before(text, end) == _regex(text, end), (text, end)


def test_kind_words_before_a_number_still_hint_the_kind() -> None:
    (m,) = find_mentions("See provision \t5.3 of the code")
    assert m.kind_hint == "provision"
    (m,) = find_mentions("Principle\n5.3 says")
    assert m.kind_hint == "principle"
    assert find_mentions("reprovision 5.3")[0].kind_hint is None

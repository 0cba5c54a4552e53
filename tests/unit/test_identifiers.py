"""Identifiers in any spelling reduce to one key; the tokenizer keeps them whole."""

from __future__ import annotations

import pytest

from retrieval.identifiers import IdKey, find_mentions, parse_id
from retrieval.tokenize import content_terms, tokenize


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("GV-1.2-001", IdKey("GV", (1, 2, 1))),
        ("gv-1.2-001", IdKey("GV", (1, 2, 1))),
        ("GV 1.2 001", IdKey("GV", (1, 2, 1))),
        ("GV 1.2.001", IdKey("GV", (1, 2, 1))),
        ("GOVERN 1.2", IdKey("GV", (1, 2))),
        ("Govern 1.2", IdKey("GV", (1, 2))),
        ("MAP4.2", IdKey("MP", (4, 2))),
        ("MAP 4.2", IdKey("MP", (4, 2))),
        ("MS-2.7-003", IdKey("MS", (2, 7, 3))),
        ("PW.1.2", IdKey("PW", (1, 2))),
        ("PW 1.2", IdKey("PW", (1, 2))),
        ("pw1.2", IdKey("PW", (1, 2))),
        ("PO.3", IdKey("PO", (3,))),
        ("5.3", IdKey(None, (5, 3))),
        ("Principle 5", IdKey(None, (5,))),
        ("GOVERN", IdKey("GV", ())),
    ],
)
def test_parse_id_any_spelling(text: str, key: IdKey) -> None:
    assert parse_id(text) == key


def test_parse_id_none_without_identifier() -> None:
    assert parse_id("Secure your supply chain") is None


def test_mentions_in_questions_carry_kind_hints() -> None:
    (m,) = find_mentions("What does provision 5.3 of the code of practice say?")
    assert (m.key, m.kind_hint, m.text) == (IdKey(None, (5, 3)), "provision", "5.3")
    (m,) = find_mentions("Summarise principle 5")
    assert (m.key, m.kind_hint) == (IdKey(None, (5,)), "principle")
    (m,) = find_mentions("What does task PW 1.2 ask for?")
    assert (m.key, m.kind_hint) == (IdKey("PW", (1, 2)), "task")
    keys = [m.key for m in find_mentions("Compare GOVERN 1.1 and MAP 5.1 with GV-1.1-001")]
    assert keys == [IdKey("GV", (1, 1)), IdKey("MP", (5, 1)), IdKey("GV", (1, 1, 1))]


def test_plain_numbers_years_and_documents_are_not_identifiers() -> None:
    assert find_mentions("There are 12 risks in 2024 and 3 functions") == []
    assert find_mentions("NIST SP 800-218A") == []
    assert find_mentions("model v1.1") == []


def test_known_prefixes_restrict_what_counts() -> None:
    (m,) = find_mentions("what is pw 1.2", prefixes=frozenset({"PW"}))
    assert m.key == IdKey("PW", (1, 2))
    (m,) = find_mentions("what is xy 1.2", prefixes=frozenset({"PW"}))
    assert m.key == IdKey(None, (1, 2))


def test_tokenizer_keeps_identifiers_whole_in_every_spelling() -> None:
    token = "gv.1.2.1"
    for spelling in ("GV-1.2-001", "gv-1.2-001", "GV 1.2 001", "GV 1.2.001"):
        assert token in tokenize(f"Action {spelling} says"), spelling
        assert token in content_terms(f"What does {spelling} recommend?"), spelling
    assert tokenize("GOVERN 1.2") == tokenize("Govern 1.2") == ["govern", "gv.1.2"]
    assert tokenize("PW.1.2") == tokenize("PW 1.2") == ["pw", "pw.1.2"]
    assert "5.3" in tokenize("provision 5.3") and "5" not in tokenize("provision 5.3")

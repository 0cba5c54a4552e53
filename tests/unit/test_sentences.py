"""The one sentence splitter (saige.sentences) in its three modes."""

from __future__ import annotations

from saige.sentences import sentence_spans, split_sentences


def test_prose_sentences_keep_their_closing_marks_and_skip_abbreviations() -> None:
    text = 'He said "stop." Then he left. See Fig. 1 and e.g. NIST in v1.2 here. Smith et al. 2023 agree. 5 more.'
    assert split_sentences(text) == [
        'He said "stop."',
        "Then he left.",
        "See Fig. 1 and e.g. NIST in v1.2 here.",
        "Smith et al. 2023 agree.",
        "5 more.",
    ]
    assert split_sentences("a full stop. then lower case") == ["a full stop. then lower case"]


def test_spans_are_verbatim_and_stripped() -> None:
    text = "  First one.   Second one (with a bracket.)  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one (with a bracket.)"]


def test_line_structure_ends_sentences_at_bullets_and_blank_lines() -> None:
    text = "Intro without a stop\n\nNext paragraph. more\n\u2022 bullet one \u2022 bullet two\n1. item"
    assert split_sentences(text, lines=True, strip_bullets=True) == [
        "Intro without a stop",
        "Next paragraph. more",
        "bullet one",
        "bullet two",
        "1. item",
    ]
    assert split_sentences("Short. A longer sentence here.", lines=True, min_chars=12) == [
        "A longer sentence here."
    ]


def test_loose_mode_splits_questions_in_lower_case_but_not_identifiers() -> None:
    assert split_sentences("what is x? how about y; GV-1.2-001 recommend. ok", loose=True) == [
        "what is x?",
        "how about y;",
        "GV-1.2-001 recommend.",
        "ok",
    ]


def test_the_chunker_keeps_its_cut_points_after_abbreviations() -> None:
    assert split_sentences("See Fig. 1 here. Next.", abbreviations=False) == ["See Fig.", "1 here.", "Next."]

"""What must hold of an answer whatever the real model wrote (the model is small and its wording is not
asserted): markers map to retrieved sources, ungrounded output never stands as an LLM answer, no raw HTML."""

from __future__ import annotations

import re
from typing import Any

from retrieval.citations import MARKER_RE

REPLACED = "the LLM answer was replaced by the extractive answer"


def markers(text: str) -> set[int]:
    return {int(n) for m in MARKER_RE.finditer(text) for n in m.group(1).split(",")}


def flat(text: str) -> str:
    return " ".join(text.split())


def check_answer(record: dict[str, Any]) -> None:
    """One `saige ask --json` record from the LLM path."""
    answer: str = record["answer"]
    hits: list[dict[str, Any]] = record["hits"]
    citations: list[dict[str, Any]] = record["citations"]
    where = f"{record['question']!r} -> {answer[:300]!r}"
    # every kept [n] names a citation, and every citation quotes a retrieved source: on the LLM path the
    # source the model was shown as [n]; an extractive answer numbers its quotes itself
    assert markers(answer) == {c["n"] for c in citations}, where
    for c in citations:
        if record["mode"] == "llm":
            assert 1 <= c["n"] <= len(hits), where
            sources = [hits[c["n"] - 1]]
        else:
            sources = hits
        assert any(
            (c["doc_id"], c["section"]) == (h["doc_id"], h["section"])
            and flat(c["quote"].rstrip("…")) in flat(h["text"])
            for h in sources
        ), f"citation [{c['n']}] quotes no retrieved source: {where}"
    # model output is never markup: `<` reaches the user only as an entity
    assert "<" not in answer, where
    if record["mode"] == "llm":
        assert REPLACED not in record["warnings"], where
        # an LLM answer stands only with a valid citation, or as a plain abstention
        assert citations or record["abstained"], where
    elif record["declined"] or record["abstained"]:
        assert not citations, where
    else:
        assert re.search(r"\[\d", answer) and citations, where


def check_streamed_output(out: str) -> str:
    """`saige ask --stream` output (no colours, wide enough not to wrap the notes): a note that the answer
    streams, the streamed text, then exactly one verdict: the note that it stands, or a marked heading with
    the checked answer under it. Returns the verdict ("stands", "changed", "replaced" or "withheld")."""
    from saige.render import HEADINGS, STANDS, STOPPED, STREAMING

    flat_out = flat(out)
    assert flat_out.startswith(STREAMING), out[:500]
    assert STOPPED not in flat_out, out[-2000:]
    verdicts = {name: heading for name, heading in HEADINGS.items() if heading in flat_out}
    if STANDS in flat_out:
        verdicts["stands"] = STANDS
    assert len(verdicts) == 1, (list(verdicts), out[-2000:])
    ((verdict, note),) = verdicts.items()
    streamed = flat_out[len(STREAMING) : flat_out.index(note)].strip()
    assert streamed, out[:2000]
    if verdict != "stands":
        assert flat_out.index(note) + len(note) < len(flat_out.rstrip()), (
            "the checked answer follows its heading"
        )
    if verdict == "replaced":
        # the extractive answer always quotes its sources, and says why it replaced the streamed text
        assert "Sources [1] " in flat_out[flat_out.index(note) :], out[-2000:]
        assert f"warning: {REPLACED}" in flat_out, out[-2000:]
    return verdict

"""Extractive answers shaped by what a follow-up asked (retrieval/followup.py's FollowupPlan).

- a new question or a rewritten follow-up: the default answer (retrieval/answer.py);
- "expand" / "pick": the section the follow-up points at, in more depth (more of its sentences), then one
  point from each of two related sections;
- "stage": a direct answer naming the lifecycle stage of that section, cited to it;
- "locate": a direct answer giving that section's document, heading path and pages, cited to it;
- "analogous": the guidance on the same topic in the named stage or for the named audience, with a lead
  that says so and names the section it stands in for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from retrieval.answer import (
    Composed,
    IdfFn,
    LeadFn,
    build_answer,
    default_lead,
    doc_name,
    markdown_text,
    section_label,
    statement_text,
    strip_reference_marks,
)
from retrieval.citations import make_citation, sentence_spans
from retrieval.lifecycle import path_stage
from retrieval.sentence_kinds import not_a_point
from saige.types import STAGES, AnswerPoint, Chunk, Document, FollowupPlan, Hit, normalize_heading

EXPAND_TOP_POINTS = 6


def compose_answer(
    question: str,
    resolved: str,
    hits: Sequence[Hit],
    documents: Mapping[str, Document],
    idf: IdfFn,
    plan: FollowupPlan | None = None,
) -> Composed:
    if plan is not None and plan.kind == "rewrite" and len(plan.docs) > 1 and hits:
        return build_answer(resolved, hits, documents, idf, lead=_family_lead(plan, resolved, documents))
    if plan is None or plan.kind in ("new", "rewrite") or not hits:
        return build_answer(resolved, hits, documents, idf)
    if plan.kind == "stage":
        asked = plan.target
        top = hits[0].chunk
        if asked is not None and len(hits) > 1 and (top.doc_id, tuple(top.section_path)) != asked.key:
            return counterpart_stage_answer(hits[1].chunk, top, documents)
        return stage_answer(top, documents)
    if plan.kind == "locate":
        return locate_answer(hits[0].chunk, documents)
    if plan.kind in ("expand", "pick"):
        return build_answer(
            resolved,
            hits,
            documents,
            idf,
            lead=_expand_lead(documents),
            max_points=EXPAND_TOP_POINTS + 2,
            max_sections=1,
            top_cap=EXPAND_TOP_POINTS,
            related=2,
        )
    return build_answer(resolved, hits, documents, idf, lead=_analogous_lead(plan, documents))


def _name(chunk: Chunk, documents: Mapping[str, Document]) -> str:
    return markdown_text(doc_name(chunk, documents))


def _expand_lead(documents: Mapping[str, Document]) -> LeadFn:
    def lead(chunks: Sequence[Chunk], quotes: Sequence[list[str]]) -> str:
        top = chunks[0]
        text = f"More on **{markdown_text(section_label(top))}** ({_name(top, documents)}), from the section itself"
        if len(chunks) > 1:
            text += ", then related guidance"
        return text + ":"

    return lead


def _analogous_lead(plan: FollowupPlan, documents: Mapping[str, Document]) -> LeadFn:
    def lead(chunks: Sequence[Chunk], quotes: Sequence[list[str]]) -> str:
        top = chunks[0]
        where = (
            f"In the **{plan.stage}** stage" if plan.stage else f"For {markdown_text(plan.audience or '')}"
        )
        text = f"{where}, the corresponding guidance is **{markdown_text(section_label(top))}** ({_name(top, documents)})"
        if plan.previous and plan.previous[0].key != (top.doc_id, tuple(top.section_path)):
            text += f", where the previous answer was under **{markdown_text(plan.previous[0].section)}**"
        if len(chunks) > 1:
            others = "; ".join(f"**{markdown_text(section_label(c))}**" for c in chunks[1:])
            text += f"; {others} also bear on it"
        return text + ". The key points, quoted from the sources:"

    return lead


def _family_lead(plan: FollowupPlan, resolved: str, documents: Mapping[str, Document]) -> LeadFn:
    """For a follow-up naming several documents at once ("and NIST?"): which of them the answer comes
    from, then the usual lead (which guideline of which document answers)."""
    usual = default_lead(resolved, documents)

    def lead(chunks: Sequence[Chunk], quotes: Sequence[list[str]]) -> str:
        named = [documents[d].short_title if d in documents else d for d in plan.docs]
        return f"Of the {len(named)} documents named ({markdown_text('; '.join(named))}), " + usual(
            chunks, quotes
        )

    return lead


def _opening(chunk: Chunk) -> str:
    """The section's first sentence that is a statement (not a question, label or dangling lead-in)."""
    for a, b in sentence_spans(chunk.text):
        candidate = chunk.text[a:b]
        if not_a_point(candidate, chunk.section_path) is None:
            return candidate
    return chunk.text.strip()[:300]


def _point(n: int, chunk: Chunk, quote: str) -> AnswerPoint:
    shown = " ".join(strip_reference_marks(statement_text(quote)).split())
    return AnswerPoint(
        n=n,
        text=shown,
        doc_id=chunk.doc_id,
        section=chunk.section,
        section_path=list(chunk.section_path),
        stage=chunk.stage,
    )


def counterpart_stage_answer(asked: Chunk, staged: Chunk, documents: Mapping[str, Document]) -> Composed:
    """The stage of a section whose document does not use the lifecycle stages: its own part heading, and the
    stage of its counterpart in a document that does ("... its counterpart X is in the Secure operation and
    maintenance stage [1]"), each cited."""
    assert staged.stage in STAGES
    quotes = [_opening(staged), _opening(asked)]
    citations = [
        make_citation(1, staged, quotes[0], documents.get(staged.doc_id)),
        make_citation(2, asked, quotes[1], documents.get(asked.doc_id)),
    ]
    points = [_point(1, staged, quotes[0]), _point(2, asked, quotes[1])]
    own = path_stage(asked.section_path)
    parent = next(
        (p for p in reversed(asked.section_path[:-1]) if own and path_stage([p, ""]) == own),
        None,
    )
    where = f", under **{markdown_text(parent)}**" if parent else ""
    number = STAGES.index(staged.stage) + 1
    lead = (
        f"**{markdown_text(asked.section)}** is a section of {_name(asked, documents)}{where} [2]; that document "
        f"does not use the four lifecycle stages. Its counterpart in {_name(staged, documents)}, "
        f"**{markdown_text(staged.section)}**, is in the **{staged.stage}** stage (stage {number} of "
        f"{len(STAGES)}) [1]."
    )
    body = "\n".join(f"- {markdown_text(p.text)} [{p.n}]" for p in points)
    return Composed(lead + "\n\n" + body, citations, points)


def locate_answer(chunk: Chunk, documents: Mapping[str, Document]) -> Composed:
    """ "**Monitor your system's inputs** is on p. 19 of ...": where the section is, cited to its opening."""
    guideline = markdown_text(chunk.section)
    path = markdown_text(" › ".join(chunk.section_path))
    where = f"on {chunk.pages_label}" if chunk.pages_label else "(the document numbers no pages)"
    lead = f"**{guideline}** is {where} of {_name(chunk, documents)}, under {path} [1]."
    return _lead_and_opening(lead, chunk, documents)


def _lead_and_opening(lead: str, chunk: Chunk, documents: Mapping[str, Document]) -> Composed:
    """A direct answer about one section: `lead`, then the section's opening sentence as its one point [1]."""
    quote = _opening(chunk)
    citation = make_citation(1, chunk, quote, documents.get(chunk.doc_id))
    point = _point(1, chunk, quote)
    return Composed(lead + "\n\n" + f"- {markdown_text(point.text)} [1]", [citation], [point])


def stage_answer(chunk: Chunk, documents: Mapping[str, Document]) -> Composed:
    """ "That is in the Secure deployment stage: ..." cited to the section's opening sentence."""
    name = _name(chunk, documents)
    guideline = markdown_text(chunk.section)
    pages = f", {chunk.pages_label}" if chunk.pages_label else ""
    if chunk.stage in STAGES:
        number = STAGES.index(chunk.stage) + 1
        lead = (
            f"That is in the **{chunk.stage}** stage (stage {number} of {len(STAGES)}): **{guideline}** is one of "
            f"its guidelines in {name}{pages} [1]."
        )
    else:
        path = " › ".join(
            p for p in chunk.section_path if normalize_heading(p) != normalize_heading(chunk.section)
        )
        part = f" under {markdown_text(path)}" if path else ""
        lead = (
            f"**{guideline}** is a section of {name}{part}{pages} [1]; that document does not sort its guidance "
            "into the lifecycle stages."
        )
    return _lead_and_opening(lead, chunk, documents)

"""Build a review from the index, and carry an earlier build's statuses and notes into it (losing none)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from retrieval.review.applicability import applicability, check_traits
from retrieval.review.guidelines import GuidelineRef, guideline_refs, guidelines_document
from retrieval.review.linked import linked_controls
from retrieval.review.model import NO_LONGER_MATCHED, ApplicableGuideline, DesignReview, ReviewControl
from retrieval.review.scenarios import DSIT, match_scenarios, scenario_measures
from retrieval.review.statements import chunk_of, control_statements
from saige.types import Chunk, Control, Document, Hit, RelatedControl

SectionText = Callable[[str, Sequence[str]], str]
Related = Callable[[GuidelineRef], Sequence[RelatedControl]]


def extract_controls(
    ref: GuidelineRef, text: str, chunks: Sequence[Chunk], document: Document
) -> list[ReviewControl]:
    """The key controls of one guideline from its full section text; `chunks` (of that section) give pages.

    The Guidelines print no identifiers for their statements: each is named by its guideline and numbered.
    """
    own = [c for c in chunks if c.doc_id == ref.doc_id and list(c.section_path) == ref.section_path]
    controls = []
    for n, statement in enumerate(control_statements(text), 1):
        chunk = chunk_of(statement, own)
        controls.append(
            ReviewControl(
                doc_id=ref.doc_id,
                doc_title=ref.doc_title,
                control_id=ref.heading,
                number=n,
                text=statement,
                stage=ref.stage,
                guideline=ref.heading,
                page=chunk.page_start if chunk is not None else ref.page_start,
                url=document.page_url(chunk.link_page) if chunk is not None else ref.url,
            )
        )
    return controls


def build_review(
    *,
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    section_text: SectionText,
    description: str,
    flags: Iterable[str],
    description_hits: Sequence[Hit] = (),
    previous: DesignReview | None = None,
    related: Related | None = None,
    catalogue: Sequence[Control] = (),
) -> DesignReview:
    """Every guideline, strongest first, with its controls; `previous` (the same system) loses nothing.

    With `related` (a guideline's related guidance from the crosswalk), each guideline also lists the linked
    controls of the other frameworks, with their provenance; when the system matches DSIT scenarios, the
    example measures of those scenarios from the provisions of the DSIT principles linked to the guideline
    (`catalogue` holds the provisions).

    Controls of `previous` keep their status and notes. A control of `previous` with a status or notes that
    this build no longer lists is kept, marked as no longer matched.
    """
    traits = check_traits(flags)
    document = guidelines_document(documents)
    review = DesignReview(description=description, flags=traits)
    if related is not None:
        review.scenarios = match_scenarios(description, traits)
    names = [s.name for s in review.scenarios]
    by_id = {d.id: d for d in documents}
    if document is not None:
        refs = guideline_refs(chunks, document)
        for ref, why in applicability(refs, traits, description_hits):
            text = section_text(ref.doc_id, ref.section_path)
            links = list(related(ref)) if related is not None else []
            principles = [
                (r.control, r.link.origin)
                for r in links
                if r.control is not None
                and r.control.doc_id == DSIT
                and r.control.kind == "principle"
                and r.link.provenance != "computed"
            ]
            review.guidelines.append(
                ApplicableGuideline(
                    guideline=ref,
                    strength=why.strength,
                    reasons=why.reasons,
                    controls=extract_controls(ref, text, chunks, document),
                    linked=linked_controls(ref, links, by_id),
                    measures=scenario_measures(ref, principles, catalogue, names, by_id) if names else [],
                )
            )
    if previous is not None:
        carry_over(previous, review)
    return review


def carry_over(previous: DesignReview, review: DesignReview) -> list[ReviewControl]:
    """Copy the statuses and notes of `previous` into `review` (in place); returns the controls kept as no
    longer matched (touched controls of `previous` that `review` does not list)."""
    if previous.created:
        review.created = previous.created
    current = {c.identity: c for c in review.controls()}
    kept: list[ReviewControl] = []
    for g in previous.guidelines:
        for old in g.controls:
            now = current.get(old.identity)
            if now is not None:
                now.status, now.notes = old.status, old.notes
                continue
            if not old.touched:
                continue
            ghost = old.model_copy(update={"matched": False})
            kept.append(ghost)
            group = next((n for n in review.guidelines if n.guideline.key == g.guideline.key), None)
            if group is None:
                group = ApplicableGuideline(
                    guideline=g.guideline, strength=g.strength, reasons=[NO_LONGER_MATCHED], controls=[]
                )
                review.guidelines.append(group)
            group.controls.append(ghost)
            current[ghost.identity] = ghost
    return kept


def kept_review(previous: DesignReview, keep: Callable[[ReviewControl], bool]) -> DesignReview:
    """Only the controls of `previous` that `keep` selects: what a new review of another system starts from."""
    out = DesignReview(created="")
    for g in previous.guidelines:
        chosen = [c for c in g.controls if keep(c)]
        if chosen:
            out.guidelines.append(g.model_copy(update={"controls": chosen}))
    return out

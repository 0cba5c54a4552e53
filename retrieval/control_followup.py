"""The identifier and the linked controls of the guideline a conversation is on ("Is there a control id for
that?", "Which control is that?", "Does NIST have a matching control?").

The section the last answer gave is matched to its own control(s) in the catalogue: the id its document
prints for it (Principle 6, PS.1, GOVERN 6.1), or the unnumbered record of a document that prints none (the
Guidelines' guidelines). The controls of other frameworks linked to those come from the crosswalk
(retrieval/crosswalk.py), each with its provenance: published in the corpus, published elsewhere (OWASP AI
Exchange), or computed ("similar", never shown as a published mapping). When the question names documents,
only their controls are offered. Every control held in the corpus is cited to the section that holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from retrieval.answer import Composed, doc_name, markdown_text, section_label, statement_text
from retrieval.citations import make_citation, sentence_spans
from retrieval.controls import ControlCatalogue
from retrieval.crosswalk import RelatedSource, corpus_links, owasp_links, similar_links
from retrieval.planning import Sections
from retrieval.sentence_kinds import not_a_point
from saige.types import (
    AnswerPoint,
    Chunk,
    Control,
    CrosswalkLink,
    Document,
    Hit,
    RelatedControl,
    SectionRef,
    normalize_heading,
)

# How many linked controls of each provenance are shown, and how many "similar" ones are computed.
MAX_PUBLISHED = 6
MAX_SIMILAR = 3
# How many nearest controls are fetched before keeping those of the documents named.
SIMILAR_POOL = 60
# How much of the section's text stands for it when "similar" controls are computed.
COMPARED_CHARS = 1500
# How many of a control's parts are named after its identifier.
MAX_PARTS = 8
PROVENANCE = {
    "published-in-corpus": "published in the corpus",
    "published-elsewhere": "published elsewhere",
    "computed": "similar (computed, not a published mapping)",
}


@dataclass(frozen=True)
class Linked:
    """One linked control: the link, and the section that holds the target when it is in the corpus."""

    related: RelatedControl
    hit: Hit | None


@dataclass(frozen=True)
class ControlFinding:
    """What a control follow-up answers from: the section asked about, its own controls, the linked ones."""

    target: Hit
    own: list[Control]
    linked: list[Linked]
    named: list[str] = field(default_factory=list)
    parts: dict[str, list[Control]] = field(default_factory=dict)

    @property
    def hits(self) -> list[Hit]:
        """The sections answered from, ranked: the documents named first when the question names some."""
        linked = [x.hit for x in self.linked if x.hit is not None]
        if self.named and self.target.chunk.doc_id not in self.named:
            ordered = [*(h for h in linked if h.chunk.doc_id in self.named), self.target, *linked]
        else:
            ordered = [self.target, *linked]
        out: list[Hit] = []
        for h in ordered:
            if all(_key(o) != _key(h) for o in out):
                out.append(h.model_copy(update={"rank": len(out) + 1}))
        return out


def _key(hit: Hit) -> tuple[str, tuple[str, ...]]:
    return (hit.chunk.doc_id, tuple(hit.chunk.section_path))


def own_controls(catalogue: ControlCatalogue, sections: Sections, ref: SectionRef) -> list[Control]:
    """The controls a section is: those of its document whose own heading is the section's (the top-most
    of them: a guideline, not its statements), else the control its chunk holds (an id in its heading)."""
    heading = normalize_heading(ref.section)
    same = [
        c
        for c in catalogue.of_document(ref.doc_id)
        if (c.path and normalize_heading(c.path[-1]) == heading) or normalize_heading(c.title) == heading
    ]
    ids = {c.control_id for c in same}
    top = [c for c in same if c.parent_id not in ids]
    if top:
        return top
    hit = sections.hit(ref)
    held = catalogue.control_of(hit.chunk) if hit is not None else None
    return [held] if held is not None else []


def control_hit(catalogue: ControlCatalogue, sections: Sections, control: Control) -> Hit | None:
    """The section that holds a control, whole: the chunks of its id, else the section its path names."""
    chunks = catalogue.chunks_for(control)
    if chunks:
        c = chunks[0]
        return sections.hit(SectionRef(doc_id=c.doc_id, section=c.section, section_path=list(c.section_path)))
    if control.path:
        return sections.hit(
            SectionRef(doc_id=control.doc_id, section=control.path[-1], section_path=control.path)
        )
    return None


def find_controls(
    source: RelatedSource,
    sections: Sections,
    target: SectionRef,
    named: Sequence[str],
    nearby: Sequence[Hit] = (),
) -> ControlFinding | None:
    """The section's own controls and the controls linked to them: published links first, then "similar"
    ones; only those of the `named` documents when the question names documents other than the section's.
    There, the controls held by `nearby` (the search for the section and the conversation's topic in those
    documents) come first among the similar ones."""
    head = sections.hit(target)
    if head is None:
        return None
    catalogue = source.catalogue
    own = own_controls(catalogue, sections, target)
    elsewhere = [d for d in named if d != target.doc_id]
    published: list[RelatedControl] = []
    for control in own:
        published += corpus_links(catalogue, control) + owasp_links(catalogue, control)
        # A section that holds its control's parts (a practice and its tasks) links through them too.
        for part in catalogue.children(control):
            published += corpus_links(catalogue, part)
    if elsewhere:
        published = [r for r in published if r.control is not None and r.control.doc_id in elsewhere]
    published = _distinct(published)[:MAX_PUBLISHED]
    taken = {r.link.target for r in published} | {c.key for c in own}
    similar: list[RelatedControl] = []
    # A section the catalogue holds no control for (a document without controls) is compared as it is.
    bare = Control(
        doc_id=target.doc_id,
        control_id=target.section,
        printed_id=False,
        kind="section",
        title=target.section,
        path=list(target.section_path),
    )
    for control in own[:1] or [bare]:
        # Compared by what the section says (a guideline's record holds only its title).
        text = head.chunk.text[:COMPARED_CHARS]
        probe = (
            control if len(control.statement) >= len(text) else control.model_copy(update={"statement": text})
        )
        pool = similar_links(source, probe, SIMILAR_POOL if elsewhere else MAX_SIMILAR + 2, taken)
        found = [
            r for r in pool if r.control is not None and (not elsewhere or r.control.doc_id in elsewhere)
        ]
        near = _held(catalogue, control, nearby, taken) if elsewhere else []
        similar = _distinct([*near, *found])[:MAX_SIMILAR]
    linked = [
        Linked(related=r, hit=control_hit(catalogue, sections, r.control) if r.control is not None else None)
        for r in [*published, *similar]
    ]
    parts = {c.key: catalogue.children(c) for c in own}
    return ControlFinding(target=head, own=own, linked=linked, named=list(elsewhere), parts=parts)


def catalogue_parts(finding: ControlFinding, control: Control) -> list[Control]:
    """The parts (children) of one of the section's own controls: a practice's tasks, a principle's
    provisions."""
    return finding.parts.get(control.key, [])


def _held(
    catalogue: ControlCatalogue, source: Control, hits: Sequence[Hit], taken: set[str]
) -> list[RelatedControl]:
    """The controls the hits hold (in their order), as computed links: "similar", never published."""
    out: list[RelatedControl] = []
    for h in hits:
        control = catalogue.control_of(h.chunk)
        if control is None or control.key in taken:
            continue
        link = CrosswalkLink(
            source=source.key,
            target=control.key,
            target_label=_label(control),
            provenance="computed",
            origin="similar (nearest to the guideline and the conversation's topic by search; not a published "
            "mapping)",
        )
        out.append(RelatedControl(link=link, control=control))
    return out


def _distinct(items: Sequence[RelatedControl]) -> list[RelatedControl]:
    out: list[RelatedControl] = []
    for r in items:
        if all(o.link.target != r.link.target for o in out):
            out.append(r)
    return out


def _quote(chunk: Chunk, control: Control | None) -> str:
    """The sentence of the section that states the control (the one naming its id), else its first
    statement."""
    spans = [chunk.text[a:b] for a, b in sentence_spans(chunk.text)]
    if control is not None and control.printed_id:
        for s in spans:
            if control.control_id.lower() in s.lower() and not_a_point(s, chunk.section_path) is None:
                return s
    for s in spans:
        if not_a_point(s, chunk.section_path) is None:
            return s
    return chunk.text.strip()[:300]


def _label(control: Control) -> str:
    """ "Principle 7 Secure your supply chain", "PS.1.3", or an unnumbered guideline's title."""
    if not control.printed_id:
        return control.title or control.control_id
    if not control.title or normalize_heading(control.title) == normalize_heading(control.control_id):
        return control.control_id
    return f"{control.control_id} {control.title}"


def _point(n: int, chunk: Chunk, quote: str, controls: Sequence[Control]) -> AnswerPoint:
    return AnswerPoint(
        n=n,
        text=" ".join(statement_text(quote).split()),
        doc_id=chunk.doc_id,
        section=chunk.section,
        section_path=list(chunk.section_path),
        stage=chunk.stage,
        controls=[c.control_id for c in controls if c.printed_id],
    )


def control_answer(finding: ControlFinding, documents: Mapping[str, Document]) -> Composed:
    """The answer: the section's own identifier (or that its document prints none), then each linked
    control with its provenance, cited to the section that holds it."""
    top = finding.target.chunk
    name = markdown_text(doc_name(top, documents))
    own_quote = _quote(top, finding.own[0] if finding.own else None)
    citations = [make_citation(1, top, own_quote, documents.get(top.doc_id))]
    points = [_point(1, top, own_quote, finding.own)]
    printed = [c.control_id for c in finding.own if c.printed_id]
    label = f"**{markdown_text(section_label(top))}**"
    if printed:
        lead = f"In {name}, {label} carries the identifier **{markdown_text(', '.join(printed))}**"
        parts = [p.control_id for c in finding.own for p in catalogue_parts(finding, c) if p.printed_id]
        if parts:
            shown = ", ".join(parts[:MAX_PARTS]) + (", ..." if len(parts) > MAX_PARTS else "")
            lead += f" (its parts: {markdown_text(shown)})"
        lead += " [1]."
    else:
        lead = f"{label} has no identifier of its own: {name} does not number it [1]."
    lines: list[str] = []
    for item in finding.linked:
        r = item.related
        how = PROVENANCE[r.link.provenance]
        if r.link.provenance != "computed":
            how += f": {markdown_text(r.link.origin)}"
        if item.hit is None or r.control is None:
            where = f", {r.link.target_url}" if r.link.target_url else ""
            lines.append(f"- {markdown_text(r.link.target_label)} (outside the corpus{where}) — {how}")
            continue
        chunk = item.hit.chunk
        n = len(citations) + 1
        quote = _quote(chunk, r.control)
        citations.append(make_citation(n, chunk, quote, documents.get(chunk.doc_id)))
        points.append(_point(n, chunk, quote, [r.control]))
        target = markdown_text(_label(r.control))
        lines.append(f"- **{target}** ({markdown_text(doc_name(chunk, documents))}) — {how} [{n}]")
    named = "; ".join(markdown_text(documents[d].short_title) if d in documents else d for d in finding.named)
    where = f" in {named}" if named else " in other frameworks"
    published = any(x.related.link.provenance != "computed" for x in finding.linked)
    if lines and published:
        lead += f" Controls{where} linked to it, with where each link comes from:"
    elif lines:
        lead += (
            f" No published mapping links it to controls{where}; the nearest ones (computed, not a published "
            "mapping):"
        )
    else:
        lead += f" No published mapping links it to controls{where}, and none is similar enough to offer."
    body = f"- {markdown_text(points[0].text)} [1]"
    text = "\n\n".join(part for part in (lead, "\n".join(lines), f"{label} — {name}\n{body}") if part)
    return Composed(text, citations, points)

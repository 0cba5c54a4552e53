"""A guideline's linked controls in the other frameworks, from the crosswalk, each with its provenance.

The crosswalk (retrieval/crosswalk.py) gives a guideline's related guidance: links the documents publish,
OWASP AI Exchange's published mapping (to DSIT principles and AI Exchange controls), and computed "similar"
controls. Here each becomes a review item under the framework's own identifier ("GV-1.2-001", "PW.1.2",
"Principle 7"), with where the link comes from. Pure functions of records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from retrieval.review.guidelines import GuidelineRef
from retrieval.review.model import ReviewControl
from saige.types import Control, Document, Provenance, RelatedControl

OWASP_DOC_ID = "owasp-ai-exchange"
OWASP_TITLE = "OWASP AI Exchange"
_LABELS: dict[Provenance, str] = {
    "published-in-corpus": "published in the corpus",
    "published-elsewhere": "published elsewhere",
    "computed": "similar (computed)",
}


def provenance_text(provenance: Provenance | None, origin: str = "") -> str:
    """The label and where the link is stated, without repeating the publisher (for exports)."""
    label = provenance_label(provenance, origin)
    if provenance == "published-elsewhere" and origin.strip():
        return f"published by {origin.strip()}"
    return f"{label}: {origin}" if label and origin.strip() else label


def provenance_label(provenance: Provenance | None, origin: str = "") -> str:
    """ "published in the corpus", "published by OWASP AI Exchange" (who published the mapping, from its
    origin), or "similar (computed)"; "" for a guideline's own statement."""
    if provenance is None:
        return ""
    if provenance == "published-elsewhere" and origin.strip():
        return "published by " + origin.split(",")[0].strip()
    return _LABELS[provenance]


def control_ref(control: Control) -> str:
    """The identifier a reader looks up: the printed id, else (a control the document does not number) its
    title."""
    return control.control_id if control.printed_id else control.title or control.control_id


def control_title(control: Control) -> str:
    """The control's title when it says more than its id ("" for "GV-1.2-001" or "Provision 5.3")."""
    title = " ".join(control.title.split())
    if not title or title.lower() in (
        control.control_id.lower(),
        f"{control.kind} {control.control_id}".lower(),
    ):
        return ""
    return title


def linked_item(
    ref: GuidelineRef, related: RelatedControl, documents: Mapping[str, Document]
) -> ReviewControl:
    """One linked control as a review item, listed under the guideline `ref`."""
    link, control = related.link, related.control
    origin = link.origin
    if link.provenance == "computed":
        origin = "nearest by embedding similarity, not a published mapping"
        origin += f"; similarity {link.score:.2f}" if link.score is not None else ""
    if control is None:  # a control outside the corpus (an OWASP AI Exchange control)
        return ReviewControl(
            kind="linked",
            doc_id=OWASP_DOC_ID,
            doc_title=OWASP_TITLE,
            control_id=link.target_label,
            text=link.target_label,
            stage=ref.stage,
            guideline=ref.heading,
            url=link.target_url or "",
            provenance=link.provenance,
            origin=origin,
        )
    doc = documents.get(control.doc_id)
    text = control.statement or control.title or control.control_id
    return ReviewControl(
        kind="linked",
        doc_id=control.doc_id,
        doc_title=doc.short_title if doc is not None else control.doc_id,
        control_id=control_ref(control),
        text=text,
        stage=ref.stage,
        guideline=ref.heading,
        page=control.page_start,
        url=doc.page_url(control.link_page) if doc is not None else "",
        provenance=link.provenance,
        origin=origin,
    )


def linked_controls(
    ref: GuidelineRef, related: Sequence[RelatedControl], documents: Mapping[str, Document]
) -> list[ReviewControl]:
    """The guideline's linked controls in the order the crosswalk gives them (published first, then similar),
    each once."""
    out: list[ReviewControl] = []
    seen: set[tuple[str, str]] = set()
    for r in related:
        item = linked_item(ref, r, documents)
        key = (item.doc_id, item.control_id)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out

"""The controls catalogue: every framework's controls parsed whole from the document's own structure.

`build_catalogue(parsed)` is a pure function of parsed documents (their pages' blocks and positioned
lines): one module per document family reads its tables or headings. Documents without a builder (ASD, the
adversarial-ML taxonomy) contribute no controls; their sections stand as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ingest.controls import ai_rmf, csa, dsit, genai_profile, guidelines, ml_principles, ssdf
from saige.types import Control, ParsedDocument

Builder = Callable[[ParsedDocument], list[Control]]

# Document id prefixes (the manifest's ids carry a year suffix) -> the builder of that document family.
BUILDERS: dict[str, Builder] = {
    "nist-ai-100-1-ai-rmf": ai_rmf.build,
    "nist-ai-600-1-genai-profile": genai_profile.build,
    "nist-sp-800-218a-genai-ssdf-profile": ssdf.build,
    "dsit-ai-cyber-security-cop-implementation-guide": dsit.build,
    "ncsc-cisa-secure-ai-guidelines": guidelines.build,
    "ncsc-machine-learning-principles": ml_principles.build,
    "csa-sg-guidelines-securing-ai-systems": csa.build,
}


def builder_for(doc_id: str) -> Builder | None:
    for prefix, builder in BUILDERS.items():
        if doc_id.startswith(prefix):
            return builder
    return None


def build_catalogue(parsed: Sequence[ParsedDocument]) -> list[Control]:
    """Every control of every document that has a builder, in document order; keys are unique."""
    out: list[Control] = []
    seen: set[str] = set()
    for doc in parsed:
        builder = builder_for(doc.document.id)
        if builder is None:
            continue
        for control in builder(doc):
            if control.key not in seen:
                seen.add(control.key)
                out.append(control)
    return out


__all__ = ["BUILDERS", "build_catalogue", "builder_for"]

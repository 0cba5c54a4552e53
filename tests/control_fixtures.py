"""A small controls catalogue over several documents and id schemes, for unit tests of retrieval."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from saige.types import Chunk, Control, ControlField

if TYPE_CHECKING:
    from retrieval.service import Saige
    from saige.settings import Settings

GUIDE = "ncsc-cisa-secure-ai-guidelines-2023"
RMF = "nist-ai-100-1-ai-rmf-1-0"
GAI = "nist-ai-600-1-genai-profile-2024"
SSDF = "nist-sp-800-218a-genai-ssdf-profile-2024"
DSIT = "dsit-ai-cyber-security-cop-implementation-guide-2025"
MLP = "ncsc-machine-learning-principles-2024"
CSA = "csa-sg-guidelines-securing-ai-systems-2024"
DOC_RANK = (GUIDE, RMF, GAI, SSDF, MLP, DSIT, CSA)


def _c(
    doc: str, cid: str, kind: str, title: str, statement: str, parent: str | None = None, **kw: object
) -> Control:
    return Control.model_validate(
        {
            "doc_id": doc,
            "control_id": cid,
            "kind": kind,
            "title": title,
            "statement": statement,
            "parent_id": parent,
            "page_start": kw.pop("page", 5),
            **kw,
        }
    )


def sample_controls() -> list[Control]:
    return [
        _c(GUIDE, "secure-design", "stage", "Secure design", "", printed_id=False),
        _c(
            GUIDE,
            "secure-design/raise-staff-awareness",
            "guideline",
            "Raise staff awareness of threats and risks",
            "System owners and senior leaders understand threats to secure AI and their mitigations.",
            "secure-design",
            printed_id=False,
        ),
        _c(
            GUIDE,
            "secure-development/secure-your-supply-chain",
            "guideline",
            "Secure your supply chain",
            "You assess and monitor the security of your AI supply chains across the system's life cycle.",
            "secure-development",
            printed_id=False,
        ),
        _c(RMF, "GOVERN", "function", "GOVERN", "A culture of risk management is cultivated and present."),
        _c(
            RMF,
            "GOVERN 1",
            "category",
            "Policies",
            "Policies, processes, procedures and practices.",
            "GOVERN",
        ),
        _c(
            RMF,
            "GOVERN 1.1",
            "subcategory",
            "",
            "Legal and regulatory requirements involving AI are understood.",
            "GOVERN 1",
        ),
        _c(
            RMF,
            "GOVERN 1.2",
            "subcategory",
            "",
            "The characteristics of trustworthy AI are integrated into organizational policies.",
            "GOVERN 1",
        ),
        _c(
            RMF,
            "GOVERN 4.1",
            "subcategory",
            "",
            "Organizational policies foster a critical thinking and safety-first mindset.",
            "GOVERN 4",
        ),
        _c(
            RMF,
            "MAP 4.2",
            "subcategory",
            "",
            "Internal risk controls for components of the AI system, "
            "including third-party AI technologies, are identified and documented.",
            "MAP 4",
        ),
        _c(
            GAI,
            "GV-1.2-001",
            "action",
            "",
            "Establish transparency policies and processes for documenting the "
            "origin and history of training data and generated data.",
            "GOVERN 1.2",
            fields=[ControlField(name="GAI Risks", value="Data Privacy; Information Integrity")],
        ),
        _c(
            GAI,
            "GV-1.2-002",
            "action",
            "",
            "Establish policies to evaluate risk-relevant capabilities of GAI "
            "and robustness of safety measures.",
            "GOVERN 1.2",
            fields=[ControlField(name="GAI Risks", value="CBRN Information or Capabilities")],
        ),
        _c(SSDF, "PW.1", "practice", "Design Software to Meet Security Requirements", "", None),
        _c(
            SSDF,
            "PW.1.2",
            "task",
            "",
            "Track and maintain the software's security requirements, risks, and design decisions.",
            "PW.1",
            fields=[ControlField(name="Informative References", value="AI RMF: Govern 4.1, 4.2; Map 4.2")],
        ),
        _c(SSDF, "PW.1.3", "task", "", "Build in support for using standardized security features.", "PW.1"),
        _c(DSIT, "Principle 5", "principle", "Identify, track and protect your assets", ""),
        _c(
            DSIT,
            "5.1",
            "provision",
            "",
            "Developers, data custodians and system operators shall maintain "
            "a comprehensive inventory of their assets.",
            "Principle 5",
        ),
        _c(
            DSIT,
            "5.3",
            "provision",
            "",
            "Developers shall have a process to manage data and models.",
            "Principle 5",
        ),
        _c(MLP, "5.3", "principle", "Protect your model", "Protect model weights in storage and transit."),
        _c(CSA, "2.1", "section", "Planning and design", "Raise awareness and competency on security risks."),
    ]


def chunk_for(control: Control, order: int, text: str | None = None) -> Chunk:
    """A chunk holding the control, the id in its text, as the catalogue's chunks do."""
    return Chunk(
        chunk_id=f"chunk-{order}",
        doc_id=control.doc_id,
        doc_title=control.doc_id,
        section=control.title or control.control_id,
        section_path=[control.title or control.control_id],
        text=text if text is not None else f"{control.control_id} {control.statement}",
        section_order=order,
        page_start=control.page_start,
    )


def controls_engine(
    settings: Settings, controls: Sequence[Control] | None = None, extra: Sequence[Chunk] = ()
) -> Saige:
    """The Saige facade over an in-memory store: one chunk per control (the sample catalogue unless given),
    then the `extra` chunks, and the catalogue itself, all embedded by the hashed fake."""
    from retrieval.service import Saige
    from retrieval.store import MemoryStore
    from tests.conftest import HashEmbedder

    controls = list(controls) if controls is not None else sample_controls()
    emb = HashEmbedder()
    store = MemoryStore()
    chunks = [*(chunk_for(c, i) for i, c in enumerate(controls)), *extra]
    store.add(chunks, emb.embed([c.embed_text for c in chunks]))
    store.add_controls(controls, emb.embed([f"{c.title} {c.statement}" for c in controls]))
    return Saige(settings, emb, store)

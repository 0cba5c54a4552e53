"""Fakes at the edges for tests: a loopback OpenAI-protocol chat server."""

from collections.abc import Sequence

from saige.types import Chunk, Document, stable_id

GUIDELINES = "ncsc-cisa-secure-ai-guidelines-2023"
ML_PRINCIPLES = "ncsc-machine-learning-principles-2024"
NIST_RMF = "nist-ai-100-1-ai-rmf-1-0"


def tiny_documents() -> list[Document]:
    """Three documents with the real corpus ids (so the document-name aliases apply)."""

    def doc(doc_id: str, title: str, short: str, url: str, priority: int = 0) -> Document:
        return Document(
            id=doc_id,
            title=title,
            short_title=short,
            publisher="Test publisher",
            published="2024",
            official_url=url,
            license="OGL",
            redistributable=True,
            sha256="0" * 64,
            file=f"{doc_id}.pdf",
            kind="pdf",
            priority=priority,
        )

    return [
        doc(
            GUIDELINES,
            "Guidelines for secure AI system development",
            "NCSC/CISA Guidelines",
            "https://example.org/guidelines.pdf",
            10,
        ),
        doc(
            ML_PRINCIPLES,
            "Machine learning principles",
            "NCSC ML principles",
            "https://example.org/ml-principles",
        ),
        doc(NIST_RMF, "AI Risk Management Framework", "NIST AI RMF", "https://example.org/rmf.pdf"),
    ]


_TITLES = {d.id: d.title for d in tiny_documents()}

# (doc_id, stage, path, pages, texts of consecutive chunks)
_SECTIONS: list[tuple[str, str | None, list[str], tuple[int, int], list[str]]] = [
    (
        GUIDELINES,
        "Secure design",
        ["Secure design", "Raise staff awareness of threats and risks"],
        (11, 11),
        [
            "System owners and senior leaders understand threats to secure AI and their mitigations. "
            "Your data scientists and developers maintain an awareness of relevant security threats "
            "and failure modes and help risk owners to make informed decisions."
        ],
    ),
    (
        GUIDELINES,
        "Secure design",
        ["Secure design", "Model the threats to your system"],
        (11, 12),
        [
            "As part of your risk management process, you apply a holistic process to assess the threats to "
            "your system. This includes understanding the potential impacts to the system, users, "
            "organisations, and wider society if an AI component is compromised or behaves unexpectedly."
        ],
    ),
    (
        GUIDELINES,
        "Secure development",
        ["Secure development", "Secure your supply chain"],
        (13, 14),
        [
            "You assess and monitor the security of your AI supply chains across a system's life cycle, and "
            "require suppliers to adhere to the same standards your own organisation applies to other "
            "software. "
            "If suppliers cannot adhere to your standards, you act in accordance with your existing risk "
            "management policies.",
            "you act in accordance with your existing risk management policies. When not produced "
            "in-house, you acquire and maintain well-secured and well-documented hardware and software "
            "components (for "
            "example, models, data, software libraries, modules, middleware, frameworks, and external "
            "APIs) from "
            "verified commercial, open source, and other third-party developers.",
        ],
    ),
    (
        GUIDELINES,
        "Secure deployment",
        ["Secure deployment", "Develop incident management procedures"],
        (16, 16),
        [
            "The inevitability of security incidents affecting your AI systems is reflected in your incident "
            "response, escalation and remediation plans. Your plans reflect different scenarios and are "
            "regularly reassessed as the system and wider research evolves."
        ],
    ),
    (
        GUIDELINES,
        "Secure operation and maintenance",
        ["Secure operation and maintenance", "Monitor your system's behaviour"],
        (18, 18),
        [
            "You measure the outputs and performance of your model and system such that you can "
            "observe sudden and gradual changes in behaviour affecting security. You can account for and "
            "identify potential "
            "intrusions and compromises, as well as natural data drift."
        ],
    ),
    (
        ML_PRINCIPLES,
        "Development",
        ["Development", "Secure your supply chain"],
        (20, 20),
        [
            "Machine learning supply chains include training data, pre-trained models and libraries. Verify "
            "the integrity of pre-trained models and suppliers before using them in your supply chain."
        ],
    ),
    (
        NIST_RMF,
        "Govern",
        ["Govern", "GOVERN 1: Policies and procedures"],
        (21, 21),
        [
            "Policies, processes, procedures, and practices across the organization related to the mapping, "
            "measuring, and managing of AI risks are in place, transparent, and implemented effectively."
        ],
    ),
]


SectionSpec = tuple[str, str | None, list[str], tuple[int, int], list[str]]


def tiny_chunks(extra: Sequence[SectionSpec] = ()) -> list[Chunk]:
    """Hand-made chunks: five Guidelines sections (one of two overlapping chunks), a shared heading in the
    ML principles, and a NIST RMF section."""
    chunks: list[Chunk] = []
    order: dict[str, int] = {}
    for doc_id, stage, path, (p0, p1), texts in [*_SECTIONS, *extra]:
        section_order = order.get(doc_id, 0)
        order[doc_id] = section_order + 1
        for ordinal, text in enumerate(texts):
            page_start = p0 if len(texts) == 1 else (p0 if ordinal == 0 else p1)
            page_end = p1 if len(texts) == 1 else page_start
            chunks.append(
                Chunk(
                    chunk_id=stable_id(doc_id, " > ".join(path), str(ordinal)),
                    doc_id=doc_id,
                    doc_title=_TITLES.get(doc_id, doc_id),
                    section=path[-1],
                    section_path=path,
                    stage=stage,
                    page_start=page_start,
                    page_end=page_end,
                    text=text,
                    section_order=section_order,
                    ordinal=ordinal,
                )
            )
    return chunks

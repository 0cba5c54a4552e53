"""A small generated corpus for the app tests: a Guidelines PDF (four stages, "You ..." statements, fpdf2)
and a Markdown text extraction of related guidance, with a manifest carrying their real sha256."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from saige.settings import Settings

GUIDELINES_ID = "test-guidelines"
FIELD_GUIDE_ID = "test-field-guide"

GUIDELINES: dict[str, list[tuple[str, list[str]]]] = {
    "Secure design": [
        (
            "Raise staff awareness of threats and risks",
            [
                "System owners and senior leaders understand threats to secure AI and their mitigations. "
                "You provide users with guidance on the unique security risks facing AI systems. "
                "Developers are trained in secure coding techniques and secure AI practices.",
            ],
        ),
        (
            "Model the threats to your system",
            [
                "As part of your risk management process, you apply a holistic process to assess the threats "
                "to your system. You assess the potential impacts to the system, users, organisations and "
                "wider society if an AI component is compromised or behaves unexpectedly.",
                "Threat modelling covers adversarial machine learning such as data poisoning and evasion.",
            ],
        ),
        (
            "Design your system for security as well as functionality and performance",
            [
                "You apply least privilege principles to limit access to the system's functionality. "
                "If AI components need to trigger actions, you apply appropriate restrictions to the "
                "possible actions, including fail-safes. You integrate the most secure settings into the "
                "system by default.",
            ],
        ),
    ],
    "Secure development": [
        (
            "Secure your supply chain",
            [
                "You assess and monitor the security of your AI supply chains across a system's life cycle, "
                "and require suppliers to adhere to the same standards your organisation applies to other "
                "software. You acquire well-secured and well-documented models, data and libraries from "
                "verified suppliers, and verify pretrained weights against published hashes.",
            ],
        ),
        (
            "Identify, track and protect your assets",
            [
                "You understand the value of your AI-related assets, including models, data, prompts and "
                "logs. You treat logs as sensitive data and protect their confidentiality and integrity. "
                "You can restore your assets to a known good state after a compromise.",
            ],
        ),
        (
            "Document your data, models and prompts",
            [
                "You document the creation, operation and life cycle management of models, datasets and "
                "system prompts, including the sources of training data and cryptographic hashes.",
            ],
        ),
    ],
    "Secure deployment": [
        (
            "Secure your infrastructure",
            [
                "You apply good infrastructure security principles to every part of the system's life "
                "cycle. You apply appropriate access controls to your APIs, models and data, and segregate "
                "environments holding sensitive code or data.",
            ],
        ),
        (
            "Protect your model continuously",
            [
                "Attackers may reconstruct a model or its training data by querying it. You protect the "
                "model weights and data from direct and indirect access by implementing controls on the "
                "query interface. You compute and share cryptographic hashes of model files as soon as "
                "the model is trained.",
            ],
        ),
        (
            "Develop incident management procedures",
            [
                "Your incident response, escalation and remediation plans reflect AI-related scenarios. "
                "You store critical digital resources in offline backups and provide audit logs to "
                "customers to support their incident response.",
            ],
        ),
    ],
    "Secure operation and maintenance": [
        (
            "Monitor your system's behaviour",
            [
                "You measure the outputs and performance of your model and system so that sudden and "
                "gradual changes in behaviour affecting security can be observed.",
            ],
        ),
        (
            "Monitor your system's inputs",
            [
                "In line with privacy requirements, you monitor and log inputs to your system such as "
                "inference requests, queries and prompts, to enable audit, investigation and remediation. "
                "You detect out-of-distribution and adversarial inputs, including prompt injection.",
            ],
        ),
    ],
}

FIELD_GUIDE: list[tuple[str, str]] = [
    (
        "Protecting model weights",
        "Model weights are valuable assets. Store weights encrypted at rest, restrict who can download "
        "them and log every access to the model registry. Rotate keys used to sign model files.",
    ),
    (
        "Prompt injection defences",
        "Prompt injection hides instructions in inputs. Treat retrieved documents and user prompts as "
        "untrusted, filter inputs and keep tool permissions narrow so that injected text cannot act.",
    ),
    (
        "Supplier assurance",
        "Ask suppliers of models and datasets for provenance records and a software bill of materials. "
        "Verify hashes of third party weights before loading them into production.",
    ),
]


def _pdf() -> Any:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    return pdf


def make_guidelines_pdf(path: Path) -> Path:
    """Title (24 pt), stage headings (20 pt, one page each), guideline headings (14 pt), body (10 pt)."""
    pdf = _pdf()
    pdf.set_font("Helvetica", "B", 24)
    pdf.multi_cell(0, 12, "Guidelines for testing secure AI systems", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.ln(4)
    pdf.multi_cell(0, 5, "This test document plays the Guidelines.", new_x="LMARGIN", new_y="NEXT")
    for n, (stage, guidelines) in enumerate(GUIDELINES.items(), 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 20)
        pdf.multi_cell(0, 10, f"{n}. {stage}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(
            0,
            5,
            f"This section contains guidelines that apply to the {stage.lower()} stage.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(3)
        for heading, paragraphs in guidelines:
            pdf.set_font("Helvetica", "B", 14)
            pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            pdf.set_font("Helvetica", "", 10)
            for para in paragraphs:
                pdf.multi_cell(0, 5, para, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def make_field_guide_md(path: Path) -> Path:
    """The second document as a Markdown text extraction (no pages): '#' headings, one per section."""
    lines = ["# A field guide to machine learning security", "", "Practical notes for engineering teams.", ""]
    for heading, body in FIELD_GUIDE:
        lines += [f"## {heading}", "", body, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _entry(
    doc_id: str, title: str, short: str, path: Path, priority: int, kind: str = "pdf"
) -> dict[str, object]:
    return {
        "id": doc_id,
        "title": title,
        "short_title": short,
        "publisher": "Saige app tests",
        "published": "2024",
        "official_url": f"https://example.org/{path.name}",
        "download_url": None,
        "license": "test data",
        "redistributable": False,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "file": path.name,
        "kind": kind,
        "priority": priority,
    }


def build_app_corpus(root: Path) -> Settings:
    """Write the two PDFs and the manifest under `root`, ingest them with the real pipeline and model."""
    from ingest.pipeline import ingest

    corpus = root / "corpus"
    guidelines = make_guidelines_pdf(corpus / f"{GUIDELINES_ID}.pdf")
    guide = make_field_guide_md(corpus / f"{FIELD_GUIDE_ID}.text-extraction.md")
    manifest = root / "manifest.json"
    entries = [
        _entry(GUIDELINES_ID, "Guidelines for testing secure AI systems", "Test Guidelines", guidelines, 10),
        _entry(
            FIELD_GUIDE_ID,
            "A field guide to machine learning security",
            "Field guide",
            guide,
            0,
            "text-extraction",
        ),
    ]
    manifest.write_text(json.dumps({"schema": 1, "documents": entries}, indent=2), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, manifest=manifest, data_dir=root / "data")
    ingest(settings)
    return settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The SAIGE_* variables that make a fresh Settings() in the app equal to `settings`."""
    env = {"SAIGE_DATA_DIR": str(settings.data_dir)}
    if settings.corpus_dir is not None:
        env["SAIGE_CORPUS_DIR"] = str(settings.corpus_dir)
    if settings.manifest is not None:
        env["SAIGE_MANIFEST"] = str(settings.manifest)
    return env

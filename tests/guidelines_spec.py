"""The structure of the Guidelines for secure AI system development as the issue states it: four stages and
their 17 guidelines, as printed. Tests compare what Saige detects from the PDF against this."""

from __future__ import annotations

GUIDELINES_DOC = "ncsc-cisa-secure-ai-guidelines-2023"

GUIDELINES_BY_STAGE: dict[str, list[str]] = {
    "Secure design": [
        "Raise staff awareness of threats and risks",
        "Model the threats to your system",
        "Design your system for security as well as functionality and performance",
        "Consider security benefits and trade-offs when selecting your AI model",
    ],
    "Secure development": [
        "Secure your supply chain",
        "Identify, track and protect your assets",
        "Document your data, models and prompts",
        "Manage your technical debt",
    ],
    "Secure deployment": [
        "Secure your infrastructure",
        "Protect your model continuously",
        "Develop incident management procedures",
        "Release AI responsibly",
        "Make it easy for users to do the right things",
    ],
    "Secure operation and maintenance": [
        "Monitor your system's behaviour",
        "Monitor your system's inputs",
        "Follow a secure by design approach to updates",
        "Collect and share lessons learned",
    ],
}

ALL_GUIDELINES: tuple[str, ...] = tuple(g for names in GUIDELINES_BY_STAGE.values() for g in names)

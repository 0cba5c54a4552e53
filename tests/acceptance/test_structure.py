"""The section model of the real corpus: parse each document directly (no index) and check real facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.sections import build_sections
from saige.types import Document, ParsedDocument, Section, normalize_heading

pytestmark = pytest.mark.acceptance

MANIFEST = Path(__file__).resolve().parents[2] / "corpus" / "manifest.json"
GUIDELINES = "ncsc-cisa-secure-ai-guidelines-2023"

# The 17 guidelines, their lifecycle stage and the printed pages their text spans.
GUIDELINE_FACTS = [
    ("Raise staff awareness of threats and risks", "Secure design", 9, 9),
    ("Model the threats to your system", "Secure design", 9, 9),
    ("Design your system for security as well as functionality and performance", "Secure design", 9, 10),
    ("Consider security benefits and trade-offs when selecting your AI model", "Secure design", 10, 11),
    ("Secure your supply chain", "Secure development", 12, 12),
    ("Identify, track and protect your assets", "Secure development", 12, 12),
    ("Document your data, models and prompts", "Secure development", 12, 12),
    ("Manage your technical debt", "Secure development", 13, 13),
    ("Secure your infrastructure", "Secure deployment", 14, 14),
    ("Protect your model continuously", "Secure deployment", 14, 14),
    ("Develop incident management procedures", "Secure deployment", 14, 14),
    ("Release AI responsibly", "Secure deployment", 15, 15),
    ("Make it easy for users to do the right things", "Secure deployment", 15, 15),
    ("Monitor your system's behaviour", "Secure operation and maintenance", 16, 16),
    ("Monitor your system's inputs", "Secure operation and maintenance", 16, 16),
    ("Follow a secure by design approach to updates", "Secure operation and maintenance", 16, 16),
    ("Collect and share lessons learned", "Secure operation and maintenance", 16, 16),
]
INTRODUCTION = [
    "Executive summary",
    "About the guidelines",
    "Introduction",
    "Why is AI security different?",
    "Who should read this document?",
    "Who is responsible for developing secure AI?",
    "Further reading",
]


def _documents() -> list[Document]:
    return [Document(**d) for d in json.loads(MANIFEST.read_text(encoding="utf-8"))["documents"]]


@pytest.fixture(scope="module")
def corpus_sections(parsed_corpus: dict[str, ParsedDocument]) -> dict[str, list[Section]]:
    return {d.id: build_sections(parsed_corpus[d.id]) for d in _documents()}


@pytest.fixture(scope="module")
def guidelines(corpus_sections: dict[str, list[Section]]) -> list[Section]:
    return corpus_sections[GUIDELINES]


def _by_heading(sections: list[Section]) -> dict[str, Section]:
    return {normalize_heading(s.heading): s for s in sections}


def _section_of(sections: list[Section], sentence: str) -> Section:
    found = [s for s in sections if sentence in " ".join(s.text.split())]
    assert len(found) == 1, f"{sentence!r} found in {len(found)} sections"
    return found[0]


@pytest.mark.parametrize(("heading", "stage", "first", "last"), GUIDELINE_FACTS)
def test_each_guideline_is_a_section_with_stage_and_pages(
    guidelines: list[Section], heading: str, stage: str, first: int, last: int
) -> None:
    section = _by_heading(guidelines).get(normalize_heading(heading))
    assert section is not None, f"no section {heading!r}"
    assert section.stage == stage
    assert (section.page_start, section.page_end) == (first, last)
    assert len(section.text) > 150
    assert normalize_heading(section.path[0]).endswith(stage.lower())


def test_exactly_seventeen_guidelines_carry_a_stage(guidelines: list[Section]) -> None:
    staged = [s for s in guidelines if s.stage is not None and len(s.path) > 1]
    assert sorted(normalize_heading(s.heading) for s in staged) == sorted(
        normalize_heading(h) for h, *_ in GUIDELINE_FACTS
    )


def test_opt_in_sentence_is_in_the_design_guideline_on_page_10(guidelines: list[Section]) -> None:
    sentence = "you explain riskier capabilities to users and require users to opt in to use them"
    section = _section_of(guidelines, sentence)
    assert section.heading == "Design your system for security as well as functionality and performance"
    assert section.stage == "Secure design"
    # The sentence is printed on page 10: the section's text on page 10 is what a citation points at.
    assert section.page_start == 9 and section.page_end == 10


def test_page_10_bullets_are_not_filed_under_the_next_guideline(guidelines: list[Section]) -> None:
    design = _by_heading(guidelines)[normalize_heading(GUIDELINE_FACTS[2][0])]
    for bullet in (
        "if using an external API, you apply appropriate controls to data",
        "you apply least privilege principles to limit access",
        "you integrate the most secure settings into the system by default",
    ):
        assert bullet in design.text
    threats = _by_heading(guidelines)[normalize_heading("Model the threats to your system")]
    assert "least privilege" not in threats.text


def test_offline_backups_sentence_is_in_incident_management(guidelines: list[Section]) -> None:
    section = _section_of(guidelines, "You store critical company digital resources in offline backups.")
    assert section.heading == "Develop incident management procedures"
    assert section.stage == "Secure deployment"
    assert section.page_start == 14


def test_introduction_sections_exist_without_stage(guidelines: list[Section]) -> None:
    headings = {normalize_heading(h) for s in guidelines for h in s.path}
    for heading in INTRODUCTION:
        assert normalize_heading(heading) in headings, heading
    by_heading = _by_heading(guidelines)
    for heading in INTRODUCTION[:-1]:
        section = by_heading[normalize_heading(heading)]
        assert section.stage is None and len(section.text) > 100 and section.page_start is not None
    assert by_heading[normalize_heading("Who should read this document?")].page_start == 7


def test_no_running_headers_or_page_numbers_in_guideline_text(guidelines: list[Section]) -> None:
    for section in guidelines:
        lines = section.text.split("\n")
        assert "Guidelines for secure AI system development" not in lines
        assert not any(line.strip().isdigit() for line in lines)


def test_every_document_yields_sections_with_text(corpus_sections: dict[str, list[Section]]) -> None:
    assert len(corpus_sections) == 9
    for doc_id, sections in corpus_sections.items():
        assert len(sections) >= 10, doc_id
        assert sum(len(s.text) for s in sections) > 15_000, doc_id
        assert [s.order for s in sections] == list(range(len(sections))), doc_id
        assert all(s.text.strip() and s.heading and s.path[-1] == s.heading for s in sections), doc_id


def test_other_documents_follow_their_real_headings(corpus_sections: dict[str, list[Section]]) -> None:
    def headings(doc_id: str) -> set[str]:
        return {normalize_heading(h) for s in corpus_sections[doc_id] for h in s.path}

    expectations = {
        "nist-ai-100-1-ai-rmf-1-0": ["Govern", "Map", "Measure", "Manage", "Part 2: Core and Profiles"],
        "nist-ai-600-1-genai-profile-2024": [
            "Confabulation",
            "Information Security",
            "GOVERN 1.1",
            "MAP 1.1",
        ],
        "ncsc-machine-learning-principles-2024": [
            "Secure your supply chain",
            "Implement red teaming",
            "Understand and mitigate the risks of using continual learning (CL)",  # a two-line heading
            "Protect information that could be used to attack your model",
        ],
        "dsit-ai-cyber-security-cop-implementation-guide-2025": ["Principle 6: Secure your infrastructure"],
        "nist-sp-800-218a-genai-ssdf-profile-2024": ["Introduction", "Appendix A. Glossary"],
        "csa-sg-guidelines-securing-ai-systems-2024": ["Secure the supply chain", "Monitor AI system inputs"],
        "asd-engaging-with-ai-2024": [
            "Data Poisoning of an AI Model",
            "Mitigation considerations for organisations",
        ],
        "nist-ai-100-2e2023-aml-taxonomy": [
            "Evasion Attacks And Mitigations",
            "Direct Prompt Injection Attacks And Mitigations",
        ],
    }
    for doc_id, expected in expectations.items():
        found = headings(doc_id)
        for heading in expected:
            assert normalize_heading(heading) in found, (doc_id, heading)


def test_nist_taxonomy_ligatures_are_repaired(corpus_sections: dict[str, list[Section]]) -> None:
    text = " ".join(s.text for s in corpus_sections["nist-ai-100-2e2023-aml-taxonomy"])
    assert "Artificial Intelligence" in text and "Artifcial" not in text
    assert "identified" in text and "identifed" not in text
    assert "classification" in text and "classifcation" not in text


def test_nist_rmf_parts_are_the_stage(corpus_sections: dict[str, list[Section]]) -> None:
    govern = _by_heading(corpus_sections["nist-ai-100-1-ai-rmf-1-0"])[normalize_heading("5.1 Govern")]
    assert govern.stage == "Part 2: Core and Profiles"
    assert govern.page_start == 21


def test_table_rows_and_principles_keep_their_text(corpus_sections: dict[str, list[Section]]) -> None:
    rmf = _by_heading(corpus_sections["nist-ai-100-1-ai-rmf-1-0"])[normalize_heading("GOVERN 1.2")]
    assert "The characteristics of trustworthy AI are integrated into organizational policies" in rmf.text
    assert rmf.path[-2:] == ["GOVERN 1", "GOVERN 1.2"] and rmf.page_start == 22
    genai = corpus_sections["nist-ai-600-1-genai-profile-2024"]
    confabulation = _section_of(
        genai, "refers to a phenomenon in which GAI systems generate and confidently present"
    )
    assert normalize_heading(confabulation.heading) == "confabulation" and confabulation.page_start == 6
    red_team = _by_heading(corpus_sections["ncsc-machine-learning-principles-2024"])[
        normalize_heading("Implement red teaming")
    ]
    assert red_team.stage == "Secure design"
    assert "red teaming means playing the role of an adversary" in red_team.text

"""The catalogue builders of documents whose controls are headings (Guidelines, NCSC ML principles, CSA
Singapore) on small parsed documents: ids, kinds, parents, stages, statements and pages."""

from __future__ import annotations

from ingest.controls import build_catalogue
from saige.types import Block, Document, Page, ParsedDocument

B = "\u2022 "


def _parsed(doc_id: str, pages: list[list[tuple[str, int, str]]]) -> ParsedDocument:
    document = Document(
        id=doc_id,
        title=doc_id,
        short_title=doc_id,
        publisher="Saige tests",
        published="2024",
        official_url="https://example.org/x.pdf",
        license="test data",
        redistributable=False,
        sha256="0" * 64,
        file="x.pdf",
        kind="pdf",
    )
    out = []
    for index, blocks in enumerate(pages):
        items = [Block(text=text, kind=kind, level=level) for kind, level, text in blocks]
        out.append(Page(doc_id=doc_id, index=index, number=index + 3, blocks=items))
    return ParsedDocument(document=document, pages=out)


def h(level: int, text: str) -> tuple[str, int, str]:
    return ("heading", level, text)


def t(text: str) -> tuple[str, int, str]:
    return ("text", 0, text)


def test_guidelines_stages_guidelines_and_their_statements() -> None:
    parsed = _parsed(
        "ncsc-cisa-secure-ai-guidelines-2023",
        [
            [h(1, "Executive summary"), h(4, "1. Secure design"), t("This section lists the design stage.")],
            [
                h(1, "1. Secure design"),
                t("This section contains guidelines that apply to the design stage."),
                h(4, "Model the threats to your system"),
                t("You apply a holistic process. Your assessment considers e.g. Fig. 1 here."),
                t("You protect the model by:"),
                t(B + "implementing standard controls"),
                t(B + "filtering inputs"),
                t("Finally, you review it."),
            ],
            [h(4, "Secure your supply chain"), t(B + "you assess suppliers")],
            [h(1, "2. Secure development"), h(4, "Manage your technical debt"), t("You track debt.")],
            [h(1, "Further reading"), t("Links.")],
        ],
    )
    cat = {c.control_id: c for c in build_catalogue([parsed])}
    assert [c.control_id for c in cat.values() if c.kind == "stage"] == [
        "secure-design",
        "secure-development",
    ]
    guidelines = [c for c in cat.values() if c.kind == "guideline"]
    assert [(g.title, g.parent_id, g.stage) for g in guidelines] == [
        ("Model the threats to your system", "secure-design", "Secure design"),
        ("Secure your supply chain", "secure-design", "Secure design"),
        ("Manage your technical debt", "secure-development", "Secure development"),
    ]
    assert not any(c.printed_id for c in cat.values())
    threats = "secure-design/model-the-threats-to-your-system"
    statements = [c for c in cat.values() if c.parent_id == threats]
    assert [s.statement for s in statements] == [
        "You apply a holistic process.",
        "Your assessment considers e.g. Fig. 1 here.",
        f"You protect the model by:\n{B}implementing standard controls\n{B}filtering inputs",
        "Finally, you review it.",
    ]
    assert all(s.kind == "statement" and s.page_start == 4 for s in statements)
    assert cat[f"{threats}/1"].path == ["1. Secure design", "Model the threats to your system"]
    supply = cat["secure-design/secure-your-supply-chain/1"]
    assert supply.statement == "you assess suppliers" and supply.page_start == 5
    assert "Further reading" not in {c.title for c in cat.values()}


def test_ml_principles_parts_principles_and_sub_headings() -> None:
    parsed = _parsed(
        "ncsc-machine-learning-principles-2024",
        [
            [h(1, "Introduction to the principles"), t("About.")],
            [h(1, "Part 1: Secure design")],
            [
                h(2, "1.1 Raise awareness of ML threats and risks"),
                t("Goals: you know the risks."),
                h(3, "How could this principle be implemented?"),
                h(3, "Implement red teaming"),
                t("Red teaming means playing the adversary."),
            ],
            [h(1, "Part 2: Secure development"), h(2, "2.1 Secure your supply chain"), t("Goals.")],
            [h(1, "Further reading"), h(2, "9.9 Not a principle"), t("x")],
        ],
    )
    cat = {c.control_id: c for c in build_catalogue([parsed])}
    assert list(cat) == ["Part 1", "1.1", "1.1/implement-red-teaming", "Part 2", "2.1"]
    assert cat["Part 1"].kind == "stage" and cat["Part 1"].stage == "Secure design"
    p = cat["1.1"]
    assert (p.kind, p.title, p.parent_id, p.stage, p.printed_id) == (
        "principle",
        "Raise awareness of ML threats and risks",
        "Part 1",
        "Secure design",
        True,
    )
    assert p.statement == "Goals: you know the risks." and p.page_start == 5
    item = cat["1.1/implement-red-teaming"]
    assert (item.kind, item.parent_id, item.printed_id) == ("item", "1.1", False)
    assert item.statement == "Red teaming means playing the adversary."


def test_csa_sections_steps_and_checklist() -> None:
    parsed = _parsed(
        "csa-sg-guidelines-securing-ai-systems-2024",
        [
            [
                h(1, "1. INTRODUCTION"),
                t("AI poses benefits."),
                h(2, "1.1. PURPOSE AND SCOPE"),
                h(6, "Purpose"),
            ],
            [t("These guidelines support system owners."), h(1, "3. SECURING AI")],
            [
                h(2, "3.2. START WITH A RISK ASSESSMENT"),
                t("Four steps."),
                h(3, "STEP 1"),
                h(6, "Conduct risk assessment"),
                t("Conduct a risk assessment."),
            ],
            [
                h(2, "3.3. GUIDELINES FOR SECURING AI SYSTEMS"),
                t("These guidelines apply across the lifecycle."),
                h(4, "1. PLANNING AND DESIGN"),
                h(6, "1.1. Raise awareness and competency on security risks"),
                t("Organisations should understand the risks."),
                h(5, "2. DEVELOPMENT"),
                h(6, "2.1. Secure the supply chain"),
                t("Assess suppliers."),
            ],
            [h(1, "GLOSSARY"), t("Terms.")],
        ],
    )
    cat = {c.control_id: c for c in build_catalogue([parsed])}
    sections = [c for c in cat.values() if c.kind == "section"]
    assert [s.control_id for s in sections] == [
        "Section 1",
        "Section 1.1",
        "Section 3",
        "Section 3.2",
        "Section 3.3",
    ]
    assert cat["Section 1.1"].statement == "These guidelines support system owners."  # its "Purpose" text
    assert cat["Section 1.1"].parent_id == "Section 1"
    step = cat["Step 1"]
    assert (step.kind, step.title, step.statement, step.parent_id) == (
        "item",
        "Conduct risk assessment",
        "Conduct a risk assessment.",
        "Section 3.2",
    )
    assert [(c.control_id, c.parent_id) for c in cat.values() if c.kind == "stage"] == [
        ("1", "Section 3.3"),
        ("2", "Section 3.3"),
    ]
    item = cat["1.1"]
    assert (item.kind, item.title, item.parent_id, item.stage, item.page_start) == (
        "item",
        "Raise awareness and competency on security risks",
        "1",
        "PLANNING AND DESIGN",
        6,
    )
    assert cat["2.1"].statement == "Assess suppliers." and cat["2.1"].parent_id == "2"
    assert cat["Section 3.3"].statement == "These guidelines apply across the lifecycle."

"""Design-review domain logic (retrieval/review.py): controls, applicable guidelines, files."""

from __future__ import annotations

import csv
import io
import json

import pytest

from retrieval.review import (
    BASELINE_REASON,
    DESCRIPTION_REASON,
    ControlState,
    DesignReview,
    ReviewFileError,
    build_review,
    control_statements,
    dump_review,
    first_sentence,
    guideline_refs,
    guidelines_document,
    is_obligation,
    load_review,
    review_csv,
    review_markdown,
    select_guidelines,
)
from saige.types import Chunk, Document, Hit

GUIDELINES = Document(
    id="g",
    title="Guidelines",
    short_title="Guidelines",
    publisher="p",
    published="2023",
    official_url="https://example.org/g.pdf",
    license="l",
    redistributable=True,
    sha256="0" * 64,
    file="g.pdf",
    kind="pdf",
    priority=10,
)
OTHER = GUIDELINES.model_copy(update={"id": "o", "short_title": "Other", "priority": 0, "file": "o.pdf"})

DESIGN = "Design your system for security as well as functionality and performance"
TEXTS = {
    ("Secure design", "Model the threats to your system"): (
        "As part of your risk management process, you apply a holistic process to assess the threats to your "
        "system. Threat modelling is hard.\nYou assess the potential impacts if an AI component fails."
    ),
    ("Secure design", "Design your system for security as well as functionality and performance"): (
        "You consider supply chain security, for example:\n"
        "• your choice to use an external API is appropriate to your requirements\n"
        "• if using an external library, you complete a due diligence evaluation\n"
        "Decisions around user interaction are informed by AI-specific risks.\n"
        "You apply least privilege principles to limit access to a system's function-\nality."
    ),
    ("Secure development", "Secure your supply chain"): (
        "You assess and monitor the security of your AI supply chains12. You may use SLSA."
    ),
    ("Secure deployment", "Protect your model continuously"): (
        "Attackers may reconstruct a model.\nYou protect the model and data from direct and indirect access, "
        "respectively, by:\n• implementing standard cyber security best practices\n"
        "• implementing controls on the query interface\nTo ensure that consuming systems can validate "
        "models, you compute and share cryptographic hashes of model files."
    ),
    ("Secure deployment", "Release AI responsibly"): "You release models only after security evaluation.",
    ("Secure operation and maintenance", "Monitor your system's inputs"): (
        "In line with privacy requirements, you monitor and log inputs to your system."
    ),
}


def _chunks() -> list[Chunk]:
    chunks = []
    for order, ((stage, heading), text) in enumerate(TEXTS.items()):
        chunks.append(
            Chunk(
                chunk_id=f"c{order}",
                doc_id="g",
                doc_title="Guidelines",
                section=heading,
                section_path=[stage, heading],
                stage=stage,
                page_start=9 + order,
                page_end=9 + order,
                text=text,
                section_order=order,
            )
        )
    chunks.append(
        Chunk(
            chunk_id="intro",
            doc_id="g",
            doc_title="Guidelines",
            section="1. Secure design",
            section_path=["1. Secure design"],
            stage="Secure design",
            page_start=8,
            text="This section covers design.",
        )
    )
    chunks.append(
        Chunk(
            chunk_id="o1",
            doc_id="o",
            doc_title="Other",
            section="Govern",
            section_path=["Part 2", "Govern"],
            stage="Part 2",
            page_start=3,
            text="You govern things.",
        )
    )
    return chunks


def _section_text(doc_id: str, path: object) -> str:
    return TEXTS[tuple(path)]  # type: ignore[arg-type,index]


def test_obligations_are_you_statements() -> None:
    assert is_obligation("You apply least privilege.")
    assert is_obligation("If using an external API, you apply appropriate controls.")
    assert not is_obligation("The model you are using is complex.")
    assert not is_obligation("You may use SLSA.")
    assert not is_obligation("Your decisions are informed by your threat model.")


def test_control_statements_sentences_bullets_and_lists() -> None:
    design = control_statements(TEXTS[("Secure design", DESIGN)])
    assert design == [
        "You consider supply chain security, for example: your choice to use an external API is appropriate "
        "to your requirements.",
        "If using an external library, you complete a due diligence evaluation.",
        "You apply least privilege principles to limit access to a system's functionality.",
    ]
    protect = control_statements(TEXTS[("Secure deployment", "Protect your model continuously")])
    assert protect[0] == (
        "You protect the model and data from direct and indirect access, respectively, by: implementing "
        "standard cyber security best practices; implementing controls on the query interface."
    )
    assert protect[1].startswith("To ensure that consuming systems can validate models, you compute")
    # footnote numbers are dropped, "you may" is not an obligation
    assert control_statements(TEXTS[("Secure development", "Secure your supply chain")]) == [
        "You assess and monitor the security of your AI supply chains."
    ]


def test_your_statements_when_a_guideline_has_no_you_statement() -> None:
    text = "Your choice of model involves trade-offs. Your decisions are informed by your threat model."
    assert control_statements(text) == [
        "Your choice of model involves trade-offs.",
        "Your decisions are informed by your threat model.",
    ]


def test_guideline_refs_and_first_sentence() -> None:
    assert guidelines_document([OTHER, GUIDELINES]) == GUIDELINES
    refs = guideline_refs(_chunks(), GUIDELINES)
    assert [r.heading for r in refs] == [k[1] for k in TEXTS]  # the stage intro is not a guideline
    assert refs[0].url == "https://example.org/g.pdf#page=9"
    threats = TEXTS[("Secure design", "Model the threats to your system")]
    assert first_sentence(threats).endswith("assess the threats to your system.")


def test_select_guidelines_baseline_flags_and_description() -> None:
    refs = guideline_refs(_chunks(), GUIDELINES)
    release = next(c for c in _chunks() if c.section == "Release AI responsibly")
    chosen = select_guidelines(refs, ["agents", "public_api"], [Hit(chunk=release)])
    reasons = {ref.heading: why for ref, why in chosen}
    assert reasons["Model the threats to your system"] == [BASELINE_REASON]
    assert reasons["Design your system for security as well as functionality and performance"] == [
        "Agents take actions"
    ]
    assert reasons["Protect your model continuously"] == ["Offers a public API"]
    assert reasons["Release AI responsibly"] == ["Offers a public API", DESCRIPTION_REASON]
    assert "Secure your supply chain" not in reasons
    with pytest.raises(ValueError, match="unknown design-review flag"):
        select_guidelines(refs, ["bogus"])


def _review() -> DesignReview:
    return build_review(
        documents=[GUIDELINES, OTHER],
        chunks=_chunks(),
        section_text=_section_text,
        description="Public API | with =formula",
        flags=["public_api"],
    )


def test_build_review_controls_cited_and_states_kept() -> None:
    review = _review()
    protect = next(g for g in review.guidelines if g.guideline.heading == "Protect your model continuously")
    control = protect.controls[0]
    assert control.citation == "Guidelines, Secure deployment › Protect your model continuously, p. 12"
    assert control.url.endswith("#page=12")
    review.states[control.control_id] = ControlState(status="in place", notes="done")
    rebuilt = build_review(
        documents=[GUIDELINES],
        chunks=_chunks(),
        section_text=_section_text,
        description="",
        flags=["public_api", "agents"],
        previous=review,
    )
    assert rebuilt.state(control.control_id).status == "in place"
    assert rebuilt.counts()["in place"] == 1


def test_markdown_csv_and_json_round_trip() -> None:
    review = _review()
    control = review.controls()[0]
    review.states[control.control_id] = ControlState(status="not applicable", notes="=HYPERLINK(x) | pipe")
    md = review_markdown(review)
    assert "## Secure design › Model the threats to your system" in md
    assert "| not applicable | =HYPERLINK(x) \\| pipe |" in md
    assert "Offers a public API" in md
    rows = list(csv.DictReader(io.StringIO(review_csv(review))))
    assert len(rows) == len(review.controls())
    assert rows[0]["status"] == "not applicable"
    assert rows[0]["notes"] == "'=HYPERLINK(x) | pipe"  # no formula injection into spreadsheets
    assert rows[0]["page"] == str(control.page)
    assert load_review(dump_review(review)) == review


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "r.json: not a JSON file"),
        (b'{"schema_version": 2}', "r.json: not a Saige design review (schema_version"),
        (json.dumps({"states": {"x": {"status": "done"}}}).encode(), "states.x.status"),
        (json.dumps({"evil": 1}).encode(), "evil"),
    ],
)
def test_bad_review_files_give_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(ReviewFileError) as exc:
        load_review(data, name="r.json")
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_links_open_the_physical_pdf_page_when_printed_numbers_differ() -> None:
    # A document whose printed page 12 is the 16th page of the file (front matter before page 1).
    shifted = [c.model_copy(update={"pdf_page_start": (c.page_start or 0) + 4}) for c in _chunks()]
    refs = guideline_refs(shifted, GUIDELINES)
    protect = next(r for r in refs if r.heading == "Protect your model continuously")
    assert protect.page_start == 12 and protect.url.endswith("#page=16")
    review = build_review(
        documents=[GUIDELINES],
        chunks=shifted,
        section_text=_section_text,
        description="",
        flags=["public_api", "agents"],
    )
    group = next(g for g in review.guidelines if g.guideline.heading == "Protect your model continuously")
    control = group.controls[0]
    assert control.citation.endswith("p. 12")  # the printed page is cited
    assert control.url.endswith("#page=16")  # the link opens the physical page

"""Design-review domain logic (retrieval/review.py): controls, applicable guidelines, files."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from retrieval.review import (
    BASELINE_REASON,
    DESCRIPTION_REASON,
    TRAIT_KEYS,
    TRAIT_TABLE,
    DesignReview,
    GuidelineRef,
    ReviewFileError,
    applicability,
    build_review,
    control_statements,
    dump_review,
    first_sentence,
    guideline_refs,
    guidelines_document,
    is_obligation,
    kept_review,
    load_review,
    review_csv,
    review_markdown,
)
from saige.types import STAGES, Chunk, Document, Hit, stable_id
from tests.guidelines_spec import ALL_GUIDELINES, GUIDELINES_BY_STAGE

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


def test_every_guideline_is_listed_strongest_first_with_reasons() -> None:
    refs = guideline_refs(_chunks(), GUIDELINES)
    release = next(c for c in _chunks() if c.section == "Release AI responsibly")
    chosen = applicability(refs, ["agents", "public_api"], [Hit(chunk=release)])
    assert len(chosen) == len(refs)  # none hidden
    by_name = {ref.heading: a for ref, a in chosen}
    assert by_name["Model the threats to your system"].strength == "strongly applies"
    assert by_name["Model the threats to your system"].reasons[0].startswith("Agents take actions: ")
    assert by_name["Protect your model continuously"].strength == "strongly applies"
    assert by_name["Release AI responsibly"].reasons[-1] == DESCRIPTION_REASON
    assert by_name["Secure your supply chain"].strength == "baseline"
    assert by_name["Secure your supply chain"].reasons == [BASELINE_REASON]
    strengths = [a.strength for _, a in chosen]
    assert strengths == sorted(strengths, key=["strongly applies", "applies", "baseline"].index)
    with pytest.raises(ValueError, match="unknown design-review trait"):
        applicability(refs, ["bogus"])


def _all_refs() -> list[GuidelineRef]:
    return [
        GuidelineRef(
            doc_id="g",
            doc_title="G",
            stage=stage,
            heading=h,
            section_path=[stage, h],
            order=STAGES.index(stage),
        )
        for stage, names in GUIDELINES_BY_STAGE.items()
        for h in names
    ]


def test_trait_table_names_real_guidelines_and_every_trait() -> None:
    assert {r.guideline for r in TRAIT_TABLE} <= set(ALL_GUIDELINES)
    assert {r.trait for r in TRAIT_TABLE} == TRAIT_KEYS
    assert all(r.why for r in TRAIT_TABLE)
    pairs = [(r.trait, r.guideline) for r in TRAIT_TABLE]
    assert len(pairs) == len(set(pairs))  # one row per trait and guideline


def test_customer_support_chatbot_gets_all_17_guidelines_marked() -> None:
    chosen = applicability(_all_refs(), ["external_api", "rag_sensitive", "personal_data"])
    assert len(chosen) == 17
    by_name = {ref.heading: a for ref, a in chosen}
    assert by_name["Secure your supply chain"].strength == "strongly applies"
    assert by_name["Protect your model continuously"].strength == "applies"
    assert by_name["Monitor your system's behaviour"].strength == "applies"
    assert by_name["Make it easy for users to do the right things"].strength == "applies"
    assert by_name["Release AI responsibly"].strength == "baseline"  # listed, marked, not hidden
    user = {ref.heading: a for ref, a in applicability(_all_refs(), ["user_facing"])}
    assert user["Release AI responsibly"].strength == "strongly applies"


def _review(**kw: object) -> DesignReview:
    args: dict[str, object] = {
        "documents": [GUIDELINES, OTHER],
        "chunks": _chunks(),
        "section_text": _section_text,
        "description": "Public API | with =formula",
        "flags": ["public_api"],
    }
    args.update(kw)
    return build_review(**args)  # type: ignore[arg-type]


def _control(review: DesignReview, heading: str, n: int = 0):
    return next(g for g in review.guidelines if g.guideline.heading == heading).controls[n]


def test_controls_are_cited_under_the_guideline_title() -> None:
    review = _review()
    assert len(review.guidelines) == len(TEXTS)  # every guideline, baseline ones too
    control = _control(review, "Protect your model continuously")
    assert control.citation == "Guidelines, Secure deployment › Protect your model continuously, p. 12"
    assert control.url.endswith("#page=12")
    assert control.control_id == "Protect your model continuously" and control.number == 1
    assert control.ref == "Protect your model continuously (1)"


def test_update_keeps_every_status_and_note() -> None:
    review = _review()
    protect = _control(review, "Protect your model continuously")
    protect.status, protect.notes = "in place", "done"
    rebuilt = _review(description="", flags=["agents"], previous=review)
    again = _control(rebuilt, "Protect your model continuously")
    assert (again.status, again.notes, again.matched) == ("in place", "done", True)
    assert rebuilt.counts()["in place"] == 1
    assert rebuilt.created == review.created


def test_a_control_no_longer_listed_is_kept_marked_not_dropped() -> None:
    review = _review()
    supply = _control(review, "Secure your supply chain")
    supply.notes = "SLSA level 2"
    changed = dict(TEXTS)
    changed[("Secure development", "Secure your supply chain")] = "You verify every supplier yearly."
    changed[("Secure deployment", "Release AI responsibly")] = "You release models after red teaming."
    rebuilt = _review(previous=review, section_text=lambda d, p: changed[tuple(p)])
    group = next(g for g in rebuilt.guidelines if g.guideline.heading == "Secure your supply chain")
    assert [c.text for c in group.controls] == ["You verify every supplier yearly.", supply.text]
    ghost = group.controls[1]
    assert ghost.notes == "SLSA level 2" and ghost.matched is False
    assert "no longer matched" in review_markdown(rebuilt)
    # an untouched control that is no longer listed is not kept: nothing to lose
    assert "You release models only after security evaluation." not in {c.text for c in rebuilt.controls()}


def test_a_new_system_starts_clean_except_kept_controls() -> None:
    review = _review()
    a, b = _control(review, "Protect your model continuously"), _control(review, "Release AI responsibly")
    a.status, b.status, b.notes = "in place", "not applicable", "internal only"
    fresh = _review(
        description="Another system", previous=kept_review(review, lambda c: c.status == "in place")
    )
    assert _control(fresh, "Protect your model continuously").status == "in place"
    assert _control(fresh, "Release AI responsibly").status == "not started"
    assert _control(fresh, "Release AI responsibly").notes == ""
    assert fresh.created != ""


def test_markdown_csv_and_json_use_the_documents_identifiers() -> None:
    review = _review()
    control = review.controls()[0]
    control.status, control.notes = "not applicable", "=HYPERLINK(x) | pipe"
    md = review_markdown(review)
    assert "## Secure deployment › Protect your model continuously (strongly applies)" in md
    assert f"| {control.ref} | " in md
    assert "| not applicable | =HYPERLINK(x) \\| pipe |" in md
    assert "Offers a public API" in md
    rows = list(csv.DictReader(io.StringIO(review_csv(review))))
    assert len(rows) == len(review.controls())
    assert rows[0]["id"] == control.ref and rows[0]["status"] == "not applicable"
    assert rows[0]["notes"] == "'=HYPERLINK(x) | pipe"  # no formula injection into spreadsheets
    assert rows[0]["page"] == str(control.page)
    saved = dump_review(review)
    assert load_review(saved) == review
    ids = [c["control_id"] for g in json.loads(saved)["guidelines"] for c in g["controls"]]
    assert set(ids) <= {r for r in (k[1] for k in TEXTS)}  # guideline titles, never hashes
    assert not any(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)


def _v1_file(review: DesignReview) -> dict[str, object]:
    """The first saved format: hashed control ids, statuses in a separate map."""
    guidelines = []
    states: dict[str, object] = {}
    for g in review.guidelines:
        controls = []
        for c in g.controls:
            cid = stable_id(g.guideline.key, c.text)
            controls.append(
                {
                    "control_id": cid,
                    "text": c.text,
                    "doc_id": c.doc_id,
                    "doc_title": c.doc_title,
                    "stage": c.stage,
                    "guideline": c.guideline,
                    "page": c.page,
                    "url": c.url,
                }
            )
            if c.touched:
                states[cid] = {"status": c.status, "notes": c.notes}
        guidelines.append(
            {"guideline": g.guideline.model_dump(), "reasons": ["Offers a public API"], "controls": controls}
        )
    return {
        "schema_version": 1,
        "app": "saige-design-review",
        "created": "2025-01-01T00:00:00+00:00",
        "description": "old",
        "flags": ["public_api"],
        "guidelines": guidelines,
        "states": states,
    }


def test_files_of_the_first_format_still_load() -> None:
    review = _review()
    _control(review, "Protect your model continuously").status = "in place"
    _control(review, "Protect your model continuously").notes = "rate limits"
    old = load_review(json.dumps(_v1_file(review)))
    got = _control(old, "Protect your model continuously")
    assert (got.status, got.notes, got.control_id, got.number) == (
        "in place",
        "rate limits",
        "Protect your model continuously",
        1,
    )
    assert old.description == "old" and old.flags == ["public_api"]
    rebuilt = _review(previous=old)  # and an update keeps them
    assert _control(rebuilt, "Protect your model continuously").notes == "rate limits"
    bad = _v1_file(review)
    bad["states"] = {"x": {"status": "done"}}
    with pytest.raises(ReviewFileError, match=r"states\.x\.status") as exc:
        load_review(json.dumps(bad), name="old.json")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "r.json: not a JSON file"),
        (b'{"schema_version": 3}', "r.json: not a Saige design review (schema_version"),
        (json.dumps({"guidelines": [{"x": 1}]}).encode(), "guidelines.0.guideline"),
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
    control = _control(review, "Protect your model continuously")
    assert control.citation.endswith("p. 12")  # the printed page is cited
    assert control.url.endswith("#page=16")  # the link opens the physical page

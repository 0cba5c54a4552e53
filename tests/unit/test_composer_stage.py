"""Stage answers for a section whose document does not use the lifecycle stages, and audience ordering."""

from __future__ import annotations

from retrieval.composer import compose_answer
from retrieval.lifecycle import staged_counterpart
from retrieval.referents import audience_first
from saige.types import Chunk, FollowupPlan, Hit, SectionRef


def chunk(doc: str, path: list[str], text: str, stage: str | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"{doc}-{path[-1]}",
        doc_id=doc,
        doc_title=doc,
        section=path[-1],
        section_path=path,
        stage=stage,
        text=text,
    )


CSA = chunk(
    "csa",
    ["3. SECURING AI", "4. OPERATIONS AND MAINTENANCE", "4.2. Monitor AI system outputs and behaviour"],
    "Operators should monitor for anomalous behaviour. More text follows here.",
)
NCSC = chunk(
    "ncsc",
    ["4. Secure operation and maintenance", "Monitor your system's behaviour"],
    "You measure the outputs and performance of your model and system.",
    stage="Secure operation and maintenance",
)


def test_the_stage_of_an_unstaged_section_comes_from_its_part_and_its_staged_counterpart() -> None:
    target = SectionRef(doc_id="csa", section=CSA.section, section_path=CSA.section_path)
    plan = FollowupPlan(kind="stage", query="monitor", target=target)
    hits = [Hit(chunk=NCSC, rank=1), Hit(chunk=CSA, rank=2)]
    composed = compose_answer("Which stage is that in?", "monitor", hits, {}, lambda _t: 1.0, plan)
    assert "under **4. OPERATIONS AND MAINTENANCE** [2]" in composed.text
    assert "is in the **Secure operation and maintenance** stage (stage 4 of 4) [1]" in composed.text
    assert [c.doc_id for c in composed.citations] == ["ncsc", "csa"]
    assert [p.n for p in composed.points] == [1, 2]


def test_a_staged_target_gets_the_plain_stage_answer() -> None:
    target = SectionRef(doc_id="ncsc", section=NCSC.section, section_path=NCSC.section_path)
    plan = FollowupPlan(kind="stage", query="monitor", target=target)
    composed = compose_answer("Which stage?", "monitor", [Hit(chunk=NCSC, rank=1)], {}, lambda _t: 1.0, plan)
    assert composed.text.startswith("That is in the **Secure operation and maintenance** stage")
    assert len(composed.citations) == 1


def test_audience_headings_are_judged_by_the_head_noun() -> None:
    generic = Hit(chunk=chunk("a", ["Is the AI system secure?"], "x"), rank=1)
    other = Hit(chunk=chunk("b", ["Secure your supply chain"], "x"), rank=2)
    owners = Hit(chunk=chunk("c", ["Guidance for system owners"], "x"), rank=3)
    assert audience_first([generic, other, owners], "system owners") == [owners, generic, other]
    # No heading names the audience: the search order stands ("system" alone does not count).
    assert audience_first([generic, other], "system owners") == [generic, other]


def test_a_counterpart_shares_a_specific_heading_word() -> None:
    target = SectionRef(doc_id="csa", section=CSA.section, section_path=CSA.section_path)
    loose = Hit(
        chunk=chunk(
            "ncsc", ["3. Secure deployment", "Secure your AI system"], "x", stage="Secure deployment"
        ),
        rank=1,
    )
    assert staged_counterpart(target, [loose, Hit(chunk=CSA, rank=2)]) is None  # only "AI system" shared
    assert staged_counterpart(target, [loose, Hit(chunk=NCSC, rank=2)]) == Hit(chunk=NCSC, rank=2)


def test_audience_nouns_are_not_stemmed_into_other_words() -> None:
    operation = Hit(chunk=chunk("a", ["4. Secure operation and maintenance"], "x"), rank=1)
    operators = Hit(chunk=chunk("b", ["Guidance for operators"], "x"), rank=2)
    assert audience_first([operation, operators], "operators") == [operators, operation]
    assert audience_first([operation], "operators") == [operation]


def test_audience_sections_of_the_conversations_document_come_first_and_the_one_given_last() -> None:
    given = SectionRef(doc_id="ncsc", section="Raise staff awareness", section_path=["Raise staff awareness"])
    again = Hit(chunk=chunk("ncsc", ["Raise staff awareness"], "x"), rank=1)
    elsewhere = Hit(chunk=chunk("dsit", ["Communication with End-users"], "x"), rank=2)
    home = Hit(chunk=chunk("ncsc", ["Make it easy for users to do the right things"], "x"), rank=3)
    # "end users": the conversation's document's section for users before another's naming both words.
    assert audience_first([again, elsewhere, home], "end users", [given]) == [home, elsewhere, again]
    brief = Hit(chunk=chunk("ml", ["Brief the risks to non-technical staff"], "x"), rank=2)
    # The section given (for the audience asked before) goes after another one naming the new audience.
    assert audience_first([again, brief], "non-technical staff", [given]) == [brief, again]


def test_the_place_of_a_section_is_its_document_path_and_pages() -> None:
    paged = NCSC.model_copy(update={"page_start": 19, "page_end": 20})
    target = SectionRef(doc_id="ncsc", section=NCSC.section, section_path=NCSC.section_path)
    plan = FollowupPlan(kind="locate", query="monitor", target=target)
    composed = compose_answer(
        "What page is that on?", "monitor", [Hit(chunk=paged, rank=1)], {}, lambda _t: 1.0, plan
    )
    assert composed.text.startswith(
        "**Monitor your system's behaviour** is on pp. 19-20 of ncsc, under 4. Secure operation and maintenance › "
        "Monitor your system's behaviour [1]."
    )
    assert [c.doc_id for c in composed.citations] == ["ncsc"] and composed.points[0].n == 1
    unpaged = compose_answer("Where is that?", "monitor", [Hit(chunk=NCSC, rank=1)], {}, lambda _t: 1.0, plan)
    assert "(the document numbers no pages)" in unpaged.text.splitlines()[0]

"""Follow-ups planned against the structured answer (and plain text history): expand, pick, stage,
analogous stage or audience, and failed turns that never poison the next question."""

from __future__ import annotations

from retrieval.followup import plan_followup
from retrieval.lifecycle import named_stage, path_stage
from retrieval.referents import other_documents_dropped
from retrieval.turns import answer_points, answer_sections, answered_history, failed
from saige.types import AnswerPoint, SectionRef, Turn

G = "guidelines"
ML = "ml"
PROTECT = SectionRef(
    doc_id=G,
    section="Protect your model continuously",
    section_path=["Secure deployment", "Protect your model continuously"],
    stage="Secure deployment",
)
INFRA = SectionRef(
    doc_id=G,
    section="Secure your infrastructure",
    section_path=["Secure deployment", "Secure your infrastructure"],
    stage="Secure deployment",
)
SUPPLY = SectionRef(
    doc_id=G,
    section="Secure your supply chain",
    section_path=["Secure development", "Secure your supply chain"],
    stage="Secure development",
)
ML_SUPPLY = SectionRef(
    doc_id=ML, section="Secure your supply chain", section_path=["Development", "Secure your supply chain"]
)
CATALOGUE = [INFRA, PROTECT, SUPPLY, ML_SUPPLY]


def point(n: int, ref: SectionRef) -> AnswerPoint:
    return AnswerPoint(
        n=n,
        text=f"point {n}",
        doc_id=ref.doc_id,
        section=ref.section,
        section_path=ref.section_path,
        stage=ref.stage,
    )


def structured(question: str, *refs: SectionRef) -> list[Turn]:
    points = [point(i, r) for i, r in enumerate(refs, 1)]
    return [Turn(role="user", content=question), Turn(role="assistant", content="(answer)", points=points)]


WEIGHTS = structured("How should we protect model weights from theft?", PROTECT, PROTECT, INFRA)


def test_the_first_point_is_expanded_from_its_section() -> None:
    plan = plan_followup("Expand on the first point.", WEIGHTS, CATALOGUE)
    assert plan.kind == "pick" and plan.target == PROTECT
    plan = plan_followup("Can you expand on it?", WEIGHTS, CATALOGUE)
    assert plan.kind == "expand" and plan.target == PROTECT
    assert "model weights" in plan.query  # the topic goes along, for the related guidance


def test_the_second_one_is_the_second_guideline_and_point_n_the_nth_citation() -> None:
    assert plan_followup("Tell me more about the second one.", WEIGHTS, CATALOGUE).target == INFRA
    assert plan_followup("What does point 2 say?", WEIGHTS, CATALOGUE).target == PROTECT
    assert plan_followup("And the last one?", WEIGHTS, CATALOGUE).target == INFRA


def test_which_stage_targets_the_section_not_a_search_for_the_words() -> None:
    plan = plan_followup("Which stage is that in?", WEIGHTS, CATALOGUE)
    assert plan.kind == "stage" and plan.target == PROTECT
    # "which guideline" is answered with the guideline and its stage
    assert plan_followup("Which guideline covers that?", WEIGHTS, CATALOGUE).kind == "stage"
    assert "stage" not in plan.query.lower().split()


def test_what_page_asks_where_the_section_is() -> None:
    for question in ("What page is that on?", "Where is that?", "Which pages?", "Where can I find it?"):
        plan = plan_followup(question, WEIGHTS, CATALOGUE)
        assert plan.kind == "locate" and plan.target == PROTECT, question
    # the second guideline of the last answer, located
    assert plan_followup("What page is the second one on?", WEIGHTS, CATALOGUE).target == INFRA
    # a question of its own that asks where is a new search; so is one naming another document
    assert plan_followup("Where should model weights be stored?", WEIGHTS, CATALOGUE).kind != "locate"
    plan = plan_followup(
        "Where is that in the code of practice?", WEIGHTS, CATALOGUE, names=_names, name_terms=NAME_TERMS
    )
    assert plan.kind != "locate" and plan.docs == ["dsit"]


def test_another_stage_asks_for_the_analogous_guideline_there() -> None:
    plan = plan_followup("What about during development?", WEIGHTS, CATALOGUE)
    assert plan.kind == "analogous" and plan.stage == "Secure development"
    assert PROTECT in plan.exclude  # not the same section again
    assert "weights" in plan.query and "development" not in plan.query
    assert plan_followup("What about once it is live?", WEIGHTS, CATALOGUE).stage == (
        "Secure operation and maintenance"
    )


def test_another_stage_alone_seeks_the_counterpart_of_the_guideline_just_given() -> None:
    plan = plan_followup("What about during development?", WEIGHTS, CATALOGUE)
    assert plan.like == PROTECT  # the guideline of the new stage nearest this one is sought
    words = plan.query.lower().split()
    assert len(words) == len(set(words))  # topic and heading words, each once
    assert plan.topic and "weights" in plan.topic and "continuously" not in plan.topic
    post = plan_followup("And post-deployment?", WEIGHTS, CATALOGUE)
    assert post.stage == "Secure operation and maintenance" and post.like == PROTECT
    # A follow-up that brings a topic of its own searches for it instead.
    own = plan_followup("What about data poisoning during development?", WEIGHTS, CATALOGUE)
    assert own.kind == "analogous" and own.like is None and "poisoning" in own.query


def test_a_headings_numbering_is_not_carried_into_the_analogous_query() -> None:
    numbered = SectionRef(
        doc_id="csa",
        section="2.1. Secure the supply chain",
        section_path=["2. DEVELOPMENT", "2.1. Secure the supply chain"],
    )
    history = structured("What does the CSA guidance say about suppliers?", numbered)
    plan = plan_followup("What about at deployment?", history, [*CATALOGUE, numbered])
    assert plan.like == numbered and "chain" in plan.query.split()
    assert not any(w.strip(".").isdigit() for w in plan.query.split())


def test_another_audience_keeps_the_topic_and_names_the_audience() -> None:
    plan = plan_followup("What about for users?", WEIGHTS, CATALOGUE)
    assert plan.kind == "analogous" and plan.audience == "users" and plan.stage is None
    assert "weights" in plan.query and "users" in plan.query


def test_new_questions_and_other_follow_ups_are_not_forced_into_a_plan() -> None:
    assert plan_followup("What is prompt injection?", WEIGHTS, CATALOGUE).kind == "new"
    plan = plan_followup("Who is responsible for that?", WEIGHTS, CATALOGUE)
    assert plan.kind == "rewrite" and "weights" in plan.query


def test_a_failed_turn_never_supplies_the_topic() -> None:
    failed = [
        Turn(role="user", content="What is the best pizza topping?"),
        Turn(role="assistant", content="The corpus does not cover this question.", abstained=True),
    ]
    assert plan_followup("What about threat modelling?", failed, CATALOGUE).kind == "new"
    # A good answer, then a failed one: follow-ups go back to the good answer.
    history = WEIGHTS + failed
    assert answered_history(history) == WEIGHTS
    plan = plan_followup("Which stage is that in?", history, CATALOGUE)
    assert plan.kind == "stage" and plan.target == PROTECT
    # Plain text abstentions (other clients) are recognised by their wording.
    plain = [
        Turn(role="user", content="GDPR fines?"),
        Turn(role="assistant", content="The corpus does not cover this."),
    ]
    assert plan_followup("Expand on the first point.", plain, CATALOGUE).kind == "new"


def test_plain_text_history_uses_guideline_names_and_markers() -> None:
    text = (
        "The Secure deployment stage has these guidelines: Secure your infrastructure [1]; "
        "Protect your model continuously [2]."
    )
    turn = Turn(role="assistant", content=text)
    assert answer_sections(turn, CATALOGUE) == [INFRA, PROTECT]
    assert answer_points(turn, CATALOGUE) == [INFRA, PROTECT]
    history = [Turn(role="user", content="Which guidelines are in deployment?"), turn]
    assert plan_followup("Tell me more about the second one.", history, CATALOGUE).target == PROTECT
    # A name shared by two documents means the first (highest-priority) document's section.
    shared = Turn(role="assistant", content="**Secure development › Secure your supply chain** ... [1]")
    assert answer_points(shared, CATALOGUE) == [SUPPLY]


def test_named_stage_reads_the_common_phrasings() -> None:
    assert named_stage("what about during development?") == "Secure development"
    assert named_stage("and once it is deployed?") == "Secure deployment"
    assert named_stage("what about after deployment?") == "Secure operation and maintenance"
    assert named_stage("in production?") == "Secure operation and maintenance"
    assert named_stage("what about at design time?") == "Secure design"
    assert named_stage("how does this compare?") is None


def test_plain_text_headers_repeating_the_lead_carry_their_markers() -> None:
    # Saige's own answer as plain text: the lead names both guidelines in bold, then each header repeats one.
    text = (
        "This is answered under **Secure deployment › Protect your model continuously**; "
        "**Secure deployment › Secure your infrastructure** also covers it.\n\n"
        "**Secure deployment › Protect your model continuously** — Guidelines\n- One. [1]\n- Two. [2]\n\n"
        "**Secure deployment › Secure your infrastructure** — Guidelines\n- Three. [3]"
    )
    turn = Turn(role="assistant", content=text)
    assert answer_points(turn, CATALOGUE) == [PROTECT, PROTECT, INFRA]
    history = [Turn(role="user", content="How should we protect model weights?"), turn]
    assert plan_followup("Expand on the first point.", history, CATALOGUE).target == PROTECT
    assert plan_followup("And the second one?", history, CATALOGUE).target == INFRA


def test_a_bare_request_for_more_expands_the_last_answer() -> None:
    for question in ("Elaborate.", "Tell me more.", "More detail please."):
        plan = plan_followup(question, WEIGHTS, CATALOGUE)
        assert plan.kind == "expand" and plan.target == PROTECT, question
    plan = plan_followup("When in the lifecycle does that apply?", WEIGHTS, CATALOGUE)
    assert plan.kind == "stage" and plan.target == PROTECT


def test_other_clients_plain_failures_never_supply_the_topic() -> None:
    for reply in (
        "Sorry, I couldn't find anything on that.",
        "I don't know.",
        "There is no information on it.",
    ):
        history = [
            *WEIGHTS,
            Turn(role="user", content="What is the best pizza topping?"),
            Turn(role="assistant", content=reply),
        ]
        assert answered_history(history) == WEIGHTS, reply
        assert plan_followup("Which stage is that in?", history, CATALOGUE).target == PROTECT
    cited = Turn(
        role="assistant", content="The documents do not say much, but Protect your model continuously [1]."
    )
    assert not failed(cited)


def test_a_part_heading_made_of_stage_words_names_the_stage() -> None:
    assert path_stage(["3. SECURING AI", "4. OPERATIONS AND MAINTENANCE", "4.2. Monitor"]) == (
        "Secure operation and maintenance"
    )
    assert path_stage(["1. PLANNING AND DESIGN", "1.1. Raise awareness"]) == "Secure design"
    assert path_stage(["3. SSDF Community Profile for AI Model Development", "PW.1"]) is None
    assert path_stage(["4.2. Monitor"]) is None  # the section itself is not its part


def test_a_follow_up_naming_a_document_leaves_the_other_documents_names_behind() -> None:
    terms = frozenset({"singapor", "cisa", "ncsc"})
    resolved = "How does lifecycle stages ncsc cisa differ in the Singapore guidelines?"
    assert other_documents_dropped(resolved, "How does it differ in the Singapore guidelines?", terms) == (
        "How does lifecycle stages differ in the Singapore guidelines?"
    )
    # A follow-up naming no document keeps the carried topic whole.
    assert (
        other_documents_dropped("ncsc cisa lifecycle stages", "Why?", terms) == "ncsc cisa lifecycle stages"
    )


def test_an_audience_ends_before_a_relative_clause() -> None:
    plan = plan_followup("What about for organisations that only use AI tools?", WEIGHTS, CATALOGUE)
    assert plan.kind == "analogous" and plan.audience == "organisations"


def _names(text: str) -> frozenset[str]:
    """The documents a text names, as the search's DocumentNamer would: the code of practice, the ML
    principles."""
    low = text.lower()
    return frozenset(
        d for d, phrase in (("dsit", "code of practice"), (ML, "ml principles")) if phrase in low
    )


NAME_TERMS = frozenset({"code", "practic", "ml", "principl"})


def test_a_follow_up_naming_another_document_asks_for_the_same_guidance_there() -> None:
    history = structured("How do we secure our AI supply chain?", SUPPLY)
    for question in (
        "What does the code of practice say?",
        "And in the code of practice?",
        "How does that differ from the code of practice?",  # a comparison asks for the same guidance there
        "Compare that with the code of practice.",
    ):
        plan = plan_followup(question, history, CATALOGUE, names=_names, name_terms=NAME_TERMS)
        assert plan.kind == "rewrite" and plan.like == SUPPLY, question
        assert {"supply", "chain"} <= set(plan.query.lower().split()) and plan.docs == ["dsit"]
    # "for" before a document's name names the document, not an audience
    plan = plan_followup(
        "And for the code of practice?", history, CATALOGUE, names=_names, name_terms=NAME_TERMS
    )
    assert plan.kind == "rewrite" and plan.audience is None and plan.like == SUPPLY and plan.docs == ["dsit"]
    # A topic of its own is a new search in that document, not the section just given.
    plan = plan_followup(
        "What does the code of practice say about data poisoning?",
        history,
        CATALOGUE,
        names=_names,
        name_terms=NAME_TERMS,
    )
    assert plan.like is None
    # The section's own document named again: no switch.
    ml_history = structured("What do the ML principles say about the supply chain?", ML_SUPPLY)
    plan = plan_followup(
        "And in the ML principles?", ml_history, CATALOGUE, names=_names, name_terms=NAME_TERMS
    )
    assert plan.like is None


DEPLOYMENT = SectionRef(doc_id=G, section="Secure deployment", section_path=["Secure deployment"])
SUMMARY = SectionRef(
    doc_id=G, section="Secure deployment", section_path=["Executive summary", "Secure deployment"]
)


def test_the_nth_one_after_an_answer_about_a_part_counts_its_guidelines() -> None:
    catalogue = [SUMMARY, DEPLOYMENT, INFRA, PROTECT, SUPPLY, ML_SUPPLY]
    history = structured("What are the secure deployment guidelines?", DEPLOYMENT, DEPLOYMENT)
    assert plan_followup("And the second one?", history, catalogue).target == PROTECT
    assert plan_followup("Tell me about the first one.", history, catalogue).target == INFRA
    # Plain text names only the heading, which the executive summary repeats: the part that holds
    # guidelines counts.
    plain = [
        Turn(role="user", content="What are the secure deployment guidelines?"),
        Turn(role="assistant", content="The answer is under **Secure deployment**. [1]"),
    ]
    assert plan_followup("And the second one?", plain, catalogue).target == PROTECT
    # "Point 2" is the answer's second citation, not the part's second guideline.
    assert plan_followup("Expand on point 2.", history, catalogue).target == DEPLOYMENT


def test_a_follow_up_of_conversation_words_only_expands_the_last_answer() -> None:
    for question in ("Go on.", "Yes please.", "Why does that matter?", "Why is it important?"):
        plan = plan_followup(question, WEIGHTS, CATALOGUE)
        assert plan.kind == "expand" and plan.target == PROTECT, question

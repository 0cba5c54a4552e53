"""Follow-ups that name their target without "for" or by a family of documents: "What about users?" is the
analogous guideline for that audience; "And NIST?" keeps the topic and answers from every document NIST
names, and says which one answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from retrieval.composer import compose_answer
from retrieval.followup import plan_followup
from retrieval.planning import FollowupPlanner, Sections
from retrieval.referents import audience_first, names_audience
from retrieval.search import SearchResult
from saige.types import FollowupPlan, Hit, SectionRef, Turn
from tests.fakes import GUIDELINES, ML_PRINCIPLES, NIST_RMF, tiny_chunks, tiny_documents
from tests.unit.test_followup_plans import CATALOGUE, SUPPLY, WEIGHTS, structured


def test_an_audience_without_for_is_an_audience() -> None:
    for question, audience in (
        ("What about users?", "users"),
        ("And the data scientists?", "data scientists"),
        ("What about operators?", "operators"),
        ("And system owners?", "system owners"),
        ("How about our end-users?", "end-users"),
    ):
        plan = plan_followup(question, WEIGHTS, CATALOGUE)
        assert plan.kind == "analogous" and plan.audience == audience, question
        assert plan.stage is None and "weights" in plan.query


def test_a_bare_phrase_that_names_no_people_is_a_topic_not_an_audience() -> None:
    for question in ("What about data poisoning?", "And prompt injection?"):
        plan = plan_followup(question, WEIGHTS, CATALOGUE)
        assert plan.audience is None and plan.kind == "rewrite", question
    assert names_audience("the red teamers") and not names_audience("model weights")
    # "operators" is people, not the operation stage
    assert plan_followup("What about operators?", WEIGHTS, CATALOGUE).stage is None


def _hit(doc: str, path: list[str], text: str, rank: int) -> Hit:
    chunk = tiny_chunks()[0].model_copy(
        update={"doc_id": doc, "section": path[-1], "section_path": path, "text": text, "chunk_id": str(rank)}
    )
    return Hit(chunk=chunk, rank=rank, score=1.0 / rank)


def test_for_an_audience_no_heading_names_the_sections_whose_text_does_come_first() -> None:
    given = _hit(GUIDELINES, ["Monitor your system's behaviour"], "You measure outputs and performance.", 1)
    other = _hit(ML_PRINCIPLES, ["Log activity"], "System operators shall log user actions.", 2)
    previous = [
        SectionRef(doc_id=GUIDELINES, section=given.chunk.section, section_path=given.chunk.section_path)
    ]
    ordered = audience_first([given, other], "the operators", previous)
    assert [h.chunk.section for h in ordered] == ["Log activity", "Monitor your system's behaviour"]


def test_in_a_staged_document_its_guidelines_come_before_its_front_matter() -> None:
    """ "Who should read this document?" names data scientists in its text but gives them no guidance: in a
    document that sorts its guidance into stages, a staged guideline naming them comes first."""
    readers = _hit(GUIDELINES, ["Who should read this document?"], "For data scientists and developers.", 1)
    readers.chunk.stage = None
    guideline = _hit(GUIDELINES, ["Raise staff awareness"], "Data scientists learn about threats.", 2)
    guideline.chunk.stage = "Secure design"
    hits = [readers, guideline]
    assert audience_first(hits, "data scientists") == hits  # without knowing the document is staged
    ordered = audience_first(hits, "data scientists", staged=frozenset({GUIDELINES}))
    assert [h.chunk.section for h in ordered] == ["Raise staff awareness", "Who should read this document?"]


def _names(text: str) -> frozenset[str]:
    """NIST names two documents here, the ML principles one."""
    low = text.lower()
    if "nist" in low:
        return frozenset({NIST_RMF, "nist-ai-600-1-genai-profile-2024"})
    return frozenset({ML_PRINCIPLES}) if "ml principles" in low else frozenset()


NAME_TERMS = frozenset({"nist", "ml", "principl"})


def test_a_follow_up_naming_a_family_of_documents_keeps_the_topic_and_names_them_all() -> None:
    history = structured("How do we secure our AI supply chain?", SUPPLY)
    for question in (
        "And NIST?",
        "What does the NIST framework say about that?",
        "What do the NIST publications say?",  # a plural document noun is no topic either
    ):
        plan = plan_followup(question, history, CATALOGUE, names=_names, name_terms=NAME_TERMS)
        assert plan.like == SUPPLY, question
        assert plan.docs == sorted(_names("nist")), question
        words = plan.query.lower().split()
        assert {"supply", "chain"} <= set(words) and "nist" not in words, question


def test_a_family_named_after_an_answer_from_one_of_them_is_still_kept_to_the_family() -> None:
    rmf = SectionRef(doc_id=NIST_RMF, section="GOVERN 6.1", section_path=["5.1 Govern", "GOVERN 6.1"])
    history = structured("How should we manage third-party AI risks?", rmf)
    plan = plan_followup(
        "Does NIST cover it too?", history, [*CATALOGUE, rmf], names=_names, name_terms=NAME_TERMS
    )
    assert plan.kind == "rewrite" and plan.docs == sorted(_names("nist"))
    assert "third party" in plan.query.lower()
    # A topic of its own is not restricted: "What does NIST say about poisoning?" is a new search.
    plan = plan_followup(
        "And what does NIST say about poisoning?",
        history,
        [*CATALOGUE, rmf],
        names=_names,
        name_terms=NAME_TERMS,
    )
    assert plan.docs == []


class _Recorder:
    def __init__(self, hits: Sequence[Hit]) -> None:
        self.calls: list[Sequence[str] | None] = []
        self.hits = list(hits)

    def __call__(
        self, query: str, *, k: int | None, docs: Sequence[str] | None, stage: str | None, mode: str
    ) -> SearchResult:
        self.calls.append(docs)
        return SearchResult(query=query, hits=[h for h in self.hits if not docs or h.chunk.doc_id in docs])


def test_the_named_documents_are_the_only_ones_searched() -> None:
    chunks = tiny_chunks()
    hits = [Hit(chunk=c, rank=i, score=1.0) for i, c in enumerate(chunks, 1)]
    search = _Recorder(hits)
    documents = {d.id: d for d in tiny_documents()}
    planner = FollowupPlanner(chunks, documents, frozenset(), search, Sections(chunks))
    like = SectionRef(
        doc_id=GUIDELINES,
        section=chunks[0].section,
        section_path=chunks[0].section_path,
    )
    plan = FollowupPlan(kind="rewrite", query="staff awareness", like=like, docs=[ML_PRINCIPLES, NIST_RMF])
    found = planner.result(plan, k=5, docs=None, stage=None, mode="hybrid")
    assert all(sorted(call or []) == [ML_PRINCIPLES, NIST_RMF] for call in search.calls)
    assert found.hits and {h.chunk.doc_id for h in found.hits} <= {ML_PRINCIPLES, NIST_RMF}


class _DenseRecorder(_Recorder):
    """A search whose keyword query finds only weak passages, while the dense counterpart search (the section
    given, in the named documents) finds a near one."""

    def __call__(
        self, query: str, *, k: int | None, docs: Sequence[str] | None, stage: str | None, mode: str
    ) -> SearchResult:
        found = super().__call__(query, k=k, docs=docs, stage=stage, mode=mode)
        return replace(found, best_dense=0.62 if mode == "dense" else 0.2)


def test_the_named_documents_evidence_is_how_near_their_counterpart_is() -> None:
    """The follow-up's own query is a bag of topic words; the evidence that the named documents hold the
    guidance is also the similarity of their counterpart to the section given."""
    chunks = tiny_chunks()
    hits = [Hit(chunk=c, rank=i, score=1.0) for i, c in enumerate(chunks, 1)]
    planner = FollowupPlanner(
        chunks, {d.id: d for d in tiny_documents()}, frozenset(), _DenseRecorder(hits), Sections(chunks)
    )
    like = SectionRef(doc_id=GUIDELINES, section=chunks[0].section, section_path=chunks[0].section_path)
    plan = FollowupPlan(kind="rewrite", query="staff awareness", like=like, docs=[ML_PRINCIPLES, NIST_RMF])
    assert planner.result(plan, k=5, docs=None, stage=None, mode="hybrid").best_dense == 0.62


def test_the_lead_says_which_of_the_named_documents_answered() -> None:
    chunks = [c for c in tiny_chunks() if c.doc_id == NIST_RMF]
    hits = [Hit(chunk=c, rank=i, score=1.0) for i, c in enumerate(chunks, 1)]
    documents = {d.id: d for d in tiny_documents()}
    plan = FollowupPlan(kind="rewrite", query="risk", docs=[ML_PRINCIPLES, NIST_RMF])
    composed = compose_answer("And those two?", "risk", hits, documents, lambda t: 1.0, plan)
    lead = composed.text.splitlines()[0]
    assert lead.startswith("Of the 2 documents named (NCSC ML principles; NIST AI RMF), NIST AI RMF answers")


def test_a_failed_turn_before_an_audience_or_a_family_follow_up_does_not_poison_it() -> None:
    failed = [
        Turn(role="user", content="What is the best pizza topping?"),
        Turn(role="assistant", content="The corpus does not cover this question.", abstained=True),
    ]
    plan = plan_followup("And the data scientists?", [*WEIGHTS, *failed], CATALOGUE)
    assert plan.kind == "analogous" and plan.audience == "data scientists" and "weights" in plan.query
    history = [*structured("How do we secure our AI supply chain?", SUPPLY), *failed]
    plan = plan_followup("And NIST?", history, CATALOGUE, names=_names, name_terms=NAME_TERMS)
    assert plan.like == SUPPLY and plan.docs == sorted(_names("nist"))

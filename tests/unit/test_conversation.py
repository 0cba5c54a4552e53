"""Conversations through the facade (tiny corpus, both answer kinds), `--history` files, the composition
audit, and the conversation eval file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from evals.composition import audit, is_how_question, point_defect
from evals.conversations import DEFAULT_CONVERSATIONS, Conversation, Kind, load_conversations
from evals.split import split_of
from retrieval.sentence_kinds import not_a_point, question_intent
from retrieval.service import Saige
from retrieval.store import MemoryStore
from saige.errors import SaigeError
from saige.history import conversation_record, load_history, parse_history
from saige.settings import Settings
from saige.types import Answer, AnswerPoint, Document
from tests.conftest import HashEmbedder
from tests.fakes import GUIDELINES, ML_PRINCIPLES, tiny_chunks, tiny_documents
from tests.unit.test_service import make_engine


@pytest.fixture
def engine(data_dir: Path, fake_embedder: HashEmbedder) -> Saige:
    return make_engine(Settings(data_dir=data_dir, abstain_dense=0.25), fake_embedder)


def converse(engine: Saige, *questions: str) -> list[Answer]:
    history: list = []
    answers = []
    for q in questions:
        a = engine.ask(q, history=history)
        answers.append(a)
        history = parse_history(conversation_record(history, q, a)["history"], "test")
    return answers


def test_answers_keep_their_points_with_section_and_stage(engine: Saige) -> None:
    answer = engine.ask("How should incident response and remediation plans be kept up to date?")
    assert answer.points and [p.n for p in answer.points] == [c.n for c in answer.citations]
    first = answer.points[0]
    assert first.section == "Develop incident management procedures" and first.stage == "Secure deployment"


def test_expand_then_stage_stay_on_the_first_answers_guideline(engine: Saige) -> None:
    first, more, stage = converse(
        engine,
        "How should incident response and remediation plans be kept up to date?",
        "Expand on the first point.",
        "Which stage is that in?",
    )
    guideline = first.points[0].section
    assert more.followup == "pick" and not more.abstained
    assert more.hits[0].chunk.section == guideline and more.citations[0].section == guideline
    assert guideline in more.answer.splitlines()[0]
    assert stage.followup == "stage" and not stage.abstained
    assert stage.answer.startswith("That is in the **Secure deployment** stage")
    assert stage.citations[0].section == guideline


def test_what_page_answers_where_the_guideline_of_the_last_answer_is(engine: Saige) -> None:
    first, where = converse(
        engine,
        "How should incident response and remediation plans be kept up to date?",
        "What page is that on?",
    )
    guideline = first.points[0].section
    assert where.followup == "locate" and not where.abstained
    cited = where.citations[0]
    assert cited.section == guideline and cited.page_start is not None
    lead = where.answer.splitlines()[0]
    assert lead.startswith(f"**{guideline}** is on p. {cited.page_start}") and lead.endswith("[1].")


def test_another_stage_gives_the_analogous_guideline_not_the_same_one(engine: Saige) -> None:
    first, other = converse(
        engine, "How should we monitor the outputs and behaviour of our system?", "What about during design?"
    )
    assert first.hits[0].chunk.section == "Monitor your system's behaviour"
    assert other.followup == "analogous" and not other.abstained
    assert other.hits and all(h.chunk.stage == "Secure design" for h in other.hits)
    assert "In the **Secure design** stage" in other.answer


def test_another_stage_answers_with_the_counterpart_in_the_same_documents_lifecycle(
    data_dir: Path, fake_embedder: HashEmbedder
) -> None:
    # Two candidates in the operation stage: the Guidelines' own guideline whose text is nearest the one given
    # (incidents, lessons), and another document's section whose heading repeats the question's words.
    extra = [
        (
            GUIDELINES,
            "Secure operation and maintenance",
            ["Secure operation and maintenance", "Collect and share lessons learned"],
            (19, 19),
            [
                "Security events are inevitable: you share your escalation and remediation experience, "
                "and your scenarios are reassessed as the system and wider research evolves."
            ],
        ),
        (
            ML_PRINCIPLES,
            "Secure operation and maintenance",
            ["Secure operation and maintenance", "Keep incident response plans up to date"],
            (22, 22),
            ["Incident response plans are kept up to date for models in use."],
        ),
    ]
    store = MemoryStore()
    chunks = tiny_chunks(extra)
    store.add(chunks, fake_embedder.embed([c.embed_text for c in chunks]))
    engine = Saige(Settings(data_dir=data_dir, abstain_dense=0.25), fake_embedder, store, tiny_documents())
    first, live = converse(
        engine, "How should incident response plans be kept up to date?", "What about once it is live?"
    )
    assert first.points[0].section == "Develop incident management procedures"
    assert live.followup == "analogous" and not live.abstained
    assert live.hits[0].chunk.section == "Collect and share lessons learned"
    # The other document's operation-stage section was found as strongly as the top one, so the first answer
    # already quoted it; the follow-up gives what is new rather than repeating it.
    assert "Keep incident response plans up to date" in {c.section for c in first.citations}
    assert "Keep incident response plans up to date" not in [h.chunk.section for h in live.hits]
    assert all(h.chunk.stage == "Secure operation and maintenance" for h in live.hits)


def test_a_failed_turn_does_not_poison_the_next(engine: Saige) -> None:
    _, off, back = converse(
        engine,
        "How should incident response and remediation plans be kept up to date?",
        "What's a good recipe for sourdough bread?",
        "Which stage is that in?",
    )
    assert off.abstained
    assert back.followup == "stage" and "Secure deployment" in back.answer


def test_search_follows_the_same_plan(engine: Saige) -> None:
    first = engine.ask("How should incident response and remediation plans be kept up to date?")
    history = parse_history(conversation_record([], first.question, first)["history"], "test")
    hits = engine.search("Which stage is that in?", history=history)
    assert hits[0].chunk.section == "Develop incident management procedures"


def test_history_file_in_and_out(tmp_path: Path, engine: Saige) -> None:
    path = tmp_path / "h.json"
    path.write_text(
        json.dumps(
            [
                {"role": "user", "content": "What should we do about incidents?"},
                {
                    "role": "assistant",
                    "content": "Secure deployment › Develop incident management procedures [1]",
                },
            ]
        )
    )
    turns = load_history(path)
    answer = engine.ask("Which stage is that in?", history=turns)
    assert answer.followup == "stage" and "Secure deployment" in answer.answer
    record = conversation_record(turns, "Which stage is that in?", answer)
    assert [t["role"] for t in record["history"]] == ["user", "assistant", "user", "assistant"]
    assert record["history"][-1]["citations"][0]["section"] == "Develop incident management procedures"
    # the output is valid input for the next turn (citations as `ask --json` prints them, no chunk ids)
    path.write_text(json.dumps(record))
    again = load_history(path)
    assert again[-1].citations and again[-1].citations[0].n == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"a": 1}', "expected a JSON list"),
        ('[{"role": "bot", "content": "x"}]', "turn 1"),
    ],
)
def test_bad_history_files_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SaigeError, match=message) as info:
        load_history(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("How can developers protect their ML models with the secret weights?", "question"),
        ("Information Security; Value Chain and Component Integration", "label"),
        ("An attacker may have a variety of goals with a prompt injection, such as:", "lead-in"),
        (
            "attempts to exfiltrate confidential information To ensure that consuming systems validate",
            "glued",
        ),
        ("You monitor and log inputs to your system to enable compliance obligations. [3]", None),
        (
            "Reference/Resource: NCSC Guidelines for Secure AI System Development, Secure your Infrastructure.",
            "reference",
        ),
        ("Informative References: OWASP: LLM03, LLM06 PS.1.3: Protect all model weights.", "reference"),
        ("6.1 (continued): Reference/Resource: OWASP AI Top 10 API Security Risks - 2023.", "reference"),
        ("References to prior incidents help the review board decide. [2]", None),
    ],
)
def test_composition_defects(text: str, kind: str | None) -> None:
    assert point_defect(text) == kind
    # the answerer refuses the same kinds of sentence as points
    assert (not_a_point(text.removesuffix(" [3]")) is None) == (kind is None)


def test_audit_counts_defects_and_action_share() -> None:
    def answer(q: str, *texts: str) -> Answer:
        points = [AnswerPoint(n=i, text=t, doc_id="d", section="s") for i, t in enumerate(texts, 1)]
        return Answer(question=q, answer="x", points=points)

    report = audit(
        [
            ("How can we defend against prompt injection?", answer("q", "Prompt injection is an attack.")),
            ("How do we log inputs?", answer("q", "You log and monitor inputs.", "What is logged?")),
            ("What is prompt injection?", answer("q", "Prompt injection is an attack.")),
        ]
    )
    assert report.answers == 3 and report.points == 4
    assert report.counts() == {"question": 1}
    assert report.how_answers == 2 and report.action_share == 0.5
    assert is_how_question("What should we do about drift?") and not is_how_question("What is drift?")


def test_question_intent() -> None:
    assert question_intent("How can we defend against prompt injection?") == "action"
    assert question_intent("What is prompt injection?") == "definition"
    assert question_intent("What should we monitor once deployed?") == "action"


def test_links_say_what_they_open() -> None:
    base = dict(publisher="p", published="2024", license="l", redistributable=True, sha256="0", file="f")
    pdf = Document(id="a", title="A", short_title="A", official_url="https://x.org/a.pdf", kind="pdf", **base)
    web = Document(
        id="b", title="B", short_title="B", official_url="https://x.org/collection/b", kind="pdf", **base
    )
    text = Document(
        id="c", title="C", short_title="C", official_url="https://x.org/c.pdf", kind="text-extraction", **base
    )
    assert pdf.page_url(3).endswith("#page=3") and pdf.link_label("p. 3") == "official PDF, p. 3"
    assert web.page_url(3) == "https://x.org/collection/b" and "web page" in web.link_label("pp. 15-16")
    assert "PDF, " not in web.link_label("pp. 15-16")
    assert text.page_url(3) == "https://x.org/c.pdf" and "text extraction" in text.link_label("")


def test_conversation_file_is_valid_and_split_by_the_rule() -> None:
    conversations = load_conversations(DEFAULT_CONVERSATIONS)
    assert len(conversations) >= 40
    assert all(c.split == split_of(c.id) for c in conversations)
    assert all(2 <= len(c.turns) <= 4 for c in conversations)
    assert {c.kind for c in conversations} == set(get_args(Kind))  # every kind of follow-up is covered
    assert any(not t.answerable for c in conversations for t in c.turns[:-1])  # a turn that fails first
    with pytest.raises(ValueError, match="split"):
        Conversation.model_validate(
            {
                "id": "conv001",
                "split": "test" if split_of("conv001") == "dev" else "dev",
                "kind": "nth",
                "turns": [{"question": "a"}, {"question": "b"}],
            }
        )

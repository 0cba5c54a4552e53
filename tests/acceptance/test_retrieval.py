"""Retrieval and answers on the real corpus (needs SAIGE_CORPUS_DIR; uses the session's ingested index).

The paraphrases below were written for this test, not taken from evals/questions.jsonl, so they also act
as a small held-out check of the tuned settings.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from saige.cli import app
from saige.settings import Settings
from saige.types import STAGES, Turn, normalize_heading

if TYPE_CHECKING:
    from retrieval.service import Saige

pytestmark = pytest.mark.acceptance

GUIDELINES = "ncsc-cisa-secure-ai-guidelines-2023"

PARAPHRASES: dict[str, list[tuple[str, str]]] = {
    "Secure design": [
        (
            "What should security training for our ML engineers and data scientists cover?",
            "Raise staff awareness of threats and risks",
        ),
        (
            "How do we work out what could go wrong if an attacker targets our AI system?",
            "Model the threats to your system",
        ),
        (
            "When picking a foundation model, which security trade-offs should we weigh up?",
            "Consider security benefits and trade-offs when selecting your AI model",
        ),
        (
            "Should an LLM that can call tools be limited in what actions it may take?",
            "Design your system for security as well as functionality and performance",
        ),
    ],
    "Secure development": [
        ("How do we vet the third-party models and libraries we depend on?", "Secure your supply chain"),
        (
            "Should we keep an inventory of our models, datasets and logs?",
            "Identify, track and protect your assets",
        ),
        (
            "What records should we keep about how a model was trained and where its data came from?",
            "Document your data, models and prompts",
        ),
        (
            "How do we avoid building up technical debt in machine learning code?",
            "Manage your technical debt",
        ),
    ],
    "Secure deployment": [
        (
            "How do we stop attackers from extracting or tampering with our model once it is live?",
            "Protect your model continuously",
        ),
        (
            "What should our plan be when an AI security incident happens?",
            "Develop incident management procedures",
        ),
        (
            "Should a model be red-teamed and evaluated before it is released to the public?",
            "Release AI responsibly",
        ),
        (
            "How should access controls around our training and serving infrastructure be set up?",
            "Secure your infrastructure",
        ),
    ],
    "Secure operation and maintenance": [
        (
            "How do we notice if our model starts behaving differently over time?",
            "Monitor your system's behaviour",
        ),
        (
            "Should we check the prompts and inputs users send to the model for attacks?",
            "Monitor your system's inputs",
        ),
        (
            "How should new versions of the model be rolled out safely?",
            "Follow a secure by design approach to updates",
        ),
        (
            "Should we share what we learned from AI security incidents with the wider community?",
            "Collect and share lessons learned",
        ),
    ],
}


def guideline_rank(engine: Saige, question: str, heading: str, k: int = 3) -> int | None:
    for hit in engine.search(question, k=k):
        path = {normalize_heading(p) for p in hit.chunk.section_path}
        if hit.chunk.doc_id == GUIDELINES and normalize_heading(heading) in path:
            return hit.rank
    return None


@pytest.mark.parametrize("stage", STAGES)
def test_paraphrases_find_the_guideline_in_the_top_3(real_engine: Saige, stage: str) -> None:
    results = {q: guideline_rank(real_engine, q, heading) for q, heading in PARAPHRASES[stage]}
    found = [q for q, rank in results.items() if rank is not None]
    # at least 3 of the 4 paraphrases of every stage; reported per question when it fails
    assert len(found) >= 3, results


def test_paraphrases_overall(real_engine: Saige) -> None:
    pairs = [pair for stage in STAGES for pair in PARAPHRASES[stage]]
    ranks = [guideline_rank(real_engine, q, heading) for q, heading in pairs]
    assert sum(r is not None for r in ranks) >= 14, list(zip([q for q, _ in pairs], ranks, strict=True))
    assert sum(r == 1 for r in ranks) >= 10


@pytest.mark.parametrize(
    "question",
    [
        "What's the best way to proof sourdough overnight?",
        "Who won the Wimbledon men's singles final in 2019?",
        "How do I bleed the brakes on a mountain bike?",
    ],
)
def test_off_topic_questions_abstain(real_engine: Saige, question: str) -> None:
    answer = real_engine.ask(question)
    assert answer.abstained
    assert answer.citations == []
    assert answer.answer.startswith("The corpus does not cover this question.")
    assert "nearest guideline headings" in answer.answer


def test_in_scope_answer_cites_verbatim_quotes_with_page_links(real_engine: Saige) -> None:
    answer = real_engine.ask("How should we protect our model weights from theft and tampering?")
    assert not answer.abstained and answer.citations
    docs = {d.id: d for d in real_engine.documents()}
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer
        source = next(h.chunk for h in answer.hits if h.chunk.chunk_id == c.chunk_id)
        assert c.quote in source.text
        assert c.url == docs[c.doc_id].page_url(c.page_start)
    first = answer.citations[0]
    assert first.doc_id == GUIDELINES and first.section.startswith("Protect your model continuously")
    assert first.url.startswith(
        "https://www.ncsc.gov.uk/files/Guidelines-for-secure-AI-system-development.pdf#page="
    )


def test_follow_up_resolves_against_the_previous_turn(real_engine: Saige) -> None:
    history = [
        Turn(role="user", content="How should we look after our AI supply chain?"),
        Turn(role="assistant", content="Assess and monitor suppliers [1]."),
    ]
    answer = real_engine.ask("Who is responsible for that?", history=history)
    assert answer.resolved_query is not None and "supply chain" in answer.resolved_query
    top = [(h.chunk.doc_id, normalize_heading(h.chunk.section)) for h in answer.hits[:3]]
    assert (GUIDELINES, "secure your supply chain") in top or (
        GUIDELINES,
        "who is responsible for developing secure ai?",
    ) in top


def test_shared_headings_prefer_the_guidelines_unless_another_document_is_named(real_engine: Saige) -> None:
    top = real_engine.search("How do we secure our supply chain?", k=3)[0]
    assert (top.chunk.doc_id, normalize_heading(top.chunk.section)) == (
        GUIDELINES,
        "secure your supply chain",
    )
    top = real_engine.search("What do the NCSC ML principles say about securing the supply chain?", k=3)[0]
    assert top.chunk.doc_id == "ncsc-machine-learning-principles-2024"
    assert "supply chain" in " ".join(top.chunk.section_path).lower()
    top = real_engine.search("What does the code of practice say about securing the supply chain?", k=3)[0]
    assert top.chunk.doc_id == "dsit-ai-cyber-security-cop-implementation-guide-2025"
    top = real_engine.search("Identify, track and protect your assets", k=3)[0]
    assert top.chunk.doc_id == GUIDELINES
    top = real_engine.search("How does the Singapore guidance secure the supply chain?", k=3)[0]
    assert top.chunk.doc_id == "csa-sg-guidelines-securing-ai-systems-2024"


def test_cli_stage_filter_returns_only_that_stage(real_settings: Settings, real_engine: Saige) -> None:
    runner = CliRunner()
    args = [
        "search",
        "monitoring logging and incident response",
        "--stage",
        "deployment",
        "--json",
        "--k",
        "8",
    ]
    result = runner.invoke(app, [*args, "--data-dir", str(real_settings.data_dir)])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert hits and {h["stage"] for h in hits} == {"Secure deployment"}
    assert set(hits[0]) == {
        "rank",
        "score",
        "chunk_id",
        "doc_id",
        "doc_title",
        "section",
        "section_path",
        "stage",
        "page_start",
        "page_end",
        "text",
    }


def test_cli_batch_search_and_ask_json(real_settings: Settings, real_engine: Saige) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(real_settings.data_dir)]
    result = runner.invoke(app, ["search", "-", *data], input="threat modelling\n\nmodel weights\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["threat modelling", "model weights"]
    assert all(line["hits"] for line in lines)
    result = runner.invoke(app, ["ask", "How should we document our training data?", "--json", *data])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "citations", "hits"} <= set(record)
    assert record["citations"] and set(record["citations"][0]) == {
        "n",
        "doc_id",
        "doc_title",
        "section",
        "section_path",
        "stage",
        "page_start",
        "page_end",
        "quote",
        "url",
        "control_id",
    }
    result = runner.invoke(app, ["ask", "x" * 5000, *data])
    assert result.exit_code != 0 and "over the limit" in result.output

"""The Controls view and the design review's crosswalk, driven with AppTest over the real corpus's index (the
catalogue is built from the real AI RMF, AI 600-1, SP 800-218A and DSIT tables). Skips without the corpus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from saige.settings import Settings
from saige.ui.controls_view import CHOSEN, CONTROLS_VIEW, FRAMEWORK, QUERY, VIEW
from saige.ui.state import GUIDELINES_TAB, REVIEW_TAB, TAB
from tests.app.app_corpus import settings_env
from tests.app.conftest import APP

pytestmark = pytest.mark.acceptance

TIMEOUT = 300
GAI = "nist-ai-600-1-genai-profile-2024"
SSDF = "nist-sp-800-218a-genai-ssdf-profile-2024"


@pytest.fixture
def real_env(real_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for key, value in settings_env(real_settings).items():
        monkeypatch.setenv(key, value)
    yield real_settings


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(parts).replace("\\", "")


def test_controls_view_finds_a_control_by_id_in_any_spelling(real_env: Settings) -> None:
    at = _app()
    at.session_state[TAB] = GUIDELINES_TAB
    _run(at)
    at.radio(key=VIEW).set_value(CONTROLS_VIEW)
    _run(at)
    options = at.selectbox(key=FRAMEWORK).options
    assert {"NIST GenAI Profile (AI 600-1)", "NIST SP 800-218A (SSDF GenAI profile)"} <= set(options)
    at.selectbox(key=FRAMEWORK).set_value(GAI)
    at.text_input(key=QUERY).input("gv 1.2 001")
    _run(at)
    assert at.selectbox(key=CHOSEN).value == f"{GAI}::GV-1.2-001"
    text = _text(at)
    assert "##### GV-1.2-001" in text
    # verbatim statement, printed page and a link to the physical PDF page
    assert "Establish transparency policies and processes for documenting the origin" in text
    assert (
        "NIST GenAI Profile (AI 600-1), p. 14](https://nvlpubs.nist.gov/nistpubs/ai/NIST.AI.600-1.pdf#page=18)"
        in text
    )
    # crosswalk with provenance: its AI RMF subcategory, published in the corpus; similar ones, computed
    assert ":green-badge[published in the corpus]" in text and "**GOVERN 1.2**" in text
    assert ":gray-badge[similar (computed)]" in text

    at.selectbox(key=FRAMEWORK).set_value(SSDF)
    at.text_input(key=QUERY).input("PW 1.2")
    _run(at)
    assert at.selectbox(key=CHOSEN).value == f"{SSDF}::PW.1.2"
    assert "AI RMF" in _text(at)  # its informative references, linked to AI RMF subcategories
    show = next(b for b in at.button if b.key and b.key.startswith("xw-") and b.label == "Show")
    show.click()
    _run(at)
    assert at.selectbox(key=FRAMEWORK).value != SSDF  # the linked control, in its own framework


def test_guideline_shows_owasp_links_and_the_review_shows_linked_ids_and_scenario_measures(
    real_env: Settings,
) -> None:
    at = _app()
    at.session_state[TAB] = GUIDELINES_TAB
    _run(at)
    supply = next(
        b
        for b in at.button
        if b.key and b.key.startswith("guideline-") and b.label == "Secure your supply chain"
    )
    supply.click()
    _run(at)
    text = _text(at)
    assert ":blue-badge[published by OWASP AI Exchange]" in text and "**Principle 7**" in text

    at.session_state[TAB] = REVIEW_TAB
    _run(at)
    at.text_area(key="review_description").input("A customer-support chatbot on a hosted LLM.")
    at.checkbox(key="review_flag_external_api").check()
    next(b for b in at.button if b.label == "Build review").click()
    _run(at)
    review = at.session_state["review"]
    assert [s.name for s in review.scenarios] == ["Chatbot App"]
    group = next(g for g in review.guidelines if g.guideline.heading == "Secure your supply chain")
    assert ("Principle 7", "published-elsewhere") in {(c.control_id, c.provenance) for c in group.linked}
    threats = next(g for g in review.guidelines if g.guideline.heading == "Model the threats to your system")
    # OWASP maps it to DSIT principle 3: the Chatbot App examples of principle 3's provisions
    assert threats.measures and all(
        m.scenario == "Chatbot App" and m.control_id.startswith("3.") for m in threats.measures
    )
    text = _text(at)
    assert "Matches the DSIT code of practice scenario: **Chatbot App**" in text
    assert "DSIT example measures for the Chatbot App scenario" in text
    assert "- **Principle 7** — Secure your supply chain" in text


def test_an_answer_citing_a_control_shows_its_id(real_env: Settings) -> None:
    at = _app()
    at.chat_input[0].set_value("What is MAP 4.2?")
    _run(at)
    answer = at.session_state["chat_entries"][0].answer
    assert answer is not None and any(c.control_id == "MAP 4.2" for c in answer.citations)
    assert any(m.value.startswith("**MAP 4\\.2** · ") for m in at.markdown)  # in the source's line

"""The app on the real corpus (acceptance: needs SAIGE_CORPUS_DIR; reuses the ingested index)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from saige.settings import Settings
from saige.ui.state import REVIEW_TAB, TAB
from tests.app.app_corpus import settings_env
from tests.app.conftest import APP

pytestmark = pytest.mark.acceptance


@pytest.fixture
def real_env(real_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in settings_env(real_settings).items():
        monkeypatch.setenv(key, value)
    return real_settings


def test_real_answer_cites_the_guidelines(real_env: Settings) -> None:
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.chat_input[0].set_value("How should we protect our model from theft or tampering?").run()
    assert not at.exception
    answer = at.session_state["chat_entries"][0].answer
    assert answer is not None and answer.citations
    assert any(
        c.doc_id == "ncsc-cisa-secure-ai-guidelines-2023" and c.section == "Protect your model continuously"
        for c in answer.citations
    )


def test_real_design_review_controls(real_env: Settings) -> None:
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.session_state[TAB] = REVIEW_TAB  # only the open tab runs
    at.run()
    at.checkbox(key="review_flag_agents").check()
    next(b for b in at.button if b.label == "Build review").click().run()
    assert not at.exception
    review = at.session_state["review"]
    design = next(g for g in review.guidelines if g.guideline.heading.startswith("Design your system"))
    assert any(r.startswith("Agents take actions: ") for r in design.reasons)
    assert design.strength == "strongly applies"
    texts = {c.text: c for c in design.controls}
    least = texts["You apply least privilege principles to limit access to a system’s functionality."]
    assert least.page == 10 and least.stage == "Secure design"
    assert len(design.controls) >= 10

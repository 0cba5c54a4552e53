"""The Streamlit app driven headless with streamlit.testing (AppTest) over a real, small index."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from retrieval.review import STATUSES, ReviewControl, is_obligation, load_review
from saige.settings import Settings
from saige.types import STAGES
from saige.ui.conversation import ChatEntry
from saige.ui.state import ASK_TAB, DOCS, ENTRIES, GUIDELINES_TAB, REVIEW_TAB, STAGE, TAB
from tests.app.app_corpus import FIELD_GUIDE_ID
from tests.app.conftest import APP, Downloads

TIMEOUT = 180


def new_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Switch tabs as a click does (the tabs track state; only the open one runs)."""
    at.session_state[TAB] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def entries(at: AppTest) -> list[ChatEntry]:
    return list(at.session_state[ENTRIES])


def download_buttons(at: AppTest) -> dict[str, Any]:
    return {b.label: b for b in at.get("download_button")}  # type: ignore[union-attr]


def assistant_markdown(at: AppTest, index: int = -1) -> list[str]:
    messages = [m for m in at.chat_message if m.name == "assistant"]
    return [md.value for md in messages[index].markdown]


def test_empty_state_shows_lifecycle_and_starters(app_env: Settings) -> None:
    at = new_app()
    text = "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "The lifecycle at a glance" in text
    for stage in STAGES:
        assert stage in text
    # one line per guideline comes from the index: the first sentence of its text
    assert "You assess and monitor the security of your AI supply chains" in text
    starters = [b for b in at.button if b.key and b.key.startswith("starter-")]
    assert len(starters) == 6


def test_ask_shows_answer_with_clickable_citations(app_env: Settings) -> None:
    at = ask(new_app(), "How do we secure our AI supply chain?")
    entry = entries(at)[0]
    assert entry.answer is not None and not entry.answer.abstained
    assert entry.answer.citations
    body = "\n".join(assistant_markdown(at))
    # every [n] marker is a link to its own source under the answer, titled with doc, stage › guideline, page
    markers = re.findall(r"\[\\\[(\d+)\\\]\]\(#source-1-(\d+) \"([^\"]+)\"\)", body)
    assert {int(n) for n, _, _ in markers} == {c.n for c in entry.answer.citations}
    assert all(n == target for n, target, _ in markers)
    anchors = {h.proto.anchor for h in at.subheader}
    assert {f"source-1-{c.n}" for c in entry.answer.citations} <= anchors
    assert any("Secure development › Secure your supply chain" in title for _, _, title in markers)
    assert "###### Sources for answer 1" in body
    first = entry.answer.citations[0]
    assert f"#page={first.page_start}" in body  # each source links to the official PDF page
    assert at.button(key="open-1-1").label == "Open"


def test_open_a_citation_highlights_the_quote(app_env: Settings) -> None:
    at = ask(new_app(), "How do we secure our AI supply chain?")
    citation = entries(at)[0].answer.citations[0]  # type: ignore[union-attr]
    at.button(key="open-1-1").click().run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    highlighted = [t for t in texts if ":orange-background[**" in t]
    assert highlighted, "the dialog shows the section text with the quote highlighted"
    marked = re.findall(r":orange-background\[\*\*(.+?)\*\*\]", highlighted[0])
    plain = re.sub(r"\\(.)", r"\1", " ".join(marked))
    assert " ".join(citation.quote.split()).rstrip(".") in plain
    assert any(citation.section in t and "›" in t for t in texts)
    assert any(f"p\\. {citation.page_start}" in t or f"p. {citation.page_start}" in t for t in texts)


def test_filter_by_stage(app_env: Settings) -> None:
    at = new_app()
    at.selectbox(key=STAGE).set_value("Secure deployment").run()
    ask(at, "How should we protect our model and its data?")
    entry = entries(at)[0]
    assert entry.stage == "Secure deployment"
    assert entry.answer is not None and entry.answer.citations
    assert {c.stage for c in entry.answer.citations} == {"Secure deployment"}
    assert any("stage: Secure deployment" in c.value for c in at.caption)


def test_follow_up_passes_history(app_env: Settings) -> None:
    at = ask(new_app(), "How do we secure our AI supply chain?")
    ask(at, "And what about its documentation?")
    _first, second = entries(at)
    assert second.answer is not None
    assert second.answer.resolved_query and second.answer.resolved_query != second.question
    assert len([m for m in at.chat_message if m.name == "user"]) == 2


def test_off_topic_question_abstains(app_env: Settings) -> None:
    at = ask(new_app(), "What is a good recipe for sourdough bread with rye flour?")
    entry = entries(at)[0]
    assert entry.answer is not None and entry.answer.abstained
    assert not entry.answer.citations
    body = "\n".join(assistant_markdown(at) + [i.value for i in at.info])
    assert "The corpus does not cover this question" in body
    assert "Sources for answer" not in body


def test_too_long_question_gets_a_clear_message(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAIGE_MAX_QUESTION_CHARS", "50")
    at = ask(new_app(), "How do we secure our AI supply chain " + "and our models " * 5)
    assert entries(at)[0].answer is None
    assert any("the limit is 50" in w.value for w in at.warning)


def test_untrusted_question_is_escaped(app_env: Settings) -> None:
    question = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> [x](javascript:f())'
    at = ask(new_app(), question)
    shown = next(m for m in at.chat_message if m.name == "user").markdown[0].value
    # every character Markdown could read as a tag or a link is backslash-escaped: shown literally
    assert re.search(r"(?<!\\)[<>\[\]()]", shown) is None
    assert re.sub(r"\\(.)", r"\1", shown) == question


def test_clear_chat_and_export_conversation(app_env: Settings, downloads: Downloads) -> None:
    at = ask(new_app(), "How do we secure our AI supply chain?")
    citation = entries(at)[0].answer.citations[0]  # type: ignore[union-attr]
    export = downloads.content(at.sidebar.get("download_button")[0])
    assert export.startswith("# Saige conversation")
    assert "## 1. How do we secure our AI supply chain?" in export
    assert f"<{citation.url}>" in export and "Secure development › Secure your supply chain" in export
    at.sidebar.button[0].click().run()
    assert entries(at) == []


def _build_review(at: AppTest) -> AppTest:
    open_tab(at, REVIEW_TAB)
    at.text_area(key="review_description").set_value(
        "A public chatbot API whose agents can file tickets; it answers from a vector store of HR records."
    )
    at.checkbox(key="review_flag_public_api").check()
    at.checkbox(key="review_flag_agents").check()
    next(b for b in at.button if b.label == "Build review").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _set(at: AppTest, control: ReviewControl, status: str, notes: str) -> None:
    at.radio(key=f"review_status_{control.key}").set_value(status)
    at.text_input(key=f"review_notes_{control.key}").input(notes).run()
    assert not at.exception, [e.value for e in at.exception]


def _upload(at: AppTest, name: str, data: str) -> AppTest:
    if at.session_state[TAB] != REVIEW_TAB:
        open_tab(at, REVIEW_TAB)
    at.file_uploader(key="review_upload").set_value((name, data.encode(), "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_design_review_lists_every_guideline_marked(app_env: Settings, downloads: Downloads) -> None:
    at = _build_review(new_app())
    review = at.session_state["review"]
    headings = [g.guideline.heading for g in review.guidelines]
    assert len(headings) == 11  # every guideline of the fixture Guidelines, none hidden
    strength = {g.guideline.heading: g.strength for g in review.guidelines}
    assert strength["Protect your model continuously"] == "strongly applies"  # public API
    assert strength["Monitor your system's behaviour"] == "strongly applies"  # agents
    assert strength["Secure your supply chain"] == "baseline"
    order = [g.strength for g in review.guidelines]
    assert order == sorted(order, key=["strongly applies", "applies", "baseline"].index)
    labels = [e.label for e in at.expander if "›" in e.label]
    assert len(labels) == 11 and "strongly applies" in labels[0] and "baseline" in labels[-1]
    controls = review.controls()
    assert controls and all(is_obligation(c.text) for c in controls)


def test_design_review_build_and_export(app_env: Settings, downloads: Downloads) -> None:
    at = _build_review(new_app())
    review = at.session_state["review"]
    protect = next(g for g in review.guidelines if g.guideline.heading == "Protect your model continuously")
    target = protect.controls[0]
    _set(at, target, "in place", "Rate limits; owner: platform team")

    buttons = download_buttons(at)
    md = downloads.content(buttons["Export Markdown"])
    assert "# Design review (Saige)" in md
    assert "## Secure deployment › Protect your model continuously (strongly applies)" in md
    assert "Offers a public API" in md and "Agents take actions" in md
    row = next(line for line in md.splitlines() if target.text[:40] in line)
    assert row.startswith("| Protect your model continuously (1) |")
    assert "| in place |" in row and "Rate limits; owner: platform team" in row
    assert "Test Guidelines, Secure deployment › Protect your model continuously, p. " in row

    rows = downloads.csv_rows(buttons["Export CSV"])
    assert len(rows) == len(review.controls())
    mine = next(r for r in rows if r["control"] == target.text)
    assert mine["id"] == "Protect your model continuously (1)"
    assert mine["status"] == "in place" and mine["notes"] == "Rate limits; owner: platform team"
    assert mine["guideline"] == "Protect your model continuously" and mine["page"] == str(target.page)
    assert {r["status"] for r in rows} <= set(STATUSES)

    text = downloads.content(buttons["Save review (.json)"])
    assert not re.search(r'"control_id": "[0-9a-f]{16}"', text)  # identifiers, not hashes
    saved = load_review(text)
    again = next(c for c in saved.controls() if c.text == target.text)
    assert again.status == "in place" and again.control_id == "Protect your model continuously"


def test_design_review_load_restores_the_form_and_update_loses_nothing(
    app_env: Settings, downloads: Downloads
) -> None:
    at = _build_review(new_app())
    review = at.session_state["review"]
    before = len(review.controls())
    first, other = review.controls()[0], review.controls()[-1]
    _set(at, first, "in place", "Owner: platform team")
    _set(at, other, "not applicable", "No training in this system")
    # reruns from other tabs do not lose the status (the review tab is not drawn while another is open)
    open_tab(at, ASK_TAB)
    at.selectbox(key=STAGE).set_value("Secure design").run()
    open_tab(at, REVIEW_TAB)
    assert at.radio(key=f"review_status_{first.key}").value == "in place"
    assert at.text_input(key=f"review_notes_{other.key}").value == "No training in this system"
    saved = downloads.content(download_buttons(at)["Save review (.json)"])

    fresh = _upload(new_app(), "review.json", saved)  # a new session: as after a page reload
    assert (fresh.text_area(key="review_description").value or "").startswith("A public chatbot API")
    assert fresh.checkbox(key="review_flag_public_api").value is True
    assert fresh.checkbox(key="review_flag_agents").value is True
    assert fresh.checkbox(key="review_flag_fine_tunes").value is False
    assert fresh.radio(key=f"review_status_{first.key}").value == "in place"
    assert fresh.text_input(key=f"review_notes_{other.key}").value == "No training in this system"

    fresh.checkbox(key="review_flag_agents").uncheck()
    next(b for b in fresh.button if b.label == "Update review").click().run()
    assert not fresh.exception, [e.value for e in fresh.exception]
    updated = fresh.session_state["review"]
    assert len(updated.controls()) == before  # nothing dropped
    kept = {c.key: c for c in updated.controls()}
    assert (kept[first.key].status, kept[first.key].notes) == ("in place", "Owner: platform team")
    assert (kept[other.key].status, kept[other.key].notes) == ("not applicable", "No training in this system")
    assert fresh.radio(key=f"review_status_{other.key}").value == "not applicable"
    assert fresh.checkbox(key="review_flag_agents").value is False

    bad = json.loads(saved)
    bad["guidelines"][0]["controls"][0]["status"] = "done"
    _upload(fresh, "bad.json", json.dumps(bad))
    errors = [e.value for e in fresh.error]
    assert len(errors) == 1 and "bad\\.json" in errors[0] and "\n" not in errors[0]
    assert "status" in errors[0]
    assert fresh.radio(key=f"review_status_{first.key}").value == "in place"  # kept


def test_new_review_starts_clean_unless_kept(app_env: Settings) -> None:
    at = _build_review(new_app())
    review = at.session_state["review"]
    first, other = review.controls()[0], review.controls()[1]
    _set(at, first, "in place", "Org-wide SSO")
    _set(at, other, "not applicable", "Only for this system")
    at.button(key="review_new_empty").click().run()
    assert at.session_state["review"] is None
    assert at.text_area(key="review_description").value == ""
    assert at.checkbox(key="review_flag_public_api").value is False
    at.text_area(key="review_description").set_value("An internal fraud model we train ourselves.")
    at.checkbox(key="review_flag_fine_tunes").check()
    next(b for b in at.button if b.label == "Build review").click().run()
    fresh: Any = at.session_state["review"]
    assert all(c.status == "not started" and not c.notes for c in fresh.controls())

    _set(at, next(c for c in fresh.controls() if c.key == first.key), "in place", "Org-wide SSO")
    _set(at, next(c for c in fresh.controls() if c.key == other.key), "not applicable", "Only here")
    at.button(key="review_new_keep").click().run()
    next(b for b in at.button if b.label == "Build review").click().run()
    third_review: Any = at.session_state["review"]
    third = {c.key: c for c in third_review.controls()}
    assert (third[first.key].status, third[first.key].notes) == ("in place", "Org-wide SSO")
    assert third[other.key].status == "not started" and third[other.key].notes == ""


def test_guidelines_browser_tree_text_and_related(app_env: Settings) -> None:
    at = open_tab(new_app(), GUIDELINES_TAB)
    tree = [b for b in at.button if b.key and b.key.startswith("guideline-")]
    assert len(tree) == 11  # every guideline of the fixture Guidelines, under its stage
    supply = next(b for b in tree if b.label == "Secure your supply chain")
    supply.click().run()
    assert not at.exception
    assert any(h.value == "Secure your supply chain" for h in at.subheader)
    text = "\n".join(m.value for m in at.markdown)
    assert "verify pretrained weights against published hashes" in text
    related = [b for b in at.button if b.key and b.key.startswith("related-")]
    assert related, "related guidance from the other document"
    assert any("Supplier assurance" in m.value for m in at.markdown), "\n".join(
        m.value[:80] for m in at.markdown
    )
    related[0].click().run()
    assert not at.exception
    assert any(":orange-background[**" in m.value for m in at.markdown)


def test_missing_index_shows_the_ingest_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAIGE_DATA_DIR", str(tmp_path / "empty"))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert any("No index yet" in m.value for m in at.markdown)
    assert any(c.value.startswith("saige ingest") for c in at.code)
    assert not at.chat_input


def test_llm_mode_streams_a_checked_answer(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes.openai_server import FakeOpenAIServer

    reply = (
        "You assess and monitor the security of your AI supply chains across their life cycle [1]. "
        '<img src=x onerror="window.__pwned=1">'
    )
    server = FakeOpenAIServer(reply).start()
    try:
        monkeypatch.setenv("SAIGE_LLM_PROVIDER", "openai")
        monkeypatch.setenv("SAIGE_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("SAIGE_LLM_MODEL", "fake-model")
        at = new_app()
        mode = at.sidebar.radio(key="answer_mode")
        assert mode.options == ["Extractive: quoted sentences, no LLM", "LLM: fake-model (openai)"]
        mode.set_value("openai").run()
        ask(at, "How do we secure our AI supply chain?")
    finally:
        server.stop()
    answer = entries(at)[0].answer
    assert answer is not None and answer.mode == "llm"
    assert server.requests and server.requests[-1].get("stream") is True
    body = "\n".join(assistant_markdown(at) + [i.value for i in at.info])
    assert re.search(r"(?<!\\)<", body) is None  # model output is never markup
    assert answer.citations and "(#source-1-1 " in body
    assert "Sources for answer 1" in body


def test_filter_by_document(app_env: Settings) -> None:
    at = new_app()
    at.multiselect(key="filter_docs").select(FIELD_GUIDE_ID).run()
    ask(at, "How do we protect model weights?")
    entry = entries(at)[0]
    assert entry.docs == [FIELD_GUIDE_ID]
    assert entry.answer is not None and entry.answer.citations
    assert {c.doc_id for c in entry.answer.citations} == {FIELD_GUIDE_ID}
    assert any("1 document selected" in c.value for c in at.caption)


def test_chat_filters_only_on_the_ask_tab_and_kept_across_tabs(app_env: Settings) -> None:
    at = new_app()
    at.selectbox(key=STAGE).set_value("Secure deployment").run()
    assert [s.key for s in at.sidebar.selectbox] == [STAGE]
    open_tab(at, GUIDELINES_TAB)
    assert not at.sidebar.selectbox and not at.sidebar.multiselect  # no filter where it does nothing
    assert any("on the Ask tab" in c.value for c in at.sidebar.caption)
    open_tab(at, REVIEW_TAB)
    assert not at.sidebar.selectbox
    open_tab(at, ASK_TAB)
    assert at.selectbox(key=STAGE).value == "Secure deployment"  # the choice outlives the other tabs
    assert at.multiselect(key=DOCS).value == []


def test_review_form_draws_no_character_counter_and_keeps_the_limits(app_env: Settings) -> None:
    at = _build_review(new_app())
    assert at.text_area(key="review_description").proto.max_chars == 0
    control = at.session_state["review"].controls()[0]
    notes = at.text_input(key=f"review_notes_{control.key}")
    assert notes.proto.max_chars == 0  # a max_chars draws "75/5000" inside the form
    notes.input("x" * 6000).run()
    assert len(at.session_state["review"].controls()[0].notes) == 5000  # the saved file's limit
    load_review(at.session_state["review"].model_dump_json())  # still a valid review file


def test_missing_documents_are_named_with_how_to_add_them(
    app_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app_env.manifest is not None
    manifest = json.loads(app_env.manifest.read_text(encoding="utf-8"))
    extra = dict(manifest["documents"][1])
    extra.update(
        id="test-missing-report",
        title="A report nobody has downloaded",
        short_title="Missing report",
        file="missing-report.pdf",
        kind="pdf",
        official_url="https://example.org/missing-report.pdf",
    )
    manifest["documents"].append(extra)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setenv("SAIGE_MANIFEST", str(path))
    at = new_app()
    warnings = [w.value for w in at.sidebar.warning]
    assert warnings and "1 document of the corpus is not in the index" in warnings[0]
    text = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Missing report" in text
    assert "missing\\-report\\.pdf" in text and "saige ingest" in text.replace("\\", "")

"""The Design review tab: describe the system, tick what it does, and work through the applicable
guidelines' key controls (status and notes per control); export Markdown/CSV, save and load JSON."""

from __future__ import annotations

import streamlit as st

from retrieval.review import (
    FLAGS,
    STATUSES,
    ControlState,
    DesignReview,
    ReviewFileError,
    build_review,
    dump_review,
    load_review,
    review_csv,
    review_markdown,
)
from saige.errors import SaigeError
from saige.ui.library import Library
from saige.ui.sources import link
from saige.ui.text import escape_md

REVIEW = "review"
DESCRIPTION = "review_description"
UPLOAD = "review_upload"
UPLOAD_ERROR = "review_upload_error"
UPLOAD_SEEN = "review_upload_seen"
DESCRIPTION_HITS = 3


def flag_key(key: str) -> str:
    return f"review_flag_{key}"


def status_key(control_id: str) -> str:
    return f"review_status_{control_id}"


def notes_key(control_id: str) -> str:
    return f"review_notes_{control_id}"


def current_review() -> DesignReview | None:
    review = st.session_state.get(REVIEW)
    return review if isinstance(review, DesignReview) else None


def _forget_widgets(review: DesignReview | None) -> None:
    """Drop widget state so the widgets show the review's values on the next run."""
    keys = [DESCRIPTION, *(flag_key(f.key) for f in FLAGS)]
    if review is not None:
        for c in review.controls():
            keys += [status_key(c.control_id), notes_key(c.control_id)]
    for key in keys:
        st.session_state.pop(key, None)


def _on_upload() -> None:
    """Load a saved review from the uploaded JSON (validated); a bad file leaves the current review."""
    file = st.session_state.get(UPLOAD)
    st.session_state[UPLOAD_ERROR] = None
    if file is None:
        return
    try:
        loaded = load_review(file.getvalue(), name=file.name)
    except ReviewFileError as exc:
        st.session_state[UPLOAD_ERROR] = str(exc)
        return
    _forget_widgets(current_review())
    _forget_widgets(loaded)
    st.session_state[REVIEW] = loaded


def _on_status(control_id: str) -> None:
    review = current_review()
    if review is not None:
        state = review.states.get(control_id, ControlState())
        review.states[control_id] = state.model_copy(
            update={"status": st.session_state[status_key(control_id)]}
        )


def _on_notes(control_id: str) -> None:
    review = current_review()
    if review is not None:
        state = review.states.get(control_id, ControlState())
        review.states[control_id] = state.model_copy(
            update={"notes": st.session_state[notes_key(control_id)]}
        )


def _build(lib: Library) -> None:
    description = (st.session_state.get(DESCRIPTION) or "").strip()
    flags = [f.key for f in FLAGS if st.session_state.get(flag_key(f.key))]
    hits = []
    gdoc = lib.guidelines_document()
    if description and gdoc is not None:
        try:
            hits = lib.engine.search(
                description[: lib.settings.max_question_chars], k=DESCRIPTION_HITS, docs=[gdoc.id]
            )
        except SaigeError:
            hits = []
    st.session_state[REVIEW] = build_review(
        documents=lib.documents(),
        chunks=lib.chunks(),
        section_text=lib.section_text,
        description=description,
        flags=flags,
        description_hits=hits,
        previous=current_review(),
    )


def render_review(lib: Library) -> None:
    review = current_review()
    st.markdown("#### Design review")
    st.caption(
        "Describe the system and tick what it does. Saige lists the guidelines that apply, each with its "
        "key controls (the guideline's own “you …” statements), cited to document, stage › guideline "
        "and page."
    )
    st.text_area(
        "System description",
        value=review.description if review else "",
        key=DESCRIPTION,
        height=110,
        max_chars=20000,
        placeholder="e.g. A support assistant that answers from our ticket history with a hosted LLM.",
    )
    cols = st.columns(3)
    for i, flag in enumerate(FLAGS):
        cols[i % 3].checkbox(
            flag.label, value=bool(review and flag.key in review.flags), key=flag_key(flag.key)
        )
    left, right = st.columns([0.3, 0.7], vertical_alignment="center")
    left.button(
        "Build review" if review is None else "Update review", type="primary", on_click=_build, args=(lib,)
    )
    with right, st.popover("Load a saved review (.json)"):
        st.file_uploader("Review file", type=["json"], key=UPLOAD, on_change=_on_upload)
    error = st.session_state.get(UPLOAD_ERROR)
    if error:
        st.error(escape_md(error))
    if review is None:
        return
    render_controls(review)


def render_controls(review: DesignReview) -> None:
    counts = review.counts()
    total = sum(counts.values())
    done = counts["in place"] + counts["not applicable"]
    st.divider()
    st.markdown(f"**{len(review.guidelines)} applicable guidelines · {total} controls**")
    st.progress(
        done / total if total else 0.0,
        text=f"{counts['in place']} in place · "
        f"{counts['not applicable']} not applicable · {counts['not started']} not started",
    )
    md, csv_, js = st.columns(3)
    md.download_button(
        "Export Markdown",
        review_markdown(review),
        file_name="saige-design-review.md",
        mime="text/markdown",
        key="review_export_md",
        width="stretch",
    )
    csv_.download_button(
        "Export CSV",
        review_csv(review),
        file_name="saige-design-review.csv",
        mime="text/csv",
        key="review_export_csv",
        width="stretch",
    )
    js.download_button(
        "Save review (.json)",
        dump_review(review),
        file_name="saige-design-review.json",
        mime="application/json",
        key="review_export_json",
        width="stretch",
    )
    for g in review.guidelines:
        ref = g.guideline
        states = [review.state(c.control_id).status for c in g.controls]
        progress = f"{sum(s != 'not started' for s in states)}/{len(states)}"
        label = f"{escape_md(ref.stage)} › **{escape_md(ref.heading)}** · {progress}"
        done = bool(states) and all(s != "not started" for s in states)
        icon = ":material/task_alt:" if done else ":material/radio_button_unchecked:"
        with st.expander(label, expanded=False, key=f"review_group_{ref.key}", icon=icon):
            st.caption(
                "Why: "
                + escape_md("; ".join(g.reasons))
                + " · "
                + link(f"{ref.doc_title}, {ref.pages_label}" if ref.pages_label else ref.doc_title, ref.url)
            )
            if not g.controls:
                st.caption("No “you …” statements in this guideline's text.")
            for c in g.controls:
                state = review.state(c.control_id)
                with st.container(border=True):
                    st.markdown(escape_md(c.text))
                    st.caption(link(c.citation, c.url))
                    a, b = st.columns([0.45, 0.55], vertical_alignment="bottom")
                    a.radio(
                        "Status",
                        STATUSES,
                        index=STATUSES.index(state.status),
                        key=status_key(c.control_id),
                        horizontal=True,
                        on_change=_on_status,
                        args=(c.control_id,),
                    )
                    b.text_input(
                        "Notes",
                        value=state.notes,
                        key=notes_key(c.control_id),
                        max_chars=5000,
                        placeholder="Owner, evidence, ticket…",
                        on_change=_on_notes,
                        args=(c.control_id,),
                    )

"""The Design review tab: describe the system, tick what it does, and work through every guideline (marked by
how strongly it applies) and its key controls (status and notes per control); export Markdown/CSV, save and
load JSON, start a new review.

Widget values live in session state and are written there whenever the review changes (build, load, new), so
the form always shows the review it belongs to: a loaded review brings back its description and ticks.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from retrieval.review import (
    STATUSES,
    TRAITS,
    DesignReview,
    ReviewControl,
    ReviewFileError,
    build_review,
    dump_review,
    kept_review,
    load_review,
    review_csv,
    review_markdown,
)
from saige.errors import SaigeError
from saige.ui.library import Library
from saige.ui.review_links import render_links, render_scenarios
from saige.ui.sources import link
from saige.ui.text import escape_md

REVIEW = "review"
DESCRIPTION = "review_description"
UPLOAD = "review_upload"
UPLOAD_ERROR = "review_upload_error"
KEPT = "review_kept"
NOTICE = "review_notice"
DESCRIPTION_HITS = 3
# The review file's limits (retrieval/review/model.py). Enforced when the text is stored, not with the
# widgets' max_chars, which would draw a "75/5000" counter inside the form.
DESCRIPTION_MAX = 20000
NOTES_MAX = 5000
_STRENGTH_ICON = {
    "strongly applies": ":material/priority_high:",
    "applies": ":material/check_circle:",
    "baseline": ":material/radio_button_unchecked:",
}


def flag_key(key: str) -> str:
    return f"review_flag_{key}"


def status_key(control_key: str) -> str:
    return f"review_status_{control_key}"


def notes_key(control_key: str) -> str:
    return f"review_notes_{control_key}"


def current_review() -> DesignReview | None:
    review = st.session_state.get(REVIEW)
    return review if isinstance(review, DesignReview) else None


def _show(review: DesignReview | None) -> None:
    """Make every widget show `review` (or an empty form): description, ticks, statuses, notes.

    Called from callbacks only (before the widgets of the run exist), which Streamlit allows.
    """
    st.session_state[DESCRIPTION] = review.description if review else ""
    for t in TRAITS:
        st.session_state[flag_key(t.key)] = bool(review and t.key in review.flags)
    if review is not None:
        for c in review.controls():
            st.session_state[status_key(c.key)] = c.status
            st.session_state[notes_key(c.key)] = c.notes


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
    st.session_state[REVIEW] = loaded
    st.session_state[KEPT] = None
    st.session_state[NOTICE] = f"Loaded {file.name}: {len(loaded.controls())} controls."
    _show(loaded)


def _on_status(control_key: str) -> None:
    review = current_review()
    control = review.find(control_key) if review else None
    if control is not None:
        control.status = st.session_state[status_key(control_key)]


def _on_notes(control_key: str) -> None:
    review = current_review()
    control = review.find(control_key) if review else None
    if control is not None:
        control.notes = (st.session_state[notes_key(control_key)] or "")[:NOTES_MAX]


def _on_new(keep_in_place: bool) -> None:
    """Start a review of another system: an empty form and no statuses, except the controls kept."""
    review = current_review()
    kept = kept_review(review, lambda c: c.status == "in place") if review and keep_in_place else None
    st.session_state[REVIEW] = None
    st.session_state[KEPT] = kept
    st.session_state[UPLOAD_ERROR] = None
    n = len(kept.controls()) if kept else 0
    st.session_state[NOTICE] = (
        f"New review. {n} controls marked in place are kept for it." if kept else "New review."
    )
    _show(None)


def _build(lib: Library) -> None:
    description = (st.session_state.get(DESCRIPTION) or "").strip()[:DESCRIPTION_MAX]
    flags = [t.key for t in TRAITS if st.session_state.get(flag_key(t.key))]
    hits = []
    gdoc = lib.guidelines_document()
    if description and gdoc is not None:
        try:
            hits = lib.engine.search(
                description[: lib.settings.max_question_chars], k=DESCRIPTION_HITS, docs=[gdoc.id]
            )
        except SaigeError:
            hits = []
    previous = current_review() or st.session_state.get(KEPT)
    if not lib.guideline_links_ready():
        st.toast(
            "Linking each guideline to the controls of the other frameworks (the first review takes a few "
            "seconds)…",
            icon=":material/hub:",
        )
    review = build_review(
        documents=lib.documents(),
        chunks=lib.chunks(),
        section_text=lib.section_text,
        description=description,
        flags=flags,
        description_hits=hits,
        previous=previous if isinstance(previous, DesignReview) else None,
        related=lib.guideline_links,
        catalogue=lib.controls(),
    )
    st.session_state[REVIEW] = review
    st.session_state[KEPT] = None
    ghosts = sum(not c.matched for c in review.controls())
    st.session_state[NOTICE] = (
        f"{ghosts} controls no longer match the system; they are kept, marked, with their status and notes."
        if ghosts
        else None
    )
    _show(review)


def _init(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def render_review(lib: Library) -> None:
    review = current_review()
    st.markdown("#### Design review")
    st.caption(
        "Describe the system and tick what it does. Every guideline applies to every AI system: Saige lists "
        "all of them, strongest first, marked by how strongly the system's traits make each apply and why, "
        "each with its key controls (the guideline's own “you …” statements), cited to document, "
        "stage › guideline and page."
    )
    _init(DESCRIPTION, review.description if review else "")
    st.text_area(
        "System description",
        key=DESCRIPTION,
        height=110,
        placeholder="e.g. A support assistant that answers from our ticket history with a hosted LLM.",
    )
    cols = st.columns(4)
    for i, trait in enumerate(TRAITS):
        _init(flag_key(trait.key), bool(review and trait.key in review.flags))
        cols[i % 4].checkbox(trait.label, key=flag_key(trait.key))
    build, new, load = st.columns([0.25, 0.25, 0.5], vertical_alignment="center")
    build.button(
        "Build review" if review is None else "Update review", type="primary", on_click=_build, args=(lib,)
    )
    if review is not None:
        with new.popover("New review", icon=":material/note_add:"):
            st.caption("Start a review of another system: empty form, no statuses.")
            st.button("Start empty", key="review_new_empty", on_click=_on_new, args=(False,))
            st.button("Keep controls marked in place", key="review_new_keep", on_click=_on_new, args=(True,))
    with load, st.popover("Load a saved review (.json)"):
        st.file_uploader("Review file", type=["json"], key=UPLOAD, on_change=_on_upload)
    error = st.session_state.get(UPLOAD_ERROR)
    if error:
        st.error(escape_md(error))
    notice = st.session_state.get(NOTICE)
    if notice:
        st.info(escape_md(notice))
    if review is None:
        return
    render_controls(review)


def render_controls(review: DesignReview) -> None:
    counts = review.counts()
    total = sum(counts.values())
    done = counts["in place"] + counts["not applicable"]
    strong = sum(g.strength == "strongly applies" for g in review.guidelines)
    applies = sum(g.strength == "applies" for g in review.guidelines)
    baseline = sum(g.strength == "baseline" for g in review.guidelines)
    st.divider()
    st.markdown(
        f"**{len(review.guidelines)} guidelines · {total} controls** · {strong} strongly apply · "
        f"{applies} apply · {baseline} baseline"
    )
    st.progress(
        done / total if total else 0.0,
        text=f"{counts['in place']} in place · "
        f"{counts['not applicable']} not applicable · {counts['not started']} not started",
    )
    render_scenarios(review)
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
        states = [c.status for c in g.controls]
        progress = f"{sum(s != 'not started' for s in states)}/{len(states)}"
        label = f"{escape_md(ref.stage)} › **{escape_md(ref.heading)}** · {g.strength} · {progress}"
        with st.expander(
            label, expanded=False, key=f"review_group_{ref.key}", icon=_STRENGTH_ICON[g.strength]
        ):
            st.caption(
                f"{g.strength.capitalize()}. Why: "
                + escape_md("; ".join(g.reasons))
                + " · "
                + link(f"{ref.doc_title}, {ref.pages_label}" if ref.pages_label else ref.doc_title, ref.url)
            )
            if not g.controls:
                st.caption("No “you …” statements in this guideline's text.")
            for c in g.controls:
                render_control(c)
            render_links(g)


def render_control(c: ReviewControl) -> None:
    _init(status_key(c.key), c.status)
    _init(notes_key(c.key), c.notes)
    with st.container(border=True):
        st.markdown(escape_md(c.text))
        where = f"{escape_md(c.ref)} · {link(c.citation, c.url)}"
        if not c.matched:
            where += " · **no longer matched** (kept for its status and notes)"
        st.caption(where)
        a, b = st.columns([0.45, 0.55], vertical_alignment="bottom")
        a.radio(
            "Status",
            STATUSES,
            key=status_key(c.key),
            horizontal=True,
            on_change=_on_status,
            args=(c.key,),
        )
        b.text_input(
            "Notes",
            key=notes_key(c.key),
            placeholder="Owner, evidence, ticket…",
            on_change=_on_notes,
            args=(c.key,),
        )

"""The Guidelines tab: the four stages and their guidelines as a tree, the full text of the chosen one, its
key controls, its linked controls in the other frameworks (crosswalk, with provenance) and "Related guidance"
from the other documents (nearest sections by similarity); and the Controls view (saige/ui/controls_view.py)."""

from __future__ import annotations

import streamlit as st

from retrieval.review import GuidelineRef, control_statements
from saige.types import STAGES
from saige.ui.controls_view import CONTROLS_VIEW, GUIDELINES_VIEW, VIEW, render_controls_view, render_links
from saige.ui.library import Library
from saige.ui.sources import link, show_hit, where
from saige.ui.text import escape_block, escape_md

SELECTED = "browse_selected"


def _select(key: str) -> None:
    st.session_state[SELECTED] = key


def render_browser(lib: Library) -> None:
    if lib.control_documents():
        st.radio(
            "View",
            (GUIDELINES_VIEW, CONTROLS_VIEW),
            key=VIEW,
            horizontal=True,
            label_visibility="collapsed",
        )
        if st.session_state.get(VIEW) == CONTROLS_VIEW:
            render_controls_view(lib)
            return
    render_guidelines(lib)


def render_guidelines(lib: Library) -> None:
    refs = lib.guidelines()
    doc = lib.guidelines_document()
    if not refs or doc is None:
        st.info(
            "The index has no document with lifecycle stages, so there is no guideline tree to browse. "
            "Ingest the Guidelines for secure AI system development (`saige ingest`)."
        )
        return
    keys = {r.key: r for r in refs}
    selected = keys.get(st.session_state.get(SELECTED, ""), refs[0])
    tree, detail = st.columns([0.3, 0.7], gap="large")
    with tree:
        st.caption(escape_md(doc.title))
        for n, stage in enumerate(STAGES, 1):
            st.markdown(f"**{n}. {escape_md(stage)}**")
            for ref in (r for r in refs if r.stage == stage):
                st.button(
                    escape_md(ref.heading),
                    key=f"guideline-{ref.key}",
                    type="primary" if ref.key == selected.key else "tertiary",
                    on_click=_select,
                    args=(ref.key,),
                    width="content",
                )
    with detail:
        render_guideline(lib, selected)


def render_guideline(lib: Library, ref: GuidelineRef) -> None:
    st.caption(f"{escape_md(ref.doc_title)} · {escape_md(ref.stage)}")
    st.subheader(escape_md(ref.heading), anchor=False)
    pages = ref.pages_label
    st.markdown(link(f"Official PDF, {pages}" if pages else "Official document", ref.url) + " ↗")
    text = lib.section_text(ref.doc_id, ref.section_path)
    controls = control_statements(text)
    with st.container(height=380 if len(text) > 1400 else "content", border=True):
        st.markdown(escape_block(text) if text else "_No text indexed for this guideline._")
    with st.expander(f"Key controls: the guideline's “you …” statements ({len(controls)})"):
        if controls:
            st.markdown("\n".join(f"- {escape_md(c)}" for c in controls))
        else:
            st.caption("This guideline has no “you …” statements.")
    if lib.controls():
        st.markdown("##### Linked controls in other frameworks")
        render_links(lib, lib.crosswalk(ref.heading), source=ref.key)
    st.markdown("##### Related guidance")
    render_related(lib, ref)


def render_related(lib: Library, ref: GuidelineRef) -> None:
    hits = lib.related(ref)
    if not hits:
        st.caption("No related sections in the other indexed documents.")
        return
    st.caption("The nearest sections of the other documents, by similarity to this guideline's text.")
    for hit in hits:
        ch = hit.chunk
        doc = lib.document(ch.doc_id)
        name = doc.short_title if doc else ch.doc_title
        with st.container(border=True):
            left, right = st.columns([0.84, 0.16], vertical_alignment="center")
            with left:
                place = where(ch.stage, ch.section_path, ch.section)
                pages = f" · {ch.pages_label}" if ch.pages_label else ""
                st.markdown(f"**{escape_md(name)}** — {escape_md(place)}{pages}")
                snippet = " ".join(ch.text.split())
                st.caption(escape_md(snippet[:260] + ("…" if len(snippet) > 260 else "")))
            with right:
                similarity = f"similarity {hit.score:.2f}"
                if st.button("Open", key=f"related-{ref.key}-{ch.chunk_id}", help=similarity):
                    show_hit(lib, hit)

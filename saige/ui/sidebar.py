"""The sidebar: on the Ask tab, the chat's document and stage filters, answer mode, clear chat and export;
on every tab, the documents indexed (full publisher names) and those missing, with how to add them."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from saige.types import STAGES
from saige.ui.conversation import ChatEntry, conversation_markdown
from saige.ui.library import Library
from saige.ui.sources import link
from saige.ui.state import ALL_STAGES, DOCS, ENTRIES, EXTRACTIVE, MODE, STAGE
from saige.ui.text import escape_md


def _clear_chat() -> None:
    st.session_state[ENTRIES] = []


def render_sidebar(lib: Library, reload_index: object, *, chat: bool = True) -> DeltaGenerator | None:
    """Filters and answer mode (with `chat`: the Ask tab is open) and the index; returns the (empty) place
    for the conversation tools, which `render_conversation_tools` fills after the chat has run, so that the
    export holds the newest answer (None without `chat`)."""
    docs = lib.documents()
    with st.sidebar:
        conversation = _chat_controls(lib) if chat else None
        if not chat:
            st.caption("The chat's filters and answer mode are on the Ask tab.")
        _missing(lib)
        st.divider()
        with st.expander(f"{len(docs)} documents indexed"):
            for d in docs:
                st.markdown(f"- {link(d.short_title, d.official_url)}  \n  :gray[{escape_md(d.publisher)}]")
            st.caption(f"{len(lib.chunks())} passages. Rebuild with `saige ingest`.")
            st.button("Reload index", on_click=reload_index, help="Pick up a newly built index.")  # type: ignore[arg-type]
    return conversation


def _missing(lib: Library) -> None:
    """The manifest's documents the index lacks, each with how to add it."""
    missing = lib.missing_documents()
    if not missing:
        return
    st.warning(
        f"{len(missing)} document{'s' if len(missing) > 1 else ''} of the corpus "
        f"{'are' if len(missing) > 1 else 'is'} not in the index: answers cannot cite "
        f"{'them' if len(missing) > 1 else 'it'}.",
        icon=":material/warning:",
    )
    with st.expander("Missing documents and how to add them"):
        for doc, how in missing:
            st.markdown(f"**{link(doc.short_title, doc.official_url)}**  \n{escape_md(how)}")
        st.caption("`saige sources` lists every document and where its file is.")


def _chat_controls(lib: Library) -> DeltaGenerator:
    settings = lib.settings
    titles = {d.id: d.short_title for d in lib.documents()}
    st.markdown("### Filters")
    st.multiselect(
        "Documents",
        options=list(titles),
        format_func=lambda d: titles.get(d, d),
        key=DOCS,
        placeholder="All documents",
        help="Answer only from these documents.",
    )
    st.selectbox(
        "Lifecycle stage",
        options=[ALL_STAGES, *STAGES],
        key=STAGE,
        help="Answer only from one stage of the Guidelines' lifecycle (other documents' parts too).",
    )
    st.markdown("### Answers")
    modes = [EXTRACTIVE]
    if settings.llm_provider != "none":
        modes.append(settings.llm_provider)
    labels = {EXTRACTIVE: "Extractive: quoted sentences, no LLM"}
    if settings.llm_provider != "none":
        labels[settings.llm_provider] = f"LLM: {settings.llm_model} ({settings.llm_provider})"
    st.radio("Answer mode", options=modes, format_func=lambda m: labels.get(m, m), key=MODE)
    if len(modes) == 1:
        st.caption("To answer with an LLM, set SAIGE\\_LLM\\_PROVIDER (ollama or openai) and restart.")
    return st.container()


def render_conversation_tools(place: DeltaGenerator) -> None:
    entries: list[ChatEntry] = st.session_state.get(ENTRIES, [])
    with place:
        st.markdown("### Conversation")
        a, b = st.columns(2)
        a.button("Clear chat", on_click=_clear_chat, disabled=not entries, width="stretch")
        b.download_button(
            "Export .md",
            data=conversation_markdown(entries) if entries else "",
            file_name="saige-conversation.md",
            mime="text/markdown",
            disabled=not entries,
            key="export_conversation",
            width="stretch",
            help="The conversation as Markdown, with its citations and links.",
        )

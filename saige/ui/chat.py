"""The Ask tab: the lifecycle at a glance and starter questions, the chat history, streamed answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from saige.errors import SaigeError
from saige.types import STAGES, Answer
from saige.ui.conversation import ChatEntry, history
from saige.ui.library import Library
from saige.ui.sources import render_sources
from saige.ui.state import CHAT_KEY, ENTRIES, PENDING, current_filters
from saige.ui.text import answer_markdown, escape_block, escape_md

log = logging.getLogger(__name__)

STARTER_QUESTIONS: tuple[str, ...] = (
    "How should we protect model weights from theft?",
    "What does threat modelling for an AI system involve?",
    "How do we secure our AI supply chain?",
    "What should we monitor once an AI system is deployed?",
    "How can we defend against prompt injection?",
    "What should incident management plans cover for AI systems?",
)


def ask_later(question: str) -> None:
    st.session_state[PENDING] = question


@dataclass(frozen=True)
class ChatBox:
    """The Ask tab's place for the conversation and the question just asked (typed or a starter's)."""

    body: DeltaGenerator
    asked: str | None


def chat_box() -> ChatBox:
    """The conversation's place and the chat input below it; needs no engine, so it is drawn first."""
    body = st.container()
    typed = st.chat_input("Ask about securing AI systems, e.g. how to protect training data", key=CHAT_KEY)
    return ChatBox(body=body, asked=typed or st.session_state.pop(PENDING, None))


def render_chat(lib: Library, chat: ChatBox) -> None:
    entries: list[ChatEntry] = st.session_state.setdefault(ENTRIES, [])
    asked = chat.asked
    with chat.body:
        if not entries and not asked:
            render_empty_state(lib)
        for turn, entry in enumerate(entries, 1):
            render_entry(lib, turn, entry)
        if asked:
            entries.append(answer_new(lib, asked, entries))


def render_empty_state(lib: Library) -> None:
    refs = lib.guidelines()
    if refs:
        st.markdown("#### The lifecycle at a glance")
        doc = lib.guidelines_document()
        name = escape_md(doc.short_title) if doc else "the Guidelines"
        st.caption(
            f"The four stages of {name} and their guidelines, each with its opening line. "
            "Browse them in full in the Guidelines tab."
        )
        cols = st.columns(len(STAGES), gap="small")
        for i, (col, stage) in enumerate(zip(cols, STAGES, strict=True), 1):
            with col, st.container(border=True, height="stretch"):
                st.markdown(f"**{i}. {escape_md(stage)}**")
                for ref in (r for r in refs if r.stage == stage):
                    st.markdown(f"**{escape_md(ref.heading)}**")
                    st.caption(escape_md(lib.summary(ref)))
    st.markdown("#### Try asking")
    starters = st.columns(3)
    for i, q in enumerate(STARTER_QUESTIONS):
        starters[i % 3].button(q, key=f"starter-{i}", on_click=ask_later, args=(q,), width="stretch")


def render_entry(lib: Library, turn: int, entry: ChatEntry) -> None:
    with st.chat_message("user"):
        st.markdown(escape_block(entry.question))
    with st.chat_message("assistant"):
        if entry.answer is None:
            st.warning(escape_md(entry.error or "No answer."))
        else:
            render_answer(lib, turn, entry.answer, entry)


def render_answer(lib: Library, turn: int, answer: Answer, entry: ChatEntry) -> None:
    body = answer_markdown(answer.answer, answer.citations, turn=turn)
    if answer.abstained:
        st.info(body, icon=":material/search_off:")
    else:
        st.markdown(body)
    notes = []
    if answer.abstained:
        notes.append("Saige answers only from the indexed guidance")
    if answer.resolved_query and answer.resolved_query != answer.question:
        notes.append(f"searched as “{escape_md(answer.resolved_query)}”")
    if entry.stage:
        notes.append(f"stage: {escape_md(entry.stage)}")
    if entry.docs:
        notes.append(f"{len(entry.docs)} document{'s' if len(entry.docs) > 1 else ''} selected")
    notes.append("LLM answer" if answer.mode == "llm" else "extractive answer: quoted sentences")
    st.caption(" · ".join(notes))
    if answer.citations:
        render_sources(lib, turn, answer.citations)


def answer_new(lib: Library, question: str, entries: list[ChatEntry]) -> ChatEntry:
    """Ask the engine (streaming into the page) and return the new chat entry."""
    docs, stage, llm = current_filters()
    limit = lib.settings.max_question_chars
    entry = ChatEntry(question=question, stage=stage, docs=docs)
    turn = len(entries) + 1
    with st.chat_message("user"):
        shown = question if len(question) <= 1200 else question[:1200] + " …"
        st.markdown(escape_block(shown))
    with st.chat_message("assistant"):
        if len(question) > limit:
            entry.error = (
                f"Your question is {len(question):,} characters long; the limit is {limit:,}. "
                "Please shorten it and ask again."
            )
            entry.question = shown
            st.warning(escape_md(entry.error))
            return entry
        placeholder = st.empty()
        streamed = ""
        final: Answer | None = None
        # A toast stays in view wherever the page is scrolled (a starter question is clicked at the bottom
        # of the page, while the answer is drawn at its top).
        st.toast("Searching the guidance…", icon=":material/search:")
        try:
            with st.spinner("Searching the guidance…", show_time=True):
                stream = lib.engine.ask_stream(
                    question, history=history(entries), docs=docs or None, stage=stage, llm=llm
                )
                first = next(stream, None)
            items: list[str | Answer] = [] if first is None else [first]
            for item in _chain(items, stream):
                if isinstance(item, Answer):
                    final = item
                else:
                    streamed += item
                    placeholder.markdown(answer_markdown(streamed) + " ▌")
        except SaigeError as exc:
            placeholder.empty()
            entry.error = str(exc)
            st.warning(escape_md(entry.error))
            return entry
        except Exception as exc:  # never a traceback in the chat: say what failed, in one line
            placeholder.empty()
            log.exception("answering failed")
            entry.error = (
                f"Saige could not answer ({type(exc).__name__}). If the index was just rebuilt, "
                "use Reload index in the sidebar and ask again."
            )
            st.warning(escape_md(entry.error))
            return entry
        placeholder.empty()
        if final is None:
            entry.error = "No answer came back; please try again."
            st.warning(entry.error)
            return entry
        entry.answer = final
        render_answer(lib, turn, final, entry)
    return entry


def _chain(first: list[str | Answer], rest: Iterator[str | Answer]) -> Iterator[str | Answer]:
    yield from first
    yield from rest

"""Session-state keys and the sidebar's current filters (one place, so keys stay stable across reruns)."""

from __future__ import annotations

import streamlit as st

from saige.types import STAGES

ENTRIES = "chat_entries"
PENDING = "pending_question"
CHAT_KEY = "chat_input"
DOCS = "filter_docs"
STAGE = "filter_stage"
MODE = "answer_mode"
ALL_STAGES = "All stages"
EXTRACTIVE = "none"


def current_filters() -> tuple[list[str], str | None, str]:
    """(document ids, stage or None, llm provider) as chosen in the sidebar."""
    docs = list(st.session_state.get(DOCS) or [])
    stage = st.session_state.get(STAGE) or ALL_STAGES
    mode = st.session_state.get(MODE) or EXTRACTIVE
    return docs, (stage if stage in STAGES else None), mode

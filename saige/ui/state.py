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
TAB = "main_tab"
ASK_TAB = ":material/forum: Ask"
GUIDELINES_TAB = ":material/menu_book: Guidelines"
REVIEW_TAB = ":material/fact_check: Design review"
TABS = (ASK_TAB, GUIDELINES_TAB, REVIEW_TAB)
ALL_STAGES = "All stages"
EXTRACTIVE = "none"


def current_filters() -> tuple[list[str], str | None, str]:
    """(document ids, stage or None, llm provider) as chosen in the sidebar."""
    docs = list(st.session_state.get(DOCS) or [])
    stage = st.session_state.get(STAGE) or ALL_STAGES
    mode = st.session_state.get(MODE) or EXTRACTIVE
    return docs, (stage if stage in STAGES else None), mode


# Widget values that must outlive a run in which their tab is not drawn (only the open tab runs).
_KEEP = ("filter_", "answer_mode", "review_description", "review_flag_", "review_status_", "review_notes_")
_KEEP_EXACT = ("controls_framework", "controls_query", "controls_chosen", "guidelines_view")


def keep_widget_state() -> None:
    """Streamlit forgets a widget's value after a run that does not draw it. Re-assigning the value at the
    start of each run keeps it (the filters while another tab is open, a review form not yet built).
    Buttons and file uploaders are never in this list: their state cannot be set."""
    for key in list(st.session_state):
        name = str(key)
        if name.startswith(_KEEP) or name in _KEEP_EXACT:
            st.session_state[key] = st.session_state[key]

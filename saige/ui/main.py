"""The Saige app, composed: page setup, the engine (loaded once), the sidebar and three tabs.

`app.py` calls :func:`main`; nothing here runs at import.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import streamlit as st

from saige.errors import IndexCorruptError, IndexMissingError, SaigeError
from saige.settings import Settings
from saige.ui.library import Library
from saige.ui.text import escape_md

TITLE = "Saige · Secure AI Guidelines Explorer"
# Streamlit draws widget labels (buttons, checkboxes) on one line, cut with an ellipsis ("Design your system
# for security as well as f…"): starter questions, the guideline tree and the review's traits wrap their full
# label instead. Static CSS of our own; no document text goes into it.
WRAP_LABELS_CSS = """<style>
.stMarkdownEllipsis { white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
.stMarkdownEllipsis p { white-space: normal !important; }
.stButton button { height: auto; min-height: 2.5rem; }
[class*="st-key-guideline-"] button { text-align: left; justify-content: flex-start; }
</style>"""


@st.cache_resource(show_spinner="Loading the embedding model and the index…", max_entries=4)
def _load(key: str, _settings: Settings) -> Library:
    """One engine per distinct settings, for the life of the process."""
    from retrieval.service import Saige

    del key
    lib = Library(Saige.from_settings(_settings))
    lib.warm_up()  # under this spinner, at the top of the page, not during the first answer
    return lib


WARM_THREAD = "saige-warm-engine"


class _NotFromWarmThread(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext" warning for the warm-up thread: it calls the cached
    loader outside any session on purpose (the spinner it would draw has no page yet)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != WARM_THREAD


def warm_in_background(report: Callable[[str], None] | None = None) -> threading.Thread:
    """Build the engine in a daemon thread as soon as the server process starts, for the settings the app's
    script reads (SAIGE_* variables), through the same `st.cache_resource` loader: the browser's first
    script run then finds it built, or waits for it under the loader's spinner (Streamlit computes one
    value once), instead of starting the build only when the first page connects. `report` gets one line
    when it is ready or why it failed; the failure is left for the page to show (it is not cached)."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        _NotFromWarmThread()
    )

    def warm() -> None:
        started = time.perf_counter()
        try:
            load_library(Settings())
        except Exception as exc:  # no index yet, bad settings...: the first page shows why
            logging.getLogger(__name__).debug("engine warm-up failed", exc_info=True)
            line = f"the index is not loaded: {' '.join(str(exc).split())[:300]}"
        else:
            line = f"index and model loaded in {time.perf_counter() - started:.1f} s"
        if report is not None:
            report(line)

    thread = threading.Thread(target=warm, name=WARM_THREAD, daemon=True)
    thread.start()
    return thread


def reload_index() -> None:
    _load.clear()


def index_stamp(settings: Settings) -> str:
    """Changes when `saige ingest` switches to a new build, so a running app answers from the new index on
    its next rerun (its next question) without a click.

    With a Chroma server this is the build the server's `saige-meta` pointer names, read on every rerun:
    every replica compares the pointer itself, not a local file (the previous build is kept one generation
    for replicas still on it; retrieval/index.py: write_build). Embedded, the pointer's mirror file stamp.
    """
    from retrieval.index import POINTER_FILE

    if settings.chroma_host:
        return "build:" + server_build(settings)
    try:
        return str((settings.index_dir / POINTER_FILE).stat().st_mtime_ns)
    except OSError:
        return ""


def server_build(settings: Settings) -> str:
    """The collection the Chroma server's pointer names ("" when none or unreachable: the engine load then
    reports the reason)."""
    from retrieval.index import connect, read_pointer

    try:
        pointer = read_pointer(connect(settings, create=False), settings)
    except Exception:
        return ""
    return pointer.collection if pointer is not None else ""


def load_library(settings: Settings) -> Library:
    return _load(settings.model_dump_json() + "|" + index_stamp(settings), settings)


def index_panel(exc: SaigeError, settings: Settings) -> None:
    """What the user sees instead of a traceback when there is no usable index."""
    corrupt = isinstance(exc, IndexCorruptError)
    with st.container(border=True):
        st.markdown("### The index needs rebuilding" if corrupt else "### No index yet")
        st.markdown(
            "Saige answers from an index of the guidance documents, built once on this machine. "
            + ("The current one cannot be read." if corrupt else "None has been built yet.")
        )
        st.markdown("Build it (a minute or two), then reload this page:")
        command = "saige ingest --rebuild" if corrupt else "saige ingest"
        if settings.data_dir.as_posix() != ".saige":
            command += f" --data-dir {settings.data_dir}"
        st.code(command, language="bash")
        st.caption("Details: " + escape_md(str(exc)))


def main() -> None:
    st.set_page_config(page_title="Saige", layout="wide", initial_sidebar_state="expanded")
    st.html(WRAP_LABELS_CSS)
    st.title(TITLE, anchor=False)
    st.caption(
        "Cited answers from agency guidance on secure AI: the NCSC/CISA Guidelines for secure AI system "
        "development, NIST, NCSC, DSIT, ASD and CSA. Every statement cites document, stage › guideline and "
        "page; where the guidance is silent, Saige says so."
    )
    try:
        settings = Settings()
    except Exception as exc:  # a bad SAIGE_* variable: name it, one line
        st.error("Settings: " + escape_md(" ".join(str(exc).split())[:400]))
        return

    from saige.ui.chat import chat_box, render_chat
    from saige.ui.state import TAB, TABS, keep_widget_state

    keep_widget_state()
    # The tabs and the chat box are drawn before the engine is there: while it loads (under the loader's
    # spinner) the browser already shows them and a question can be typed; it is answered once the engine
    # is ready. Without a usable index they are taken away again and the page says how to build one.
    frame = st.empty()
    with frame.container():
        # The tabs track which one is open and only the open one runs: switching is a light rerun, and the
        # sidebar shows the chat's filters only where they act.
        ask, guidelines, review = st.tabs(list(TABS), key=TAB, on_change="rerun")
        chat_open = ask.open is not False
        chat = None
        if chat_open:
            with ask:
                chat = chat_box()
    try:
        lib = load_library(settings)
    except (IndexMissingError, IndexCorruptError) as exc:
        frame.empty()
        index_panel(exc, settings)
        return
    except SaigeError as exc:
        frame.empty()
        st.error(escape_md(str(exc)))
        return

    from saige.ui.sidebar import render_conversation_tools, render_sidebar

    conversation_tools = render_sidebar(lib, reload_index, chat=chat_open)
    if chat is not None:
        render_chat(lib, chat)
    if guidelines.open:  # each tab's module (and what it needs) is imported when the tab first opens
        from saige.ui.browser import render_browser

        with guidelines:
            render_browser(lib)
    if review.open:
        from saige.ui.review_view import render_review

        with review:
            render_review(lib)
    if conversation_tools is not None:
        render_conversation_tools(conversation_tools)

"""The Guidelines tab's Controls view: each framework's controls (AI RMF, AI 600-1, SP 800-218A, DSIT), found by
their identifier in any spelling or by words; the chosen control verbatim with its page and link, the
document's own extra columns, and its crosswalk links labelled with where each comes from."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from retrieval.review import control_ref, provenance_label
from retrieval.review.linked import control_title
from saige.types import Control, Provenance, RelatedControl
from saige.ui.library import Library
from saige.ui.sources import link
from saige.ui.text import escape_block, escape_md, pages_label

VIEW = "guidelines_view"
GUIDELINES_VIEW = "Guidelines"
CONTROLS_VIEW = "Controls by framework"
FRAMEWORK = "controls_framework"
QUERY = "controls_query"
CHOSEN = "controls_chosen"
_PROVENANCE_ORDER: tuple[Provenance, ...] = ("published-in-corpus", "published-elsewhere", "computed")
_BADGE = {"published-in-corpus": "green", "published-elsewhere": "blue", "computed": "gray"}
_EXPLAIN = {
    "published-in-corpus": "Links the documents themselves print (an action under its subcategory, an "
    "informative reference).",
    "published-elsewhere": "A mapping published outside the corpus: OWASP AI Exchange (CC0).",
    "computed": "Nearest controls of the other documents by similarity of their text: similar, not a "
    "published mapping.",
}


def search_controls(lib: Library, doc_id: str, query: str) -> tuple[list[Control], str]:
    """The controls a query finds, and a note on where they were found.

    An identifier in any spelling ("gv 1.2 001", "Govern 1.2", "PW 1.2", "5.3") finds that control in the
    framework; an id the framework does not print is looked up in the others; anything else is matched as
    words against id, title and statement. No query: the framework's whole catalogue.
    """
    controls = lib.controls(doc_id)
    text = " ".join(query.split())
    if not text:
        return controls, ""
    catalogue = lib.engine.catalogue
    found = catalogue.find(text, [doc_id])
    if found:
        return found, ""
    elsewhere = catalogue.find(text)
    if elsewhere:
        names = ", ".join(dict.fromkeys(_doc_name(lib, c.doc_id) for c in elsewhere))
        return elsewhere, f"Not an identifier of this framework; found in {names}."
    words = text.lower().split()
    matched = [
        c for c in controls if all(w in f"{c.control_id} {c.title} {c.statement}".lower() for w in words)
    ]
    return matched, ""


def _doc_name(lib: Library, doc_id: str) -> str:
    doc = lib.document(doc_id)
    return doc.short_title if doc is not None else doc_id


def option_label(c: Control) -> str:
    """ "GV-1.2-001 · Establish transparency policies …" (a selectbox option; the detail shows the full text)."""
    ident = control_ref(c)
    extra = control_title(c) or c.statement
    extra = " ".join(extra.split())
    if extra and extra != ident:
        extra = extra if len(extra) <= 110 else extra[:109].rsplit(" ", 1)[0] + "…"
        return f"{ident} · {extra}"
    return ident


def show_control(framework: str, key: str, query: str) -> None:
    """Callback: make the Controls view show one control (from a crosswalk link)."""
    st.session_state[VIEW] = CONTROLS_VIEW
    st.session_state[FRAMEWORK] = framework
    st.session_state[QUERY] = query
    st.session_state[CHOSEN] = key


def render_controls_view(lib: Library) -> None:
    docs = lib.control_documents()
    if not docs:
        st.info(
            "The index has no controls catalogue. It is built at ingest from AI RMF, AI 600-1, SP 800-218A and "
            "the DSIT implementation guide: add them (`saige sources` says how) and run `saige ingest`."
        )
        return
    titles = {d.id: d.short_title for d in docs}
    if st.session_state.get(FRAMEWORK) not in titles:
        st.session_state[FRAMEWORK] = docs[0].id
    pick, find = st.columns([0.5, 0.5])
    pick.selectbox("Framework", list(titles), format_func=lambda d: titles.get(d, d), key=FRAMEWORK)
    find.text_input(
        "Find a control by id or words",
        key=QUERY,
        placeholder="e.g. GV-1.2-001, Govern 1.2, MAP 4.2, PW.1.2, provision 5.3, principle 5",
    )
    doc_id = st.session_state[FRAMEWORK]
    matches, note = search_controls(lib, doc_id, st.session_state.get(QUERY) or "")
    if note:
        st.caption(escape_md(note))
    if not matches:
        st.warning(f"No control of {escape_md(titles[doc_id])} matches; try an id such as the examples.")
        return
    by_key = {c.key: c for c in matches}
    if st.session_state.get(CHOSEN) not in by_key:
        st.session_state[CHOSEN] = matches[0].key
    st.selectbox(
        f"Control ({len(matches)} of {len(lib.controls(doc_id))} in {titles[doc_id]})"
        if not note
        else f"Control ({len(matches)} found)",
        list(by_key),
        format_func=lambda k: option_label(by_key[k]) if k in by_key else k,
        key=CHOSEN,
    )
    render_control(lib, by_key[st.session_state[CHOSEN]])


def render_control(lib: Library, c: Control) -> None:
    doc = lib.document(c.doc_id)
    name = doc.short_title if doc is not None else c.doc_id
    path = " › ".join(c.path[:-1]) if len(c.path) > 1 else ""
    st.caption(" · ".join(escape_md(p) for p in (name, c.kind, path) if p))
    title = control_title(c)
    st.markdown(f"##### {escape_md(control_ref(c))}" + (f" — {escape_md(title)}" if title else ""))
    pages = pages_label(c.page_start, c.page_end)
    url = doc.page_url(c.link_page) if doc is not None else ""
    st.markdown(link(f"{name}, {pages}" if pages else name, url) + (" ↗" if url else ""))
    with st.container(border=True):
        st.markdown(escape_block(c.statement) if c.statement else "_No statement text in the catalogue._")
    if c.fields:
        with st.expander(f"The document's other columns ({len(c.fields)})"):
            for f in c.fields:
                st.markdown(f"**{escape_md(f.name)}**  \n{escape_md(f.value)}")
    st.markdown("###### Crosswalk")
    render_links(lib, lib.crosswalk(c.key), source=c.key)


def render_links(lib: Library, related: Sequence[RelatedControl], *, source: str) -> None:
    """Crosswalk links grouped by provenance, each with the target's id, document, page and text."""
    if not related:
        st.caption("No links to other frameworks.")
        return
    for provenance in _PROVENANCE_ORDER:
        group = [r for r in related if r.link.provenance == provenance]
        if not group:
            continue
        label = provenance_label(provenance, group[0].link.origin)
        st.markdown(
            f":{_BADGE[provenance]}-badge[{escape_md(label)}] :gray[{escape_md(_EXPLAIN[provenance])}]"
        )
        for n, r in enumerate(group):
            render_link(lib, r, key=f"xw-{source}-{provenance}-{n}")


def render_link(lib: Library, r: RelatedControl, *, key: str) -> None:
    target = r.control
    with st.container(border=True):
        if target is None:  # a control outside the corpus (OWASP AI Exchange)
            head = link(r.link.target_label, r.link.target_url or "")
            st.markdown(f"**{head}** · OWASP AI Exchange" + (" ↗" if r.link.target_url else ""))
            st.caption(escape_md(r.link.origin))
            return
        doc = lib.document(target.doc_id)
        name = doc.short_title if doc is not None else target.doc_id
        pages = pages_label(target.page_start, target.page_end)
        url = doc.page_url(target.link_page) if doc is not None else ""
        left, right = st.columns([0.86, 0.14], vertical_alignment="center")
        with left:
            title = control_title(target)
            st.markdown(
                f"**{escape_md(control_ref(target))}**"
                + (f" {escape_md(title)}" if title and title != control_ref(target) else "")
                + f" · {link(f'{name}, {pages}' if pages else name, url)}"
            )
            text = target.statement if target.statement != title else ""
            detail = [escape_md(text)] if text else []
            score = f"similarity {r.link.score:.2f}" if r.link.score is not None else ""
            origin = r.link.origin if r.link.provenance != "computed" else score
            if origin:
                detail.append(f":gray[{escape_md(origin)}]")
            if detail:
                st.caption("  \n".join(detail))
        with right:
            if target.doc_id in {d.id for d in lib.control_documents()}:
                st.button(
                    "Show",
                    key=key,
                    on_click=show_control,
                    args=(target.doc_id, target.key, target.control_id),
                    help="Show this control in the Controls view",
                )

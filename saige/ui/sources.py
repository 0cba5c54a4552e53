"""Sources under an answer, and the dialog that opens one: document, stage › guideline, page, and the
section's text with the quoted sentences highlighted. All untrusted text goes through `saige.ui.text`."""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

from saige.types import Citation, Document, Hit
from saige.ui.library import Library
from saige.ui.text import escape_md, highlighted_markdown, pages_label, source_anchor

_SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$")


def link(label: str, url: str) -> str:
    """A Markdown link with an escaped label; only http(s) URLs, brackets percent-encoded; else the label."""
    if not url or not _SAFE_URL.match(url):
        return escape_md(label)
    safe = url.replace("(", "%28").replace(")", "%29").replace("[", "%5B").replace("]", "%5D")
    return f"[{escape_md(label)}]({safe})"


def link_label(doc: Document | None, pages: str) -> str:
    """ "official PDF, p. 14", or what the link really opens when it is not a PDF page."""
    if doc is None:
        return f"official document, {pages}" if pages else "official document"
    return doc.link_label(pages)


def where(stage: str | None, path: Sequence[str], section: str) -> str:
    """ "Secure design › Model the threats to your system" (stage, then the guideline heading)."""
    parts = [stage] if stage else []
    if stage and path and path[0] == stage:
        path = path[1:]
    heading = section or (path[-1] if path else "")
    if heading and heading != stage:
        parts.append(heading)
    return " › ".join(parts)


def render_sources(lib: Library, turn: int, citations: Sequence[Citation]) -> None:
    """The numbered source list under an answer; each entry opens in a dialog and links to the PDF page."""
    st.markdown(f"###### Sources for answer {turn}")
    for c in citations:
        left, right = st.columns([0.84, 0.16], vertical_alignment="center")
        with left:
            place = escape_md(where(c.stage, c.section_path, c.section))
            pages = pages_label(c.page_start, c.page_end)
            doc = lib.document(c.doc_id)
            official = link(link_label(doc, pages), c.url)
            name = doc.short_title if doc else c.doc_title
            # Each [n] in the answer links here (saige.ui.text.source_anchor): a heading with that anchor.
            st.subheader(f"\\[{c.n}\\] {escape_md(name)}", anchor=source_anchor(turn, c.n))
            ident = f"**{escape_md(c.control_id)}** · " if c.control_id else ""  # the cited control's id
            st.markdown(f"{ident}**{place}** · {official}")
            quote = " ".join(c.quote.split())
            if quote:
                st.caption(f"“{escape_md(quote[:320])}{'…' if len(quote) > 320 else ''}”")
        with right:
            if st.button("Open", key=f"open-{turn}-{c.n}", help=f"Show [{c.n}] in its section's text"):
                show_citation(lib, c)


@st.dialog("Source", width="large")
def show_citation(lib: Library, c: Citation) -> None:
    _section_view(
        lib,
        doc_id=c.doc_id,
        doc_title=c.doc_title,
        stage=c.stage,
        path=c.section_path,
        section=c.section,
        pages=pages_label(c.page_start, c.page_end),
        url=c.url,
        quotes=[c.quote],
        number=c.n,
    )


@st.dialog("Related guidance", width="large")
def show_hit(lib: Library, hit: Hit) -> None:
    ch = hit.chunk
    doc = lib.document(ch.doc_id)
    _section_view(
        lib,
        doc_id=ch.doc_id,
        doc_title=doc.short_title if doc else ch.doc_title,
        stage=ch.stage,
        path=ch.section_path,
        section=ch.section,
        pages=ch.pages_label,
        url=doc.page_url(ch.link_page) if doc else "",
        quotes=[ch.text],
        number=None,
    )


def _section_view(
    lib: Library,
    *,
    doc_id: str,
    doc_title: str,
    stage: str | None,
    path: Sequence[str],
    section: str,
    pages: str,
    url: str,
    quotes: Sequence[str],
    number: int | None,
) -> None:
    st.markdown(f"#### {escape_md(doc_title)}")
    place = escape_md(where(stage, path, section))
    doc = lib.document(doc_id)
    label = link_label(doc, pages)
    official = link(f"Open the {label}", url)
    st.markdown(f"**{place}**" + (f" · {escape_md(pages)}" if pages else "") + f" · {official} ↗")
    if len(path) > 1:
        st.caption("Section path: " + escape_md(" › ".join(path)))
    text = lib.section_text(doc_id, path)
    if not text:
        st.info("This section's text is not in the index any more (was it re-ingested?). The quote:")
        st.markdown("> " + escape_md(" ".join(quotes)))
        return
    body, matched = highlighted_markdown(text, quotes)
    label = f"[{number}] " if number is not None else ""
    if matched:
        st.caption(f"The passage cited {label}is highlighted in the section's text.")
    else:
        st.caption(f"Quoted {label}:")
        st.markdown("> " + escape_md(" ".join(quotes)))
    with st.container(height=420 if len(text) > 1600 else "content", border=True):
        st.markdown(body)

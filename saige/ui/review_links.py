"""In the design review, under each guideline: its linked controls in the other frameworks (id, document, page,
provenance) and, for a system that matches a DSIT scenario, that scenario's example measures. Listed for
reference; the statuses a reviewer tracks are the guideline's own statements."""

from __future__ import annotations

import streamlit as st

from retrieval.review import ApplicableGuideline, DesignReview, ReviewControl, provenance_label
from retrieval.review.scenarios import SCENARIOS
from saige.ui.sources import link
from saige.ui.text import escape_md

_BADGE = {"published-in-corpus": "green", "published-elsewhere": "blue", "computed": "gray"}


def render_scenarios(review: DesignReview) -> None:
    """Which DSIT scenario the system matches (or that none does, and how one would)."""
    if review.scenarios:
        names = "; ".join(f"**{escape_md(s.name)}** ({escape_md(s.reason)})" for s in review.scenarios)
        st.info(
            f"Matches the DSIT code of practice scenario: {names}. Each guideline lists the scenario's "
            "example measures from the DSIT provisions linked to it.",
            icon=":material/lightbulb:",
        )
    elif any(g.linked for g in review.guidelines):
        names = ", ".join(s.name for s in SCENARIOS)
        st.caption(
            f"No DSIT scenario matched ({escape_md(names)}). Tick the traits of one, or name it in the "
            "description, to see its example measures."
        )


def _item(c: ReviewControl) -> str:
    where = link(c.citation, c.url) if c.url else escape_md(c.citation)
    badge = ""
    if c.provenance is not None:
        badge = f" :{_BADGE[c.provenance]}-badge[{escape_md(provenance_label(c.provenance, c.origin))}]"
    text = f" — {escape_md(c.text)}" if c.text and c.text != c.control_id else ""
    return f"- **{escape_md(c.ref)}**{text} · {where}{badge}"


def render_links(g: ApplicableGuideline) -> None:
    if g.linked:
        st.markdown(f"**Linked controls in other frameworks ({len(g.linked)})**")
        st.markdown("\n".join(_item(c) for c in g.linked))
    for name in dict.fromkeys(m.scenario for m in g.measures):
        measures = [m for m in g.measures if m.scenario == name]
        st.markdown(f"**DSIT example measures for the {escape_md(name)} scenario ({len(measures)})**")
        st.markdown("\n".join(_item(m) for m in measures))

"""A review as a Markdown report or a CSV sheet, each control under the document's own identifier."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from retrieval.review.applicability import TRAIT_LABELS
from retrieval.review.linked import provenance_text
from retrieval.review.model import STATUSES, ApplicableGuideline, DesignReview, ReviewControl

CSV_COLUMNS = (
    "id",
    "stage",
    "guideline",
    "applies",
    "kind",
    "control",
    "status",
    "notes",
    "document",
    "page",
    "url",
    "provenance",
    "matched",
    "why",
)
_KIND = {"statement": "statement", "linked": "linked control", "measure": "example measure"}


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _provenance(c: ReviewControl) -> str:
    return provenance_text(c.provenance, c.origin)


def _source(c: ReviewControl) -> str:
    return f"[{_md_cell(c.citation)}]({c.url})" if c.url else _md_cell(c.citation)


def _linked_markdown(g: ApplicableGuideline) -> list[str]:
    lines: list[str] = []
    if g.linked:
        lines += ["Linked controls of other frameworks:", ""]
        lines += ["| Id | Framework | Control | Provenance |", "|---|---|---|---|"]
        for c in g.linked:
            framework = f"[{_md_cell(c.doc_title)}]({c.url})" if c.url else _md_cell(c.doc_title)
            page = f", p. {c.page}" if c.page is not None else ""
            lines.append(
                f"| {_md_cell(c.ref)} | {framework}{page} | {_md_cell(c.text)} | {_md_cell(_provenance(c))} |"
            )
        lines.append("")
    for name in dict.fromkeys(m.scenario for m in g.measures):
        lines += [f"DSIT example measures, scenario {name}:", ""]
        lines += ["| Provision | Example measure | Source |", "|---|---|---|"]
        for m in (m for m in g.measures if m.scenario == name):
            lines.append(
                f"| {_md_cell(m.ref)} | {_md_cell(m.text)} | {_source(m)} ({_md_cell(_provenance(m))}) |"
            )
        lines.append("")
    return lines


def review_markdown(review: DesignReview, flag_labels: Mapping[str, str] | None = None) -> str:
    """The review as a Markdown report: the system, a summary, then each guideline's controls, cited."""
    labels = flag_labels or TRAIT_LABELS
    counts = review.counts()
    lines = ["# Design review (Saige)", "", f"Created: {review.created}", ""]
    lines += ["## System", "", review.description.strip() or "_No description given._", ""]
    if review.flags:
        lines += ["Characteristics:", ""] + [f"- {labels.get(f, f)}" for f in review.flags] + [""]
    if review.scenarios:
        lines += ["Matches the DSIT code of practice scenario(s):", ""]
        lines += [f"- {s.name}: {s.reason}" for s in review.scenarios] + [""]
    total = sum(counts.values())
    by_strength = {
        s: sum(g.strength == s for g in review.guidelines) for s in ("strongly applies", "applies")
    }
    lines += [
        "## Summary",
        "",
        f"{len(review.guidelines)} guidelines ({by_strength['strongly applies']} strongly apply, "
        f"{by_strength['applies']} apply, the rest at baseline), {total} controls: "
        + ", ".join(f"{counts[s]} {s}" for s in STATUSES)
        + ".",
        "",
    ]
    for g in review.guidelines:
        ref = g.guideline
        lines += [f"## {ref.stage} › {ref.heading} ({g.strength})", ""]
        lines += [f"Why: {'; '.join(g.reasons)}. Source: {ref.doc_title}, {ref.pages_label} ({ref.url})", ""]
        if not g.controls:
            lines += ['_No "you ..." statements found in this guideline\'s text._', ""]
            lines += _linked_markdown(g)
            continue
        lines += ["| Id | Control | Status | Notes | Source |", "|---|---|---|---|---|"]
        for c in g.controls:
            source = _source(c)
            extra = [x for x in (_provenance(c), "" if c.matched else "no longer matched") if x]
            if extra:
                source += " (" + _md_cell("; ".join(extra)) + ")"
            lines.append(
                f"| {_md_cell(c.ref)} | {_md_cell(c.text)} | {c.status} | {_md_cell(c.notes)} | {source} |"
            )
        lines.append("")
        lines += _linked_markdown(g)
    return "\n".join(lines)


def review_csv(review: DesignReview) -> str:
    """One row per control, starting with the document's identifier (see :data:`CSV_COLUMNS`); then, per
    guideline, its linked controls and example measures (kind "linked control" / "example measure", no
    status: they are listed for reference)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in review.guidelines:
        for c in [*g.controls, *g.linked, *g.measures]:
            tracked = c.kind == "statement"
            writer.writerow(
                [
                    _csv_safe(c.ref),
                    c.stage,
                    c.guideline,
                    g.strength,
                    _KIND[c.kind] + (f" ({c.scenario})" if c.scenario else ""),
                    _csv_safe(c.text),
                    c.status if tracked else "",
                    _csv_safe(c.notes),
                    c.doc_title,
                    "" if c.page is None else c.page,
                    c.url,
                    _csv_safe(_provenance(c)),
                    "yes" if c.matched else "no longer matched",
                    _csv_safe("; ".join(g.reasons)),
                ]
            )
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text

"""`saige control`, `saige controls` and `saige related`: the controls catalogue and its crosswalk on the
command line.

The domain work is `Saige.control`, `Saige.controls` and `Saige.related_guidance` (retrieval/); this module
only lays their records out, as text (rich, document text never read as markup) or JSON. `register(app, ...)`
adds the three commands to the `saige` Typer app.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.text import Text

from saige.types import Control, Document, RelatedControl

if TYPE_CHECKING:
    from retrieval.service import Saige
    from saige.settings import Settings

# How each provenance is shown: a published mapping is never confused with a computed similarity.
PROVENANCE_LABELS: dict[str, str] = {
    "published-in-corpus": "published in the corpus",
    "published-elsewhere": "published elsewhere",
    "computed": "similar (computed, not a published mapping)",
}


# --- records (JSON) -----------------------------------------------------------------------------------


def pages_label(control: Control) -> str:
    if control.page_start is None:
        return ""
    if control.page_end is None or control.page_end == control.page_start:
        return f"p. {control.page_start}"
    return f"pp. {control.page_start}-{control.page_end}"


def control_link(control: Control, documents: dict[str, Document]) -> str | None:
    """The official document at the control's page (None when the document is unknown)."""
    doc = documents.get(control.doc_id)
    return doc.page_url(control.link_page) if doc is not None else None


def control_record(control: Control, documents: dict[str, Document]) -> dict[str, Any]:
    """A control as JSON: every field of the record, its key, its document's title and the page link."""
    doc = documents.get(control.doc_id)
    return {
        "key": control.key,
        **control.model_dump(),
        "document": doc.title if doc is not None else control.doc_id,
        "pages": pages_label(control),
        "url": control_link(control, documents),
    }


def related_record(item: RelatedControl, documents: dict[str, Document]) -> dict[str, Any]:
    """A crosswalk link as JSON: the link (provenance, origin, label) and the linked control when there is one."""
    link = item.link
    record: dict[str, Any] = {
        **link.model_dump(),
        "provenance_label": PROVENANCE_LABELS[link.provenance],
        "control": None,
        "url": link.target_url,
    }
    if item.control is not None:
        record["control"] = control_record(item.control, documents)
        record["url"] = link.target_url or control_link(item.control, documents)
    return record


# --- text -----------------------------------------------------------------------------------------------


def _console(out: TextIO | None) -> Console:
    # soft_wrap: long lines (statements, URLs) are not broken by hard newlines, so links stay whole
    return Console(file=out, highlight=False, soft_wrap=True)


def _heading(control: Control) -> str:
    """ "GV-1.2-001", "PW.1 Define Security Requirements...", "Principle 5 Identify, track..." or a guideline's
    title (an id the document does not print is never shown)."""
    if not control.printed_id:
        return control.title or control.control_id
    if control.title and control.title != control.control_id:
        return f"{control.control_id} {control.title}"
    return control.control_id


def _label(item: RelatedControl) -> str:
    """A linked control's id and title, or the start of its statement when it has no title of its own."""
    control = item.control
    if control is None:
        return item.link.target_label or item.link.target
    label = _heading(control)
    if (not control.title or control.title == control.control_id) and control.statement:
        words = " ".join(control.statement.split())
        label += ": " + (words if len(words) <= 100 else words[:99].rstrip() + "…")
    return label


def print_control(
    control: Control,
    related: Sequence[RelatedControl],
    documents: dict[str, Document],
    out: TextIO | None = None,
) -> None:
    """The control verbatim: heading, document, path, pages and link, statement, its own columns, then its
    crosswalk grouped by provenance."""
    console = _console(out)
    doc = documents.get(control.doc_id)
    console.print(Text(_heading(control), style="bold"))
    console.print(Text(f"{control.kind} in {doc.title if doc else control.doc_id} ({control.doc_id})"))
    if control.path:
        console.print(Text("Path: " + " › ".join(control.path)))
    if control.stage:
        console.print(Text(f"Stage: {control.stage}"))
    where = " — ".join(p for p in (pages_label(control), control_link(control, documents) or "") if p)
    if where:
        console.print(Text(f"Source: {where}"))
    if control.statement:
        console.print()
        console.print(Text(control.statement))
    for f in control.fields:
        console.print()
        console.print(Text(f"{f.name}:", style="bold"))
        console.print(Text(f.value))
    print_related(related, documents, out=out, title="Crosswalk")


def print_related(
    related: Sequence[RelatedControl],
    documents: dict[str, Document],
    out: TextIO | None = None,
    title: str = "Related guidance",
) -> None:
    """Links grouped by provenance (published in the corpus, published elsewhere, similar), each with its
    target, document, pages and where the link is stated."""
    console = _console(out)
    console.print()
    if not related:
        console.print(Text(f"{title}: none"))
        return
    console.print(Text(f"{title}:", style="bold"))
    for provenance, label in PROVENANCE_LABELS.items():
        group = [r for r in related if r.link.provenance == provenance]
        if not group:
            continue
        console.print(Text(f"  {label}:"))
        for r in group:
            parts = [_label(r)]
            if r.control is not None:
                doc = documents.get(r.control.doc_id)
                parts.append(doc.short_title if doc is not None else r.control.doc_id)
                if pages_label(r.control):
                    parts.append(pages_label(r.control))
            url = r.link.target_url or (control_link(r.control, documents) if r.control is not None else None)
            if url:
                parts.append(url)
            if r.link.score is not None:
                parts.append(f"similarity {r.link.score:.3f}")
            console.print(Text("    - " + " — ".join(parts)))
            if provenance != "computed":  # a computed link's label already says where it comes from
                console.print(Text(f"      stated in: {r.link.origin}", style="dim"))


def print_catalogue(
    controls: Sequence[Control], documents: dict[str, Document], out: TextIO | None = None
) -> None:
    """The controls of each document under its title: id, kind, title (or the start of the statement), pages."""
    console = _console(out)
    if not controls:
        console.print(Text("No controls in the catalogue (the index holds none; run `saige ingest`)."))
        return
    by_doc: dict[str, list[Control]] = {}
    for c in controls:
        by_doc.setdefault(c.doc_id, []).append(c)
    for doc_id, group in by_doc.items():
        doc = documents.get(doc_id)
        console.print(Text(f"{doc.title if doc else doc_id} ({doc_id}): {len(group)} controls", style="bold"))
        ids = [c.control_id if c.printed_id else "—" for c in group]
        pages = [pages_label(c) for c in group]
        w_id, w_kind, w_pages = (max(len(x) for x in col) for col in (ids, [c.kind for c in group], pages))
        for c, cid, page in zip(group, ids, pages, strict=True):
            text = " ".join((c.title if c.title and c.title != c.control_id else c.statement).split())
            text = text if len(text) <= 100 else text[:99].rstrip() + "…"
            console.print(Text(f"  {cid:<{w_id}}  {c.kind:<{w_kind}}  {page:<{w_pages}}  {text}".rstrip()))
        console.print()
    console.print(Text(f"{len(controls)} controls in {len(by_doc)} documents"))


# --- command bodies ---------------------------------------------------------------------------------------


def _documents(engine: Saige) -> dict[str, Document]:
    return {d.id: d for d in engine.documents()}


def _write_json(data: object, out: TextIO | None) -> None:
    (out or sys.stdout).write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def show_control(
    engine: Saige,
    identifier: str,
    *,
    doc: str | None = None,
    as_json: bool = False,
    k_similar: int = 5,
    out: TextIO | None = None,
) -> int:
    """`saige control ID`: SaigeError (one line naming the id) when the catalogue has no such control."""
    control = engine.control(identifier, doc)
    related = engine.related_guidance(control.key, k_similar=k_similar)
    documents = _documents(engine)
    if as_json:
        _write_json(
            {
                **control_record(control, documents),
                "crosswalk": [related_record(r, documents) for r in related],
            },
            out,
        )
    else:
        print_control(control, related, documents, out)
    return 0


def list_controls(
    engine: Saige, *, doc: str | None = None, as_json: bool = False, out: TextIO | None = None
) -> int:
    """`saige controls [--doc ID]`."""
    controls = engine.controls(doc)
    documents = _documents(engine)
    if as_json:
        _write_json([control_record(c, documents) for c in controls], out)
    else:
        print_catalogue(controls, documents, out)
    return 0


def show_related(
    engine: Saige,
    name_or_id: str,
    *,
    doc: str | None = None,
    as_json: bool = False,
    k_similar: int = 5,
    out: TextIO | None = None,
) -> int:
    """`saige related "<guideline title or control id>"`: published links first, then "similar" ones."""
    from retrieval.crosswalk import resolve_source

    source = engine.control(name_or_id, doc) if doc else resolve_source(engine, name_or_id)
    related = engine.related_guidance(source.key if doc else name_or_id, k_similar=k_similar)
    documents = _documents(engine)
    if as_json:
        _write_json(
            {
                "source": control_record(source, documents),
                "related": [related_record(r, documents) for r in related],
            },
            out,
        )
    else:
        console = _console(out)
        console.print(Text(_heading(source), style="bold"))
        d = documents.get(source.doc_id)
        console.print(Text(f"{source.kind} in {d.title if d else source.doc_id}"))
        print_related(related, documents, out=out)
    return 0


# --- Typer registration -----------------------------------------------------------------------------------

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index and cache folder (SAIGE_DATA_DIR).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
OneDoc = Annotated[str | None, typer.Option("--doc", help="Only this document id.", show_default=False)]
KSimilar = Annotated[int, typer.Option("--k", help="How many computed 'similar' controls to add.", min=0)]


def register(
    app: typer.Typer,
    settings: Callable[..., Settings],
    run: Callable[..., None],
) -> None:
    """Add `control`, `controls` and `related` to the `saige` app (settings and run are saige.cli's
    helpers: settings with overrides, and a body runner that turns a SaigeError into one line and exit 2)."""

    def engine_for(data_dir: Path | None) -> Callable[[], Saige]:
        s = settings(data_dir=data_dir)

        def make() -> Saige:
            from retrieval.service import Saige

            return Saige.from_settings(s)

        return make

    @app.command()
    def control(
        identifier: Annotated[
            str, typer.Argument(help='A control id in any spelling: "GV-1.2-001", "MAP 4.2".')
        ],
        doc: OneDoc = None,
        as_json: AsJson = False,
        k: KSimilar = 5,
        data_dir: DataDir = None,
    ) -> None:
        """Print one control verbatim, with its document, page, link and crosswalk (with provenance)."""
        make = engine_for(data_dir)
        run(lambda: show_control(make(), identifier, doc=doc, as_json=as_json, k_similar=k))

    @app.command()
    def controls(doc: OneDoc = None, as_json: AsJson = False, data_dir: DataDir = None) -> None:
        """List the controls catalogue (every framework's controls), or one document's."""
        make = engine_for(data_dir)
        run(lambda: list_controls(make(), doc=doc, as_json=as_json))

    @app.command()
    def related(
        name: Annotated[str, typer.Argument(help="A guideline's title or a control id.")],
        doc: OneDoc = None,
        as_json: AsJson = False,
        k: KSimilar = 5,
        data_dir: DataDir = None,
    ) -> None:
        """Related guidance of a guideline or control: published links (in the corpus, then elsewhere, such as
        OWASP AI Exchange), then computed "similar" controls."""
        make = engine_for(data_dir)
        run(lambda: show_related(make(), name, doc=doc, as_json=as_json, k_similar=k))


__all__ = ["PROVENANCE_LABELS", "list_controls", "register", "show_control", "show_related"]

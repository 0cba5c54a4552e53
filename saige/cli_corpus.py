"""The console side of `saige fetch`, `saige sources` and `saige ingest`: rich lines, bars and tables.

The domain functions (corpus.fetch, ingest.pipeline) return records and report progress through callbacks;
only this module (the CLI layer) prints.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from saige.settings import Settings

_TAGS = {"ok": "[green]ok[/]", "fail": "[red]x[/]", "warn": "[yellow]![/]", "info": ""}


def _console(stderr: bool = False) -> Console:
    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_fetch(
    settings: Settings,
    accept_new_hash: bool = False,
    only: list[str] | None = None,
    keep_going: bool = False,
) -> int:
    """`saige fetch`: one line per document and a download bar. Exit 0 when every document is in place, or
    with keep_going when at least one is (the others are reported and left out of the next ingest)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

    from corpus.fetch import Level, fetch_documents

    console = _console()

    def notify(level: Level, message: str) -> None:
        # Names and URLs may hold [brackets]: the message is never read as rich markup.
        tag = _TAGS[level]
        console.print(f"{tag} {escape(message)}" if tag else escape(message))

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def transfer(doc_id: str, done: int, total: int | None) -> None:
            if done < 0:
                if doc_id in tasks:
                    bar.remove_task(tasks.pop(doc_id))
                return
            if doc_id not in tasks:
                tasks[doc_id] = bar.add_task(doc_id, total=total)
            bar.update(tasks[doc_id], completed=done, total=total)

        result = fetch_documents(
            settings, accept_new_hash=accept_new_hash, only=only, notify=notify, transfer=transfer
        )
    if result.ok:
        return 0
    if keep_going and len(result.problems) < result.checked:
        console.print(
            f"Continuing without {len(result.problems)} document(s): `saige ingest --skip-missing` leaves "
            "them out and `saige sources` says how to add them.",
            markup=False,
        )
        return 0
    return 1


def run_sources(settings: Settings) -> int:
    """`saige sources`: a table of the documents (present or missing, hash check, pages, licence), then how
    to add each missing one."""
    from rich.table import Table
    from rich.text import Text

    from corpus.fetch import source_rows
    from corpus.manifest import manifest_source

    console = _console()
    table = Table(title=f"Saige corpus ({manifest_source(settings)})", show_lines=False)
    table.add_column("id", overflow="fold", ratio=3)
    table.add_column("title", ratio=3)
    table.add_column("present", ratio=1)
    table.add_column("hash")
    table.add_column("pages", justify="right")
    table.add_column("licence", ratio=3)
    table.add_column("redistributable")
    styles = {"ok": "green", "accepted new version": "yellow", "MISMATCH": "bold red"}
    rows = source_rows(settings)
    for row in rows:
        st, doc = row.status, row.status.document
        where = Text(st.where) if st.present else Text("missing", style="red")
        table.add_row(
            Text(doc.id),
            Text(_short(doc.short_title)),
            where,
            Text(row.check, style=styles.get(row.check, "")),
            Text("" if doc.pages is None else str(doc.pages)),
            Text(_short(doc.license, 40)),
            Text("yes" if doc.redistributable else "no"),
        )
    console.print(table)
    present = sum(1 for r in rows if r.status.present)
    console.print(f"{present} of {len(rows)} documents present.", markup=False)
    missing = [r for r in rows if not r.status.present]
    if missing:
        console.print("Missing, and how to add them:", markup=False)
        for row in missing:
            console.print(f"  {row.status.document.id}: {row.how_to_add}", markup=False)
    for label, folder in (("corpus dir", settings.corpus_dir), ("fetch cache", settings.fetch_dir)):
        if folder is not None:
            console.print(f"{label}: {folder}", markup=False)
    return 0


def run_ingest(settings: Settings, rebuild: bool = False, skip_missing: bool = False) -> int:
    """`saige ingest`: a progress bar for parse, embed and write, then a summary table."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ingest.pipeline import ingest

    console = _console(stderr=True)
    labels = {"parse": "Parsing documents", "embed": "Embedding chunks", "write": "Writing the index"}
    with Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in labels:
                return
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels[stage], total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        report = ingest(settings, progress=progress, rebuild=rebuild, skip_missing=skip_missing)

    table = Table(title="saige ingest", show_header=False, title_justify="left", expand=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    status = "index up to date (nothing changed)" if report.unchanged else "switched to the new build"
    rows = [
        ("documents", str(report.documents)),
        ("pages", str(report.pages)),
        ("sections", str(report.sections)),
        ("chunks", str(report.chunks)),
        ("pages skipped (no text)", str(report.pages_skipped)),
        ("embedded / cached", f"{report.embedded} / {report.cached}"),
        ("seconds", f"{report.seconds:.1f}"),
        ("index", status),
        ("collection", report.collection),
    ]
    if report.missing:
        rows.insert(1, ("left out (file missing)", ", ".join(report.missing)))
    for what, value in rows:
        table.add_row(what, escape(value))
    Console().print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    for doc_id in report.missing:
        console.print(
            f"[yellow]warning:[/] {escape(doc_id)}: file missing, left out of the index "
            "(`saige sources` says how to add it)",
            highlight=False,
        )
    return 0

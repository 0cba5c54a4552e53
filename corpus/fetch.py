"""`saige fetch` and `saige sources`: get the pinned corpus documents and show where they stand.

Fetch downloads only what is missing, into the git-ignored cache under the data dir, streaming to a temp
file that is renamed into place only after its sha256 matches the pin. A copy already on disk is never
overwritten by bytes that fail the check; `--accept-new-hash` deliberately accepts a new version.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.manifest import (
    ACCEPTED_SUFFIX,
    accepted_hash,
    cache_path,
    corpus_path,
    load_manifest,
    manifest_source,
    sha256_file,
)
from saige.errors import CorpusError
from saige.settings import Settings
from saige.types import Document

if TYPE_CHECKING:
    import httpx
    from rich.console import Console
    from rich.progress import Progress

TIMEOUT_SECONDS = 60.0
MAX_BYTES = 512 * 1024 * 1024  # refuse absurdly large responses instead of filling the disk
USER_AGENT = "saige-fetch/0.1"


@dataclass
class Status:
    """Where a document is and whether its bytes match the pin."""

    document: Document
    path: Path | None = None
    where: str = "missing"  # "corpus dir", "fetch cache" or "missing"
    actual: str | None = None
    accepted: bool = False  # the cached copy is a version the user accepted with --accept-new-hash

    @property
    def present(self) -> bool:
        return self.path is not None

    @property
    def ok(self) -> bool:
        return self.present and (self.actual == self.document.sha256 or self.accepted)


def document_status(settings: Settings, document: Document) -> Status:
    """Check SAIGE_CORPUS_DIR first, then the fetch cache; hash whatever is found."""
    candidates: list[tuple[Path | None, str]] = [
        (corpus_path(settings, document), "corpus dir"),
        (cache_path(settings, document), "fetch cache"),
    ]
    for path, where in candidates:
        if path is not None and path.is_file():
            actual = sha256_file(path)
            accepted = (
                where == "fetch cache"
                and actual != document.sha256
                and accepted_hash(settings, document) == actual
            )
            return Status(document, path, where, actual, accepted)
    return Status(document)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


OK = "[green]ok[/]"
FAIL = "[red]x[/]"
WARN = "[yellow]![/]"


def _say(console: Console, tag: str, message: str) -> None:
    """One line: a styled tag, then the message with any [brackets] in names or URLs shown literally."""
    from rich.markup import escape

    console.print(f"{tag} {escape(message)}")


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ACCEPTED_SUFFIX)


def _download(
    client: httpx.Client, document: Document, url: str, dest_dir: Path, progress: Progress
) -> tuple[Path, str]:
    """Stream `url` into a temp file in dest_dir; (temp path, sha256). The caller renames or removes it."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".fetch-", suffix=".part", dir=dest_dir)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    task = progress.add_task(document.id, total=None)
    try:
        with os.fdopen(fd, "wb") as out, client.stream("GET", url) as response:
            response.raise_for_status()
            length = response.headers.get("content-length")
            if length and length.isdigit():
                progress.update(task, total=int(length))
            size = 0
            for block in response.iter_bytes(1 << 16):
                size += len(block)
                if size > MAX_BYTES:
                    raise CorpusError(
                        f"{document.id}: response larger than {MAX_BYTES // (1 << 20)} MB, refused"
                    )
                digest.update(block)
                out.write(block)
                progress.update(task, advance=len(block))
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        progress.remove_task(task)
    return tmp, digest.hexdigest()


def _fetch_one(
    settings: Settings,
    document: Document,
    client: httpx.Client,
    progress: Progress,
    console: Console,
    accept_new_hash: bool,
) -> bool:
    """Download one document into the cache; True when a verified (or deliberately accepted) copy results."""
    import httpx

    url = document.download_url
    assert url is not None
    target = cache_path(settings, document)
    try:
        tmp, actual = _download(client, document, url, target.parent, progress)
    except httpx.HTTPStatusError as exc:
        _say(console, FAIL, f"{document.id}: download failed: HTTP {exc.response.status_code} from {url}")
        return False
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        _say(console, FAIL, f"{document.id}: download failed: {reason} ({url})")
        return False
    except OSError as exc:
        _say(console, FAIL, f"{document.id}: cannot write to {target.parent}: {exc.strerror or exc}")
        return False
    except CorpusError as exc:
        _say(console, FAIL, f"{exc}")
        return False

    try:
        if actual == document.sha256:
            os.replace(tmp, target)
            _marker(target).unlink(missing_ok=True)
            _say(console, OK, f"{document.id}: downloaded and verified -> {target}")
            return True
        if not accept_new_hash:
            _say(
                console,
                FAIL,
                f"{document.id}: sha256 mismatch, refused: expected {document.sha256} "
                f"actual {actual} ({url}). Kept any existing copy. If the publisher released a new version "
                "and you accept it, run `saige fetch --accept-new-hash`.",
            )
            return False
        if target.exists():
            old = sha256_file(target)
            backup = target.with_name(f"{target.name}.{old[:12]}.previous")
            os.replace(target, backup)
            _say(console, "  ", f"{document.id}: previous copy kept as {backup}")
        os.replace(tmp, target)
        _marker(target).write_text(actual + "\n", encoding="ascii")
        _say(
            console,
            WARN,
            f"{document.id}: accepted a NEW version with --accept-new-hash: sha256 {actual} no longer "
            f"matches the pin {document.sha256} -> {target}",
        )
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale_parts(folder: Path, max_age_seconds: float = 3600.0) -> None:
    """Temp files left by a fetch that was killed (a live fetch's temp files are younger than this)."""
    import time

    if not folder.is_dir():
        return
    now = time.time()
    for part in folder.glob(".fetch-*.part"):
        with contextlib.suppress(OSError):
            if now - part.stat().st_mtime > max_age_seconds:
                part.unlink()


def _select(documents: list[Document], only: list[str], settings: Settings) -> list[Document]:
    if not only:
        return documents
    known = {d.id: d for d in documents}
    unknown = [i for i in only if i not in known]
    if unknown:
        raise CorpusError(
            f"--doc {unknown[0]}: no such document in {manifest_source(settings)}; "
            f"known ids: {', '.join(known)}"
        )
    return [known[i] for i in dict.fromkeys(only)]


def run_fetch(settings: Settings, accept_new_hash: bool = False, only: list[str] | None = None) -> int:
    """Download the documents not already present and verified; 0 when all are in place at the end."""
    console = _console()
    documents = _select(load_manifest(settings), list(only or []), settings)
    statuses = [document_status(settings, d) for d in documents]

    problems: list[str] = []
    to_download: list[Status] = []
    for st in statuses:
        doc = st.document
        if st.ok:
            note = " (accepted new version, does not match the pin)" if st.accepted else ""
            _say(console, OK, f"{doc.id}: present in {st.where}{note}")
        elif st.present and st.where == "corpus dir":
            _say(
                console,
                FAIL,
                f"{doc.id}: {st.path} does not match the pin: expected {doc.sha256} actual "
                f"{st.actual}; replace it with the pinned file (Saige does not modify SAIGE_CORPUS_DIR)",
            )
            problems.append(doc.id)
        elif doc.download_url is None:
            where = f"{settings.corpus_dir}" if settings.corpus_dir else "SAIGE_CORPUS_DIR"
            _say(
                console,
                FAIL,
                f"{doc.id}: no download URL; place the file {doc.file} in {where} "
                f"(official page: {doc.official_url}, pinned sha256 {doc.sha256})",
            )
            problems.append(doc.id)
        else:
            if st.present:
                _say(
                    console,
                    WARN,
                    f"{doc.id}: cached copy {st.path} does not match the pin (actual {st.actual}); "
                    "downloading again",
                )
            to_download.append(st)

    if not to_download:
        if not problems:
            console.print(
                f"All {len(statuses)} documents present and verified; nothing to download (no network call)."
            )
        else:
            console.print(
                f"{len(problems)} document(s) missing or not matching; nothing could be downloaded."
            )
        return 1 if problems else 0

    import httpx
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    _remove_stale_parts(settings.fetch_dir)
    timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=15.0)
    with (
        httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}) as client,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        for st in to_download:
            if not _fetch_one(settings, st.document, client, progress, console, accept_new_hash):
                problems.append(st.document.id)

    if problems:
        _say(console, FAIL, f"{len(problems)} document(s) still missing or unverified: {', '.join(problems)}")
        return 1
    console.print(f"All {len(statuses)} documents present and verified.")
    return 0


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_sources(settings: Settings) -> int:
    """A table of the documents: present or missing (and where), hash check, pages, licence."""
    from rich.table import Table

    console = _console()
    table = Table(title=f"Saige corpus ({manifest_source(settings)})", show_lines=False)
    table.add_column("id", overflow="fold", ratio=3)
    table.add_column("title", ratio=3)
    table.add_column("present", ratio=1)
    table.add_column("hash")
    table.add_column("pages", justify="right")
    table.add_column("licence", ratio=3)
    table.add_column("redistributable")
    from rich.text import Text

    present = 0
    for doc in load_manifest(settings):
        st = document_status(settings, doc)
        if not st.present:
            where, check = Text("missing", style="red"), Text("-")
        else:
            present += 1
            where = Text(st.where)
            if st.actual == doc.sha256:
                check = Text("ok", style="green")
            elif st.accepted:
                check = Text("accepted new version", style="yellow")
            else:
                check = Text("MISMATCH", style="bold red")
        table.add_row(
            Text(doc.id),
            Text(_short(doc.short_title)),
            where,
            check,
            Text("" if doc.pages is None else str(doc.pages)),
            Text(_short(doc.license, 40)),
            Text("yes" if doc.redistributable else "no"),
        )
    console.print(table)
    console.print(f"{present} of {len(table.rows)} documents present.", markup=False)
    folders = [("corpus dir", settings.corpus_dir), ("fetch cache", settings.fetch_dir)]
    for label, folder in folders:
        if folder is not None:
            console.print(f"{label}: {folder}", markup=False)
    return 0

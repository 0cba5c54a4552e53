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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

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

Level = Literal["ok", "fail", "warn", "info"]
Notify = Callable[[Level, str], None]
"""notify(level, one line): what happened to a document; the CLI prints it."""
Transfer = Callable[[str, int, int | None], None]
"""transfer(document id, bytes so far, total bytes or None); a final call with done == -1 ends it."""

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


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ACCEPTED_SUFFIX)


def _download(
    client: httpx.Client, document: Document, url: str, dest_dir: Path, transfer: Transfer
) -> tuple[Path, str]:
    """Stream `url` into a temp file in dest_dir; (temp path, sha256). The caller renames or removes it."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".fetch-", suffix=".part", dir=dest_dir)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    transfer(document.id, 0, None)
    try:
        with os.fdopen(fd, "wb") as out, client.stream("GET", url) as response:
            response.raise_for_status()
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            size = 0
            for block in response.iter_bytes(1 << 16):
                size += len(block)
                if size > MAX_BYTES:
                    raise CorpusError(
                        f"{document.id}: response larger than {MAX_BYTES // (1 << 20)} MB, refused"
                    )
                digest.update(block)
                out.write(block)
                transfer(document.id, size, total)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        transfer(document.id, -1, None)
    return tmp, digest.hexdigest()


def _fetch_one(
    settings: Settings,
    document: Document,
    client: httpx.Client,
    transfer: Transfer,
    notify: Notify,
    accept_new_hash: bool,
) -> bool:
    """Download one document into the cache; True when a verified (or deliberately accepted) copy results."""
    import httpx

    url = document.download_url
    assert url is not None
    target = cache_path(settings, document)
    try:
        tmp, actual = _download(client, document, url, target.parent, transfer)
    except httpx.HTTPStatusError as exc:
        _say(notify, "fail", f"{document.id}: download failed: HTTP {exc.response.status_code} from {url}")
        return False
    except httpx.HTTPError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        _say(notify, "fail", f"{document.id}: download failed: {reason} ({url})")
        return False
    except OSError as exc:
        _say(notify, "fail", f"{document.id}: cannot write to {target.parent}: {exc.strerror or exc}")
        return False
    except CorpusError as exc:
        _say(notify, "fail", f"{exc}")
        return False

    try:
        if actual == document.sha256:
            os.replace(tmp, target)
            _marker(target).unlink(missing_ok=True)
            _say(notify, "ok", f"{document.id}: downloaded and verified -> {target}")
            return True
        if not accept_new_hash:
            _say(
                notify,
                "fail",
                f"{document.id}: sha256 mismatch, refused: expected {document.sha256} "
                f"actual {actual} ({url}). Kept any existing copy. If the publisher released a new version "
                "and you accept it, run `saige fetch --accept-new-hash`.",
            )
            return False
        if target.exists():
            old = sha256_file(target)
            backup = target.with_name(f"{target.name}.{old[:12]}.previous")
            os.replace(target, backup)
            _say(notify, "info", f"{document.id}: previous copy kept as {backup}")
        os.replace(tmp, target)
        _marker(target).write_text(actual + "\n", encoding="ascii")
        _say(
            notify,
            "warn",
            f"{document.id}: accepted a NEW version with --accept-new-hash: sha256 {actual} no longer "
            f"matches the pin {document.sha256} -> {target}",
        )
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _say(notify: Notify, level: Level, message: str) -> None:
    notify(level, message)


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


@dataclass
class FetchResult:
    """What `fetch_documents` did: the documents checked and those still missing or unverified."""

    checked: int
    problems: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _ignore(*args: object) -> None:
    return None


def fetch_documents(
    settings: Settings,
    accept_new_hash: bool = False,
    only: list[str] | None = None,
    *,
    notify: Notify = _ignore,
    transfer: Transfer = _ignore,
) -> FetchResult:
    """Download the documents not already present and verified; each outcome goes to `notify`.

    A document that cannot be had (no URL, unreachable, changed upstream) is reported and listed in
    `problems`; the others are still downloaded.
    """
    documents = _select(load_manifest(settings), list(only or []), settings)
    statuses = [document_status(settings, d) for d in documents]
    result = FetchResult(checked=len(statuses))

    to_download: list[Status] = []
    for st in statuses:
        doc = st.document
        if st.ok:
            note = " (accepted new version, does not match the pin)" if st.accepted else ""
            notify("ok", f"{doc.id}: present in {st.where}{note}")
        elif st.present and st.where == "corpus dir":
            notify(
                "fail",
                f"{doc.id}: {st.path} does not match the pin: expected {doc.sha256} actual "
                f"{st.actual}; replace it with the pinned file (Saige does not modify SAIGE_CORPUS_DIR)",
            )
            result.problems.append(doc.id)
        elif doc.download_url is None:
            notify("fail", f"{doc.id}: no download URL; {how_to_add(settings, doc)}")
            result.problems.append(doc.id)
        else:
            if st.present:
                notify(
                    "warn",
                    f"{doc.id}: cached copy {st.path} does not match the pin (actual {st.actual}); "
                    "downloading again",
                )
            to_download.append(st)

    if not to_download:
        if not result.problems:
            notify(
                "info",
                f"All {len(statuses)} documents present and verified; nothing to download (no network call).",
            )
        else:
            notify(
                "info",
                f"{len(result.problems)} document(s) missing or not matching; nothing could be downloaded.",
            )
        return result

    import httpx

    _remove_stale_parts(settings.fetch_dir)
    timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=15.0)
    with httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}) as client:
        for st in to_download:
            if _fetch_one(settings, st.document, client, transfer, notify, accept_new_hash):
                result.downloaded.append(st.document.id)
            else:
                result.problems.append(st.document.id)

    if result.problems:
        notify(
            "fail",
            f"{len(result.problems)} document(s) still missing or unverified: {', '.join(result.problems)}",
        )
    else:
        notify("info", f"All {len(statuses)} documents present and verified.")
    return result


def how_to_add(settings: Settings, document: Document) -> str:
    """One sentence: how to add a document that is missing (for `saige fetch`, `saige sources`, the app)."""
    where = f"{settings.corpus_dir}" if settings.corpus_dir else "SAIGE_CORPUS_DIR"
    get = f"`saige fetch --doc {document.id}`, or " if document.download_url else ""
    return (
        f"{get}place the file {document.file} in {where} "
        f"(official page: {document.official_url}, pinned sha256 {document.sha256}), then run `saige ingest`"
    )


@dataclass
class SourceRow:
    """One line of `saige sources`."""

    status: Status
    check: str  # "ok", "accepted new version", "MISMATCH" or "-" when missing
    how_to_add: str = ""


def source_rows(settings: Settings) -> list[SourceRow]:
    """Every manifest document: where its file is, whether its hash matches, and how to add it if missing."""
    rows: list[SourceRow] = []
    for doc in load_manifest(settings):
        st = document_status(settings, doc)
        if not st.present:
            rows.append(SourceRow(st, "-", how_to_add(settings, doc)))
        elif st.actual == doc.sha256:
            rows.append(SourceRow(st, "ok"))
        elif st.accepted:
            rows.append(SourceRow(st, "accepted new version"))
        else:
            rows.append(SourceRow(st, "MISMATCH"))
    return rows

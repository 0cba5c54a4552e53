"""Load one corpus document: find its file, check its pinned sha256, parse it by kind.

Every failure is a one-line CorpusError naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from saige.errors import CorpusError, SaigeError
from saige.settings import Settings
from saige.types import Document, ParsedDocument


def locate(settings: Settings, document: Document) -> Path:
    """The document's file, or a CorpusError that says where it was looked for and how to get it."""
    from corpus.manifest import cache_path, corpus_path, resolve_path

    path = resolve_path(settings, document)
    if path is not None:
        return path
    places = [
        str(p) for p in (corpus_path(settings, document), cache_path(settings, document)) if p is not None
    ]
    raise CorpusError(
        f"{document.file}: missing (looked in {', '.join(places)}); run `saige fetch` to download it, "
        "or set SAIGE_CORPUS_DIR to the folder that holds it"
    )


def check_hash(settings: Settings | None, document: Document, path: Path) -> str:
    """The file's sha256, after checking it against the manifest pin; CorpusError on a mismatch.

    With settings, a hash deliberately accepted for the fetched copy (`saige fetch --accept-new-hash`)
    also passes.
    """
    from corpus.manifest import expected_hashes, sha256_file

    try:
        actual = sha256_file(path)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    allowed = expected_hashes(settings, document, path) if settings is not None else {document.sha256}
    if actual not in allowed:
        raise CorpusError(f"{path}: sha256 mismatch (expected {document.sha256}, got {actual})")
    return actual


class _ParseTimeout(BaseException):
    """Raised by the alarm inside a parse; a BaseException so parsers' `except Exception` cannot eat it."""


def default_parse_timeout() -> float:
    default = Settings.model_fields["parse_timeout"].default
    return float(default)


_REFIRE_S = 0.05


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise _ParseTimeout in this thread after `seconds` (a SIGALRM interval timer).

    Only the main thread receives signals: elsewhere (or without a limit) the body runs unguarded. An
    outer SIGALRM timer (e.g. pytest-timeout's) is honoured: the earlier deadline fires first, the outer
    handler gets its own alarm, and the outer timer is re-armed with what is left of it afterwards.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    started = time.monotonic()
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    previous = signal.getsignal(signal.SIGALRM)
    outer_first = bool(outer_left and outer_left < seconds)
    fired = False

    def expire(signum: int, frame: Any) -> None:
        nonlocal fired
        if outer_first and callable(previous):
            previous(signum, frame)  # the outer deadline came first
            return
        fired = True
        raise _ParseTimeout

    signal.signal(signal.SIGALRM, expire)
    # After the deadline the alarm fires again every _REFIRE_S: an exception raised while Python runs a
    # callback that cannot propagate it (a weakref or __del__ callback during garbage collection) is printed
    # and dropped, and the parse would otherwise run on unguarded.
    signal.setitimer(
        signal.ITIMER_REAL,
        min(seconds, outer_left) if outer_left else seconds,
        0 if outer_first else _REFIRE_S,
    )
    try:
        yield
        if fired:  # expired, but every alarm was dropped before the body ended
            raise _ParseTimeout
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


def parse_file(document: Document, path: Path, *, timeout: float | None = None) -> ParsedDocument:
    """Parse by kind (pdf: parse_pdf, text-extraction: parse_markdown); any failure is a CorpusError.

    timeout: seconds the parse may take (default: the parse_timeout setting's default); on expiry a
    CorpusError naming the file. pypdf itself caps each decompressed stream (75 MB by default).
    """
    limit = default_parse_timeout() if timeout is None else timeout
    try:
        with _time_limit(limit):
            parsed = _parse_by_kind(document, path)
    except _ParseTimeout:
        raise CorpusError(f"{path}: parsing took longer than {limit:g} s (SAIGE_PARSE_TIMEOUT)") from None
    except MemoryError:
        raise CorpusError(f"{path}: cannot be parsed (out of memory)") from None
    if not any(block.text.strip() for page in parsed.pages for block in page.blocks):
        raise CorpusError(f"{path}: no extractable text (scanned images only?)")
    return parsed


def _parse_by_kind(document: Document, path: Path) -> ParsedDocument:
    try:
        if document.kind == "pdf":
            from ingest.pdf import parse_pdf

            parsed = parse_pdf(document, path)
        else:
            from ingest.markdown import parse_markdown

            parsed = parse_markdown(document, path)
    except SaigeError:
        raise
    except RecursionError:
        raise CorpusError(f"{path}: cannot be parsed (structure nested too deeply)") from None
    except Exception as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CorpusError(f"{path}: cannot be parsed ({type(exc).__name__}: {reason})") from None
    return parsed


def load_document(document: Document, path: Path, *, settings: Settings | None = None) -> ParsedDocument:
    """Verify `path` against the document's sha256, then parse it (see check_hash for `settings`)."""
    if not path.is_file():
        raise CorpusError(
            f"{path}: missing; run `saige fetch` to download it, or set SAIGE_CORPUS_DIR to the folder "
            "that holds it"
        )
    check_hash(settings, document, path)
    return parse_file(document, path, timeout=settings.parse_timeout if settings is not None else None)

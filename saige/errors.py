"""Errors that reach the user as one line naming the file or field and the reason."""

from __future__ import annotations

from pydantic import ValidationError


class SaigeError(Exception):
    """A user-facing failure: printed as one line, exit code `exit_code`, no traceback."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(" ".join(message.split()))
        if exit_code is not None:
            self.exit_code = exit_code


class CorpusError(SaigeError):
    """A document is missing, unreadable, or does not match its pinned hash."""


class IngestError(SaigeError):
    """Ingest failed; the previous index is untouched and keeps answering."""


class IndexMissingError(SaigeError):
    """No index has been built yet (or it was removed)."""


class IndexCorruptError(SaigeError):
    """The index files cannot be read; `saige ingest --rebuild` builds a new one."""


class LockedError(SaigeError):
    """Another ingest holds the lock."""


class QuestionError(SaigeError):
    """The question is empty or over the size limit."""


class ModelIntegrityError(SaigeError):
    """The embedding model's weights do not match the pinned sha256."""


def first_validation_error(exc: ValidationError) -> tuple[str, str, str]:
    """The first problem of a pydantic ValidationError as (dotted field location, message, error type), for
    one-line messages that name the field; the location is "" when the error is about the whole value."""
    first = exc.errors()[0]
    loc = ".".join(str(x) for x in first.get("loc", ()))
    return loc, str(first.get("msg", "invalid")), str(first.get("type", ""))

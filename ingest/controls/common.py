"""Shared helpers of the catalogue builders: page numbers of rows, a document's vocabulary, ids."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.text import vocabulary
from saige.types import Control, ControlField, ControlKind, Page, ParsedDocument

_SLUG = re.compile(r"[^a-z0-9]+")


def doc_vocabulary(parsed: ParsedDocument) -> set[str]:
    """Lowercased words of the whole document (decides line-end hyphens in cells)."""
    return vocabulary([ln.text for page in parsed.pages for ln in page.lines] or [parsed_text(parsed)])


def parsed_text(parsed: ParsedDocument) -> str:
    return "\n".join(page.text for page in parsed.pages)


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


def make_control(
    parsed: ParsedDocument,
    *,
    control_id: str,
    kind: ControlKind,
    pages: Sequence[Page],
    title: str = "",
    statement: str = "",
    parent_id: str | None = None,
    path: list[str] | None = None,
    stage: str | None = None,
    printed_id: bool = True,
    fields: list[ControlField] | None = None,
) -> Control:
    """A Control with its printed pages (first and last) and the physical PDF page of its start."""
    first = pages[0] if pages else None
    last = pages[-1] if pages else None
    return Control(
        doc_id=parsed.document.id,
        control_id=control_id,
        printed_id=printed_id,
        kind=kind,
        title=title,
        statement=statement,
        parent_id=parent_id,
        path=path or [],
        stage=stage,
        page_start=first.number if first else None,
        page_end=last.number if last else None,
        pdf_page_start=first.index + 1 if first and parsed.document.kind == "pdf" else None,
        fields=fields or [],
    )


def field(name: str, value: str) -> ControlField:
    return ControlField(name=name, value=value)

"""The crosswalk: links between controls of different frameworks, each labelled with where it comes from.

- published in the corpus: a control whose parent id is a control of another document (an AI 600-1 action
  under its AI RMF subcategory), and informative references printed in a control's own columns
  ("AI RMF: Govern 4.1, 4.2; Map 5.1" in SP 800-218A) that name AI RMF subcategories;
- published elsewhere: OWASP AI Exchange's mapping of the Guidelines' 17 guidelines to the DSIT code of
  practice principles and to AI Exchange controls (corpus/crosswalk/owasp-ai-exchange-jointguidelines.json,
  CC0, with its permalink);
- computed: the nearest controls of other documents by embedding similarity, labelled "similar", never a
  published mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from retrieval.controls import ControlCatalogue
from retrieval.identifiers import FUNCTION_CODES, IdKey, parse_id
from saige.errors import SaigeError
from saige.types import Control, CrosswalkLink, RelatedControl, normalize_heading

if TYPE_CHECKING:
    from retrieval.protocols import VectorStore
    from retrieval.search import SearchEngine


class RelatedSource(Protocol):
    """What related guidance needs of the search facade (retrieval.service.Saige implements it); a protocol,
    so this module does not import the facade that imports it."""

    @property
    def store(self) -> VectorStore: ...

    @property
    def engine(self) -> SearchEngine: ...

    @property
    def catalogue(self) -> ControlCatalogue: ...

    def control(self, identifier: str, doc_id: str | None = None) -> Control: ...


GUIDELINES = "ncsc-cisa-secure-ai-guidelines-2023"
RMF = "nist-ai-100-1-ai-rmf-1-0"
DSIT = "dsit-ai-cyber-security-cop-implementation-guide-2025"
OWASP_FILE = (
    Path(__file__).resolve().parents[1] / "corpus" / "crosswalk" / "owasp-ai-exchange-jointguidelines.json"
)


# --- the OWASP mapping (data file) -----------------------------------------------------------------------


class OwaspPrinciple(BaseModel):
    principle: int
    relation: str = Field(description='"maps to", or "similar to" where OWASP says so')
    note: str = ""


class OwaspControl(BaseModel):
    control: str | None = Field(description="AI Exchange control name; None for a phrase naming no control")
    url: str | None = None
    as_printed: str


class OwaspRow(BaseModel):
    stage: str
    guideline: str
    dsit_principle_as_printed: str
    dsit_principles: list[OwaspPrinciple]
    ai_exchange: list[OwaspControl]


class OwaspMapping(BaseModel):
    title: str
    publisher: str
    permalink: str
    source_file: str
    licence: str
    note: str
    rows: list[OwaspRow]


@lru_cache(maxsize=4)
def load_owasp(path: Path = OWASP_FILE) -> OwaspMapping:
    """The OWASP AI Exchange mapping shipped with Saige; one-line SaigeError when unreadable."""
    try:
        return OwaspMapping.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise SaigeError(f"{path}: cannot read the OWASP crosswalk ({type(exc).__name__})") from None


# --- links published in the corpus -----------------------------------------------------------------------

_RMF_REF = re.compile(
    r"AI\s*RMF\s*(?:1\.0)?\s*:\s*(?P<refs>[^\n]*?)"
    r"(?=\b(?!(?:govern|map|measure|manage)\b)[A-Z][A-Za-z0-9 .-]{1,30}:|$)",
    re.IGNORECASE,
)
_FUNC_NUMS = re.compile(
    r"\b(?P<func>Govern|Map|Measure|Manage|GOVERN|MAP|MEASURE|MANAGE)\b(?P<nums>[\s\d.,]*)"
)


def rmf_references(text: str) -> list[IdKey]:
    """AI RMF subcategories named by an informative reference: "AI RMF: Govern 4.1, 4.2; Map 5.1" ->
    GV 4.1, GV 4.2, MP 5.1."""
    out: list[IdKey] = []
    for ref in _RMF_REF.finditer(text):
        for m in _FUNC_NUMS.finditer(ref.group("refs")):
            prefix = FUNCTION_CODES[m.group("func").lower()]
            for num in re.findall(r"\d+(?:\.\d+)+|\d+", m.group("nums")):
                out.append(IdKey(prefix, tuple(int(n) for n in num.split("."))))
    return list(dict.fromkeys(out))


def _origin(control: Control, what: str) -> str:
    page = f", p. {control.page_start}" if control.page_start is not None else ""
    return f"{control.doc_id}{page}: {what}"


def _link(source: Control, target: Control, provenance: str, origin: str) -> CrosswalkLink:
    return CrosswalkLink.model_validate(
        {
            "source": source.key,
            "target": target.key,
            "target_label": f"{target.control_id} {target.title}".strip(),
            "provenance": provenance,
            "origin": origin,
        }
    )


def corpus_links(catalogue: ControlCatalogue, control: Control) -> list[RelatedControl]:
    """Links the documents themselves state, in both directions, to controls of other documents."""
    out: list[RelatedControl] = []
    own = parse_id(control.control_id) if control.printed_id else None
    # this control's parent is a control of another document (a 600-1 action under its AI RMF subcategory)
    if control.parent_id is not None and _parent_elsewhere(catalogue, control):
        for target in catalogue.find(control.parent_id or "", ()):
            if target.doc_id != control.doc_id:
                out.append(
                    RelatedControl(
                        link=_link(
                            control, target, "published-in-corpus", _origin(control, "listed under it")
                        ),
                        control=target,
                    )
                )
    # informative references printed in this control's columns
    for f in control.fields:
        for key in rmf_references(f.value):
            for target in _by_key(catalogue, key, exclude_doc=control.doc_id):
                origin = _origin(control, f"{f.name}: {f.value[:120]}")
                out.append(
                    RelatedControl(link=_link(control, target, "published-in-corpus", origin), control=target)
                )
    # the other direction: controls of other documents listed under, or referring to, this one
    if own is not None:
        for other in catalogue.controls:
            if other.doc_id == control.doc_id:
                continue
            if other.parent_id is not None and parse_id(other.parent_id) == own:
                out.append(
                    RelatedControl(
                        link=_link(
                            control,
                            other,
                            "published-in-corpus",
                            _origin(other, f"listed under {control.control_id}"),
                        ),
                        control=other,
                    )
                )
            elif control.doc_id == RMF and any(own in rmf_references(f.value) for f in other.fields):
                origin = _origin(other, f"informative reference to {control.control_id}")
                out.append(
                    RelatedControl(link=_link(control, other, "published-in-corpus", origin), control=other)
                )
    return _dedupe(out)


def _parent_elsewhere(catalogue: ControlCatalogue, control: Control) -> bool:
    """The parent id is printed by another document too (600-1 prints GOVERN 1.2 above its actions)."""
    if control.parent_id is None:
        return False
    return any(c.doc_id != control.doc_id for c in catalogue.find(control.parent_id, ()))


def _by_key(catalogue: ControlCatalogue, key: IdKey, exclude_doc: str) -> list[Control]:
    return [c for c in catalogue.find(str(key), ()) if c.doc_id != exclude_doc]


def _dedupe(items: Iterable[RelatedControl]) -> list[RelatedControl]:
    seen: set[tuple[str, str, str]] = set()
    out: list[RelatedControl] = []
    for item in items:
        k = (item.link.source, item.link.target, item.link.provenance)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


# --- links published elsewhere (OWASP) --------------------------------------------------------------------


def guideline_source(catalogue: ControlCatalogue, title: str) -> Control:
    """The Guidelines' guideline with this title (the catalogue's record, or one made from OWASP's row when
    the catalogue has none)."""
    wanted = normalize_heading(title)
    for c in catalogue.of_document(GUIDELINES):
        if c.kind == "guideline" and normalize_heading(c.title) == wanted:
            return c
    for row in load_owasp().rows:
        if normalize_heading(row.guideline) == wanted:
            return Control(
                doc_id=GUIDELINES,
                control_id=row.guideline,
                printed_id=False,
                kind="guideline",
                title=row.guideline,
                stage=row.stage,
            )
    raise SaigeError(f"related: no guideline titled {title!r}")


def dsit_principle(catalogue: ControlCatalogue, number: int) -> Control | None:
    found = [c for c in catalogue.find(str(number), (DSIT,)) if c.kind == "principle"]
    return found[0] if found else None


def owasp_links(catalogue: ControlCatalogue, control: Control) -> list[RelatedControl]:
    """OWASP AI Exchange's published mapping: a guideline -> DSIT principles and AI Exchange controls; a DSIT
    principle -> the guidelines OWASP maps to it."""
    mapping = load_owasp()
    out: list[RelatedControl] = []
    if control.doc_id == GUIDELINES and control.kind == "guideline":
        wanted = normalize_heading(control.title)
        for row in mapping.rows:
            if normalize_heading(row.guideline) != wanted:
                continue
            for p in row.dsit_principles:
                target = dsit_principle(catalogue, p.principle)
                label = f"Principle {p.principle}" + (f" ({p.relation})" if p.relation != "maps to" else "")
                link = CrosswalkLink(
                    source=control.key,
                    target=target.key if target is not None else f"{DSIT}::Principle {p.principle}",
                    target_label=f"{label} {target.title}".strip() if target is not None else label,
                    provenance="published-elsewhere",
                    origin=f"OWASP AI Exchange, {mapping.permalink} ({mapping.licence})",
                )
                out.append(RelatedControl(link=link, control=target))
            for x in row.ai_exchange:
                link = CrosswalkLink(
                    source=control.key,
                    target=f"owasp-ai-exchange::{x.control or x.as_printed}",
                    target_label=x.as_printed,
                    target_url=x.url,
                    provenance="published-elsewhere",
                    origin=f"OWASP AI Exchange, {mapping.permalink} ({mapping.licence})",
                )
                out.append(RelatedControl(link=link, control=None))
    elif control.doc_id == DSIT and control.kind == "principle":
        key = parse_id(control.control_id)
        number = key.numbers[0] if key is not None and len(key.numbers) == 1 else None
        for row in mapping.rows:
            if number is None or not any(p.principle == number for p in row.dsit_principles):
                continue
            target = guideline_source(catalogue, row.guideline)
            link = CrosswalkLink(
                source=control.key,
                target=target.key,
                target_label=f"{row.stage} › {row.guideline}",
                provenance="published-elsewhere",
                origin=f"OWASP AI Exchange, {mapping.permalink} ({mapping.licence})",
            )
            out.append(RelatedControl(link=link, control=target))
    return out


# --- computed: similar controls ---------------------------------------------------------------------------


def similar_links(saige: RelatedSource, control: Control, k: int, exclude: set[str]) -> list[RelatedControl]:
    """The k nearest controls of other documents by embedding similarity, labelled "similar"."""
    from retrieval.controls import control_text
    from retrieval.protocols import ControlStore

    if k <= 0 or not isinstance(saige.store, ControlStore):
        return []
    vector = saige.engine.embed_query(control_text(control))
    out: list[RelatedControl] = []
    for target, score in saige.store.query_controls(vector, k + len(exclude), exclude_docs=(control.doc_id,)):
        if target.key in exclude:
            continue
        link = CrosswalkLink(
            source=control.key,
            target=target.key,
            target_label=f"{target.control_id} {target.title}".strip() if target.printed_id else target.title,
            provenance="computed",
            origin="similar (nearest by embedding similarity; not a published mapping)",
            score=round(score, 4),
        )
        out.append(RelatedControl(link=link, control=target))
        if len(out) >= k:
            break
    return out


def resolve_source(saige: RelatedSource, name_or_id: str) -> Control:
    """A guideline by title, or a control by id in any spelling."""
    wanted = normalize_heading(name_or_id)
    if any(normalize_heading(r.guideline) == wanted for r in load_owasp().rows) or any(
        c.kind == "guideline" and normalize_heading(c.title) == wanted for c in saige.catalogue.controls
    ):
        return guideline_source(saige.catalogue, name_or_id)
    return saige.control(name_or_id)


def related_guidance(saige: RelatedSource, name_or_id: str, k_similar: int = 5) -> list[RelatedControl]:
    """Published links first (in the corpus, then elsewhere), then computed "similar" controls."""
    source = resolve_source(saige, name_or_id)
    published = corpus_links(saige.catalogue, source) + owasp_links(saige.catalogue, source)
    exclude = {r.link.target for r in published}
    return _dedupe(published + similar_links(saige, source, k_similar, exclude))

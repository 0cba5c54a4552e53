"""Design review: which guidelines apply to a system, and their key controls (pure domain logic).

A design review starts from a short description of the system and a few yes/no facts about it (uses an
external model API, fine-tunes, does RAG over sensitive data, ...). The applicable guidelines are

* the baseline guidelines, which apply to every AI system,
* the guidelines mapped from each fact that is true (:data:`FLAGS`), and
* the guidelines whose text best matches the free-text description (searched by the caller).

The key controls of a guideline are its own "you ..." statements: sentences of the Guidelines' text that
start with "You" or state an obligation with "..., you <verb>". Each control is cited to the document,
stage › guideline and page. A review is a pydantic record that round-trips through JSON, and exports to
Markdown and CSV.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from saige.errors import SaigeError, first_validation_error
from saige.types import STAGES, Chunk, Document, Hit, normalize_heading, stable_id

Status = Literal["not started", "in place", "not applicable"]
STATUSES: tuple[Status, ...] = ("not started", "in place", "not applicable")
REVIEW_SCHEMA: Literal[1] = 1


class ReviewFileError(SaigeError):
    """An uploaded design-review file is not a valid Saige review."""


class ReviewFlag(BaseModel):
    """One yes/no fact about the system, and the guidelines it brings in (headings as printed)."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    guidelines: tuple[str, ...]


# Guidelines that apply to every AI system, whatever it does.
BASELINE: tuple[str, ...] = (
    "Raise staff awareness of threats and risks",
    "Model the threats to your system",
    "Manage your technical debt",
    "Follow a secure by design approach to updates",
    "Collect and share lessons learned",
)

FLAGS: tuple[ReviewFlag, ...] = (
    ReviewFlag(
        key="external_api",
        label="Uses an external model API",
        guidelines=(
            "Secure your supply chain",
            "Consider security benefits and trade-offs when selecting your AI model",
            "Secure your infrastructure",
        ),
    ),
    ReviewFlag(
        key="fine_tunes",
        label="Fine-tunes or trains models",
        guidelines=(
            "Secure your supply chain",
            "Identify, track and protect your assets",
            "Document your data, models and prompts",
        ),
    ),
    ReviewFlag(
        key="rag_sensitive",
        label="Does RAG over sensitive data",
        guidelines=(
            "Identify, track and protect your assets",
            "Secure your infrastructure",
            "Monitor your system's inputs",
        ),
    ),
    ReviewFlag(
        key="agents",
        label="Agents take actions",
        guidelines=(
            "Design your system for security as well as functionality and performance",
            "Make it easy for users to do the right things",
            "Monitor your system's behaviour",
        ),
    ),
    ReviewFlag(
        key="public_api",
        label="Offers a public API",
        guidelines=(
            "Protect your model continuously",
            "Monitor your system's inputs",
            "Release AI responsibly",
            "Make it easy for users to do the right things",
        ),
    ),
    ReviewFlag(
        key="personal_data",
        label="Processes personal data",
        guidelines=(
            "Identify, track and protect your assets",
            "Document your data, models and prompts",
            "Develop incident management procedures",
        ),
    ),
)
FLAG_KEYS = frozenset(f.key for f in FLAGS)
DESCRIPTION_REASON = "Matches the system description"
BASELINE_REASON = "Baseline: applies to every AI system"


class GuidelineRef(BaseModel):
    """A guideline of the Guidelines document: one section with a lifecycle stage."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    doc_title: str
    stage: str
    heading: str
    section_path: list[str]
    page_start: int | None = None
    page_end: int | None = None
    order: int = 0
    url: str = ""

    @property
    def key(self) -> str:
        return stable_id(self.doc_id, " > ".join(self.section_path))

    @property
    def pages_label(self) -> str:
        return _pages_label(self.page_start, self.page_end)


class Control(BaseModel):
    """One "you ..." statement of a guideline, cited to document, stage › guideline and page."""

    model_config = ConfigDict(extra="forbid")

    control_id: str
    text: str
    doc_id: str
    doc_title: str
    stage: str
    guideline: str
    page: int | None = None
    url: str = ""

    @property
    def citation(self) -> str:
        page = f", p. {self.page}" if self.page is not None else ""
        return f"{self.doc_title}, {self.stage} › {self.guideline}{page}"


class ControlState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status = "not started"
    notes: str = Field(default="", max_length=5000)


class ApplicableGuideline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guideline: GuidelineRef
    reasons: list[str]
    controls: list[Control]


class DesignReview(BaseModel):
    """A design review as saved to and loaded from a JSON file."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = REVIEW_SCHEMA
    app: Literal["saige-design-review"] = "saige-design-review"
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    description: str = Field(default="", max_length=20000)
    flags: list[str] = Field(default_factory=list)
    guidelines: list[ApplicableGuideline] = Field(default_factory=list)
    states: dict[str, ControlState] = Field(default_factory=dict)

    def controls(self) -> list[Control]:
        return [c for g in self.guidelines for c in g.controls]

    def state(self, control_id: str) -> ControlState:
        return self.states.get(control_id, ControlState())

    def counts(self) -> dict[Status, int]:
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        for c in self.controls():
            counts[self.state(c.control_id).status] += 1
        return counts


# --- the Guidelines document and its guidelines -------------------------------------------------------


def guidelines_document(documents: Sequence[Document]) -> Document | None:
    """The Guidelines: the indexed document with the highest priority (None when nothing is indexed)."""
    if not documents:
        return None
    return max(documents, key=lambda d: d.priority)


def guideline_refs(chunks: Iterable[Chunk], document: Document) -> list[GuidelineRef]:
    """The guidelines of `document`, in document order: its sections under a lifecycle stage.

    A stage's own introduction (a section headed by the stage name) is not a guideline.
    """
    stage_names = {normalize_heading(s) for s in STAGES}
    refs: dict[tuple[str, ...], GuidelineRef] = {}
    for c in chunks:
        if c.doc_id != document.id or c.stage not in STAGES:
            continue
        if normalize_heading(c.section) in stage_names:
            continue
        key = tuple(c.section_path)
        ref = refs.get(key)
        if ref is None:
            refs[key] = GuidelineRef(
                doc_id=c.doc_id,
                doc_title=document.short_title,
                stage=c.stage,
                heading=c.section,
                section_path=list(c.section_path),
                page_start=c.page_start,
                page_end=c.page_end,
                order=c.section_order,
                url=document.page_url(c.link_page),
            )
            continue
        if c.page_start is not None and (ref.page_start is None or c.page_start < ref.page_start):
            ref.url = document.page_url(c.link_page)  # links count physical pages, not printed ones
        pages = [p for p in (ref.page_start, ref.page_end, c.page_start, c.page_end) if p is not None]
        if pages:
            ref.page_start, ref.page_end = min(pages), max(pages)
    return sorted(refs.values(), key=lambda r: (STAGES.index(r.stage), r.order))


def find_guideline(refs: Sequence[GuidelineRef], name: str) -> GuidelineRef | None:
    """The guideline whose heading matches `name` (normalised; a heading that starts with it also matches)."""
    want = normalize_heading(name)
    for ref in refs:
        if normalize_heading(ref.heading) == want:
            return ref
    for ref in refs:
        have = normalize_heading(ref.heading)
        if have.startswith(want) or want.startswith(have):
            return ref
    return None


def first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of a section's text (whitespace collapsed, cut at `limit` characters)."""
    flat = _flatten(text)
    sentences = _split_sentences(flat)
    first = sentences[0] if sentences else flat
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return first


# --- controls: the "you ..." statements ------------------------------------------------------------------

_BULLET = re.compile(r"(?:^|\s)(?:>|•|▪|●|–|-|\*)\s+(?=[A-Za-z(‘'\"])")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[A-Z(‘\"“])")
_FOOTNOTE = re.compile(r"(?<=[a-z.)])\d{1,2}(?=[\s.,;:]|$)")
_OBLIGATION = re.compile(
    r"(?:^|[,;:]\s*|\bthen\s+)you\s+(?!may\b|might\b|could\b|can\b|will\b|would\b|should\b)[a-z]+",
    re.IGNORECASE,
)
_MIN_CONTROL_CHARS = 25


def _flatten(text: str) -> str:
    """Join a PDF section's lines into running text, undoing hyphenated line breaks."""
    text = re.sub(r"(\w)-\n([a-z])", r"\1\2", text)
    return " ".join(text.split())


def _split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _items(text: str) -> list[tuple[str, bool]]:
    """Sentences and bullet items of a section, in order; True marks a bullet item."""
    out: list[tuple[str, bool]] = []
    lines = text.replace("\r", "").split("\n")
    # Re-join wrapped lines into paragraphs and bullet items.
    blocks: list[tuple[str, bool]] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        parts = _BULLET.split(" " + line)
        head, bullets = parts[0].strip(), [p.strip() for p in parts[1:]]
        if head:
            if blocks and _continues(blocks[-1], head):
                prev, is_bullet = blocks[-1]
                blocks[-1] = (_join(prev, head), is_bullet)
            else:
                blocks.append((head, False))
        blocks.extend((b, True) for b in bullets if b)
    for block, is_bullet in blocks:
        if is_bullet:
            out.append((block, True))
        else:
            out.extend((s, False) for s in _split_sentences(block))
    return out


def _continues(previous: tuple[str, bool], line: str) -> bool:
    """Whether `line` wraps on from the previous block rather than starting a new paragraph."""
    text, is_bullet = previous
    if text.endswith("-") or line[:1].islower():
        return True
    if is_bullet:
        return False  # bullet items rarely end with a full stop: an upper-case line starts a paragraph
    return not _ends_sentence(text)


def _join(a: str, b: str) -> str:
    if a.endswith("-") and not a.endswith(" -"):
        return a[:-1] + b if b[:1].islower() else a + b
    return a + " " + b


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", ":", "!", "?", ";"))


def _clean(text: str) -> str:
    text = _FOOTNOTE.sub("", " ".join(text.split()))
    text = text.strip(" ;")
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".:!?":
        text += "."
    return text


def is_obligation(sentence: str) -> bool:
    """True for a "you ..." statement: starts with "You <verb>" or has "..., you <verb>"."""
    return bool(_OBLIGATION.search(" ".join(sentence.split())))


def control_statements(text: str) -> list[str]:
    """The "you ..." statements of a guideline's text, in order, without duplicates.

    A statement that introduces a list ("You protect the model ... by:") takes its bullet items along.
    A guideline written without any "you" statement gets its "Your ..." sentences instead ("Your
    decisions are informed by your threat model ...").
    """
    found = _statements(text, is_obligation)
    return found or _statements(text, _is_your_statement)


def _is_your_statement(sentence: str) -> bool:
    return bool(re.match(r"your\s+\w+", sentence.strip(), re.IGNORECASE))


def _statements(text: str, wanted: Callable[[str], bool]) -> list[str]:
    items = _items(text)
    found: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(items):
        sentence, _ = items[i]
        i += 1
        if not wanted(sentence):
            continue
        statement = sentence
        if sentence.rstrip().endswith(":"):
            subs: list[str] = []
            # the list's items complete the statement; an item that is an obligation itself stands alone
            while i < len(items) and items[i][1] and not is_obligation(items[i][0]):
                subs.append(items[i][0].rstrip(" ;."))
                i += 1
            if subs:
                statement = sentence.rstrip() + " " + "; ".join(subs)
        cleaned = _clean(statement)
        key = normalize_heading(cleaned)
        if len(cleaned) >= _MIN_CONTROL_CHARS and key not in seen:
            seen.add(key)
            found.append(cleaned)
    return found


def _chunk_of(statement: str, chunks: Sequence[Chunk]) -> Chunk | None:
    """The chunk that holds the statement's opening words (chunks of one section), if any."""
    probe = normalize_heading(statement)[:60]
    for c in chunks:
        if probe and probe in normalize_heading(_flatten(c.text)):
            return c
    words = probe.split()[:6]
    short = " ".join(words)
    for c in chunks:
        if short and short in normalize_heading(_flatten(c.text)):
            return c
    return None


def extract_controls(
    ref: GuidelineRef, text: str, chunks: Sequence[Chunk], document: Document
) -> list[Control]:
    """The key controls of one guideline from its full section text; `chunks` (of that section) give pages."""
    own = [c for c in chunks if c.doc_id == ref.doc_id and list(c.section_path) == ref.section_path]
    controls = []
    for statement in control_statements(text):
        chunk = _chunk_of(statement, own)
        page = chunk.page_start if chunk is not None else ref.page_start
        url = document.page_url(chunk.link_page) if chunk is not None else ref.url
        controls.append(
            Control(
                control_id=stable_id(ref.key, statement),
                text=statement,
                doc_id=ref.doc_id,
                doc_title=ref.doc_title,
                stage=ref.stage,
                guideline=ref.heading,
                page=page,
                url=url,
            )
        )
    return controls


# --- which guidelines apply -------------------------------------------------------------------------


def select_guidelines(
    refs: Sequence[GuidelineRef], flags: Iterable[str], description_hits: Sequence[Hit] = ()
) -> list[tuple[GuidelineRef, list[str]]]:
    """Applicable guidelines with the reasons they apply, in lifecycle order.

    Unknown flag keys raise ValueError naming them.
    """
    chosen = list(dict.fromkeys(flags))
    unknown = [f for f in chosen if f not in FLAG_KEYS]
    if unknown:
        raise ValueError(f"flags: unknown design-review flag(s) {', '.join(unknown)}")
    reasons: dict[str, list[str]] = {}
    by_key = {r.key: r for r in refs}

    def add(ref: GuidelineRef | None, reason: str) -> None:
        if ref is None:
            return
        have = reasons.setdefault(ref.key, [])
        if reason not in have:
            have.append(reason)

    for name in BASELINE:
        add(find_guideline(refs, name), BASELINE_REASON)
    for flag in FLAGS:
        if flag.key in chosen:
            for name in flag.guidelines:
                add(find_guideline(refs, name), flag.label)
    for hit in description_hits:
        c = hit.chunk
        ref = by_key.get(stable_id(c.doc_id, " > ".join(c.section_path)))
        add(ref, DESCRIPTION_REASON)
    ordered = sorted((by_key[k] for k in reasons), key=lambda r: (STAGES.index(r.stage), r.order))
    return [(r, reasons[r.key]) for r in ordered]


def build_review(
    *,
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    section_text: Callable[[str, Sequence[str]], str],
    description: str,
    flags: Iterable[str],
    description_hits: Sequence[Hit] = (),
    previous: DesignReview | None = None,
) -> DesignReview:
    """Build a review: applicable guidelines with their controls; statuses and notes of `previous` kept."""
    document = guidelines_document(documents)
    if document is None:
        return DesignReview(description=description, flags=list(flags))
    refs = guideline_refs(chunks, document)
    flag_list = list(dict.fromkeys(flags))
    applicable = []
    for ref, reasons in select_guidelines(refs, flag_list, description_hits):
        text = section_text(ref.doc_id, ref.section_path)
        applicable.append(
            ApplicableGuideline(
                guideline=ref, reasons=reasons, controls=extract_controls(ref, text, chunks, document)
            )
        )
    review = DesignReview(description=description, flags=flag_list, guidelines=applicable)
    if previous is not None:
        ids = {c.control_id for c in review.controls()}
        review.states = {k: v for k, v in previous.states.items() if k in ids}
    return review


# --- files: JSON, Markdown, CSV ----------------------------------------------------------------------


def load_review(data: bytes | str, name: str = "review file") -> DesignReview:
    """Parse and validate a saved review; ReviewFileError names the file and the first problem."""
    try:
        return DesignReview.model_validate_json(data)
    except ValidationError as exc:
        loc, msg, kind = first_validation_error(exc)
        loc = loc or "file"
        if kind == "json_invalid":
            raise ReviewFileError(f"{name}: not a JSON file ({msg})") from None
        raise ReviewFileError(f"{name}: not a Saige design review ({loc}: {msg})") from None


def dump_review(review: DesignReview) -> str:
    return review.model_dump_json(indent=2)


def _pages_label(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    if end is None or end == start:
        return f"p. {start}"
    return f"pp. {start}-{end}"


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def review_markdown(review: DesignReview, flag_labels: Mapping[str, str] | None = None) -> str:
    """The review as a Markdown report: the system, a summary, then each guideline's controls, cited."""
    labels = flag_labels or {f.key: f.label for f in FLAGS}
    counts = review.counts()
    lines = ["# Design review (Saige)", "", f"Created: {review.created}", ""]
    lines += ["## System", "", review.description.strip() or "_No description given._", ""]
    if review.flags:
        lines += ["Characteristics:", ""] + [f"- {labels.get(f, f)}" for f in review.flags] + [""]
    total = sum(counts.values())
    lines += [
        "## Summary",
        "",
        f"{len(review.guidelines)} applicable guidelines, {total} controls: "
        + ", ".join(f"{counts[s]} {s}" for s in STATUSES)
        + ".",
        "",
    ]
    for g in review.guidelines:
        ref = g.guideline
        lines += [f"## {ref.stage} › {ref.heading}", ""]
        lines += [f"Why: {'; '.join(g.reasons)}. Source: {ref.doc_title}, {ref.pages_label} ({ref.url})", ""]
        if not g.controls:
            lines += ['_No "you ..." statements found in this guideline\'s text._', ""]
            continue
        lines += ["| # | Control | Status | Notes | Source |", "|---|---|---|---|---|"]
        for n, c in enumerate(g.controls, 1):
            st = review.state(c.control_id)
            source = f"[{_md_cell(c.citation)}]({c.url})" if c.url else _md_cell(c.citation)
            lines.append(f"| {n} | {_md_cell(c.text)} | {st.status} | {_md_cell(st.notes)} | {source} |")
        lines.append("")
    return "\n".join(lines)


CSV_COLUMNS = ("stage", "guideline", "control", "status", "notes", "document", "page", "url", "why")


def review_csv(review: DesignReview) -> str:
    """One row per control: stage, guideline, control, status, notes, document, page, url, why."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in review.guidelines:
        for c in g.controls:
            st = review.state(c.control_id)
            writer.writerow(
                [
                    c.stage,
                    c.guideline,
                    _csv_safe(c.text),
                    st.status,
                    _csv_safe(st.notes),
                    c.doc_title,
                    "" if c.page is None else c.page,
                    c.url,
                    "; ".join(g.reasons),
                ]
            )
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text

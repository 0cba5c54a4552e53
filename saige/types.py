"""Typed records passed between Saige's stages.

Parsing produces :class:`Page` objects, the chunker turns them into :class:`Section` and :class:`Chunk`
records, retrieval returns :class:`Hit` records, and answering returns an :class:`Answer` with
:class:`Citation` records. No loose metadata dicts travel between stages.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The four lifecycle stages of the Guidelines for secure AI system development, as printed.
STAGES: tuple[str, ...] = (
    "Secure design",
    "Secure development",
    "Secure deployment",
    "Secure operation and maintenance",
)

_STAGE_ALIASES = {
    "design": "Secure design",
    "development": "Secure development",
    "develop": "Secure development",
    "deployment": "Secure deployment",
    "deploy": "Secure deployment",
    "operation": "Secure operation and maintenance",
    "operations": "Secure operation and maintenance",
    "maintenance": "Secure operation and maintenance",
    "operation and maintenance": "Secure operation and maintenance",
}


def normalize_stage(name: str) -> str:
    """Map a user-typed stage ("design", "Secure deployment", "operation") to its printed name.

    Raises ValueError naming the accepted values when the name is not a stage.
    """
    key = " ".join(name.strip().lower().replace("-", " ").replace("_", " ").split())
    for stage in STAGES:
        if key == stage.lower():
            return stage
    if key.startswith("secure "):
        key = key[len("secure ") :]
    if key in _STAGE_ALIASES:
        return _STAGE_ALIASES[key]
    accepted = ", ".join(["design", "development", "deployment", "operation", *STAGES])
    raise ValueError(f"stage: unknown lifecycle stage {name!r}; expected one of: {accepted}")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Document(Record):
    """One corpus document, as pinned by corpus/manifest.json."""

    id: str
    title: str
    short_title: str = Field(
        description="A short name for citations and filters, e.g. 'NCSC/CISA Guidelines'"
    )
    publisher: str
    published: str
    official_url: str
    download_url: str | None = Field(
        default=None,
        description="Where `saige fetch` downloads the pinned bytes; None: supply the file yourself",
    )
    license: str
    redistributable: bool = Field(description="Whether the licence allows redistributing the file itself")
    sha256: str
    file: str
    kind: Literal["pdf", "text-extraction"]
    pages: int | None = None
    priority: int = Field(
        default=0, description="Higher ranks first when documents share a heading (the Guidelines are 10)"
    )

    def page_url(self, page: int | None) -> str:
        """Link to the official document, at a physical (1-based) PDF page when the official URL is a PDF.

        Pass `Chunk.link_page`, not the printed page number: `#page=` counts physical pages.
        """
        if page is not None and self.kind == "pdf" and self.official_is_pdf:
            return f"{self.official_url}#page={page}"
        return self.official_url

    @property
    def official_is_pdf(self) -> bool:
        """Whether the official URL is a PDF file (else a web page or collection, which has no pages)."""
        return self.official_url.lower().split("?", 1)[0].split("#", 1)[0].endswith(".pdf")

    def link_label(self, pages: str = "") -> str:
        """What a link to the official document opens, said truthfully: a PDF at a page, a web page (whose
        content Saige cites from the PDF copy's pages), or a document Saige reads as a text extraction."""
        if self.kind == "text-extraction":
            return "official document (Saige reads a text extraction; no page anchor)"
        if not self.official_is_pdf:
            where = f"; {pages} of the PDF copy" if pages else ""
            return f"official web page (no page anchor{where})"
        return f"official PDF, {pages}" if pages else "official PDF"


class Block(Record):
    """A run of text on a page in reading order: a heading or a paragraph of body text."""

    text: str
    kind: Literal["heading", "text"] = "text"
    level: int = Field(default=0, description="Heading level, 1 = largest; 0 for body text")
    size: float = Field(default=0.0, description="Font size in points (0 when unknown, e.g. Markdown)")


class TextLine(Record):
    """One positioned line segment of a PDF page (points, origin bottom-left), kept so that tables can be
    read cell by cell by pure functions of the parsed page (ingest/controls)."""

    x0: float
    x1: float
    y: float = Field(description="Baseline")
    size: float = 0.0
    bold: bool = False
    text: str
    cuts: list[tuple[int, float]] = Field(
        default_factory=list,
        description="Where a piece of the line starts after a gap wider than a word space: (characters of "
        "`text` before it, x of the piece). A table reader cuts the line there when the piece lies in the next "
        "column (a cell's text printed close to the next column's, with no wide gap between them)",
    )


class Page(Record):
    """One page of a parsed document. Markdown sources are a single page with index 0."""

    doc_id: str
    index: int = Field(description="0-based index of the page in the file")
    number: int | None = Field(
        default=None,
        description="Page number used in citations: the printed number where the document prints one, "
        "else the PDF page index + 1; None for text extractions without pages",
    )
    blocks: list[Block] = Field(default_factory=list)
    lines: list[TextLine] = Field(
        default_factory=list,
        description="The page's positioned line segments, top to bottom (PDF only; running text dropped)",
    )

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


class ParsedDocument(Record):
    document: Document
    pages: list[Page]
    skipped_pages: list[int] = Field(default_factory=list, description="0-based indices with no text")
    warnings: list[str] = Field(default_factory=list)


class Section(Record):
    """A heading and the body text under it, up to the next heading of the same or a higher level."""

    doc_id: str
    heading: str = Field(description="The heading as printed")
    path: list[str] = Field(description="Headings from the top of the document down to this one")
    stage: str | None = Field(
        default=None, description="Lifecycle stage for the Guidelines; the document's own part elsewhere"
    )
    page_start: int | None = None
    page_end: int | None = None
    text: str = ""
    order: int = Field(default=0, description="Position of the section in its document")
    pdf_page_start: int | None = Field(
        default=None, description="1-based physical PDF page where the section starts (for #page= links)"
    )

    @property
    def section_id(self) -> str:
        return stable_id(self.doc_id, " > ".join(self.path), str(self.order))


class Chunk(Record):
    """The unit that is embedded, indexed and cited. It never crosses a section boundary."""

    chunk_id: str
    doc_id: str
    doc_title: str
    section: str
    section_path: list[str]
    stage: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    text: str
    section_order: int = Field(default=0, description="Position of the section in its document")
    ordinal: int = Field(default=0, description="Position of the chunk within its section")
    pdf_page_start: int | None = Field(
        default=None,
        description="1-based physical PDF page of page_start; printed numbers can differ (NIST front matter)",
    )
    control_id: str | None = Field(
        default=None, description="The printed id of the control (table row) this chunk holds, if any"
    )
    density: float | None = Field(
        default=None,
        description="Mean cosine similarity of this chunk's embedding to its 10 nearest other chunks of its "
        "build, set when the build is written (dense search's hub correction, retrieval/hubness.py)",
    )

    @property
    def link_page(self) -> int | None:
        """The page to open in a PDF viewer (`#page=` counts physical pages, not printed labels)."""
        return self.pdf_page_start if self.pdf_page_start is not None else self.page_start

    @property
    def embed_text(self) -> str:
        """What gets embedded: the section path, then the text."""
        return " > ".join(self.section_path) + "\n" + self.text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()

    @property
    def pages_label(self) -> str:
        if self.page_start is None:
            return ""
        if self.page_end is None or self.page_end == self.page_start:
            return f"p. {self.page_start}"
        return f"pp. {self.page_start}-{self.page_end}"


class Hit(Record):
    """A retrieved chunk (or adjacent chunks of one section merged) with its scores."""

    chunk: Chunk
    rank: int = 0
    score: float = Field(default=0.0, description="The fused score used for ranking")
    dense_score: float | None = Field(default=None, description="Cosine similarity, when dense search ran")
    bm25_score: float | None = None
    merged_ids: list[str] = Field(default_factory=list, description="chunk ids merged into this hit")
    evidence: float | None = Field(
        default=None,
        description="The fused score before the document preferences that only order documents (the "
        "priority document's bonus, its shared headings placed first); None: the same as score",
    )

    def as_record(self) -> dict[str, Any]:
        """The flat JSON shape of `saige search --json`."""
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "doc_title": c.doc_title,
            "section": c.section,
            "section_path": c.section_path,
            "stage": c.stage,
            "page_start": c.page_start,
            "page_end": c.page_end,
            "text": c.text,
        }


class Citation(Record):
    n: int
    chunk_id: str
    doc_id: str
    doc_title: str
    section: str
    section_path: list[str]
    stage: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    quote: str = Field(description="The exact sentence or sentences quoted from the chunk")
    url: str
    control_id: str | None = Field(
        default=None, description="The printed identifier of the control the cited chunk holds, if any"
    )

    def as_record(self) -> dict[str, Any]:
        return self.model_dump(exclude={"chunk_id"})


class AnswerPoint(Record):
    """One numbered key point of an answer: what it says, the citation it carries and where it comes from."""

    n: int = Field(description="The citation number [n] the point carries")
    text: str = Field(description="The point as shown (plain text, without its marker)")
    doc_id: str
    section: str
    section_path: list[str] = Field(default_factory=list)
    stage: str | None = None
    controls: list[str] = Field(default_factory=list, description="Control ids the point's source states")


class Turn(Record):
    """One turn of a conversation. An assistant turn may keep its structured answer (citations, points), so
    follow-ups resolve against what was actually answered; plain `{role, content}` turns work too."""

    role: Literal["user", "assistant"]
    content: str
    citations: list[Citation] = Field(default_factory=list)
    points: list[AnswerPoint] = Field(default_factory=list)
    abstained: bool = Field(default=False, description="The assistant said the corpus does not cover it")


class SectionRef(Record):
    """A section an answer drew on, as a follow-up refers to it ("the first point", "that stage")."""

    doc_id: str
    section: str
    section_path: list[str] = Field(default_factory=list)
    stage: str | None = None

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return (self.doc_id, tuple(self.section_path))


FollowupKind = Literal["new", "rewrite", "expand", "pick", "stage", "locate", "analogous", "control"]


class FollowupPlan(Record):
    """How a question relates to the conversation: a new question, a rewrite of a follow-up, more depth on
    one section of the last answer ("expand", "pick"), the stage or the page of that section ("stage",
    "locate"), the analogous guidance
    in another stage or for another audience, or the identifier and linked controls of that section
    ("control")."""

    kind: FollowupKind
    query: str = Field(description="What to search")
    target: SectionRef | None = Field(default=None, description="The section the follow-up is about")
    stage: str | None = Field(default=None, description="The stage to search in (analogous)")
    audience: str | None = Field(default=None, description="The audience named (analogous)")
    exclude: list[SectionRef] = Field(
        default_factory=list, description="Sections of the last answer (analogous: look elsewhere)"
    )
    previous: list[SectionRef] = Field(default_factory=list, description="Sections of the last answer")
    topic: str = Field(default="", description="The conversation's topic words this plan carries on")
    like: SectionRef | None = Field(
        default=None,
        description="The section whose counterpart in `stage` is sought (analogous, when nothing new is asked)",
    )
    docs: list[str] = Field(
        default_factory=list,
        description="The documents the follow-up names (one, or a family such as NIST's): answered from these",
    )


class Answer(Record):
    question: str
    answer: str = Field(description="Markdown with [n] citation markers")
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    hits: list[Hit] = Field(default_factory=list)
    mode: Literal["extractive", "llm"] = "extractive"
    resolved_query: str | None = Field(
        default=None, description="The query actually searched, when a follow-up was rewritten"
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Citation check results: removed unknown markers, uncited sentences",
    )
    declined: bool = Field(
        default=False,
        description="Declined because the input asks nothing of the corpus (only instructions to the assistant)",
    )
    points: list[AnswerPoint] = Field(
        default_factory=list, description="The numbered key points, each with its section and stage"
    )
    followup: str | None = Field(
        default=None,
        description="How a follow-up was resolved: expand, pick, stage, locate, analogous, control, rewrite (None: not one)",
    )

    def as_turn(self) -> Turn:
        """This answer as an assistant turn of a conversation (structured, for follow-ups)."""
        return Turn(
            role="assistant",
            content=self.answer,
            citations=self.citations,
            points=self.points,
            abstained=self.abstained,
        )

    def as_record(self) -> dict[str, Any]:
        """The JSON shape of `saige ask --json`."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.as_record() for c in self.citations],
            "hits": [h.as_record() for h in self.hits],
            "mode": self.mode,
            "resolved_query": self.resolved_query,
            "warnings": self.warnings,
            "declined": self.declined,
            "points": [p.model_dump() for p in self.points],
            "followup": self.followup,
        }


ControlKind = Literal[
    "stage",
    "guideline",
    "statement",
    "function",
    "category",
    "subcategory",
    "risk",
    "action",
    "practice",
    "task",
    "principle",
    "provision",
    "section",
    "item",
]


class ControlField(Record):
    """One of a control's own extra columns, named as the document prints it (e.g. "GAI Risks",
    "Informative References", "Example measures: Chatbot app")."""

    name: str
    value: str


class Control(Record):
    """One control of a framework, parsed whole from the document's own structure.

    `control_id` is the identifier as printed ("GV-1.2-001", "PW.1.2", "MAP 4.2", "5.3"). For controls the
    document does not number (the Guidelines' stages, guidelines and statements), `printed_id` is False and
    `control_id` is a stable key derived from the path, which is never shown as if the document printed it.
    """

    doc_id: str
    control_id: str
    printed_id: bool = True
    kind: ControlKind
    title: str = ""
    statement: str = Field(default="", description="The control's text, verbatim")
    parent_id: str | None = Field(default=None, description="control_id of the parent in the same document")
    path: list[str] = Field(default_factory=list, description="Titles from the top of the document down")
    stage: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    pdf_page_start: int | None = Field(default=None, description="1-based physical PDF page (#page= links)")
    fields: list[ControlField] = Field(default_factory=list)

    @property
    def key(self) -> str:
        """Unique across the corpus: document id and identifier."""
        return f"{self.doc_id}::{self.control_id}"

    @property
    def link_page(self) -> int | None:
        return self.pdf_page_start if self.pdf_page_start is not None else self.page_start


Provenance = Literal["published-in-corpus", "published-elsewhere", "computed"]


class CrosswalkLink(Record):
    """A link from one control to another, labelled with where the link comes from.

    "published-in-corpus": the document itself states it (a 600-1 action under its AI RMF subcategory, an
    SP 800-218A informative reference); "published-elsewhere": a published mapping outside the corpus (OWASP
    AI Exchange, CC0); "computed": nearest by similarity, shown as "similar", never as a published mapping.
    """

    source: str = Field(description="Control.key of the source control")
    target: str = Field(description="Control.key of the target, or an external control's name")
    target_label: str = ""
    target_url: str | None = None
    provenance: Provenance
    origin: str = Field(description="Where the link is stated: document and page, or the mapping's permalink")
    score: float | None = Field(default=None, description="Similarity, for computed links only")


class ControlMatch(Record):
    """An identifier a question names and the catalogue's controls it resolves to.

    `controls` holds the match, best first: one control, or one candidate per document when the id exists in
    several documents and the question names none of them (`ambiguous`). `context` holds the first match's
    parent, then its siblings, in catalogue order.
    """

    mention: str = Field(description="The identifier as the question spells it")
    controls: list[Control]
    ambiguous: bool = False
    context: list[Control] = Field(default_factory=list)


class RelatedControl(Record):
    """One piece of related guidance: a link with its provenance, and the linked control when it is in the
    catalogue (None for a control outside the corpus, such as an OWASP AI Exchange control)."""

    link: CrosswalkLink
    control: Control | None = None


def stable_id(*parts: str) -> str:
    """A short deterministic id from its parts."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def normalize_heading(heading: str) -> str:
    """Compare headings loosely: case, spacing, quotes, dashes, leading numbering and trailing dots ignored.

    "2.1 Secure your supply chain" and "Secure your supply chain." normalise to the same string, so eval
    gold headings written as printed match the parser's headings.
    """
    import re

    text = heading.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("*", "")
    text = " ".join(text.split()).strip().lower()
    text = re.sub(r"^(?:(?:part|section|chapter)\s+)?(?:\d+(?:\.\d+)*|[ivx]+)[.):]?\s+", "", text)
    # a multi-level number glued to the heading by PDF extraction: "1.2.2Risk Tolerance"
    text = re.sub(r"^\d+(?:\.\d+)+(?=[a-z])", "", text)
    return text.rstrip(" .:;")

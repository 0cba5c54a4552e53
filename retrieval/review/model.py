"""The design review as a record: the applicable guidelines, each with its controls, and each control with
its status and notes. It round-trips through JSON; the identifiers in it are the documents' own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from retrieval.review.applicability import Strength
from retrieval.review.guidelines import GuidelineRef
from saige.types import Provenance, normalize_heading, stable_id

Status = Literal["not started", "in place", "not applicable"]
STATUSES: tuple[Status, ...] = ("not started", "in place", "not applicable")
REVIEW_SCHEMA: Literal[2] = 2
ItemKind = Literal["statement", "linked", "measure"]
NO_LONGER_MATCHED = "No longer matched: kept for its status and notes"


class ReviewControl(BaseModel):
    """One control in a review, with its status and notes.

    `control_id` is the identifier the document prints ("GV-1.2-001", "5.3", "MAP 4.2"). The Guidelines do not
    number their statements: there it is the guideline's title and `number` is the statement's place in it.
    `matched` is False for a control kept from an earlier build of the review (it has a status or notes) that
    the system no longer matches.
    """

    model_config = ConfigDict(extra="forbid")

    kind: ItemKind = "statement"
    doc_id: str
    doc_title: str
    control_id: str
    number: int | None = None
    text: str
    stage: str = ""
    guideline: str
    page: int | None = None
    url: str = ""
    provenance: Provenance | None = None
    origin: str = ""
    scenario: str = Field(default="", description="DSIT scenario of an example measure")
    status: Status = "not started"
    notes: str = Field(default="", max_length=5000)
    matched: bool = True

    @property
    def ref(self) -> str:
        """The identifier as shown: "GV-1.2-001", or "Protect your model continuously (2)" for a statement."""
        return self.control_id if self.number is None else f"{self.control_id} ({self.number})"

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes two builds' controls the same control: document, identifier, text (loosely)."""
        return (self.doc_id, normalize_heading(self.control_id), normalize_heading(self.text))

    @property
    def key(self) -> str:
        """A short key for widget state (never exported)."""
        return stable_id(*self.identity)

    @property
    def touched(self) -> bool:
        return self.status != "not started" or bool(self.notes.strip())

    @property
    def citation(self) -> str:
        page = f", p. {self.page}" if self.page is not None else ""
        if self.kind != "statement":  # another framework's control: its document and page
            return f"{self.doc_title}{page}"
        where = f"{self.stage} › {self.guideline}" if self.stage else self.guideline
        return f"{self.doc_title}, {where}{page}"


class ScenarioMatch(BaseModel):
    """A DSIT scenario the system matches (retrieval/review/scenarios.py), and why."""

    model_config = ConfigDict(extra="forbid")

    name: str
    reason: str


class ApplicableGuideline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guideline: GuidelineRef
    strength: Strength = "baseline"
    reasons: list[str]
    controls: list[ReviewControl]
    linked: list[ReviewControl] = Field(
        default_factory=list, description="Controls of other frameworks linked by the crosswalk"
    )
    measures: list[ReviewControl] = Field(
        default_factory=list, description="DSIT example measures for the scenarios the system matches"
    )


class DesignReview(BaseModel):
    """A design review as saved to and loaded from a JSON file."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[2] = REVIEW_SCHEMA
    app: Literal["saige-design-review"] = "saige-design-review"
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    description: str = Field(default="", max_length=20000)
    flags: list[str] = Field(default_factory=list)
    scenarios: list[ScenarioMatch] = Field(default_factory=list, description="DSIT scenarios it matches")
    guidelines: list[ApplicableGuideline] = Field(default_factory=list)

    def controls(self) -> list[ReviewControl]:
        """The controls a reviewer tracks (the guidelines' statements, with status and notes)."""
        return [c for g in self.guidelines for c in g.controls]

    def find(self, key: str) -> ReviewControl | None:
        return next((c for c in self.controls() if c.key == key), None)

    def counts(self) -> dict[Status, int]:
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        for c in self.controls():
            counts[c.status] += 1
        return counts

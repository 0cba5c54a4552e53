"""Saved reviews: JSON in and out. Files of the first format (controls keyed by hashes, statuses in a separate
`states` map) still load: each control gets its status and notes and the guideline's title as identifier."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrieval.review.applicability import BASELINE_REASON
from retrieval.review.guidelines import GuidelineRef
from retrieval.review.model import STATUSES, ApplicableGuideline, DesignReview, ReviewControl, Status
from saige.errors import SaigeError, first_validation_error


class ReviewFileError(SaigeError):
    """An uploaded design-review file is not a valid Saige review."""


class _V1Control(BaseModel):
    model_config = ConfigDict(extra="forbid")

    control_id: str
    text: str
    doc_id: str
    doc_title: str
    stage: str
    guideline: str
    page: int | None = None
    url: str = ""


class _V1State(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status = "not started"
    notes: str = Field(default="", max_length=5000)


class _V1Guideline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guideline: GuidelineRef
    reasons: list[str]
    controls: list[_V1Control]


class _V1Review(BaseModel):
    """The first saved format (schema_version 1)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    app: Literal["saige-design-review"] = "saige-design-review"
    created: str = ""
    description: str = Field(default="", max_length=20000)
    flags: list[str] = Field(default_factory=list)
    guidelines: list[_V1Guideline] = Field(default_factory=list)
    states: dict[str, _V1State] = Field(default_factory=dict)

    def upgrade(self) -> DesignReview:
        groups = []
        for g in self.guidelines:
            controls = []
            for n, c in enumerate(g.controls, 1):
                st = self.states.get(c.control_id, _V1State())
                controls.append(
                    ReviewControl(
                        doc_id=c.doc_id,
                        doc_title=c.doc_title,
                        control_id=c.guideline,
                        number=n,
                        text=c.text,
                        stage=c.stage,
                        guideline=c.guideline,
                        page=c.page,
                        url=c.url,
                        status=st.status,
                        notes=st.notes,
                    )
                )
            baseline = all(r.lower().startswith("baseline") for r in g.reasons)
            groups.append(
                ApplicableGuideline(
                    guideline=g.guideline,
                    strength="baseline" if baseline else "applies",
                    reasons=[BASELINE_REASON] if baseline else g.reasons,
                    controls=controls,
                )
            )
        return DesignReview(
            created=self.created, description=self.description, flags=self.flags, guidelines=groups
        )


def load_review(data: bytes | str, name: str = "review file") -> DesignReview:
    """Parse and validate a saved review (either format); ReviewFileError names the file and the first problem."""
    try:
        raw: Any = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReviewFileError(f"{name}: not a JSON file ({' '.join(str(exc).split())[:120]})") from None
    model: type[DesignReview] | type[_V1Review] = DesignReview
    if isinstance(raw, dict) and raw.get("schema_version") == 1:
        model = _V1Review
    try:
        loaded = model.model_validate(raw)
    except ValidationError as exc:
        loc, msg, _kind = first_validation_error(exc)
        raise ReviewFileError(f"{name}: not a Saige design review ({loc or 'file'}: {msg})") from None
    return loaded.upgrade() if isinstance(loaded, _V1Review) else loaded


def dump_review(review: DesignReview) -> str:
    return review.model_dump_json(indent=2)


__all__ = ["STATUSES", "ReviewFileError", "dump_review", "load_review"]

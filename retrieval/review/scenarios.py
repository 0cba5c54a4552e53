"""DSIT's four worked scenarios, which system matches which, and a scenario's example measures.

The DSIT implementation guide of the AI cyber security code of practice illustrates each provision with example
measures for four scenarios (its section "Guidance on implementation"): a chatbot app, ML fraud detection, an
LLM platform ("LLM Provider") and an open-access LLM. The catalogue keeps them as the provision's fields
"Example measures: <scenario>" (ingest/controls/dsit.py). A system matches a scenario when it has the traits
the scenario's own description gives it, or when its description names the scenario. The rules below are
written from DSIT's descriptions, not from any evaluation question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from retrieval.review.applicability import TRAIT_LABELS
from retrieval.review.guidelines import GuidelineRef
from retrieval.review.model import ReviewControl, ScenarioMatch
from saige.types import Control, Document

DSIT = "dsit-ai-cyber-security-cop-implementation-guide-2025"
MEASURES_FIELD = "Example measures: "


class Scenario(BaseModel):
    """One of DSIT's scenarios: its name as the catalogue's field names it, DSIT's description, the traits
    that make a system match it (all of `traits`, none of `unless`) and words that name it."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    traits: tuple[str, ...]
    unless: tuple[str, ...] = ()
    words: tuple[str, ...]

    @property
    def field(self) -> str:
        return MEASURES_FIELD + self.name


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="Chatbot App",
        description="an organisation uses a publicly available LLM through the provider's APIs to build a "
        "chatbot for internal and customer use",
        traits=("external_api", "user_facing"),
        words=("chatbot", "chat bot", "chatbots"),
    ),
    Scenario(
        name="ML Fraud Detection",
        description="a company trains an open-access classification model further and hosts a fraud "
        "detection system on transactional data",
        traits=("fine_tunes",),
        unless=("user_facing", "public_api", "open_weights", "external_api"),
        words=("fraud",),
    ),
    Scenario(
        name="LLM Platform",
        description="a tech company develops a new LLM and provides commercial API access to developers",
        traits=("fine_tunes", "public_api"),
        words=("llm platform", "llm provider", "model provider"),
    ),
    Scenario(
        name="Open-Access LLM Model",
        description="a small organisation develops an LLM for specific use cases and releases it as open access",
        traits=("open_weights",),
        words=("open-access", "open access", "open-weight", "open weights", "open-weights"),
    ),
)


def match_scenarios(description: str, flags: Iterable[str]) -> list[ScenarioMatch]:
    """The DSIT scenarios the system matches, in DSIT's order, each with why."""
    chosen = set(flags)
    text = " ".join(description.lower().split())
    out: list[ScenarioMatch] = []
    for s in SCENARIOS:
        named = [w for w in s.words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
        if named:
            out.append(ScenarioMatch(name=s.name, reason=f"the description says “{named[0]}”"))
        elif set(s.traits) <= chosen and not chosen & set(s.unless):
            traits = " and ".join(f"“{TRAIT_LABELS[t]}”" for t in s.traits)
            out.append(ScenarioMatch(name=s.name, reason=f"ticked {traits}"))
    return out


def scenario(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)


def principle_provisions(principle: Control, controls: Sequence[Control]) -> list[Control]:
    """The provisions printed under a DSIT principle, in catalogue order."""
    head = principle.path[:1]
    return [
        c for c in controls if c.doc_id == principle.doc_id and c.kind == "provision" and c.path[:1] == head
    ]


def scenario_measures(
    ref: GuidelineRef,
    principles: Sequence[tuple[Control, str]],
    controls: Sequence[Control],
    names: Sequence[str],
    documents: Mapping[str, Document],
) -> list[ReviewControl]:
    """The example measures of the scenarios `names` in the provisions of the DSIT principles linked to the
    guideline (`principles`: each with the link's origin), verbatim, under the provision's id."""
    out: list[ReviewControl] = []
    seen: set[tuple[str, str]] = set()
    for principle, origin in principles:
        doc = documents.get(principle.doc_id)
        for provision in principle_provisions(principle, controls):
            for name in names:
                texts = [
                    f.value for f in provision.fields if f.name == scenario(name).field and f.value.strip()
                ]
                for n, text in enumerate(texts, 1):
                    if (provision.control_id, text) in seen:
                        continue
                    seen.add((provision.control_id, text))
                    out.append(
                        ReviewControl(
                            kind="measure",
                            doc_id=provision.doc_id,
                            doc_title=doc.short_title if doc is not None else provision.doc_id,
                            control_id=provision.control_id,
                            number=n if len(texts) > 1 else None,
                            text=" ".join(text.split()),
                            stage=ref.stage,
                            guideline=ref.heading,
                            page=provision.page_start,
                            url=doc.page_url(provision.link_page) if doc is not None else "",
                            provenance="published-elsewhere",
                            origin=f"{origin}; maps this guideline to DSIT {principle.control_id}",
                            scenario=name,
                        )
                    )
    return out

"""Which guidelines a system's traits make apply, and how strongly.

The Guidelines apply to every AI system, so a review lists all of them. A system's traits (yes/no facts such
as "uses an external model API") raise some guidelines above the baseline. :data:`TRAIT_TABLE` says which, how
strongly, and why, in the words of the guideline it points at. The table is written from the guidelines'
own text (what each guideline asks of a system with that trait), not from any evaluation question.

Strengths, strongest first:

* ``strongly applies``: the trait is what the guideline is about (an external model API and "Secure your
  supply chain");
* ``applies``: the trait brings in part of the guideline (personal data and "Make it easy for users to do the
  right things", which asks you to tell users how their data is used), or the system description matches
  the guideline's text;
* ``baseline``: no trait points at it; it still applies, as every guideline applies to every AI system.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from retrieval.review.guidelines import GuidelineRef, find_guideline
from saige.types import STAGES, Hit, stable_id

Strength = Literal["strongly applies", "applies", "baseline"]
STRENGTHS: tuple[Strength, ...] = ("strongly applies", "applies", "baseline")
BASELINE_REASON = "Baseline: every guideline applies to every AI system"
DESCRIPTION_REASON = "Matches the system description"


class Trait(BaseModel):
    """One yes/no fact about the system, as the review form shows it."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str


class TraitRule(BaseModel):
    """One row of the table: a trait makes a guideline apply this strongly, for this reason."""

    model_config = ConfigDict(frozen=True)

    trait: str
    guideline: str
    strength: Strength
    why: str


TRAITS: tuple[Trait, ...] = (
    Trait(key="external_api", label="Uses an external model API"),
    Trait(key="fine_tunes", label="Fine-tunes or trains models"),
    Trait(key="rag_sensitive", label="Does RAG over sensitive data"),
    Trait(key="agents", label="Agents take actions"),
    Trait(key="public_api", label="Offers a public API"),
    Trait(key="personal_data", label="Processes personal data"),
    Trait(key="user_facing", label="End users interact with it (chatbot, assistant)"),
    Trait(key="open_weights", label="Releases model weights (open access)"),
)
TRAIT_KEYS = frozenset(t.key for t in TRAITS)
TRAIT_LABELS = {t.key: t.label for t in TRAITS}

_S: Strength = "strongly applies"
_A: Strength = "applies"

# (trait, guideline as printed, strength, why). Kept small: one row per trait and guideline it touches.
_ROWS: tuple[tuple[str, str, Strength, str], ...] = (
    # an external model API
    (
        "external_api",
        "Secure your supply chain",
        _S,
        "the third-party model and its provider are your supply chain",
    ),
    (
        "external_api",
        "Consider security benefits and trade-offs when selecting your AI model",
        _S,
        "you choose a model you do not control",
    ),
    ("external_api", "Secure your infrastructure", _A, "API keys and the connection to the provider"),
    (
        "external_api",
        "Follow a secure by design approach to updates",
        _A,
        "the provider's model updates change your system's behaviour",
    ),
    (
        "external_api",
        "Document your data, models and prompts",
        _A,
        "your system prompts are assets to document",
    ),
    # fine-tuning or training
    ("fine_tunes", "Secure your supply chain", _S, "pretrained weights, datasets and libraries you take in"),
    (
        "fine_tunes",
        "Consider security benefits and trade-offs when selecting your AI model",
        _S,
        "the base model and its training data are your choice",
    ),
    ("fine_tunes", "Document your data, models and prompts", _S, "training data sources and model lineage"),
    ("fine_tunes", "Identify, track and protect your assets", _A, "models and datasets are assets"),
    ("fine_tunes", "Protect your model continuously", _A, "your own weights can be stolen or tampered with"),
    ("fine_tunes", "Manage your technical debt", _A, "training pipelines and model versions age"),
    ("fine_tunes", "Monitor your system's behaviour", _A, "a trained model drifts"),
    ("fine_tunes", "Release AI responsibly", _A, "you evaluate each model you train before release"),
    ("fine_tunes", "Follow a secure by design approach to updates", _A, "retrained models are updates"),
    # retrieval over sensitive data
    (
        "rag_sensitive",
        "Identify, track and protect your assets",
        _S,
        "the retrieved data and its index are assets",
    ),
    (
        "rag_sensitive",
        "Secure your infrastructure",
        _S,
        "access control on the data store and the retrieval path",
    ),
    (
        "rag_sensitive",
        "Monitor your system's inputs",
        _S,
        "retrieved documents are inputs that can carry injected instructions",
    ),
    (
        "rag_sensitive",
        "Design your system for security as well as functionality and performance",
        _A,
        "what the model may retrieve is a design decision",
    ),
    (
        "rag_sensitive",
        "Protect your model continuously",
        _A,
        "queries to the model give indirect access to the data it retrieves",
    ),
    ("rag_sensitive", "Monitor your system's behaviour", _A, "outputs can leak the sensitive data"),
    ("rag_sensitive", "Document your data, models and prompts", _A, "the sources the system retrieves from"),
    # agents that take actions
    (
        "agents",
        "Design your system for security as well as functionality and performance",
        _S,
        "restrict the actions AI components may trigger, with fail-safes",
    ),
    ("agents", "Model the threats to your system", _S, "actions widen the impact of a compromise"),
    ("agents", "Monitor your system's behaviour", _S, "actions taken must be observed"),
    ("agents", "Make it easy for users to do the right things", _A, "users must know what the agent may do"),
    ("agents", "Secure your infrastructure", _A, "the tools and systems the agent reaches"),
    ("agents", "Develop incident management procedures", _A, "a wrong action is an incident to handle"),
    # a public API
    (
        "public_api",
        "Protect your model continuously",
        _S,
        "the query interface is open to extraction and inversion",
    ),
    ("public_api", "Monitor your system's inputs", _S, "anyone can send inputs"),
    ("public_api", "Release AI responsibly", _S, "you release the system to the public"),
    ("public_api", "Secure your infrastructure", _S, "the API is exposed infrastructure"),
    (
        "public_api",
        "Make it easy for users to do the right things",
        _A,
        "outside users rely on safe defaults",
    ),
    ("public_api", "Model the threats to your system", _A, "an exposed interface widens the threats"),
    ("public_api", "Develop incident management procedures", _A, "incidents reach outside users"),
    ("public_api", "Monitor your system's behaviour", _A, "abuse shows in behaviour"),
    # personal data
    ("personal_data", "Identify, track and protect your assets", _S, "personal data is an asset to protect"),
    (
        "personal_data",
        "Develop incident management procedures",
        _S,
        "a breach of personal data must be handled",
    ),
    ("personal_data", "Document your data, models and prompts", _A, "where personal data is used and stored"),
    (
        "personal_data",
        "Make it easy for users to do the right things",
        _A,
        "tell users where and how their data is used, accessed or stored",
    ),
    ("personal_data", "Monitor your system's inputs", _A, "logging inputs follows privacy requirements"),
    ("personal_data", "Raise staff awareness of threats and risks", _A, "staff handle personal data"),
    # end users interact with it
    (
        "user_facing",
        "Make it easy for users to do the right things",
        _S,
        "users act on its outputs and need safe defaults and guidance",
    ),
    ("user_facing", "Release AI responsibly", _S, "the system is released to users"),
    ("user_facing", "Monitor your system's inputs", _A, "user prompts can carry injected instructions"),
    ("user_facing", "Monitor your system's behaviour", _A, "users see its outputs"),
    ("user_facing", "Protect your model continuously", _A, "users query the model"),
    # released weights
    ("open_weights", "Release AI responsibly", _S, "releasing weights cannot be undone"),
    (
        "open_weights",
        "Protect your model continuously",
        _S,
        "share hashes so others can verify the weights you release",
    ),
    (
        "open_weights",
        "Document your data, models and prompts",
        _S,
        "users of the weights need model documentation",
    ),
    ("open_weights", "Secure your supply chain", _A, "you become part of others' supply chain"),
    ("open_weights", "Collect and share lessons learned", _A, "share vulnerabilities with downstream users"),
)
TRAIT_TABLE: tuple[TraitRule, ...] = tuple(
    TraitRule(trait=t, guideline=g, strength=s, why=w) for t, g, s, w in _ROWS
)


class Applicability(BaseModel):
    """How strongly one guideline applies to the system, and why."""

    model_config = ConfigDict(extra="forbid")

    strength: Strength
    reasons: list[str]


def check_traits(traits: Iterable[str]) -> list[str]:
    """The traits in order, without duplicates; ValueError names unknown keys."""
    chosen = list(dict.fromkeys(traits))
    unknown = [t for t in chosen if t not in TRAIT_KEYS]
    if unknown:
        raise ValueError(f"flags: unknown design-review trait(s) {', '.join(unknown)}")
    return chosen


def _stronger(a: Strength, b: Strength) -> Strength:
    return a if STRENGTHS.index(a) <= STRENGTHS.index(b) else b


def applicability(
    refs: Sequence[GuidelineRef], traits: Iterable[str], description_hits: Sequence[Hit] = ()
) -> list[tuple[GuidelineRef, Applicability]]:
    """Every guideline, strongest first (lifecycle order within a strength), with its reasons.

    A reason names the trait and why it matters ("Uses an external model API: the third-party model and its
    provider are your supply chain"). A guideline no trait points at is "baseline"; none is left out.
    """
    chosen = check_traits(traits)
    found: dict[str, Applicability] = {r.key: Applicability(strength="baseline", reasons=[]) for r in refs}

    def add(ref: GuidelineRef | None, strength: Strength, reason: str) -> None:
        if ref is None:
            return
        have = found[ref.key]
        have.strength = _stronger(have.strength, strength)
        if reason not in have.reasons:
            have.reasons.append(reason)

    for rule in TRAIT_TABLE:
        if rule.trait in chosen:
            add(
                find_guideline(refs, rule.guideline), rule.strength, f"{TRAIT_LABELS[rule.trait]}: {rule.why}"
            )
    by_key = {r.key: r for r in refs}
    for hit in description_hits:
        c = hit.chunk
        add(by_key.get(stable_id(c.doc_id, " > ".join(c.section_path))), "applies", DESCRIPTION_REASON)
    for a in found.values():
        if not a.reasons:
            a.reasons.append(BASELINE_REASON)
    ordered = sorted(
        refs, key=lambda r: (STRENGTHS.index(found[r.key].strength), STAGES.index(r.stage), r.order)
    )
    return [(r, found[r.key]) for r in ordered]

"""Design review: every guideline, marked by how strongly the system's traits make it apply, with its key
controls, their statuses and notes (pure domain logic, one concern per module).

* :mod:`.guidelines`: the Guidelines document and its guidelines;
* :mod:`.statements`: a guideline's key controls, its own "you ..." statements;
* :mod:`.applicability`: the documented trait -> guideline table and the strengths it gives;
* :mod:`.model`: the review record (controls with status and notes, under the documents' identifiers);
* :mod:`.linked`: a guideline's linked controls in the other frameworks (crosswalk), with provenance;
* :mod:`.scenarios`: DSIT's four scenarios, which a system matches, and their example measures;
* :mod:`.build`: building a review and carrying statuses and notes into a rebuild;
* :mod:`.files`: saved JSON (both formats); :mod:`.export`: Markdown and CSV.
"""

from retrieval.review.applicability import (
    BASELINE_REASON,
    DESCRIPTION_REASON,
    STRENGTHS,
    TRAIT_KEYS,
    TRAIT_LABELS,
    TRAIT_TABLE,
    TRAITS,
    Strength,
    Trait,
    applicability,
)
from retrieval.review.build import build_review, carry_over, extract_controls, kept_review
from retrieval.review.export import CSV_COLUMNS, review_csv, review_markdown
from retrieval.review.files import ReviewFileError, dump_review, load_review
from retrieval.review.guidelines import (
    GuidelineRef,
    find_guideline,
    first_sentence,
    guideline_refs,
    guidelines_document,
)
from retrieval.review.linked import control_ref, linked_controls, provenance_label
from retrieval.review.model import (
    NO_LONGER_MATCHED,
    STATUSES,
    ApplicableGuideline,
    DesignReview,
    ReviewControl,
    ScenarioMatch,
    Status,
)
from retrieval.review.scenarios import SCENARIOS, Scenario, match_scenarios, scenario_measures
from retrieval.review.statements import control_statements, is_obligation

__all__ = [
    "BASELINE_REASON",
    "CSV_COLUMNS",
    "DESCRIPTION_REASON",
    "NO_LONGER_MATCHED",
    "SCENARIOS",
    "STATUSES",
    "STRENGTHS",
    "TRAITS",
    "TRAIT_KEYS",
    "TRAIT_LABELS",
    "TRAIT_TABLE",
    "ApplicableGuideline",
    "DesignReview",
    "GuidelineRef",
    "ReviewControl",
    "ReviewFileError",
    "Scenario",
    "ScenarioMatch",
    "Status",
    "Strength",
    "Trait",
    "applicability",
    "build_review",
    "carry_over",
    "control_ref",
    "control_statements",
    "dump_review",
    "extract_controls",
    "find_guideline",
    "first_sentence",
    "guideline_refs",
    "guidelines_document",
    "is_obligation",
    "kept_review",
    "linked_controls",
    "load_review",
    "match_scenarios",
    "provenance_label",
    "review_csv",
    "review_markdown",
    "scenario_measures",
]

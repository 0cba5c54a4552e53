"""The lifecycle stages as questions and documents name them: the stage a question names ("during development",
"once it is live", "after deployment"), the stage a section's part heading names, and the staged counterpart of a
section of a document that does not use the four stages."""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.tokenize import STOP_WORDS, tokenize, words, wordset
from saige.types import STAGES, Hit, SectionRef

# Words that only name a lifecycle stage or a phase: a question made of these and stop words has no topic.
STAGE_WORDS = wordset(
    """
    design designing development developing develop deployment deploying deploy deployed operation operations
    operating operate maintenance maintaining stage stages phase phases lifecycle secure time step steps
    """
)
# Words that name one lifecycle stage. "after/post deployment" is operation.
STAGE_OF_WORD = {
    **dict.fromkeys(("design", "designing", "designed", "planning"), "Secure design"),
    **dict.fromkeys(
        ("development", "develop", "developing", "developed", "build", "building", "training"),
        "Secure development",
    ),
    **dict.fromkeys(
        ("deployment", "deploy", "deploying", "deployed", "release", "releasing", "launch", "launching"),
        "Secure deployment",
    ),
    **dict.fromkeys(
        (
            "operation",
            "operations",
            "operating",
            "operational",
            "operate",
            "maintenance",
            "maintain",
            "maintaining",
            "live",
            "production",
            "runtime",
        ),
        "Secure operation and maintenance",
    ),
}
AFTER_DEPLOY_RE = re.compile(
    r"\b(?:after|post)[\s-]*(?:the\s+)?(?:deploy|deployment|deploying|release)\b", re.I
)


def named_stage(text: str) -> str | None:
    """The lifecycle stage a question names ("during development", "once it is live"), if exactly one."""
    if AFTER_DEPLOY_RE.search(text):
        return "Secure operation and maintenance"
    found = {STAGE_OF_WORD[w] for w in words(text) if w in STAGE_OF_WORD}
    return found.pop() if len(found) == 1 else None


def path_stage(section_path: Sequence[str]) -> str | None:
    """The lifecycle stage that a section's own part heading names, for a document that does not sort its
    guidance into the four stages but has parts such as "4. OPERATIONS AND MAINTENANCE": an ancestor heading
    made only of stage words."""
    for part in reversed(section_path[:-1]):
        said = [w for w in words(part) if not w.isdigit() and w not in STOP_WORDS]
        if said and all(w in STAGE_OF_WORD or w in STAGE_WORDS for w in said):
            stage = named_stage(part)
            if stage is not None:
                return stage
    return None


# Heading words too general to make two guidelines counterparts ("AI", "system", "secure").
_GENERIC_HEADING = frozenset(
    tokenize("ai system systems model models security secure securing principle guidance organisation")
)


def staged_counterpart(ref: SectionRef, hits: Sequence[Hit]) -> Hit | None:
    """The counterpart of a section (of a document without the lifecycle stages) among `hits`: the first
    guideline that has a stage and whose heading shares a specific word with the section's heading
    ("4.4. Establish a vulnerability disclosure process" -> "Develop a vulnerability disclosure process").
    None when no heading matches: the stage is then not guessed from a loosely related guideline."""
    own = {t for t in tokenize(ref.section) if not t.isdigit()} - _GENERIC_HEADING
    for h in hits:
        c = h.chunk
        if c.stage not in STAGES or len(c.section_path) < 2 or (c.doc_id, tuple(c.section_path)) == ref.key:
            continue
        if own & set(tokenize(c.section)):
            return h
    return None

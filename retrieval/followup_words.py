"""The words a follow-up is read by (retrieval/followup.py): ordinals ("the second one"), words about the
conversation itself ("expand", "go on"), and the words of the questions about a section's stage, page, guideline
or control. Pure constants."""

from __future__ import annotations

import re

from retrieval.tokenize import wordset

# Ordinal references to a point or a guideline of the last answer.
ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "sixth": 5,
    "6th": 5,
    "last": -1,
    "final": -1,
    "former": 0,
    "latter": -1,
}
ORDINAL_RE = re.compile(r"\b(" + "|".join(ORDINALS) + r")\b(?:\s+(\w+))?", re.IGNORECASE)
NUMBERED_RE = re.compile(
    r"\[(\d{1,2})\]|\b(?:point|source|citation|item|bullet|number|no\.?)\s*#?(\d{1,2})\b", re.I
)
# Nouns after an ordinal that name one point (a citation) rather than one guideline.
POINT_NOUNS = wordset("point points citation citations source sources quote quotes item items bullet bullets")
# Words about the conversation itself, not a topic ("expand on the first point", "which stage is that in").
META_WORDS = wordset(
    """
    expand expanding elaborate elaboration detail details detailed depth deeper deep more further go going
    tell say said explain explained one ones point points item items bullet bullets source sources citation
    citations quote quotes part parts belong belongs sit sits fall falls fit fits found find answer again
    okay ok thanks thank yes please can could would you me us we apply applies applied come comes happen
    happens continue goes gone matter matters important importance
    """
    + " ".join(ORDINALS)
)
STAGE_QUESTION = wordset("stage stages phase phases lifecycle life cycle")
GUIDELINE_WORDS = wordset("guideline guidelines")
# "What page is that on?", "Where is that in the document?": the place of the section just given.
PAGE_QUESTION = wordset("page pages located")
# A question about the identifier or control of what was just given ("Is there a control id for that?",
# "Does NIST have a matching control?"), and the words such a question may add.
# The kinds of numbered control whose name is not also an everyday word ("provision 5.3", "subcategory MAP
# 4.2") count too: "What is the provision number?".
CONTROL_QUESTION = wordset(
    "control controls id ids identifier identifiers provision provisions subcategory subcategories"
)
# With an identifier word ("task ID", "action id", "practice number"), the names of the numbered kinds of control
# are part of the question about the control, not a topic of their own.
ID_WORDS = wordset("id ids identifier identifiers number numbers numbered")
KIND_WORDS = wordset(
    "task tasks action actions practice practices principle principles category categories function functions "
    "statement statements guideline guidelines"
)
LINK_WORDS = wordset(
    """
    matching match matches equivalent equivalents corresponding correspond corresponds counterpart counterparts
    mapped mapping mappings map maps linked link links related similar same number numbered exist exists
    covers cover has have anywhere elsewhere somewhere
    """
)
# A request for more of the same, even without "it/that" ("Elaborate.", "Tell me more.", "More detail please.").
MORE_WORDS = wordset(
    "expand elaborate elaboration detail details detailed depth deeper more further continue"
)
AUDIENCE_RE = re.compile(r"\bfor\s+(?:the\s+|our\s+|my\s+|your\s+)?([a-z][\w\s'-]{1,80}?)\s*[?.!]*\s*$", re.I)
# A continuation cue's whole remainder as a noun phrase: "(what about) the data scientists?".
BARE_PHRASE_RE = re.compile(
    r"^(?:the\s+|our\s+|my\s+|your\s+|their\s+)?([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3})\s*[?.!]*\s*$", re.I
)

"""Text cleanup helpers shared by the PDF and Markdown parsers (pure functions, no I/O).

- :func:`repair_ligatures` maps ligature glyphs (U+FB00..U+FB06) and a few odd glyph mappings to letters.
- :func:`repair_broken_ligatures` restores letters lost where a ligature was dropped by a text extraction
  ("Artifcial" -> "Artificial", "efective" -> "effective") with a small rule set of frequent stems.
- :func:`join_lines` joins wrapped lines of a paragraph, undoing end-of-line hyphenation ("secu-" + "rity")
  but keeping real hyphens ("third-" + "party" -> "third-party").
- :func:`normalize_space` collapses whitespace and removes control and zero-width characters.
"""

from __future__ import annotations

import re

_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    # Odd glyph mappings seen in extracted PDF text.
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\u00a0": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u2010": "-",
    "\u2011": "-",
    "\uf0b7": "\u2022",  # private-use bullet (Symbol font)
    "\uf0a7": "\u2022",
    "\uf0d8": "\u2022",
    "\u25aa": "\u2022",
    "\u25cf": "\u2022",
}
_LIGATURE_RE = re.compile("|".join(re.escape(k) for k in _LIGATURES))
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def repair_ligatures(text: str) -> str:
    """Replace ligature glyphs and odd glyph mappings by plain letters and spaces."""
    return _LIGATURE_RE.sub(lambda m: _LIGATURES[m.group(0)], text)


def normalize_space(text: str) -> str:
    """Drop control characters and collapse runs of whitespace into single spaces."""
    text = _CONTROL_RE.sub("", repair_ligatures(text))
    return " ".join(text.split())


# Frequent English stems that lose "fi", "ff", "fl" or "ffi" when a ligature glyph is dropped. Each rule
# is (broken stem regex, repaired stem). They match inside words (case-insensitive, first letter case is
# kept), and were chosen so that no correct English word contains the broken stem.
_BROKEN_STEMS: tuple[tuple[str, str], ...] = (
    (r"artifc", "artific"),  # artificial, artifact is separate: "artifact" has no broken form
    (r"identif(?=[eyi])", "identifi"),  # identifed, identify is fine -> guarded below
    (r"specifc", "specific"),
    (r"signifc", "significan"),
    (r"classifc", "classific"),
    (r"certifc", "certific"),
    (r"verifc", "verific"),
    (r"modifc", "modific"),
    (r"justifc", "justific"),
    (r"quantifc", "quantific"),
    (r"benefc", "benefic"),
    (r"defn", "defin"),
    (r"confg", "config"),
    (r"confd", "confid"),
    (r"fnanc", "financ"),
    (r"fnal", "final"),
    (r"fnd", "find"),
    (r"fne-", "fine-"),
    (r"fnetun", "finetun"),
    (r"fltr", "filtr"),
    (r"flter", "filter"),
    (r"frst", "first"),
    (r"feld", "field"),
    (r"fle(?=s\b|\b|name|system)", "file"),
    (r"profl", "profil"),
    (r"efect", "effect"),
    (r"eficien", "efficien"),
    (r"efcien", "efficien"),
    (r"efort", "effort"),
    (r"ofer", "offer"),
    (r"ofic", "offic"),
    (r"ofs", "offs"),
    (r"ofline", "offline"),
    (r"afect", "affect"),
    (r"diferen", "differen"),
    (r"difcult", "difficult"),
    (r"sufcien", "sufficien"),
    (r"trafc", "traffic"),
    (r"bufer", "buffer"),
    (r"stafn", "staffin"),
    (r"fdelit", "fidelit"),
    (r"fngerprint", "fingerprint"),
    (r"confict", "conflict"),
    (r"infuenc", "influenc"),
    (r"refect", "reflect"),
    (r"fow", "flow"),
    (r"fip", "flip"),
    (r"fag", "flag"),
    (r"fexib", "flexib"),
    (r"insufcien", "insufficien"),
)

# Words that contain a broken stem but are correct as written.
_STEM_EXCEPTIONS = frozenset(
    {
        "identify",
        "identifying",
        "identifies",
        "fowl",
        "offset",
        "offsets",
        "ofs",
        "fags",
        "flow",
        "flows",
        "flowed",
        "flowing",
        "workflow",
        "workflows",
        "overflow",
        "overflows",
        "dataflow",
        "flip",
        "flips",
        "flipped",
        "flipping",
        "flag",
        "flags",
        "flagged",
        "flagging",
        "field",
        "fields",
        "find",
        "finds",
        "finding",
        "findings",
        "final",
        "finally",
        "file",
        "files",
        "filename",
        "filesystem",
    }
)

_STEM_RES = [(re.compile(stem, re.IGNORECASE), repl) for stem, repl in _BROKEN_STEMS]
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z-]*")


def _repair_word(word: str) -> str:
    lower = word.lower()
    if lower in _STEM_EXCEPTIONS or len(word) < 3:
        return word
    out = word
    for pattern, repl in _STEM_RES:
        match = pattern.search(out)
        if match is None:
            continue
        # Leave correct spellings alone: the repaired stem is already present where the broken one matched.
        if out.lower().startswith(repl, match.start()):
            continue
        found = match.group(0)
        fixed = repl.capitalize() if found[:1].isupper() else repl
        if found.isupper():
            fixed = repl.upper()
        out = out[: match.start()] + fixed + out[match.end() :]
    return out


def repair_broken_ligatures(text: str) -> str:
    """Restore letters lost with dropped ligature glyphs ("Artifcial" -> "Artificial").

    Only words that contain one of a small set of broken stems are touched; correct words (including the
    ones that contain a broken stem by nature, like "identify" or "workflow") are left as they are.
    """
    return _WORD_RE.sub(lambda m: _repair_word(m.group(0)), text)


_HYPHEN_END = re.compile(r"([A-Za-z]+)-$")
_WORD_START = re.compile(r"^([A-Za-z]+)")


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines of one paragraph into a single line.

    A line ending in a hyphen directly after a lowercase word part is joined to the next line without the
    hyphen when the next line starts with a lowercase letter ("secu-" + "rity" -> "security"), except when
    the parts look like a real compound ("third-" + "party", "AI-" + "specific", "non-" + "AI"): a
    capitalised or very short first part, or a second part that is a common compound element.
    """
    out = ""
    for raw in lines:
        line = normalize_space(raw)
        if not line:
            continue
        if not out:
            out = line
            continue
        m = _HYPHEN_END.search(out)
        n = _WORD_START.match(line)
        if m and n and _is_wrap_hyphen(m.group(1), n.group(1)):
            out = out[:-1] + line
        elif out.endswith(("-", "/")) and not out.endswith(" -"):
            out = out + line
        else:
            out = out + " " + line
    return out


# Second parts that usually follow a real hyphen in these documents' compounds.
_COMPOUND_SECOND = frozenset(
    {
        "party",
        "based",
        "specific",
        "driven",
        "related",
        "level",
        "making",
        "time",
        "term",
        "scale",
        "world",
        "source",
        "sourced",
        "learning",
        "tuning",
        "tuned",
        "trained",
        "training",
        "enhancing",
        "preserving",
        "facing",
        "risk",
        "critical",
        "sensitive",
        "owned",
        "generated",
        "assisted",
        "enabled",
        "powered",
        "aware",
        "free",
        "wide",
        "like",
        "end",
        "up",
        "in",
        "out",
        "off",
        "on",
        "by",
        "of",
        "to",
        "the",
        "and",
        "or",
        "safe",
        "safes",
        "trust",
        "box",
        "day",
        "first",
        "depth",
        "lived",
    }
)
_COMPOUND_FIRST = frozenset(
    {"non", "self", "third", "well", "high", "low", "multi", "co", "pre", "post", "re", "anti", "cross", "sub"}
)


def _is_wrap_hyphen(first: str, second: str) -> bool:
    if not second[:1].islower():
        return False
    if first[:1].isupper() and (len(first) <= 3 or first.isupper()):
        return False  # "AI-", "ML-"
    if first.lower() in _COMPOUND_FIRST or second.lower() in _COMPOUND_SECOND:
        return False
    return True

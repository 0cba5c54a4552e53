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


# Repairs for text whose extraction dropped the letters after "f" where the PDF used an fi/fl/ffi/ffl
# ligature glyph ("Artifcial", "classifers", "frst", "infuence"). Dictionary-free, from two observations:
# 1. in English, "f" is never directly followed by c, d, g, n, v or x inside a word, but "fi" often is
#    ("specific", "confidence", "figure", "final", "five", "fixed"); so f+[cdgnvx] -> fi+[cdgnvx];
# 2. "...ifed", "...ifer(s)", "...ifes" are "...ified", "...ifier(s)", "...ifies" ("classifed", "identifes").
# Then a short list of frequent stems where the lost letters cannot be inferred from the next letter alone
# ("frst" -> "first", "feld" -> "field", "fow" -> "flow"). Each rule only fires on lowercase words, so
# acronyms and names in capitals are left alone.
_F_GAP = re.compile(r"(?<=[A-Za-z])(?<!\bo)(?<!f)f(?=[cdgnvx])|(?<=f)f(?=[cdgvx])|\b[Ff](?=[cdgnvx][a-z])")
_IFIED = re.compile(r"\b([A-Za-z]{2,}(?<!nn)i)f(ed|er|ers|es)\b")
_BROKEN_STEMS: tuple[tuple[str, str], ...] = (
    (r"\b([Ff])rst", r"\1irst"),
    (r"\b([Ff])eld(s?)\b", r"\1ield\2"),
    (r"\b(sub)?feld", r"\1field"),
    (r"\b([Ff])ip(s|ped|ping)?\b", r"\1lip\2"),
    (r"\b([Ff])ow(s|ed|ing)?\b", r"\1low\2"),
    (r"\b(work|over|data|in|out)fow", r"\1flow"),
    (r"\b([Ff])ag(s|ged|ging)?\b", r"\1lag\2"),
    (r"\b([Ff])exib", r"\1lexib"),
    (r"([Ii])nfuen", r"\1nfluen"),
    (r"([Cc])onfict", r"\1onflict"),
    (r"\b([Rr])efect", r"\1eflect"),
    (r"\b([Bb])eneft", r"\1enefit"),
    (r"\b([Oo])verft", r"\1verfit"),
    (r"\b([Pp])roft(s|able)?\b", r"\1rofit\2"),
    (r"\b([Tt]rade-?)ofs\b", r"\1offs"),
    (r"\b([Ee])fect", r"\1ffect"),
    (r"\b([Ii]n)efect", r"\1effect"),
    (r"\b([Ee])fort", r"\1ffort"),
    (r"\b([Aa])fect", r"\1ffect"),
    (r"\b([Oo])fer(s|ed|ing)?\b", r"\1ffer\2"),
    (r"\b([Ss])uf(?=ic)", r"\1uff"),
    (r"\b([Ee])f(?=icien)", r"\1ff"),
    (r"\b([Dd])if(?=icult)", r"\1iff"),
    (r"\b([Oo])f(?=ici)", r"\1ff"),
)
_STEM_RES = [(re.compile(pattern), repl) for pattern, repl in _BROKEN_STEMS]


def repair_broken_ligatures(text: str) -> str:
    """Restore letters lost with dropped ligature glyphs ("Artifcial" -> "Artificial", "frst" -> "first").

    Meant for text extractions that are known to have lost their ligatures (not for PDF text, which keeps
    ligature glyphs that :func:`repair_ligatures` maps). Correct words are left as they are.
    """
    text = _F_GAP.sub(lambda m: m.group(0) + "i", text)
    text = _IFIED.sub(lambda m: f"{m.group(1)}fi{m.group(2)}", text)
    for pattern, repl in _STEM_RES:
        text = pattern.sub(repl, text)
    return text


_HYPHEN_END = re.compile(r"([A-Za-z]+)-$")
_VOCAB_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def vocabulary(texts: list[str]) -> set[str]:
    """Lowercased words and hyphenated compounds of a document, for :func:`join_lines`.

    Words cut at a line end ("secu-") are left out, so a hyphenation never vouches for itself.
    """
    words: set[str] = set()
    for text in texts:
        for m in _VOCAB_WORD.finditer(text):
            if text[m.end() : m.end() + 1] == "-" and m.end() + 1 >= len(text.rstrip()):
                continue
            word = m.group(0).lower()
            words.add(word)
            words.update(word.split("-"))
    return words


_WORD_START = re.compile(r"^([A-Za-z]+)")


def join_lines(lines: list[str], vocabulary: set[str] | frozenset[str] = frozenset()) -> str:
    """Join wrapped lines of one paragraph into a single line.

    A line ending in a hyphen after a word part is joined to the next line without the hyphen when that
    is an end-of-line hyphenation ("secu-" + "rity" -> "security") and with it when it is a real compound
    ("third-" + "party" -> "third-party", "AI-" + "specific"). `vocabulary` (lowercased words of the whole
    document, hyphenated compounds included) decides first: the form the document uses elsewhere wins;
    otherwise a capitalised acronym, a common compound element or a capitalised second part keeps the hyphen.
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
        if m and n and _is_wrap_hyphen(m.group(1), n.group(1), vocabulary):
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
    {
        "non",
        "self",
        "third",
        "well",
        "high",
        "low",
        "multi",
        "co",
        "pre",
        "post",
        "re",
        "anti",
        "cross",
        "sub",
    }
)


def _is_wrap_hyphen(first: str, second: str, vocabulary: set[str] | frozenset[str] = frozenset()) -> bool:
    joined, compound = (first + second).lower(), f"{first}-{second}".lower()
    if joined in vocabulary and compound not in vocabulary:
        return True
    if compound in vocabulary and joined not in vocabulary:
        return False
    if not second[:1].islower():
        return False
    if first.isupper() and len(first) >= 2:
        return False  # "AI-", "ML-"
    return not (first.lower() in _COMPOUND_FIRST or second.lower() in _COMPOUND_SECOND)

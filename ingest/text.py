"""Text cleanup helpers shared by the PDF and Markdown parsers (pure functions, no I/O).

- :func:`repair_ligatures` maps ligature glyphs (U+FB00..U+FB06) and a few odd glyph mappings to letters.
- :func:`repair_broken_ligatures` restores letters lost where a ligature was dropped by a text extraction
  ("Artifcial" -> "Artificial", "efective" -> "effective") with a small rule set of frequent stems.
- :func:`join_lines` joins wrapped lines of a paragraph, undoing end-of-line hyphenation ("secu-" + "rity")
  but keeping real hyphens ("third-" + "party" -> "third-party", "out-of-" + "distribution").
- :func:`repair_urls` puts back together web addresses that a line break or a gap split
  ("https://www.ncsc.gov.uk/collection/supply-c hain/guidance").
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


_HYPHEN_END = re.compile(r"((?:[A-Za-z]+-)*)([A-Za-z]+)-$")  # ("out-", "of") for "... out-of-"
_VOCAB_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def vocabulary(texts: list[str]) -> set[str]:
    """Lowercased words and hyphenated compounds of a document, for :func:`join_lines`.

    Words cut at a line end ("secu-") and the first word of the line after one ("rity", "ized") are left
    out, so a hyphenation never vouches for itself. `texts` are lines in reading order.
    """
    words: set[str] = set()
    cut = False  # the previous line ended in a word part and a hyphen
    for text in texts:
        after_cut, cut = cut, bool(_HYPHEN_END.search(text.rstrip()))
        for m in _VOCAB_WORD.finditer(text):
            if text[m.end() : m.end() + 1] == "-" and m.end() + 1 >= len(text.rstrip()):
                continue
            if after_cut and not text[: m.start()].strip():
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
    ("third-" + "party" -> "third-party", "AI-" + "specific", "out-of-" + "distribution"). The evidence, in
    order: `vocabulary` (lowercased words of the whole document, hyphenated compounds included), where the
    form the document uses elsewhere wins; a compound already of several parts ("out-of-", "end-to-")
    keeps its hyphen; so does one whose parts are both words of the document while the joined form is not
    ("of" + "distribution", never "ofdistribution"); then a capitalised acronym, a common compound element
    or a capitalised second part keeps the hyphen. A line that ends inside a web address is never
    dehyphenated: :func:`repair_urls` decides whether the next line continues it.
    """
    out = ""
    for raw in lines:
        # An address split inside its own line ("https://git-s cm.com/") is put together first, so
        # that the address at the line's end is seen whole when the next line is joined to it.
        line = repair_urls(normalize_space(raw), vocabulary)
        if not line:
            continue
        if not out:
            out = line
            continue
        m = _HYPHEN_END.search(out)
        n = _WORD_START.match(line)
        if _open_url(out):
            out = out + " " + line  # repair_urls glues the continuation of the address, hyphen kept
        elif m and n and _is_wrap_hyphen(m.group(2), n.group(1), vocabulary, m.group(1)):
            out = out[:-1] + line
        elif out.endswith(("-", "/")) and not out.endswith(" -"):
            out = out + line
        else:
            out = out + " " + line
    return repair_urls(out, vocabulary)


_URL_TOKEN = re.compile(r"(?:https?://|www\.)\S+$")
_URL_CLOSED = (",", ";", ")", "]", ">", '"', "'", "\u201d", "\u2019")
_URL_INNER = re.compile(r"[/_=?#%&~]|\w\.\w")
_ALPHA_TAIL = re.compile(r"[A-Za-z]+$")
_ALPHA_HEAD = re.compile(r"^[A-Za-z]+")


def _open_url(text: str) -> str:
    """The web address at the end of `text` when it may go on (not closed by punctuation), else ""."""
    m = _URL_TOKEN.search(text)
    if m is None or (
        m.start() > 0 and not text[m.start() - 1].isspace() and text[m.start() - 1] not in "(<[\"'"
    ):
        return ""
    url = m.group(0)
    return "" if url.endswith(_URL_CLOSED) or url.endswith((".)", ").")) else url


def _url_continues(url: str, token: str, vocabulary: set[str] | frozenset[str]) -> bool:
    """Is `token` (after a space or a line break) the rest of the web address `url`?

    Yes when it starts with address punctuation (".14707", "/blog"), when it holds address punctuation
    itself ("hain/guidance", "cm.com/", "nthetic-data-and-how") unless the address already ended a path
    segment and the token reads as prose, or when the address stops mid-word and only the joined word is
    a word of the document ("cis-b" + "enchmarks"). A capitalised word after a finished segment
    ("https://slsa.dev/" + "A specification") is the text that follows the address.
    """
    if not token:
        return False
    if url.endswith("."):
        return "/" in token and token[:1].islower()  # "https://arxiv." + "org/abs/2210.14707"
    if token[0] in "./-_?=#&%~":
        return True
    core = token.rstrip(".,;:)]")
    if core[:1].isupper() and not (
        url[-1].isupper() or url.endswith("-") or (url.endswith("/") and "/" in core)
    ):
        return False  # "https://eur-lex.europa.eu/eli/reg/2024/1689/oj" + "ISO/IEC" (but "IMDA-B" + "TG/aiverify")
    if url.endswith(("-", "_", "=")) and core[:1].isalnum():
        return True  # an address never ends in these: "failure-modes-in-machine-" + "learning"
    if _URL_INNER.search(core):
        return True
    if "-" in core and not url.endswith("/") and core[:1].islower():
        return True  # "what-sy" + "nthetic-data-and-how-can-it-advance-research-"
    if url.endswith("/") and (core.isdigit() or (core.islower() and core.isalpha())):
        return core.isdigit() or not vocabulary or core.lower() not in vocabulary
    tail, head = _ALPHA_TAIL.search(url), _ALPHA_HEAD.match(core)
    if tail is None or head is None or not vocabulary or not core[:1].islower():
        return False
    joined = (tail.group(0) + head.group(0)).lower()
    return joined in vocabulary and head.group(0).lower() not in vocabulary


def repair_urls(text: str, vocabulary: set[str] | frozenset[str] = frozenset()) -> str:
    """Remove the spaces that split a web address ("https://www.ncsc.gov.uk/collection/supply-c hain/guidance"
    -> ".../supply-chain/guidance"); text around addresses is left as it is. See :func:`_url_continues`."""
    if "://" not in text and "www." not in text:
        return text
    parts = text.split(" ")
    out = parts[0]
    for token in parts[1:]:
        url = _open_url(out)
        if url and _url_continues(url, token, vocabulary):
            out += token
        else:
            out += " " + token
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


def _is_wrap_hyphen(
    first: str, second: str, vocabulary: set[str] | frozenset[str] = frozenset(), before: str = ""
) -> bool:
    """Is the hyphen between `first` (the word part ending the line) and `second` (the next line's first
    word) a line-break hyphenation? `before`: the compound parts before `first` ("out-" in "out-of-")."""
    joined, compound = (first + second).lower(), f"{first}-{second}".lower()
    whole = f"{before}{first}-{second}".lower()  # "out-of-distribution"
    if joined in vocabulary and compound not in vocabulary and whole not in vocabulary:
        return True
    if (compound in vocabulary or whole in vocabulary) and joined not in vocabulary:
        return False
    if before:
        return False  # a compound of several parts ("out-of-", "end-to-") is broken at its own hyphen
    parts_known = first.lower() in vocabulary and second.lower() in vocabulary
    if joined not in vocabulary and parts_known and min(len(first), len(second)) >= 3:
        return False  # both parts are the document's words, the joined form is not ("in-" is a prefix)
    if not second[:1].islower():
        return False
    if first.isupper() and len(first) >= 2:
        return False  # "AI-", "ML-"
    return not (first.lower() in _COMPOUND_FIRST or second.lower() in _COMPOUND_SECOND)

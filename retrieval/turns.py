"""What the earlier turns of a conversation said, as data: which replies failed (and so never supply a
follow-up's topic), and the sections of an answer's numbered points, from the structured turn (points,
citations) or, for plain `{role, content}` history from other clients, from the guideline names and [n]
markers in its text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from saige.types import Citation, SectionRef, Turn, normalize_heading

NOT_COVERED_PREFIX = "the corpus does not cover"

# How a reply that gave no answer opens, in Saige's words (abstained, declined) or another client's
# ("Sorry, I couldn't find anything on that."): plain-text history carries no `abstained` flag.
_FAILED_OPENING_RE = re.compile(
    r"^\W*(?:(?:sorry|unfortunately|apologies)\b[^.?!]{0,40}?[,.!:;-]?\s*)?(?:"
    + re.escape(NOT_COVERED_PREFIX)
    + r"|this asks me to change how i work"
    + r"|i\s+(?:do\s+not|don't|cannot|can't|could\s+not|couldn't|did\s+not|didn't)\s+(?:know|find|answer|help)"
    + r"|i(?:\s+am|'m|\s+was)\s+(?:unable|not\s+able)"
    + r"|(?:there\s+is|i\s+have|i\s+found)\s+no\s+(?:information|guidance|answer|relevant)"
    + r"|(?:the|these|my)\s+(?:documents?|sources?|guidance|corpus)\s+(?:do|does)\s+not\s+"
    + r"(?:cover|say|mention|address|contain)"
    + r")",
    re.IGNORECASE,
)


_MARKER_RE = re.compile(r"\[\d{1,2}\]")


def failed(turn: Turn) -> bool:
    """An assistant turn that gave no answer: it abstained or declined, or says it has no answer, or is empty."""
    text = turn.content.strip()
    if turn.abstained or not text:
        return True
    # A reply that cites ([n]) answered something, whatever its opening says.
    return bool(_FAILED_OPENING_RE.match(text[:300])) and not turn.citations and not _MARKER_RE.search(text)


def answered_history(history: Sequence[Turn]) -> list[Turn]:
    """The history without the exchanges that failed: a user turn whose reply abstained (or never came)
    is dropped with its reply, so it never supplies the topic of a follow-up."""
    out: list[Turn] = []
    i = 0
    while i < len(history):
        turn = history[i]
        if turn.role == "user":
            reply = history[i + 1] if i + 1 < len(history) and history[i + 1].role == "assistant" else None
            if reply is None:
                # A question without a reply (an error): keep it only when it is the last turn.
                if i == len(history) - 1:
                    out.append(turn)
                i += 1
                continue
            if not failed(reply):
                out += [turn, reply]
            i += 2
            continue
        i += 1  # an assistant turn without its question: no topic to take from it
    return out


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def _named(text: str, catalogue: Sequence[SectionRef]) -> list[tuple[int, int, SectionRef]]:
    """Guideline names in an answer's text: those in its bold headers when it has any (Saige's own
    answers), else anywhere in the text (other clients' plain text)."""
    bold = {_norm(m.group(1)) for m in _BOLD.finditer(text)}
    if bold:
        spans = _mentions(text, catalogue)
        norm = _norm(text)
        # Every place a bold text occurs: a header repeats the lead's bold name further down.
        inside = [(a, len(b)) for b in bold if b for a in _occurrences(norm, b)]
        kept = [m for m in spans if any(a <= m[0] and m[1] <= a + n for a, n in inside)]
        if kept:
            return kept
    return _mentions(text, catalogue)


def _occurrences(norm: str, piece: str) -> list[int]:
    out: list[int] = []
    start = norm.find(piece)
    while start != -1:
        out.append(start)
        start = norm.find(piece, start + 1)
    return out


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\\", "").replace("*", "")
    return " ".join(text.lower().split())


def _mentions(text: str, catalogue: Sequence[SectionRef]) -> list[tuple[int, int, SectionRef]]:
    """(start, end, section) of the guideline names in `text`, longest match first, no overlaps."""
    norm = _norm(text)
    found: list[tuple[int, int, SectionRef]] = []
    seen: set[str] = set()
    for ref in catalogue:
        name = normalize_heading(ref.section)
        if name in seen or len(name) < 12 or len(name.split()) < 2:
            continue
        seen.add(name)  # the first (highest-priority) document's section wins a shared name
        start = norm.find(name)
        while start != -1:
            end = start + len(name)
            left_ok = start == 0 or not norm[start - 1].isalnum()
            right_ok = end == len(norm) or not norm[end].isalnum()
            if left_ok and right_ok:
                found.append((start, end, ref))
            start = norm.find(name, end)
    found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    kept: list[tuple[int, int, SectionRef]] = []
    for m in found:
        if kept and m[0] < kept[-1][1]:
            continue
        kept.append(m)
    return kept


def _ref_of_citation(c: Citation) -> SectionRef:
    return SectionRef(doc_id=c.doc_id, section=c.section, section_path=list(c.section_path), stage=c.stage)


def answer_points(turn: Turn, catalogue: Sequence[SectionRef]) -> list[SectionRef]:
    """The section of each numbered point of an assistant turn, in the order of its [n] markers."""
    if turn.points:
        return [
            SectionRef(doc_id=p.doc_id, section=p.section, section_path=list(p.section_path), stage=p.stage)
            for p in sorted(turn.points, key=lambda p: p.n)
        ]
    if turn.citations:
        return [_ref_of_citation(c) for c in sorted(turn.citations, key=lambda c: c.n)]
    # Plain text: each [n] belongs to the guideline named last before it (a header, or the same line).
    norm = _norm(turn.content)
    mentions = _named(turn.content, catalogue)
    by_n: dict[int, SectionRef] = {}
    for m in re.finditer(r"\[(\d{1,2})\]", norm):
        before = [ref for start, _end, ref in mentions if start < m.start()]
        if before:
            by_n.setdefault(int(m.group(1)), before[-1])
    return [by_n[n] for n in sorted(by_n)]


def answer_sections(turn: Turn, catalogue: Sequence[SectionRef]) -> list[SectionRef]:
    """The distinct sections (guidelines) an assistant turn drew on, in order."""
    refs = answer_points(turn, catalogue)
    if not refs:
        refs = [ref for _s, _e, ref in _named(turn.content, catalogue)]
    out: list[SectionRef] = []
    for ref in refs:
        if all(r.key != ref.key for r in out):
            out.append(ref)
    return out

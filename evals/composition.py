"""An audit of how answers are composed: pure checks over an Answer's key points, and a run over the evals.

A key point is a defect when it is:
- a question ("How can developers protect ...?"),
- a table label or heading (no closing punctuation and mostly Title Case words, or Title Case items joined
  by semicolons; or the text of its own section heading),
- a lead-in left dangling ("... such as:", "... include:" with nothing after it),
- two sentences glued together (a lower-case word followed by a capitalised sentence opener),
- an entry of a table's references column ("Reference/Resource: NCSC Guidelines ...", "Informative
  References: ..."): a pointer to other guidance, not a point of this one.

For questions that ask what to do ("how ...", "what should we do"), the audit also reports the share of
answers whose points include an action sentence (one that states an action, control or mitigation).

These rules are written independently of the answerer's own filters (retrieval/answer.py), so the audit
checks the answerer rather than repeating it.

    PYTHONPATH=$PWD python -m evals.composition --data-dir DIR [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from evals.conversations import load_conversations, run
from evals.records import DEFAULT_QUESTIONS, load_questions
from saige.types import Answer

if TYPE_CHECKING:
    from retrieval.service import Saige

DefectKind = Literal["question", "label", "heading", "lead-in", "glued", "reference"]

_REFERENCE_CELL = re.compile(
    r"(?:[\w.() -]+\(continued\):\s*)?(?:informative\s+)?references?\b[^:]{0,20}:", re.I
)
_LEAD_IN_END = re.compile(
    r"(?::|\bsuch as|\binclud(?:e|es|ing)|\bthe following|\bas follows|\bfor example)\s*$", re.I
)
_OPENERS = (
    "To|The|This|These|You|We|It|In|For|If|When|Our|They|Such|However|Where|Each|Organisations|Organizations"
)
_GLUED = re.compile(rf"\b[a-z]{{3,}}\s+(?:{_OPENERS})\s+[a-z]{{2,}}")
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]\s*$")
_HOW = re.compile(
    r"^\s*how\b|\bwhat\s+(?:should|can|must|do)\s+(?:we|i|you|organi[sz]ations?|developers?|providers?)\b",
    re.I,
)
_ACTION_VERBS = (
    "implement|use|apply|adopt|consider|establish|restrict|limit|validate|monitor|protect|ensure|log|review|test"
    "|verify|encrypt|authenticate|assess|document|track|train|conduct|perform|maintain|define|identify|enforce"
    "|require|provide|create|keep|make|avoid|do not|don't|sanitise|sanitize|filter|detect|isolate|separate"
    "|segregate|red[- ]team|limit|update|patch|audit|secure|harden|minimi[sz]e|reduce|prevent|respond|report"
)
# An action sentence says what to do: a modal ("should", "must", "need to"), a statement of what "you" (or
# an organisation, a developer) does, an imperative opening verb, or a mitigation named as such.
_ACTION = re.compile(
    r"\b(?:should|must|needs? to|ought to|recommend\w*)\b"
    r"|\byou\s+(?!may\b|might\b|could\b)[a-z]+"
    r"|^\s*(?:organi[sz]ations?|developers?|providers?|operators?|system owners?|teams?)\s+(?!may\b|might\b)[a-z]+"
    rf"|^\s*(?:{_ACTION_VERBS})\b"
    r"|\b(?:mitigat\w*|countermeasures?|safeguards?|defen[cs]es?)\b",
    re.I,
)


class Defect(BaseModel):
    kind: DefectKind
    point: str


class CompositionReport(BaseModel):
    answers: int = 0
    points: int = 0
    defects: list[Defect] = Field(default_factory=list)
    how_answers: int = 0
    how_with_action: int = 0

    @property
    def action_share(self) -> float:
        return round(self.how_with_action / self.how_answers, 3) if self.how_answers else 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.defects:
            out[d.kind] = out.get(d.kind, 0) + 1
        return out


def _title_share(text: str) -> float:
    ws = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text) if len(w) > 3]
    return sum(1 for w in ws if w[0].isupper()) / len(ws) if ws else 0.0


def point_defect(point: str, headings: Sequence[str] = ()) -> DefectKind | None:
    """What is wrong with one key point as shown (its [n] marker removed), or None."""
    text = " ".join(_MARKER.sub("", point).split()).strip()
    if not text:
        return None
    if text.endswith("?"):
        return "question"
    if _REFERENCE_CELL.match(text):
        return "reference"
    if _LEAD_IN_END.search(text):
        return "lead-in"
    flat = text.lower().rstrip(" .:")
    if any(flat == " ".join(h.lower().split()).rstrip(" .:") for h in headings if h.strip()):
        return "heading"
    ends = bool(re.search(r"[.!)\]\"\u201d;]$", text))
    if not ends and _title_share(text) >= 0.6:
        return "label"
    if ";" in text and all(_title_share(p) >= 0.6 for p in text.split(";") if p.strip()):
        return "label"
    if _GLUED.search(text):
        return "glued"
    return None


def answer_points(answer: Answer) -> list[tuple[str, list[str]]]:
    """(point text, its section path) for each key point: the structured points, else the answer's bullets."""
    if answer.points:
        return [(p.text, p.section_path) for p in answer.points]
    out: list[tuple[str, list[str]]] = []
    for line in answer.answer.splitlines():
        if line.startswith("- "):
            out.append((line[2:].replace("\\", ""), []))
    return out


def is_how_question(question: str) -> bool:
    return bool(_HOW.search(question))


def is_action_sentence(text: str) -> bool:
    return bool(_ACTION.search(text))


def audit(pairs: Iterable[tuple[str, Answer]]) -> CompositionReport:
    """Defects over the (question, answer) pairs, and the action share of the "how" answers that answered."""
    report = CompositionReport()
    for question, answer in pairs:
        if answer.abstained:
            continue
        points = answer_points(answer)
        report.answers += 1
        report.points += len(points)
        for text, path in points:
            kind = point_defect(text, path)
            if kind is not None:
                report.defects.append(Defect(kind=kind, point=text[:200]))
        if is_how_question(question):
            report.how_answers += 1
            if any(is_action_sentence(t) for t, _ in points):
                report.how_with_action += 1
    return report


def eval_pairs(
    engine: Saige, split: str = "all", *, conversation_answers: Sequence[Answer] | None = None
) -> list[tuple[str, Answer]]:
    """Every answerable question of the eval set (questions and conversation turns) asked through the engine.

    `conversation_answers`, when given, are the answers of the split's conversations already replayed through
    the same engine (so a caller that scored them does not replay them twice)."""
    pairs: list[tuple[str, Answer]] = []
    for q in load_questions(DEFAULT_QUESTIONS):
        if split != "all" and q.split != split:
            continue
        pairs.append((q.question, engine.ask(q.question, history=q.history)))
    if conversation_answers is None:
        convs = [c for c in load_conversations() if split in ("all", c.split)]
        _, conversation_answers = run(engine, convs)
    pairs += [(a.question, a) for a in conversation_answers]
    return pairs


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - a thin command around audit()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from retrieval.service import Saige
    from saige.settings import get_settings

    engine = Saige.from_settings(get_settings(**({"data_dir": args.data_dir} if args.data_dir else {})))
    for split in ("dev", "test"):
        report = audit(eval_pairs(engine, split))
        if args.json:
            for d in report.defects:
                sys.stdout.write(json.dumps({"split": split, **d.model_dump()}, ensure_ascii=False) + "\n")
        summary = {
            "split": split,
            "answers": report.answers,
            "points": report.points,
            "defects": report.counts(),
            "how_answers": report.how_answers,
            "action_share": report.action_share,
        }
        sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

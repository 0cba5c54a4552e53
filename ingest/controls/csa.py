"""CSA Singapore, Guidelines on Securing AI Systems: its numbered sections ("3.2. START WITH A RISK
ASSESSMENT", id "Section 3.2"), the four risk-assessment steps ("STEP 1", with the heading under it as
title) and the guidelines of section 3.3, a checklist by lifecycle stage: five stages ("1. PLANNING AND
DESIGN", id "1") and their items ("1.1. Raise awareness and competency on security risks", id "1.1")."""

from __future__ import annotations

import re

from ingest.controls.common import make_control
from ingest.controls.outline import Node, outline, subtree
from saige.types import Control, ParsedDocument

_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})?)\.\s+(\S.*)$")
_STEP = re.compile(r"^STEP (\d{1,2})$", re.IGNORECASE)
_CHECKLIST = re.compile(r"^GUIDELINES FOR SECURING AI SYSTEMS$", re.IGNORECASE)


def build(parsed: ParsedDocument) -> list[Control]:
    nodes = outline(parsed)
    controls: list[Control] = []
    checklist = {id(n) for i, node in enumerate(nodes) if _is_checklist(node) for n in subtree(nodes, i)}
    section_path: list[tuple[str, str]] = []  # (number, heading) of the open numbered sections
    for i, node in enumerate(nodes):
        if id(node) in checklist:
            continue
        m = _NUMBERED.match(node.heading)
        if m is not None:
            number = m.group(1)
            depth = number.count(".")
            section_path = [*section_path[:depth], (number, node.heading)]
            parent = f"Section {section_path[-2][0]}" if len(section_path) > 1 else None
            controls.append(
                make_control(
                    parsed,
                    control_id=f"Section {number}",
                    kind="section",
                    pages=node.pages,
                    title=m.group(2).strip(),
                    statement=_own_text(nodes, i),
                    parent_id=parent,
                    path=[heading for _, heading in section_path],
                )
            )
            if _is_checklist(node):
                controls.extend(_checklist(parsed, nodes, i, [heading for _, heading in section_path]))
            continue
        step = _STEP.match(node.heading)
        if step is not None and section_path:
            # "STEP 1", then its title as a heading of its own, then the text.
            title_node = nodes[i + 1] if i + 1 < len(nodes) and nodes[i + 1].level > node.level else None
            text = (title_node.text if title_node else "") or node.text
            controls.append(
                make_control(
                    parsed,
                    control_id=f"Step {step.group(1)}",
                    kind="item",
                    pages=title_node.pages if title_node else node.pages,
                    title=title_node.heading if title_node else node.heading,
                    statement=text,
                    parent_id=f"Section {section_path[-1][0]}",
                    path=[*(heading for _, heading in section_path), f"Step {step.group(1)}"],
                )
            )
    return controls


def _own_text(nodes: list[Node], i: int) -> str:
    """A section's text with that of its unnumbered sub-headings ("Purpose", "Scope"), up to the first
    numbered heading or step."""
    texts = [nodes[i].text]
    for node in subtree(nodes, i):
        if _NUMBERED.match(node.heading) or _STEP.match(node.heading):
            break
        texts.append(node.text)
    return "\n".join(t for t in texts if t)


def _is_checklist(node: Node) -> bool:
    m = _NUMBERED.match(node.heading)
    return m is not None and bool(_CHECKLIST.match(m.group(2).strip()))


def _checklist(parsed: ParsedDocument, nodes: list[Node], i: int, path: list[str]) -> list[Control]:
    """The stages and items of the checklist section ("1. PLANNING AND DESIGN", "1.1. Raise awareness ...")."""
    out: list[Control] = []
    stage: tuple[str, str, str] | None = None  # (id, title, heading)
    for node in subtree(nodes, i):
        m = _NUMBERED.match(node.heading)
        if m is None:
            continue
        number, title = m.group(1), m.group(2).strip()
        if "." not in number:
            stage = (number, title, node.heading)
            out.append(
                make_control(
                    parsed,
                    control_id=number,
                    kind="stage",
                    pages=node.pages,
                    title=title,
                    statement=node.text,
                    parent_id=f"Section {_path_number(path[-1])}",
                    path=[*path, node.heading],
                    stage=title,
                )
            )
        elif stage is not None and number.startswith(stage[0] + "."):
            out.append(
                make_control(
                    parsed,
                    control_id=number,
                    kind="item",
                    pages=node.pages,
                    title=title,
                    statement=node.text,
                    parent_id=stage[0],
                    path=[*path, stage[2], node.heading],
                    stage=stage[1],
                )
            )
    return out


def _path_number(heading: str) -> str:
    m = _NUMBERED.match(heading)
    return m.group(1) if m else ""

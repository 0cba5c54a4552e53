"""NCSC machine learning principles: its parts ("Part 1: Secure design", a lifecycle stage each), their
principles as numbered ("1.1 Raise awareness of ML threats and risks") and each principle's sub-headings
("Implement red teaming"), each with its own text. Sub-headings are not numbered: their ids are keys made
from the principle's number and the title (`printed_id` False)."""

from __future__ import annotations

import re

from ingest.controls.common import make_control, slug
from ingest.controls.outline import outline, subtree
from saige.types import Control, ParsedDocument

_PART = re.compile(r"^Part (\d{1,2}):\s*(.+)$")
_PRINCIPLE = re.compile(r"^(\d{1,2}\.\d{1,2})\.?\s+(\S.*)$")


def build(parsed: ParsedDocument) -> list[Control]:
    nodes = outline(parsed)
    controls: list[Control] = []
    for i, node in enumerate(nodes):
        part = _PART.match(node.heading)
        if part is None:
            continue
        part_id, stage = f"Part {part.group(1)}", part.group(2).strip()
        controls.append(
            make_control(
                parsed,
                control_id=part_id,
                kind="stage",
                pages=node.pages,
                title=stage,
                statement=node.text,
                path=[node.heading],
                stage=stage,
            )
        )
        below = subtree(nodes, i)
        for k, sub in enumerate(below):
            principle = _PRINCIPLE.match(sub.heading)
            if principle is None or not principle.group(1).startswith(part.group(1) + "."):
                continue
            number, title = principle.group(1), principle.group(2).strip()
            path = [node.heading, sub.heading]
            controls.append(
                make_control(
                    parsed,
                    control_id=number,
                    kind="principle",
                    pages=sub.pages,
                    title=title,
                    statement=sub.text,
                    parent_id=part_id,
                    path=path,
                    stage=stage,
                )
            )
            for item in subtree(below, k):
                if not item.text:
                    continue  # a heading over nothing ("How could this principle be implemented?")
                controls.append(
                    make_control(
                        parsed,
                        control_id=f"{number}/{slug(item.heading)}",
                        kind="item",
                        pages=item.pages,
                        title=item.heading,
                        statement=item.text,
                        parent_id=number,
                        path=[*path, item.heading],
                        stage=stage,
                        printed_id=False,
                    )
                )
    return controls

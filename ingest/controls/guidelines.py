"""NCSC/CISA Guidelines for secure AI system development: 4 stages ("1. Secure design" ...), their 17
guidelines (the headings under each stage) and each guideline's own statements (its sentences and bullet
items, verbatim). The document numbers none of them: ids are keys made from the titles (`printed_id` False)."""

from __future__ import annotations

from ingest.controls.common import make_control, slug
from ingest.controls.outline import Node, outline, statements, subtree
from ingest.sections import stage_of_heading
from saige.types import Control, ParsedDocument


def build(parsed: ParsedDocument) -> list[Control]:
    nodes = outline(parsed)
    stage_nodes = [i for i, node in enumerate(nodes) if stage_of_heading(node.heading)]
    if not stage_nodes:
        return []
    # The stages are printed twice (the executive summary lists them): the structure is the top-level ones.
    top = min(nodes[i].level for i in stage_nodes)
    controls: list[Control] = []
    for i in (i for i in stage_nodes if nodes[i].level == top):
        stage_node = nodes[i]
        stage = stage_of_heading(stage_node.heading)
        stage_id = slug(stage or stage_node.heading)
        controls.append(
            make_control(
                parsed,
                control_id=stage_id,
                kind="stage",
                pages=stage_node.pages,
                title=stage_node.heading,
                statement=stage_node.text,
                path=[stage_node.heading],
                stage=stage,
                printed_id=False,
            )
        )
        below = subtree(nodes, i)
        if not below:
            continue
        level = min(node.level for node in below)
        # A guideline's text runs to the next guideline: deeper headings inside it are part of it.
        groups: list[tuple[Node, list[Node]]] = []
        for node in below:
            if node.level == level or not groups:
                groups.append((node, []))
            else:
                groups[-1][1].append(node)
        for node, inner in groups:
            blocks = node.blocks + [b for n in inner for b in n.blocks]
            guideline_id = f"{stage_id}/{slug(node.heading)}"
            path = [stage_node.heading, node.heading]
            controls.append(
                make_control(
                    parsed,
                    control_id=guideline_id,
                    kind="guideline",
                    pages=node.pages,
                    title=node.heading,
                    statement="\n".join(text for _, text in blocks),
                    parent_id=stage_id,
                    path=path,
                    stage=stage,
                    printed_id=False,
                )
            )
            for n, (text, pages) in enumerate(statements(blocks), start=1):
                controls.append(
                    make_control(
                        parsed,
                        control_id=f"{guideline_id}/{n}",
                        kind="statement",
                        pages=pages,
                        statement=text,
                        parent_id=guideline_id,
                        path=path,
                        stage=stage,
                        printed_id=False,
                    )
                )
    return controls

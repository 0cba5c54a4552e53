"""Tables: column starts shared by rows, tables told from text columns, identifier rows that head tables."""

from __future__ import annotations

import re
from collections import Counter

from ingest.pdf.model import Frag, Line
from saige.types import Block, Page


def column_starts(rows: list[list[Frag]]) -> set[int]:
    """x positions (rounded, +-1) where 3+ rows have a fragment starting after a gap: table columns."""
    counts: Counter[int] = Counter()
    for row in rows:
        seen: set[int] = set()
        for i, frag in enumerate(row):
            gap = frag.x - row[i - 1].x1 if i else frag.size
            if gap > 0.5 * frag.size:
                seen.add(round(frag.x))
        counts.update(seen)
    starts: set[int] = set()
    for x in counts:
        if counts[x - 1] + counts[x] + counts[x + 1] >= 3:
            starts.update((x - 1, x, x + 1))
    return starts


def is_table(rows: list[list[Line]], columns: list[list[Line]]) -> bool:
    if len(rows) < 3:
        return False
    column_of = {id(ln): k for k, col in enumerate(columns) for ln in col}
    spanning = sum(1 for row in rows if len({column_of[id(ln)] for ln in row}) > 1)
    return spanning >= 3 and spanning >= len(rows) * 0.5


def looks_like_rows(groups: list[list[Line]]) -> bool:
    """Side-by-side groups whose lines share baselines one to one are table rows, not columns."""
    if len(groups) != 2:
        return False
    left, right = groups
    if len(left) > 3 and len(right) > 3:
        return False
    ys = {round(ln.y) for ln in left}
    return all(round(ln.y) in ys for ln in right)


_IDENTIFIER_ROW = re.compile(r"^([A-Z]{2,}(?:[ -][A-Z]{2,})?)\s?(\d+(?:\.\d+)*)\s*:\s*\S")


def promote_identifier_rows(pages: list[Page]) -> None:
    """Numbered statements that head tables ("GOVERN 1.5: Ongoing monitoring ...", each followed by its
    table of actions) start sections: a heading with the identifier is put before each.

    Only for a prefix that starts at least five rows in the document; the row itself stays as text. The
    heading level is one below the document's deepest heading, plus the depth of the number ("GOVERN 1.1"
    nests under "GOVERN 1").
    """
    rows: list[tuple[int, int, str]] = []
    for p, page in enumerate(pages):
        for b, block in enumerate(page.blocks):
            if block.kind == "text" and (m := _IDENTIFIER_ROW.match(block.text)):
                rows.append((p, b, f"{m.group(1)} {m.group(2)}"))
    if not rows:
        return
    prefixes = Counter(label.split()[0] for _, _, label in rows)
    position = {(p, b): i for i, (p, b, _) in enumerate(rows)}
    levels = [b.level for page in pages for b in page.blocks if b.kind == "heading"]
    level = (max(levels) if levels else 0) + 1
    chosen = {prefix for prefix, n in prefixes.items() if n >= 5}
    if not chosen:
        return
    for p, page in enumerate(pages):
        out: list[Block] = []
        for b, block in enumerate(page.blocks):
            if (p, b) in position:
                label = rows[position[(p, b)]][2]
                if label.split()[0] in chosen:
                    depth = label.split()[1].count(".")
                    out.append(Block(text=label, kind="heading", level=level + depth, size=block.size))
            out.append(block)
        page.blocks = out

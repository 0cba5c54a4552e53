"""The fixed rule that splits every eval item into `dev` (tune on it) and `test` (gate on it, never tune).

Decided before any tuning and applied to every question file and conversation alike: an item's split is a
pure function of its id, so nobody can move a question between parts by hand. Half of the sha256 space goes
to each part.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Split = Literal["dev", "test"]
SPLITS: tuple[Split, ...] = ("dev", "test")


def split_of(item_id: str) -> Split:
    """`test` when the sha256 of the id is odd, else `dev`."""
    digest = hashlib.sha256(item_id.encode("utf-8")).digest()
    return "test" if digest[-1] & 1 else "dev"

"""The records the PDF reader passes between its stages: text fragments, line segments, raw pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass
class Frag:
    x: float
    y: float
    x1: float
    size: float
    bold: bool
    text: str
    seq: int = 0  # position in the content stream


@dataclass
class Line:
    frags: list[Frag]
    page: int = 0
    text: str = ""
    size: float = 0.0
    bold: bool = False
    bullet: bool = False
    heading_level: int = 0
    cover: bool = False
    cuts: list[tuple[int, float]] = field(default_factory=list)  # see saige.types.TextLine.cuts

    @cached_property
    def x0(self) -> float:
        return min(f.x for f in self.frags)

    @cached_property
    def x1(self) -> float:
        return max(f.x1 for f in self.frags)

    @cached_property
    def y(self) -> float:
        main = max(self.frags, key=lambda f: (f.size >= self.size * 0.9, len(f.text.strip())))
        return main.y

    @cached_property
    def top(self) -> float:
        return max(f.y + f.size * 0.8 for f in self.frags)

    @cached_property
    def bottom(self) -> float:
        return min(f.y - f.size * 0.25 for f in self.frags)


@dataclass
class RawPage:
    index: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    number: int | None = None
    had_text: bool = False

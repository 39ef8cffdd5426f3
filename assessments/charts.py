"""Geometry for the server-rendered SVG charts; the templates draw them.

Each competence group gets two bars, target (outlined, hatched) and self (solid), with
their values written beside them, so the chart reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assessments.scoring import Summary

WIDTH = 640
LABEL_WIDTH = 190
VALUE_WIDTH = 110
BAR = 14
ROW = 2 * BAR + 22
TOP = 24


@dataclass(frozen=True)
class Row:
    label: str
    y: int
    target: float
    target_width: float
    level: float
    level_width: float

    @property
    def level_y(self) -> int:
        return self.y + BAR + 2

    @property
    def text_y(self) -> int:
        return self.y + BAR - 3

    @property
    def label_y(self) -> int:
        return self.text_y + 8

    @property
    def level_text_y(self) -> int:
        return self.level_y + 11


@dataclass(frozen=True)
class Chart:
    rows: list[Row]
    height: int
    ticks: list[tuple[int, float]]
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR

    @property
    def value_x(self) -> int:
        return WIDTH - VALUE_WIDTH + 8

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8


def bars(groups: Sequence[Summary], *, max_level: int) -> Chart:
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = span / max(max_level, 1)
    rows = [
        Row(
            label=group.name,
            y=TOP + i * ROW,
            target=round(float(group.mean_target), 1),
            target_width=round(float(group.mean_target) * scale, 1),
            level=round(float(group.mean_level), 1),
            level_width=round(min(float(group.mean_level), max_level) * scale, 1),
        )
        for i, group in enumerate(groups)
    ]
    ticks = [(value, round(LABEL_WIDTH + value * scale, 1)) for value in range(max_level + 1)]
    return Chart(rows=rows, height=TOP + len(rows) * ROW + 8, ticks=ticks)


LINE_WIDTH = 640
LINE_HEIGHT = 220
LINE_LEFT = 44
LINE_BOTTOM = 36
LINE_TOP = 12


@dataclass(frozen=True)
class LinePoint:
    label: str
    value: float
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    points: list[LinePoint]
    path: str  # the polyline's points attribute
    ticks: list[tuple[int, float]]  # (percent, y)
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    left: int = LINE_LEFT
    baseline: int = LINE_HEIGHT - LINE_BOTTOM


def line(points: Sequence[tuple[str, float]]) -> LineChart:
    """Percentages (0-100) over evenly spaced labels, e.g. one point per month."""
    span_x = LINE_WIDTH - LINE_LEFT - 44  # room for the last label
    span_y = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    step = span_x / max(len(points) - 1, 1)

    def y(value: float) -> float:
        return round(LINE_TOP + span_y * (1 - value / 100), 1)

    placed = [
        LinePoint(label, value, round(LINE_LEFT + i * step, 1), y(value))
        for i, (label, value) in enumerate(points)
    ]
    return LineChart(
        points=placed,
        path=" ".join(f"{p.x},{p.y}" for p in placed),
        ticks=[(value, y(value)) for value in range(0, 101, 25)],
    )

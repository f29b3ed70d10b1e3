"""The inflow and outflow chart, laid out on the server: the template draws these rectangles as
inline SVG, so the dashboard needs no chart library and no script."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from acgate.service.overview import DayFlow

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 40  # room for the axis labels


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # received | synced | released | rejected: the stylesheet colours each
    label: str  # read out as the bar's title


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True, slots=True)
class DayLabel:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]
    days: list[DayLabel]


def _tick_step(largest: int) -> int:
    """A gridline every 1, 2 or 5 times a power of ten, four of them covering the largest."""
    wanted = max(largest / 4, 1)
    power = 10 ** math.floor(math.log10(wanted))
    return next(int(step * power) for step in (1, 2, 5, 10) if step * power >= wanted)


def flow_chart(flow: Sequence[DayFlow]) -> Chart:
    """Per day, two bars side by side: records received, and records that left (synced,
    released, rejected stacked in that order)."""
    step = _tick_step(max([d.received for d in flow] + [d.out for d in flow] + [0]))
    top = 4 * step
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = float(HEIGHT - BOTTOM)
    slot = (WIDTH - LEFT - RIGHT) / max(len(flow), 1)
    bar = slot * 0.36

    def height(value: int) -> float:
        return plot_height * value / top

    bars: list[Bar] = []
    days: list[DayLabel] = []
    for index, day in enumerate(flow):
        x = LEFT + index * slot + slot * 0.12
        shown = day.day.strftime("%d %b")
        if day.received:
            bars.append(Bar(x, baseline - height(day.received), bar, height(day.received),
                            "received", f"{shown}: {day.received} received"))
        stacked = baseline
        for kind, value in (("synced", day.synced), ("released", day.released),
                            ("rejected", day.rejected)):
            if value:
                stacked -= height(value)
                bars.append(Bar(x + bar, stacked, bar, height(value), kind,
                                f"{shown}: {value} {kind}"))
        days.append(DayLabel(x + bar, day.day.strftime("%a %d")))
    ticks = [Tick(baseline - plot_height * n / 4, step * n) for n in range(5)]
    return Chart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, baseline, bars, ticks, days)

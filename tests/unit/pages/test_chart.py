"""The inflow and outflow chart's layout: bars scale to a round axis, outflow stacks."""

from __future__ import annotations

import datetime as dt

from acgate.service.overview import DayFlow
from acgate.web.chart import HEIGHT, flow_chart

DAY = dt.date(2026, 11, 20)


def day(n: int, received: int = 0, synced: int = 0, released: int = 0,
        rejected: int = 0) -> DayFlow:
    return DayFlow(DAY + dt.timedelta(days=n), received, synced, released, rejected)


def test_the_axis_is_round_and_covers_the_busiest_day() -> None:
    chart = flow_chart([day(0, received=347), day(1, synced=120)])
    assert [t.value for t in chart.ticks] == [0, 100, 200, 300, 400]
    assert chart.ticks[0].y == chart.baseline


def test_outflow_stacks_synced_released_rejected_beside_inflow() -> None:
    chart = flow_chart([day(0, received=40, synced=20, released=10, rejected=10)])
    received, synced, released, rejected = chart.bars
    assert (received.kind, synced.kind, released.kind, rejected.kind) == (
        "received", "synced", "released", "rejected")
    assert received.height == synced.height + released.height + rejected.height
    assert synced.y + synced.height == chart.baseline
    assert released.y + released.height == synced.y
    assert received.x < synced.x == released.x == rejected.x
    assert synced.label == "20 Nov: 20 synced"


def test_a_quiet_fortnight_draws_no_bars_but_every_day() -> None:
    chart = flow_chart([day(n) for n in range(14)])
    assert chart.bars == []
    assert len(chart.days) == 14
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4]
    assert all(0 <= t.y <= HEIGHT for t in chart.ticks)

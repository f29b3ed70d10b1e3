"""Reading AutoCount's rate-limit headers, and a budget that says how long to wait."""

from __future__ import annotations

import datetime as dt

import pytest

from acgate.autocount.ratelimit import RateBudget, RateLimit, parse_rate_limit, reset_seconds

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("text", "seconds"), [
    ("2026-11-20T02:00:45.1234567Z"[:26] + "Z", 45.123456),  # ASP.NET's round-trip format
    ("2026-11-20T02:00:30", 30),  # naive is UTC
    ("2026-11-20T10:00:30+08:00", 30),
    ("12", 12),
    ("1.5", 1.5),
    (str(int(NOW.timestamp()) + 20), 20),  # Unix time
    (str(int(NOW.timestamp()) * 1000 + 20_500), 20.5),  # Unix time in milliseconds
    ("Fri, 20 Nov 2026 02:01:00 GMT", 60),
    ("2026-11-20T01:59:00Z", 0),  # already past
    ("soon", None),
    ("-3", None),
])
def test_reset_in_each_spelling(text: str, seconds: float | None) -> None:
    assert reset_seconds(text, NOW) == pytest.approx(seconds) if seconds is not None \
        else reset_seconds(text, NOW) is None


def test_headers_are_read_against_the_answers_own_date() -> None:
    headers = {"x-rate-limit-limit": "1m", "x-rate-limit-remaining": "0",
               "x-rate-limit-reset": "2026-11-20T02:00:50Z",
               "date": "Fri, 20 Nov 2026 02:00:40 GMT"}
    # The local clock is 10 minutes slow; the server's Date header keeps the wait right.
    slow = NOW - dt.timedelta(minutes=10)
    assert parse_rate_limit(headers, 5.0, slow) == RateLimit("1m", 0, 10.0, 5.0)
    assert parse_rate_limit({"server": "IIS"}, 5.0, NOW) is None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_budget_refills_evenly_without_headers() -> None:
    clock = Clock()
    budget = RateBudget(calls=2, window=60, clock=clock)
    budget.record(None)
    budget.record(None)
    assert budget.wait_seconds() == 30
    clock.now += 30
    assert budget.wait_seconds() == 0


def test_budget_follows_the_server_until_its_reset() -> None:
    clock = Clock()
    budget = RateBudget(calls=100, window=60, clock=clock)
    budget.record(RateLimit("1m", 1, 20.0, clock.now))
    assert budget.wait_seconds() == 0  # one call left: spend it
    budget.record(RateLimit("1m", 0, 19.0, clock.now + 1))
    clock.now += 1
    assert budget.wait_seconds() == 19
    clock.now += 19
    assert budget.wait_seconds() == 0


def test_a_429_empties_the_budget_for_the_reset_or_a_window() -> None:
    clock = Clock()
    budget = RateBudget(calls=100, window=60, clock=clock)
    budget.exhausted(None)
    assert budget.wait_seconds() == 60
    budget.exhausted(5)
    assert budget.wait_seconds() == 5


def test_budget_needs_a_real_window() -> None:
    with pytest.raises(ValueError):
        RateBudget(calls=0)

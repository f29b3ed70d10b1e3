"""AutoCount's call budget: read the rate-limit headers and say how long to wait.

The Cloud API allows about 100 calls a minute per key and tells the state of that budget on every
answer (`x-rate-limit-limit: 1m`, `x-rate-limit-remaining`, `x-rate-limit-reset`). The clients
never sleep: they record what they saw in a `RateBudget`, and the dispatcher asks it how long to
wait before its next call.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

LIMIT_HEADER = "x-rate-limit-limit"
REMAINING_HEADER = "x-rate-limit-remaining"
RESET_HEADER = "x-rate-limit-reset"
# A reset written as a bare number this large is a Unix time, not a number of seconds to wait;
# one this much larger is a Unix time in milliseconds (JavaScript's `Date.now()`).
_EPOCH_THRESHOLD = 1_000_000_000
_EPOCH_MS_THRESHOLD = 100_000_000_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The rate-limit headers of the latest answer, with the reset as seconds to wait."""

    limit: str | None
    remaining: int | None
    reset_after: float | None
    seen_at: float  # monotonic clock reading when the answer arrived


def parse_rate_limit(
    headers: Mapping[str, str], seen_at: float, now: dt.datetime
) -> RateLimit | None:
    """The rate-limit state in `headers`, or None when the answer carries none.

    `now` is the client's wall clock; the answer's own `Date` header is preferred for a reset
    given as a timestamp, so that a skewed local clock does not shift the wait.
    """
    limit = headers.get(LIMIT_HEADER)
    remaining = _int(headers.get(REMAINING_HEADER))
    reset_text = headers.get(RESET_HEADER)
    if limit is None and remaining is None and reset_text is None:
        return None
    server_now = _http_date(headers.get("date")) or now
    reset_after = reset_seconds(reset_text, server_now) if reset_text is not None else None
    return RateLimit(limit, remaining, reset_after, seen_at)


def retry_after(headers: Mapping[str, str], now: dt.datetime) -> float | None:
    """Seconds to wait after a 429: `x-rate-limit-reset`, else the standard `Retry-After`."""
    server_now = _http_date(headers.get("date")) or now
    for name in (RESET_HEADER, "retry-after"):
        text = headers.get(name)
        seconds = reset_seconds(text, server_now) if text is not None else None
        if seconds is not None:
            return seconds
    return None


def reset_seconds(text: str, now: dt.datetime) -> float | None:
    """A reset as seconds from `now`: seconds, a Unix time (in seconds or milliseconds), an
    ISO 8601 or an HTTP date.

    AutoCount's published example shows an ISO 8601 timestamp (the ASP.NET rate limiter's
    format); other limiters send seconds or Unix time, so all are read. Unreadable gives None.
    """
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        moment = _iso_date(value) or _http_date(value)
        if moment is None:
            return None
        return max(0.0, (moment - _aware(now)).total_seconds())
    if number != number or number < 0:  # NaN or negative
        return None
    if number >= _EPOCH_MS_THRESHOLD:
        number /= 1000
    if number >= _EPOCH_THRESHOLD:
        return max(0.0, number - _aware(now).timestamp())
    return number


def _int(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text is not None else None
    except ValueError:
        return None


def _iso_date(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _aware(moment)


def _http_date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return _aware(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError):
        return None


def _aware(moment: dt.datetime) -> dt.datetime:
    # The ASP.NET limiter writes UTC; a naive time is read as UTC rather than as local time.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class RateBudget:
    """A token bucket of `calls` per `window` seconds, corrected by the server's headers.

    Without headers the bucket refills evenly. When an answer carries them, the server's
    `remaining` replaces the local count and nothing refills until its reset, as a fixed-window
    limiter behaves. One budget may be shared by every client that uses the same key.
    """

    def __init__(self, calls: int = 100, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if calls < 1 or window <= 0:
            raise ValueError("a rate budget needs at least 1 call in a window longer than 0")
        self.calls = calls
        self.window = window
        self.clock = clock
        self._tokens = float(calls)
        self._refilled_at = clock()
        self._reset_at: float | None = None

    def record(self, rate: RateLimit | None) -> None:
        """One call was made; `rate` is what its answer said about the budget, if anything."""
        self._refill(self.clock())
        if rate is None or rate.remaining is None:
            self._tokens = max(0.0, self._tokens - 1)
            return
        self._tokens = float(max(0, rate.remaining))
        if rate.reset_after is not None:
            self._reset_at = rate.seen_at + rate.reset_after

    def exhausted(self, reset_after_seconds: float | None) -> None:
        """A 429 arrived: nothing is left until the reset (a whole window when not told)."""
        now = self.clock()
        self._tokens = 0.0
        self._reset_at = now + (self.window if reset_after_seconds is None
                                else reset_after_seconds)

    def wait_seconds(self) -> float:
        """How long to wait before the next call; 0 when a call may be made now."""
        now = self.clock()
        self._refill(now)
        if self._tokens >= 1:
            return 0.0
        if self._reset_at is not None:
            return max(0.0, self._reset_at - now)
        return (1 - self._tokens) * self.window / self.calls

    def _refill(self, now: float) -> None:
        if self._reset_at is not None:
            if now >= self._reset_at:
                self._tokens, self._reset_at = float(self.calls), None
                self._refilled_at = now
            return
        earned = (now - self._refilled_at) * self.calls / self.window
        self._tokens = min(float(self.calls), self._tokens + earned)
        self._refilled_at = now

"""The Cloud API's rate limit: about 100 calls a minute per key.

The headers (`x-rate-limit-limit: 1m`, `-remaining`, `-reset`) are AutoCount's. Their values
follow the AspNetCoreRateLimit middleware that emits headers of exactly these names, which is a
guess: a fixed window from a key's first call, `reset` as an ISO 8601 UTC instant, and on `429`
a `retry-after` in seconds and the message "API calls quota exceeded! maximum admitted N per 1m.".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

WINDOW = dt.timedelta(minutes=1)
WINDOW_NAME = "1m"


@dataclass(frozen=True, slots=True)
class Quota:
    limit: int
    used: int
    reset_at: dt.datetime
    now: dt.datetime

    @property
    def allowed(self) -> bool:
        return self.used <= self.limit

    def headers(self) -> dict[str, str]:
        headers = {
            "x-rate-limit-limit": WINDOW_NAME,
            "x-rate-limit-remaining": str(max(self.limit - self.used, 0)),
            "x-rate-limit-reset": reset_text(self.reset_at),
        }
        if not self.allowed:
            seconds = (self.reset_at - self.now).total_seconds()
            headers["retry-after"] = str(max(math.ceil(seconds), 1))
        return headers

    def message(self) -> str:
        return f"API calls quota exceeded! maximum admitted {self.limit} per {WINDOW_NAME}."


def reset_text(instant: dt.datetime) -> str:
    """.NET's round-trip format: seven fractional digits and a Z."""
    utc = instant.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0Z"


class RateLimiter:
    """Counts calls per key in fixed one-minute windows; refused calls count too."""

    def __init__(self, limit: int, clock: Callable[[], dt.datetime]) -> None:
        self.limit = limit
        self._clock = clock
        self._windows: dict[str, tuple[dt.datetime, int]] = {}

    def take(self, key: str) -> Quota | None:
        """The key's quota after this call, or None when the limit is off."""
        if self.limit <= 0:
            return None
        now = self._clock()
        started, used = self._windows.get(key, (now, 0))
        if now >= started + WINDOW:
            started, used = now, 0
        self._windows[key] = (started, used + 1)
        return Quota(self.limit, used + 1, started + WINDOW, now)

    def clear(self) -> None:
        self._windows.clear()

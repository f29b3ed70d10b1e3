"""Exact values: decimals for money and quantities, dates that are dates, instants with offsets."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
MAX_NUMBER_PLACES = 6
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3339 (section 5.6): seconds are required; T and Z may be lower case, and a space may stand
# for the T (its note). Python alone would also take forms RFC 3339 does not allow (20261120T1015,
# +0800). The offset is optional here only so that a missing one gets its own message.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
_LEAP_SECOND = re.compile(r"(?<=[T ][0-9]{2}:[0-9]{2}:)60(\.[0-9]+)?")
_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


class JsonNumber(Decimal):
    """A decimal that arrived as a bare JSON number, not as a string.

    The contract accepts numbers only when they are exact decimals of at most six places, so the
    reader keeps the distinction until validation.
    """


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    """Parse a money or quantity value strictly; raise ValueError with the fix in the message."""
    if type(value) is str:  # the common case first: decimals travel as strings
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = _grouped(value)
        if not number.is_finite():
            raise ValueError(f"expected a finite decimal, got {value!r}")
        return number
    if isinstance(value, bool):
        raise ValueError("expected a decimal such as \"12.50\", got true/false")
    if isinstance(value, JsonNumber | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite() or _places(number) > MAX_NUMBER_PLACES:
            raise ValueError(
                f"the JSON number {value} is not an exact decimal of at most "
                f"{MAX_NUMBER_PLACES} places; send it as a string such as \"12.50\""
            )
        return Decimal(number)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("expected a finite decimal")
        return value
    if isinstance(value, int):
        return Decimal(value)
    raise ValueError(f"expected a decimal such as \"12.50\", got {type(value).__name__}")


def _grouped(text: str) -> Decimal:
    # "1,200.50" from a spreadsheet is a grouped thousand, never a decimal comma in MY/SG.
    cleaned = text.strip()
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"expected a decimal such as \"12.50\", got {text!r}") from None


def _places(number: Decimal) -> int:
    """Decimal places the value needs: 2.5000000 needs one. Trailing zeros are counted off the
    digits, not by `normalize()`, which would round to the context's 28 digits."""
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return 0  # zero, however many places it is written with
    return max(-exponent - (len(digits) - len(significant)), 0)


def to_date(value: Any) -> dt.date:
    """A calendar date as YYYY-MM-DD (or a spreadsheet date cell); never a timestamp."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0) or value.tzinfo is not None:
            raise ValueError("expected a date (YYYY-MM-DD), got a date with a time")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a real calendar date") from None
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


def _rfc3339(text: str) -> dt.datetime | None:
    iso = text.upper().replace("Z", "+00:00")
    leap = _LEAP_SECOND.search(iso)
    try:
        if leap is None:
            return dt.datetime.fromisoformat(iso)
        # RFC 3339 allows a leap second (:60), which Python cannot hold: it is taken as the last
        # microsecond of its minute, so that it still orders after every other moment in it.
        return dt.datetime.fromisoformat(iso[:leap.start()] + "59" + iso[leap.end():]) \
            .replace(microsecond=999_999)
    except ValueError:  # the right shape, but no real date or time (2026-02-30, 25:00)
        return None


def to_instant(value: Any) -> dt.datetime:
    """An RFC 3339 timestamp that carries its offset; a naive time is refused, never guessed."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str):
        text = value.strip()
        parsed = _rfc3339(text) if _RFC3339.fullmatch(text) else None
        if parsed is None:
            raise ValueError(
                f"expected an RFC 3339 timestamp such as 2026-11-20T10:15:00+08:00, got {value!r}")
        stamp = parsed
    else:
        raise ValueError(f"expected an RFC 3339 timestamp with offset, got {value!r}")
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        if isinstance(value, dt.datetime):  # a spreadsheet date-time cell, which holds no offset
            raise ValueError(f"the date-time {value.isoformat()} has no offset; enter it as "
                             f"text with one, such as {value.isoformat()}+08:00")
        raise ValueError(f"the timestamp {value!r} has no offset; add one such as +08:00")
    return stamp


@functools.lru_cache(maxsize=8192)
def canonical_decimal(value: Decimal) -> str:
    """One spelling per number, so that "148" and "148.00" hash alike. Equal decimals share
    it, so the answers are kept: the same quantities and prices recur on every document."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def canonical_instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()

"""Reading the values in AutoCount's answers: names in any case, exact decimals, plain dates.

The Cloud API answers in camelCase and the bridge in the SDK's PascalCase; looking names up
without regard to case lets one reader serve both. A value that cannot be read raises
`ValueError`, which the clients turn into the error that fits the call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from acgate.domain.values import canonical_decimal, to_decimal


class Fields:
    """One JSON object of an answer, read by field name regardless of case."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self._names = {str(name).casefold(): name for name in data}

    def get(self, *names: str) -> Any:
        """The first of `names` present with a value, or None."""
        for name in names:
            key = self._names.get(name.casefold())
            if key is not None and self.data[key] is not None:
                return self.data[key]
        return None

    def text(self, *names: str) -> str | None:
        value = self.get(*names)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ValueError(f"{names[0]}: expected text, got {value!r}")
        text = canonical_decimal(value) if isinstance(value, Decimal) else str(value)
        return text.strip() or None

    def decimal(self, *names: str) -> Decimal | None:
        value = self.get(*names)
        return None if value is None else to_decimal(value)

    def integer(self, *names: str) -> int | None:
        value = self.get(*names)
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError(f"{names[0]}: expected a whole number, got {value!r}")
        number = to_decimal(value)
        if number != number.to_integral_value():
            raise ValueError(f"{names[0]}: expected a whole number, got {value!r}")
        return int(number)

    def date(self, *names: str) -> dt.date | None:
        """A date sent as `YYYY-MM-DD` or `YYYY-MM-DDT00:00:00` (the Cloud API's form)."""
        value = self.get(*names)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{names[0]}: expected a date, got {value!r}")
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()

    def flag(self, *names: str) -> bool | None:
        value = self.get(*names)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().casefold() in ("true", "false", "t", "f"):
            return value.strip().casefold() in ("true", "t")
        raise ValueError(f"{names[0]}: expected true or false, got {value!r}")

    def rows(self, *names: str) -> list[Fields]:
        """A list of objects, such as a document's details; missing is empty."""
        value = self.get(*names)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError(f"{names[0]}: expected a list, got {type(value).__name__}")
        return [Fields(row) for row in value]

    def has(self, name: str) -> bool:
        return name.casefold() in self._names

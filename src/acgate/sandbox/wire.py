"""JSON in and out, exactly: numbers stay `Decimal` both ways, and a field of the wrong JSON type
is refused with the System.Text.Json message AutoCount's .NET server gives (a quoted number:
"The JSON value could not be converted to System.Decimal. Path: $.details[0].qty"). The
`LineNumber | BytePositionInLine` tail .NET adds is left out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from acgate.sandbox.errors import BookError


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null", parse_float=Decimal, parse_constant=_refuse_constant)
    except ValueError:
        raise BookError("The JSON value could not be parsed.") from None


def dumps(value: Any) -> str:
    """JSON text with each `Decimal` written as a JSON number, digit for digit."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def instant_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


class Fields:
    """Typed reads of one JSON object's fields; `path` names it in messages (`$.master`)."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    @classmethod
    def of(cls, value: Any, path: str, type_name: str) -> Fields:
        if not isinstance(value, Mapping):
            raise _conversion(type_name, path)
        return cls(value, path)

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None or isinstance(value, str):
            return value
        raise _conversion("String", f"{self.path}.{name}")

    def number(self, name: str) -> Decimal | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        raise _conversion("Decimal", f"{self.path}.{name}")

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise _conversion("Int32", f"{self.path}.{name}")

    def flag(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None or isinstance(value, bool):
            return value
        raise _conversion("Boolean", f"{self.path}.{name}")

    def date(self, name: str) -> dt.date | None:
        value = self.data.get(name)
        if value is None:
            return None
        try:
            return dt.datetime.fromisoformat(value).date()
        except (TypeError, ValueError):
            raise _conversion("DateTime", f"{self.path}.{name}") from None

    def discount(self, name: str) -> str | None:
        """A discount formula ("5%", "10%+2"); a bare number is an amount."""
        value = self.data.get(name)
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return format(Decimal(value), "f")
        return self.text(name)

    def rows(self, name: str, type_name: str) -> list[Fields]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _conversion(f"Collections.Generic.List`1[{type_name}]", f"{self.path}.{name}")
        return [Fields.of(row, f"{self.path}.{name}[{n}]", type_name)
                for n, row in enumerate(value)]


def _conversion(type_name: str, path: str) -> BookError:
    return BookError(f"The JSON value could not be converted to System.{type_name}. Path: {path}")

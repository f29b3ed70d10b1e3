"""Reading the words a form or an address carries."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def choice(kind: type[E], value: str) -> E | None:
    """The member of `kind` spelled `value`, or None: a form's choices can be edited."""
    try:
        return kind(value)
    except ValueError:
        return None

"""Reading the words a form or an address carries, and writing the addresses of a filtered,
paged list (the queue, the integration log, the access log)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

E = TypeVar("E", bound=StrEnum)

# Deeper than any list is long; a larger number would only overflow the database's OFFSET.
MAX_PAGE = 100_000


def choice(kind: type[E], value: str) -> E | None:
    """The member of `kind` spelled `value`, or None: a form's choices can be edited."""
    try:
        return kind(value)
    except ValueError:
        return None


def page_number(text: str) -> int:
    """The page an address asks for; an edited address that names none gets the first."""
    # isdigit alone takes "²", which int() refuses.
    if not (text.isascii() and text.isdigit()):
        return 1
    return min(max(int(text), 1), MAX_PAGE)


def page_count(total: int, size: int) -> int:
    """How many pages of `size` rows show `total`: one, saying so, when there are none."""
    return max(-(-total // size), 1)


def address(path: str, params: Mapping[str, str | int]) -> str:
    """`path` with `params` as its query; empty values and the first page are left out, so
    the address of the plain list is the plain path."""
    kept = {key: value for key, value in params.items()
            if value != "" and (key, value) != ("page", 1)}
    return f"{path}?{urlencode(kept)}" if kept else path

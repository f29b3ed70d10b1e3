"""Ordering the versions of one document: by `version` when both have one, else by the
`updated_at` instants (offsets honoured, never compared as text)."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from acgate.domain.documents import MAX_NUMBER
from acgate.domain.values import to_instant


class VersionKey(NamedTuple):
    version: int | None
    updated_at: dt.datetime | None

    @classmethod
    def of_payload(cls, payload: Any) -> VersionKey:
        """The version a payload claims, even when the rest of it breaks the contract."""
        if not isinstance(payload, dict):
            return cls(None, None)
        version = payload.get("version")
        if isinstance(version, str) and version.strip().isdigit():
            version = int(version)  # as validation reads it: a CSV cell is text
        number = version if isinstance(version, int) and not isinstance(version, bool) \
            and 1 <= version <= MAX_NUMBER else None
        try:
            stamp = to_instant(payload.get("updated_at")) if payload.get("updated_at") else None
        except ValueError:
            stamp = None
        return cls(number, stamp)

    def describe(self) -> str:
        if self.version is not None:
            return f"version {self.version}"
        return f"updated {self.updated_at.isoformat()}" if self.updated_at else "no version"


def compare(new: VersionKey, old: VersionKey) -> int:
    """1 when `new` is newer, 0 when it is the same version, -1 when it is older.

    When the two cannot be ordered (one has only a number, the other only a time, or neither),
    the later arrival counts as newer: holding it for review is safer than dropping it.
    """
    if new.version is not None and old.version is not None:
        return (new.version > old.version) - (new.version < old.version)
    if new.updated_at is not None and old.updated_at is not None:
        return (new.updated_at > old.updated_at) - (new.updated_at < old.updated_at)
    return 1

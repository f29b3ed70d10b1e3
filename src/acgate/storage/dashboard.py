"""What the exception dashboard counts: the holding area by rule gap, code, owner and age, and
the records that came in and went out since a moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from acgate.domain.codes import Outcome
from acgate.storage.repository import Repository
from acgate.storage.tables import OPEN_INDEXED, OPEN_ONLY, documents, events, findings

OPEN = tuple(outcome.value for outcome in OPEN_INDEXED)
# The event kinds the inflow and outflow chart counts: a version received, and a record leaving
# the holding area for AutoCount, for good, or by a person's word.
FLOW_KINDS = ("received", "synced", "rejected", "released")


@dataclass(frozen=True, slots=True)
class OpenCount:
    """Records held and waiting under one heading (a gap, a code, an owner, an age)."""

    key: str
    held: int
    waiting: int

    @property
    def total(self) -> int:
        return self.held + self.waiting


def _counts(rows: Iterable[Any], keys: Sequence[str] = ()) -> list[OpenCount]:
    found: dict[str, dict[str, int]] = {key: {} for key in keys}
    for key, outcome, count in rows:
        found.setdefault(key or "-", {})[outcome] = count
    counts = [OpenCount(key, by.get(Outcome.HELD.value, 0), by.get(Outcome.WAITING.value, 0))
              for key, by in found.items()]
    # Fixed headings (ages) keep their order; the others show the biggest first.
    return counts if keys else sorted(counts, key=lambda c: (-c.total, c.key))


def _open_findings(column: Any) -> Any:
    records = func.count(documents.c.id.distinct())
    return select(column, documents.c.outcome, records).select_from(
        findings.join(documents, documents.c.id == findings.c.document_id)
    ).where(documents.c.outcome.in_(OPEN), findings.c.outcome != Outcome.READY.value) \
        .group_by(column, documents.c.outcome)


def open_by_gap(repo: Repository) -> list[OpenCount]:
    """Held and waiting records per rule gap of their open findings."""
    return _counts(repo.connection.execute(_open_findings(findings.c.gap)))


def open_by_code(repo: Repository) -> list[OpenCount]:
    """Held and waiting records per finding code (a record with two codes counts under both)."""
    return _counts(repo.connection.execute(_open_findings(findings.c.code)))


def open_by_owner(repo: Repository) -> list[OpenCount]:
    """Held and waiting records per owner: the role that must act for each to move on."""
    query = select(documents.c.owner, documents.c.outcome, func.count()).where(
        OPEN_ONLY).group_by(documents.c.owner, documents.c.outcome)  # from the owner index
    return _counts(repo.connection.execute(query))


def open_by_age(repo: Repository, now: dt.datetime,
                buckets: Sequence[tuple[str, dt.timedelta | None]]) -> list[OpenCount]:
    """Held and waiting records by time since first received; `buckets` are (label, under)
    from youngest to oldest, the last one open-ended (None)."""
    bounded = [(label, under) for label, under in buckets if under is not None]
    last = next(label for label, under in buckets if under is None)
    age = case(*[(documents.c.first_received_at > now - under, label)
                 for label, under in bounded], else_=last)
    # Grouped in an outer query: PostgreSQL does not see two renderings of the same CASE, with
    # their own parameters, as one expression.
    aged = select(age.label("bucket"), documents.c.outcome).where(
        documents.c.outcome.in_(OPEN)).subquery()
    query = select(aged.c.bucket, aged.c.outcome, func.count()).group_by(
        aged.c.bucket, aged.c.outcome)
    return _counts(repo.connection.execute(query), [label for label, _ in buckets])


def flow_since(repo: Repository, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(kind, when) of each inflow and outflow event since `since`, oldest first."""
    query = select(events.c.kind, events.c.at).where(
        events.c.kind.in_(FLOW_KINDS), events.c.at >= since).order_by(events.c.at)
    return [(row.kind, row.at) for row in repo.connection.execute(query)]

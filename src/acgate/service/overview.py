"""What the pages read: the exception dashboard, a page of the queue with the causes behind it,
and a record with its checklist and what changed between its versions. Read-only; each call is
one transaction."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from acgate.domain.checklist import ChecklistRow, checklist
from acgate.domain.codes import Code, Outcome
from acgate.domain.diff import FieldChange, diff
from acgate.domain.documents import canonical_json
from acgate.domain.findings import Finding
from acgate.domain.rules import CompanyRules, Table
from acgate.service.companies import CompanyDirectory
from acgate.service.pipeline import parse_raw
from acgate.service.trace import Trace, build_trace
from acgate.storage import dashboard as counts
from acgate.storage.dashboard import OpenCount
from acgate.storage.outbox import Outbox
from acgate.storage.queue import (
    Cause,
    QueueFilter,
    QueueRow,
    causes,
    count_queue,
    list_queue,
)
from acgate.storage.repository import finding_from_row
from acgate.storage.store import Store

AGES: tuple[tuple[str, dt.timedelta | None], ...] = (
    ("under 1 day", dt.timedelta(days=1)),
    ("1 to 3 days", dt.timedelta(days=3)),
    ("3 to 7 days", dt.timedelta(days=7)),
    ("over 7 days", None),
)
FAILED_SYNC = (Code.SYNC_FAILED, Code.SYNC_REJECTED)


@dataclass(frozen=True, slots=True)
class DayFlow:
    day: dt.date
    received: int
    synced: int
    released: int
    rejected: int

    @property
    def out(self) -> int:
        return self.synced + self.released + self.rejected


@dataclass(frozen=True, slots=True)
class Dashboard:
    held: int
    waiting: int
    by_gap: list[OpenCount]
    by_code: list[OpenCount]
    by_owner: list[OpenCount]
    by_age: list[OpenCount]
    flow: list[DayFlow]
    oldest: list[QueueRow]
    failed_syncs: list[QueueRow]
    failed_sync_count: int
    paused: dict[str, str]


def dashboard(store: Store, now: dt.datetime, zone: ZoneInfo, days: int = 14,
              shown: int = 8) -> Dashboard:
    """The holding area at a glance; days are counted in `zone` (the company's time zone)."""
    today = now.astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), zone)
    with store.transaction() as repo:
        by_owner = counts.open_by_owner(repo)
        flow = counts.flow_since(repo, since)
        oldest = list_queue(repo, QueueFilter(outcomes=(Outcome.HELD,), limit=shown), now)
        failed: list[QueueRow] = []
        failed_count = 0
        for code in FAILED_SYNC:
            wanted = QueueFilter(outcomes=(Outcome.HELD,), code=code.value, limit=shown)
            failed += list_queue(repo, wanted, now)
            failed_count += count_queue(repo, wanted, now)
        board = Dashboard(
            held=sum(c.held for c in by_owner), waiting=sum(c.waiting for c in by_owner),
            by_gap=counts.open_by_gap(repo), by_code=counts.open_by_code(repo),
            by_owner=by_owner, by_age=counts.open_by_age(repo, now, AGES),
            flow=_per_day(flow, first, days, zone), oldest=oldest,
            failed_syncs=sorted(failed, key=lambda r: r.first_received_at)[:shown],
            failed_sync_count=failed_count, paused=Outbox(repo).paused(),
        )
    return board


def _per_day(flow: list[tuple[str, dt.datetime]], first: dt.date, days: int,
             zone: ZoneInfo) -> list[DayFlow]:
    tally = {first + dt.timedelta(days=n): dict.fromkeys(counts.FLOW_KINDS, 0)
             for n in range(days)}
    for kind, at in flow:
        day = tally.get(at.astimezone(zone).date())
        if day is not None:
            day[kind] += 1
    return [DayFlow(day, by["received"], by["synced"], by["released"], by["rejected"])
            for day, by in tally.items()]


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    causes: list[Cause]


def queue_page(store: Store, wanted: QueueFilter, now: dt.datetime) -> QueuePage:
    """One page of the queue, how many records the filter selects, and the missing mappings
    that hold most of them."""
    with store.transaction() as repo:
        return QueuePage(list_queue(repo, wanted, now), count_queue(repo, wanted, now),
                         causes(repo, wanted, now))


@dataclass(frozen=True, slots=True)
class VersionChanges:
    """What changed from one version received to the next, field by field."""

    before: str
    after: str
    changes: list[FieldChange] | None  # None: one of the two payloads could not be read


@dataclass(frozen=True, slots=True)
class RecordView:
    trace: Trace
    findings: list[Finding]  # the current version's, as `Review.release` weighs them
    checklist: list[ChecklistRow]
    changes: list[VersionChanges]


def record_view(store: Store, ref: str) -> RecordView:
    """A record as its page shows it (`UnknownDocument` if there is none)."""
    with store.transaction() as repo:
        trace = build_trace(repo, ref)
        stored = trace.document
        findings = [finding_from_row(row)
                    for row in repo.findings_of([stored.id]).get(stored.id, [])]
        # A stale delivery (older than what was stored) was never applied: nothing changed.
        applied = [v for v in repo.versions_of(stored.id) if v.state != "stale"]
    changes = []
    for before, after in itertools.pairwise(applied):
        old, new = parse_raw(before.raw), parse_raw(after.raw)
        found = (diff(canonical_json(old), canonical_json(new))
                 if old is not None and new is not None else None)
        changes.append(VersionChanges(_label(before), _label(after), found))
    return RecordView(trace, findings, checklist(findings, stored.assignee), changes)


def _label(version: Any) -> str:
    """How the trace names a version: its number, else (goods received) its update time."""
    if version.version is not None:
        return f"v{version.version}"
    updated: dt.datetime | None = version.source_updated_at
    return f"updated {updated.isoformat()}" if updated else "(no version)"


def mapping_targets(store: Store, directory: CompanyDirectory, company: str,
                    table: Table) -> list[str]:
    """The AutoCount codes a mapping of `table` may point at: what `Review.add_mapping`
    accepts (for UOM aliases, every UOM some item has)."""
    with store.transaction() as repo:
        master = directory.get(repo, company).master
    if table is Table.UOM:
        return sorted({u.uom for item in master.items.values() for u in item.uoms})
    return sorted(master.codes(table.value))


def effective_rules(store: Store, directory: CompanyDirectory) -> dict[str, CompanyRules]:
    """Each company's rules as the checks apply them: the rules file plus people's mappings."""
    with store.transaction() as repo:
        return {name: directory.get(repo, name).rules for name in sorted(directory.rules)}

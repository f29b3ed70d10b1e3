"""The holding area as a list: what waits, what is held, whose it is, and for how long."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from acgate.domain.access import Principal
from acgate.domain.codes import Outcome
from acgate.domain.documents import DocType, Identity
from acgate.domain.findings import DOCUMENT_BLOCKER, Finding, Suggestion
from acgate.storage.repository import Repository, finding_from_row
from acgate.storage.tables import OPEN_INDEXED, OPEN_ONLY, documents, findings, versions

DEFAULT_OUTCOMES = (Outcome.HELD, Outcome.WAITING)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    outcomes: Sequence[Outcome] = DEFAULT_OUTCOMES
    code: str | None = None
    owner: str | None = None
    assignee: str | None = None
    doc_type: DocType | None = None
    party: str | None = None
    company: str | None = None
    older_than: dt.timedelta | None = None
    # "My queue": records owned by a role this person works for, or assigned to them by name.
    mine: Principal | None = None
    # Held on one missing mapping: (company, table, code) as a `Cause` names it.
    blocker: tuple[str, str, str] | None = None
    limit: int | None = 200
    offset: int = 0


@dataclass(frozen=True, slots=True)
class QueueRow:
    identity: Identity
    company: str
    version: int | None
    outcome: Outcome
    owner: str | None
    assignee: str | None
    party: str | None
    first_received_at: dt.datetime
    changed_at: dt.datetime
    findings: tuple[Finding, ...]

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.first_received_at

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "identity": str(self.identity), "company": self.company, "version": self.version,
            "outcome": self.outcome.value, "owner": self.owner, "assignee": self.assignee,
            "party": self.party, "first_received_at": self.first_received_at.isoformat(),
            "age_hours": round(self.age(now).total_seconds() / 3600, 1),
            "findings": [f.as_dict() for f in self.findings],
        }


def _filtered(query: Any, wanted: QueueFilter, now: dt.datetime) -> Any:
    query = query.where(documents.c.outcome.in_([o.value for o in wanted.outcomes]))
    if set(wanted.outcomes) <= set(OPEN_INDEXED) and (wanted.party or wanted.owner):
        query = query.where(OPEN_ONLY)  # the party and owner indexes' own condition: see tables
    if wanted.company:
        query = query.where(documents.c.company == wanted.company)
    if wanted.owner:
        query = query.where(documents.c.owner == wanted.owner)
    if wanted.assignee:
        query = query.where(documents.c.assignee == wanted.assignee)
    if wanted.mine is not None:
        query = query.where(or_(documents.c.owner.in_(sorted(wanted.mine.queue_owners)),
                                documents.c.assignee == wanted.mine.username))
    if wanted.doc_type:
        query = query.where(documents.c.type == wanted.doc_type.value)
    if wanted.party:
        query = query.where(documents.c.party_code == wanted.party)
    if wanted.older_than is not None:
        query = query.where(documents.c.first_received_at < now - wanted.older_than)
    if wanted.code:
        query = query.where(documents.c.id.in_(
            select(findings.c.document_id).where(findings.c.code == wanted.code.upper())))
    if wanted.blocker is not None:
        company, table, code = wanted.blocker
        query = query.where(documents.c.id.in_(select(findings.c.document_id).where(
            findings.c.company == company, findings.c.blocker_table == table,
            findings.c.blocker_code == code)))
    return query


def list_queue(repo: Repository, wanted: QueueFilter, now: dt.datetime) -> list[QueueRow]:
    """Oldest first: the record that has waited longest is the one to look at."""
    order = (documents.c.first_received_at, documents.c.id)
    page = _filtered(select(documents.c.id), wanted, now).order_by(*order)
    if wanted.limit is not None:
        page = page.limit(wanted.limit)
    if wanted.offset:
        page = page.offset(wanted.offset)
    # The page's ids first, from the queue index alone; only those rows are then read whole, so
    # a deep page costs no more than the first.
    query = select(documents, versions.c.version).select_from(
        documents.outerjoin(versions, versions.c.id == documents.c.current_version_id)
    ).where(documents.c.id.in_(page)).order_by(*order)
    rows = list(repo.connection.execute(query))
    found = repo.findings_of(row.id for row in rows)
    return [
        QueueRow(
            identity=Identity(row.source, DocType(row.type), row.doc_id), company=row.company,
            version=row.version, outcome=Outcome(row.outcome), owner=row.owner,
            assignee=row.assignee, party=row.party_code,
            first_received_at=row.first_received_at, changed_at=row.changed_at,
            findings=tuple(finding_from_row(f) for f in found.get(row.id, [])),
        )
        for row in rows
    ]


def count_queue(repo: Repository, wanted: QueueFilter, now: dt.datetime) -> int:
    query = _filtered(select(func.count()).select_from(documents), wanted, now)
    return int(repo.connection.execute(query).scalar() or 0)


def summary(repo: Repository, company: str | None = None) -> dict[str, Any]:
    """Counts by outcome, and open findings by code and owner."""
    by_outcome = select(documents.c.outcome, func.count()).group_by(documents.c.outcome)
    open_docs = select(documents.c.id).where(
        documents.c.outcome.in_([Outcome.HELD.value, Outcome.WAITING.value]))
    by_code = select(findings.c.code, findings.c.owner, func.count()).where(
        findings.c.document_id.in_(open_docs), findings.c.outcome != Outcome.READY.value
    ).group_by(findings.c.code, findings.c.owner)
    if company:
        by_outcome = by_outcome.where(documents.c.company == company)
        by_code = by_code.where(findings.c.company == company)
    return {
        "outcomes": {row[0]: row[1] for row in repo.connection.execute(by_outcome)},
        "open_findings": [
            {"code": row[0], "owner": row[1], "count": row[2]}
            for row in repo.connection.execute(by_code.order_by(func.count().desc()))
        ],
    }


@dataclass(frozen=True, slots=True)
class Cause:
    """Records held on one missing mapping: adding it re-checks them all at once."""

    company: str
    table: str
    code: str  # as the finding's blocker has it (a UOM word casefolded)
    records: int
    suggestions: tuple[Suggestion, ...]  # the ways out one of those findings offers

    @property
    def source_code(self) -> str:
        """The code as the source spells it, for the mapping to add."""
        return next((s.source_code for s in self.suggestions if s.source_code), self.code)


def causes(repo: Repository, wanted: QueueFilter, now: dt.datetime,
           limit: int = 10) -> list[Cause]:
    """The missing mappings that hold most of the records `wanted` selects, most first (a
    record waiting on another document has no mapping to add)."""
    records = func.count(findings.c.document_id.distinct())
    # A join rather than `IN (selected ids)`: the blocker index is read in order and each
    # finding's document checked by its key, instead of materialising every selected id.
    query = _filtered(
        select(findings.c.company, findings.c.blocker_table, findings.c.blocker_code, records,
               func.min(findings.c.id))
        .select_from(findings.join(documents, documents.c.id == findings.c.document_id))
        .where(findings.c.blocker_table.is_not(None),
               findings.c.blocker_table != DOCUMENT_BLOCKER,
               findings.c.outcome != Outcome.READY.value),
        wanted, now,
    ).group_by(findings.c.company, findings.c.blocker_table, findings.c.blocker_code) \
        .order_by(records.desc(), findings.c.blocker_code).limit(limit)
    groups = list(repo.connection.execute(query))
    examples = {row.id: row for row in repo.connection.execute(
        select(findings.c.id, findings.c.suggestions).where(
            findings.c.id.in_([group[4] for group in groups])))}
    return [
        Cause(company, table, code, count, tuple(
            Suggestion(**s) for s in (examples[example].suggestions or [])))
        for company, table, code, count, example in groups
    ]

"""Read-only listings the faces show: the integration log of sync attempts, the mappings people
added, and when each company's master data was loaded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from acgate.domain.documents import DocType, Identity
from acgate.storage.repository import Repository
from acgate.storage.tables import documents, mappings, master_data, sync_attempts


@dataclass(frozen=True, slots=True)
class SyncLogFilter:
    company: str | None = None
    result: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """One call to AutoCount for one document, and what it answered."""

    at: dt.datetime
    identity: Identity
    company: str
    worker: str | None
    action: str
    result: str
    doc_no: str | None
    message: str | None
    elapsed_ms: int | None


@dataclass(frozen=True, slots=True)
class MappingRow:
    """A mapping a person added (the rules file's own mappings are in the rules)."""

    company: str
    table: str
    source_code: str
    target_code: str
    added_by: str
    added_at: dt.datetime
    reason: str | None


@dataclass(frozen=True, slots=True)
class MasterLoad:
    company: str
    loaded_from: str | None
    loaded_at: dt.datetime


def _attempts_where(query: Any, wanted: SyncLogFilter) -> Any:
    if wanted.company:
        query = query.where(sync_attempts.c.company == wanted.company)
    if wanted.result:
        query = query.where(sync_attempts.c.result == wanted.result)
    return query


def sync_log(repo: Repository, wanted: SyncLogFilter) -> list[AttemptRow]:
    """Newest first: the integration log is read to see what just happened."""
    query = _attempts_where(
        select(sync_attempts, documents.c.source, documents.c.type, documents.c.doc_id)
        .select_from(sync_attempts.join(documents,
                                        documents.c.id == sync_attempts.c.document_id)),
        wanted,
    ).order_by(sync_attempts.c.at.desc(), sync_attempts.c.id.desc()) \
        .limit(wanted.limit).offset(wanted.offset)
    return [
        AttemptRow(row.at, Identity(row.source, DocType(row.type), row.doc_id), row.company,
                   row.worker, row.action, row.result, row.doc_no, row.message, row.elapsed_ms)
        for row in repo.connection.execute(query)
    ]


def count_sync_log(repo: Repository, wanted: SyncLogFilter) -> int:
    query = _attempts_where(select(func.count()).select_from(sync_attempts), wanted)
    return int(repo.connection.execute(query).scalar() or 0)


def added_mappings(repo: Repository, company: str | None = None) -> list[MappingRow]:
    query = select(mappings).order_by(mappings.c.company, mappings.c.table_name,
                                      mappings.c.source_code)
    if company:
        query = query.where(mappings.c.company == company)
    return [
        MappingRow(row.company, row.table_name, row.source_code, row.target_code,
                   row.added_by, row.added_at, row.reason)
        for row in repo.connection.execute(query)
    ]


def master_load(repo: Repository, company: str) -> MasterLoad | None:
    """When and from what a company's master data was last loaded; None if it never was."""
    row = repo.connection.execute(
        select(master_data.c.company, master_data.c.loaded_from, master_data.c.loaded_at)
        .where(master_data.c.company == company)).first()
    return MasterLoad(row.company, row.loaded_from, row.loaded_at) if row else None

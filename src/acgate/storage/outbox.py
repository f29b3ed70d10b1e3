"""The outbox's reads and writes: what is due, who holds it, and what each attempt returned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from acgate.storage.repository import Repository
from acgate.storage.tables import documents, outbox, sync_attempts, targets, versions

OPEN_STATES = ("pending", "in_flight", "in_doubt")
# Out of retries while AutoCount's answers never came: it may hold the version. A person's retry
# asks AutoCount first, and no newer version of the record is queued until then.
FAILED_IN_DOUBT = "failed_in_doubt"
# Entries that may have reached AutoCount and are not settled: a newer version waits for them.
UNSETTLED = ("in_flight", "in_doubt", FAILED_IN_DOUBT)


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    document_id: int
    version_id: int
    company: str
    action: str
    key: str
    doc_no: str | None
    state: str
    attempts: int  # counting this one: the claim that handed the entry out counted it
    # The previous holder may have sent it (it was in doubt, or its lease ran out mid-call):
    # AutoCount must be asked before anything is sent again.
    maybe_sent: bool


def _claimed(row: Any, maybe_sent: bool) -> Entry:
    return Entry(row.id, row.document_id, row.version_id, row.company, row.action, row.key,
                 row.doc_no, row.state, row.attempts + 1, maybe_sent)


class Outbox:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.connection = repo.connection

    def ready_without_entry(self, company: str | None = None) -> list[Any]:
        """Ready documents whose current version has no outbox entry yet."""
        query = select(documents.c.id, documents.c.company, documents.c.current_version_id,
                       documents.c.autocount_doc_no).select_from(
            documents.join(versions, versions.c.id == documents.c.current_version_id)
        ).where(
            documents.c.outcome == "ready",
            ~select(outbox.c.id).where(
                outbox.c.document_id == documents.c.id,
                outbox.c.version_id == documents.c.current_version_id,
                outbox.c.state != "cancelled",
            ).exists(),
            # While an older version is being sent, or may have reached AutoCount (in doubt),
            # the newer one waits for its answer: queued now it would be posted as a document
            # of its own beside the older one. Once that entry is settled, the newer version is
            # re-checked as a change after sync (or queued to post, if AutoCount never got it).
            ~select(outbox.c.id).where(
                outbox.c.document_id == documents.c.id,
                outbox.c.state.in_(UNSETTLED),
            ).exists(),
        ).order_by(documents.c.id)
        if company:
            query = query.where(documents.c.company == company)
        return list(self.connection.execute(query))

    def ready_behind_doubt(self, company: str | None = None) -> list[int]:
        """Ready documents an older version's sync keeps from being queued: it ran out of
        retries with its answers lost, so AutoCount may hold that version."""
        query = select(documents.c.id).where(
            documents.c.outcome == "ready",
            select(outbox.c.id).where(
                outbox.c.document_id == documents.c.id,
                outbox.c.version_id != documents.c.current_version_id,
                outbox.c.state == FAILED_IN_DOUBT,
            ).exists(),
        ).order_by(documents.c.id)
        if company:
            query = query.where(documents.c.company == company)
        return [row.id for row in self.connection.execute(query)]

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Queue these entries. One that was withdrawn before it was ever sent (its record
        stopped being ready, and is ready again on the same version) is that entry queued again:
        its key and action are the same, and an entry is known by them."""
        withdrawn: dict[tuple[str, str], int] = {}
        keys = sorted({row["key"] for row in rows})
        for start in range(0, len(keys), 400):
            withdrawn.update(((row.key, row.action), row.id) for row in self.connection.execute(
                select(outbox.c.id, outbox.c.key, outbox.c.action).where(
                    outbox.c.state == "cancelled", outbox.c.key.in_(keys[start:start + 400]))))
        fresh = []
        for row in rows:
            entry_id = withdrawn.get((row["key"], row["action"]))
            if entry_id is None:
                fresh.append(row)
                continue
            self.connection.execute(update(outbox).where(outbox.c.id == entry_id).values(
                state="pending", attempts=0, last_error=None, version_id=row["version_id"],
                doc_no=row["doc_no"], not_before=row["not_before"],
                updated_at=row["updated_at"]))
        if fresh:
            self.connection.execute(insert(outbox), fresh)

    def claim(self, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int,
              paused: set[str]) -> list[Entry]:
        """Take up to `limit` due entries for this worker, oldest document first."""
        due = or_(
            and_(outbox.c.state.in_(("pending", "in_doubt")), outbox.c.not_before <= now),
            and_(outbox.c.state == "in_flight", outbox.c.lease_until < now),
        )
        query = select(outbox).where(due).order_by(outbox.c.document_id, outbox.c.id) \
            .limit(limit)
        if paused:
            query = query.where(outbox.c.company.not_in(sorted(paused)))
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(self.connection.execute(query))
        self.repo.update_rows(outbox, [
            {"id": row.id, "state": "in_flight", "lease_until": now + lease, "worker": worker,
             "attempts": row.attempts + 1, "updated_at": now}
            for row in rows
        ])
        return [_claimed(row, row.state in ("in_doubt", "in_flight")) for row in rows]

    def settle_many(self, rows: list[dict[str, Any]], now: dt.datetime) -> None:
        """Each row: the entry's `id` and what to set; the lease ends with it."""
        self.repo.update_rows(outbox, [{**row, "updated_at": now, "lease_until": None}
                                       for row in rows])

    def record_attempts(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(sync_attempts), rows)

    def posted(self, document_id: int) -> dict[str, Any] | None:
        """The posting AutoCount last accepted for a document (its lines as AutoCount has them)."""
        row = self.connection.execute(
            select(outbox.c.posting).where(outbox.c.document_id == document_id,
                                           outbox.c.state == "done",
                                           outbox.c.posting.is_not(None))
            .order_by(outbox.c.id.desc()).limit(1)).first()
        return dict(row.posting) if row and row.posting else None

    def entries_of(self, document_id: int) -> list[Any]:
        return list(self.connection.execute(
            select(outbox).where(outbox.c.document_id == document_id).order_by(outbox.c.id)))

    def attempts_of(self, document_id: int) -> list[Any]:
        return list(self.connection.execute(
            select(sync_attempts).where(sync_attempts.c.document_id == document_id)
            .order_by(sync_attempts.c.id)))

    def reopen_failed(self, document_id: int, version_id: int, now: dt.datetime) -> int:
        """A person retries a failed sync of the current version, and of any older version
        AutoCount may hold (an older version that surely never reached it is superseded, never
        sent): due again, counted afresh. It may have failed while in doubt, so AutoCount is
        asked before anything is sent again."""
        result = self.connection.execute(update(outbox).where(
            outbox.c.document_id == document_id,
            or_(and_(outbox.c.version_id == version_id, outbox.c.state == "failed"),
                outbox.c.state == FAILED_IN_DOUBT),
        ).values(state="in_doubt", attempts=0, not_before=now, updated_at=now, last_error=None))
        return result.rowcount or 0

    def reopen_done(self, document_id: int, version_id: int, now: dt.datetime) -> None:
        """AutoCount lost a synced document: the current version is posted afresh, once. Older
        versions' entries stay done; a current version without an entry gets one when ready."""
        self.connection.execute(update(outbox).where(
            outbox.c.document_id == document_id, outbox.c.version_id == version_id,
            outbox.c.state == "done",
        ).values(state="pending", action="post", attempts=0, not_before=now, updated_at=now))

    def cancel_unsent(self, document_id: int, now: dt.datetime) -> bool:
        """A person rejects a record: its entries that never reached AutoCount are not sent
        (kept, as `cancelled`, for the record's history). Whether one may have reached it
        (claimed, or in doubt) is the answer: such a record is AutoCount's to tell about first.
        The update comes before the look: on PostgreSQL it waits for a worker's claim of the
        same entry to commit, so the look then sees that claim."""
        self.connection.execute(update(outbox).where(
            outbox.c.document_id == document_id, outbox.c.state == "pending",
        ).values(state="cancelled", updated_at=now))
        under_way = select(outbox.c.id).where(outbox.c.document_id == document_id,
                                               outbox.c.state.in_(UNSETTLED))
        return self.connection.execute(under_way.limit(1)).first() is not None

    def open_count(self) -> int:
        query = select(outbox.c.id).where(outbox.c.state.in_(OPEN_STATES))
        return len(list(self.connection.execute(query)))

    # ---- targets -------------------------------------------------------------------------
    def paused(self) -> dict[str, str]:
        query = select(targets.c.company, targets.c.reason).where(targets.c.paused.is_(True))
        return {row.company: row.reason for row in self.connection.execute(query)}

    def pause(self, company: str, reason: str, now: dt.datetime) -> None:
        self.connection.execute(targets.delete().where(targets.c.company == company))
        self.connection.execute(insert(targets), [{"company": company, "paused": True,
                                                   "reason": reason, "since": now}])

    def resume(self, company: str) -> None:
        self.connection.execute(targets.delete().where(targets.c.company == company))

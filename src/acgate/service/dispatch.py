"""Posting ready records to an AutoCount book and recording what became of each.

This first dispatcher posts in-process to the sandbox book; the HTTP clients, retries and the
durable outbox build on the same records (issue 3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from acgate.autocount.sandbox import SandboxBook
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import TradeDocument
from acgate.service.pipeline import followers, parse_raw
from acgate.service.review import Review
from acgate.storage.repository import Repository, StoredDocument
from acgate.storage.store import Store


@dataclass
class DispatchReport:
    posted: list[tuple[str, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)
    voided: list[tuple[str, str]] = field(default_factory=list)
    followers_rechecked: int = 0


class Dispatcher:
    def __init__(self, store: Store, review: Review, book: SandboxBook,
                 clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.review = review
        self.book = book
        self.clock = clock

    def sync_ready(self, company: str | None = None, actor: str = "dispatcher") -> DispatchReport:
        """Post every ready record, then re-check the records that waited on them."""
        report = DispatchReport()
        now = self.clock()
        with self.store.transaction() as repo:
            ids = repo.ids_where(company=company, outcomes=(Outcome.READY,))
            synced = [self._sync(repo, stored, now, actor, report) for stored in repo.by_ids(ids)]
            waiting = followers(repo, [identity for identity in synced if identity])
            report.followers_rechecked = len(self.review.recheck_ids(
                repo, waiting, actor, "a document it depends on synced", only_changes=True))
        return report

    def _sync(self, repo: Repository, stored: StoredDocument, now: dt.datetime, actor: str,
              report: DispatchReport) -> str | None:
        doc = parse_raw(stored.raw or "{}")
        if doc is None or stored.current_version_id is None:
            return None
        codes = {row.code for row in repo.findings_of([stored.id]).get(stored.id, [])}
        payload: dict[str, Any] = doc.model_dump(mode="json")
        doc_no = stored.autocount_doc_no
        if doc_no and Code.CANCELLED_AFTER_SYNC.value in codes:
            self.book.void(doc.type, doc_no)
            action, bucket = "voided", report.voided
        elif doc_no:
            self.book.update(doc.type, doc_no, payload)
            action, bucket = "updated", report.updated
        else:
            day = doc.date if isinstance(doc, TradeDocument) else now.date()
            doc_no = self.book.post(doc.type, payload, day)
            action, bucket = "posted", report.posted
        bucket.append((str(stored.identity), doc_no))
        repo.update_documents([{
            "id": stored.id, "outcome": Outcome.SYNCED.value, "owner": None,
            "synced_version_id": stored.current_version_id, "autocount_doc_no": doc_no,
            "changed_at": now,
        }])
        repo.set_version_fields(stored.current_version_id, outcome=Outcome.SYNCED.value)
        repo.append_events([{
            "document_id": stored.id, "version_id": stored.current_version_id,
            "company": stored.company, "at": now, "actor": actor, "kind": "sync_attempt",
            "reason": f"{action} in AutoCount as {doc_no}",
            "data": {"target": "sandbox", "result": "accepted", "action": action,
                     "doc_no": doc_no, "outcome": Outcome.SYNCED.value,
                     "previous_outcome": stored.outcome.value},
        }])
        return str(stored.identity)

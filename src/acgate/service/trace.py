"""A record's trace: every question `exceptions.md` says a record must answer, in one place."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from acgate.domain.codes import Code
from acgate.domain.documents import Identity
from acgate.domain.values import canonical_decimal
from acgate.service.pipeline import version_hash
from acgate.service.records import expand_mapping
from acgate.service.review import find_document
from acgate.storage.outbox import Outbox
from acgate.storage.repository import Repository, StoredDocument


@dataclass(frozen=True, slots=True)
class Trace:
    document: StoredDocument
    versions: list[dict[str, Any]]
    current: dict[str, Any]
    events: list[dict[str, Any]]
    fulfilment: dict[str, Any]
    changed_after_sync: bool
    sync_attempts: list[dict[str, Any]]

    @property
    def identity(self) -> Identity:
        return self.document.identity

    def as_dict(self) -> dict[str, Any]:
        doc = self.document
        mapped, conversions = expand_mapping(self.current)
        return {
            "identity": str(doc.identity), "company": doc.company,
            "outcome": doc.outcome.value, "owner": doc.owner, "assignee": doc.assignee,
            "first_received_at": doc.first_received_at.isoformat(),
            "autocount_doc_no": doc.autocount_doc_no,
            "changed_after_sync": self.changed_after_sync,
            "versions": self.versions,
            "findings": self.current.get("findings", []),
            "mapped": mapped,
            "conversions": conversions,
            "duplicate_checks": self.current.get("duplicate_checks", []),
            "totals": self.current.get("totals", {}),
            "fulfilment": self.fulfilment,
            "sync_attempts": self.sync_attempts,
            "events": self.events,
        }


def _approval(raw: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(raw)
    except ValueError:
        return None
    approval = payload.get("approval") if isinstance(payload, dict) else None
    return approval if isinstance(approval, dict) else None


def build_trace(repo: Repository, ref: str) -> Trace:
    doc = find_document(repo, ref)
    rows = repo.versions_of(doc.id)
    event_rows = repo.events_of(doc.id)
    # Every version AutoCount has accepted, not only the one it holds now: a change carried out
    # by the version policy (update, new_document) moves the synced version on.
    ever_synced = {e.version_id for e in event_rows if e.kind == "synced"}
    ever_synced.add(doc.synced_version_id)
    versions = []
    current: dict[str, Any] = {}
    for row in rows:
        versions.append({
            "version": row.version,
            "updated_at": row.source_updated_at.isoformat() if row.source_updated_at else None,
            "received_at": row.received_at.isoformat(), "origin": row.origin,
            "status": row.status, "state": row.state, "outcome": row.outcome,
            "approval": _approval(row.raw),
            "content_hash": version_hash(row.content_hash, row.raw),
            "problems": row.problems, "synced": row.id in ever_synced,
            "released": row.released or {},
        })
        if row.id == doc.current_version_id:
            current = dict(row.assessment or {})
    events = [
        {"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "reason": e.reason,
         "data": e.data or {}}
        for e in event_rows
    ]
    synced_at = next((i for i, row in enumerate(rows) if row.id in ever_synced), None)
    changed = synced_at is not None and any(_changed_after_sync(row)
                                            for row in rows[synced_at + 1:])
    attempts = [
        {"at": a.at.isoformat(), "worker": a.worker, "action": a.action, "result": a.result,
         "doc_no": a.doc_no, "message": a.message, "elapsed_ms": a.elapsed_ms}
        for a in Outbox(repo).attempts_of(doc.id)
    ]
    return Trace(doc, versions, current, events, _fulfilment(repo, doc), changed, attempts)


_AFTER_SYNC = frozenset({Code.CHANGED_AFTER_SYNC.value, Code.CANCELLED_AFTER_SYNC.value})


def _changed_after_sync(row: Any) -> bool:
    """A later version changed the synced document as the engine judged it: a newer version
    with the same content (a status word the sync does not carry) leaves it as it is; one that
    breaks the contract is a change nobody can yet tell the size of."""
    if row.state == "invalid":
        return True
    if row.state not in ("current", "superseded"):
        return False
    findings = (row.assessment or {}).get("findings", [])
    return any(finding.get("code") in _AFTER_SYNC for finding in findings)


def _fulfilment(repo: Repository, doc: StoredDocument) -> dict[str, Any]:
    """What this document fulfils, and what has been fulfilled against it, in base units."""
    fulfils = [
        {"target": row.target, "target_line": row.target_line, "relation": row.relation,
         "line": row.line, "base_qty": row.base_qty}
        for row in repo.ledger_of(doc.id)
    ]
    against: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    followers = repo.ledger_for_targets([str(doc.identity)])
    counted = {s.id: s for s in repo.by_ids({row.document_id for row in followers})}
    for row in followers:
        follower = counted[row.document_id]
        if follower.counts_in_ledger:
            against[row.relation][row.target_line] += Decimal(row.base_qty)
    return {
        "fulfils": fulfils,
        "fulfilled_by": {
            relation: {str(line): canonical_decimal(qty) for line, qty in sorted(lines.items())}
            for relation, lines in against.items()
        },
    }

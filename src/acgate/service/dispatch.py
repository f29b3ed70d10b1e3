"""Dispatch: every ready record reaches AutoCount exactly once, or is held with a reason.

The outbox makes it durable. An entry is claimed with a lease in its own committed transaction
before AutoCount is called, so a worker killed mid-call leaves an entry whose lease runs out;
the next worker then asks AutoCount whether the document is there (by acgate's key) before it
sends anything again. A write is never retried blindly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from acgate.autocount.errors import (
    Duplicate,
    InDoubt,
    RateLimited,
    Rejected,
    TargetError,
    TargetPaused,
    Unavailable,
    Unsupported,
)
from acgate.autocount.target import Accepted, Target
from acgate.checks.posting import NotPostable, build_posting, idempotency_key
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import DocRef, DocType, TradeDocument
from acgate.domain.findings import Finding, Suggestion
from acgate.domain.posting import Posting, PostingLine, Transfer
from acgate.domain.rules import Numbering, RetryRule
from acgate.service.companies import CompanyDirectory
from acgate.service.pipeline import followers, parse_raw, recheck
from acgate.service.reconcile import posting_dict
from acgate.storage.outbox import Entry, Outbox
from acgate.storage.repository import Repository, StoredDocument
from acgate.storage.store import Store

TRANSFER_CODES = {DocType.SALES_ORDER: "SO", DocType.DELIVERY_ORDER: "DO",
                  DocType.PURCHASE_ORDER: "PO", DocType.GOODS_RECEIVED: "GR"}
MAX_DOC_NO = 30  # AutoCount's DocNo column


@dataclass
class DispatchReport:
    synced: list[tuple[str, str]] = field(default_factory=list)
    in_doubt: int = 0
    retrying: int = 0
    held: list[tuple[str, str]] = field(default_factory=list)
    paused: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    wait_seconds: float = 0.0
    followers_rechecked: int = 0

    @property
    def idle(self) -> bool:
        return not (self.synced or self.in_doubt or self.retrying or self.held)


def backoff(rule: RetryRule, attempt: int, key: str) -> dt.timedelta:
    """Exponential backoff with jitter, capped. The jitter is seeded by the entry so that a
    re-run of the same history waits the same way."""
    base = min(rule.first.total_seconds() * rule.factor ** max(attempt - 1, 0),
               rule.cap.total_seconds())
    spread = random.Random(f"{key}:{attempt}").uniform(-rule.jitter, rule.jitter)
    return dt.timedelta(seconds=max(base * (1 + spread), 0.0))


def budget_wait(target: Target) -> float:
    """Seconds until the target's rate budget allows a call: no call is spent on a 429."""
    rate = target.rate_limit
    if rate is None or rate.remaining is None or rate.remaining > 0 or rate.reset_after is None:
        return 0.0
    return max(0.0, rate.reset_after - (time.monotonic() - rate.seen_at))


def action_of(codes: set[str], policy: str | None, synced: bool) -> str:
    if not synced:
        return "post"
    if Code.CANCELLED_AFTER_SYNC.value in codes:
        return "void"
    return {"update": "update", "reverse": "reverse", "new_document": "adjust"}.get(
        policy or "", "update")


class Dispatcher:
    def __init__(self, store: Store, directory: CompanyDirectory,
                 targets: Callable[[str], Target], clock: Callable[[], dt.datetime],
                 worker: str = "dispatcher", lease: dt.timedelta = dt.timedelta(seconds=60),
                 on_call: Callable[[], None] | None = None) -> None:
        self.store = store
        self.directory = directory
        self.targets = targets
        self.clock = clock
        self.worker = worker
        self.lease = lease
        # A test hook run before each AutoCount call: fault tests kill the worker there.
        self.on_call = on_call

    # ---- the outbox ------------------------------------------------------------------------
    def enqueue(self, company: str | None = None) -> int:
        """Give every ready version its outbox entry (in one transaction)."""
        now = self.clock()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            rows = []
            for row in box.ready_without_entry(company):
                stored = repo.by_ids([row.id])[0]
                codes = {f.code for f in repo.findings_of([row.id]).get(row.id, [])}
                policy = self.directory.rules[row.company].for_type(
                    stored.identity.type).version_policy.value
                action = action_of(codes, policy, stored.synced_version_id is not None)
                rows.append({
                    "document_id": row.id, "version_id": row.current_version_id,
                    "company": row.company, "action": action,
                    "key": idempotency_key(row.company, str(stored.identity),
                                           row.content_hash or ""),
                    "doc_no": row.autocount_doc_no or self._chosen_number(stored),
                    "state": "pending", "attempts": 0, "not_before": now,
                    "created_at": now, "updated_at": now,
                })
            box.add(rows)
        return len(rows)

    def _chosen_number(self, stored: StoredDocument) -> str | None:
        numbering = self.directory.rules[stored.company].for_type(stored.identity.type).numbering
        if numbering is Numbering.SOURCE and len(stored.identity.id) <= MAX_DOC_NO:
            return stored.identity.id
        return None

    def run_once(self, company: str | None = None, limit: int = 200) -> DispatchReport:
        """Enqueue what became ready, then work through what is due, one document at a time."""
        self.enqueue(company)
        report = DispatchReport()
        now = self.clock()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            report.paused = box.paused()
            entries = box.claim(self.worker, now, self.lease, limit, set(report.paused))
        for entry in entries:
            wait = budget_wait(self.targets(entry.company)) if not report.wait_seconds else 0
            report.wait_seconds = max(report.wait_seconds, wait)
            if report.wait_seconds or entry.company in report.paused or \
                    (company and entry.company != company):
                # Rate budget spent, target paused, or not asked for: the entry waits unsent.
                self._release(entry)
                continue
            self._dispatch(entry, report)
        return report

    def _release(self, entry: Entry) -> None:
        """Give a claimed entry back untouched: it was not sent, so it is not in doubt."""
        with self.store.transaction() as repo:
            Outbox(repo).settle(entry.id, self.clock(), state="in_doubt" if entry.maybe_sent
                                else "pending", attempts=max(entry.attempts - 1, 0))

    # ---- one document ---------------------------------------------------------------------
    def _dispatch(self, entry: Entry, report: DispatchReport) -> None:
        target = self.targets(entry.company)
        started = time.monotonic()
        try:
            with self.store.transaction() as repo:
                posting, stored = self._posting(repo, entry)
            accepted = self._send(entry, target, posting, stored, report)
            posted = dataclasses.replace(posting, doc_no=accepted.doc_no)
        except (Rejected, Unsupported, NotPostable) as error:
            self._refused(entry, error, started, report)
            return
        except InDoubt as error:
            report.in_doubt += 1
            self._settle(entry, "in_doubt", started, str(error), state="in_doubt",
                         not_before=self.clock(), last_error=str(error))
            return
        except RateLimited as error:
            wait = error.reset_after_seconds or 60.0
            report.wait_seconds = max(report.wait_seconds, wait)
            self._settle(entry, "rate_limited", started, str(error), state=_unresolved(entry),
                         attempts=entry.attempts - 1,
                         not_before=self.clock() + dt.timedelta(seconds=wait))
            return
        except TargetPaused as error:
            self._paused(entry, error, started, report)
            return
        except (Unavailable, TargetError) as error:
            self._unavailable(entry, error, started, report)
            return
        self._synced(entry, accepted, posted, started, report)

    def _posting(self, repo: Repository, entry: Entry) -> tuple[Posting, StoredDocument]:
        stored = repo.by_ids([entry.document_id])[0]
        raws = repo.raws([entry.version_id])
        doc = parse_raw(raws[entry.version_id])
        if doc is None:
            raise NotPostable("the version no longer parses")
        company = self.directory.get(repo, entry.company)
        posting = build_posting(doc, company, entry.key, entry.doc_no,
                                lambda ref, line: self._transfer(repo, doc, ref, line))
        return posting, stored

    def _transfer(self, repo: Repository, doc: Any, ref: DocRef, line: int) -> Transfer | None:
        """The AutoCount line a line fulfils: as posted there (its number, position and UOM)."""
        code = TRANSFER_CODES.get(ref.type)
        if code is None or not isinstance(doc, TradeDocument):
            return None
        found = [s for s in repo.by_doc_id(ref.id) if s.identity.type is ref.type
                 and (s.identity.source == (ref.source or s.identity.source))]
        found.sort(key=lambda s: (s.identity.source != (ref.source or doc.source), s.id))
        target = next((s for s in found if s.autocount_doc_no), None)
        posted = Outbox(repo).posted(target.id) if target else None
        if target is None or target.autocount_doc_no is None or posted is None:
            return None
        index = next((i for i, known in enumerate(posted["lines"]) if known["line"] == line),
                     None)
        if index is None:
            return None
        return Transfer(ref.type, target.autocount_doc_no, index + 1,
                        posted["lines"][index]["uom"])

    def _call(self, report: DispatchReport) -> None:
        report.calls += 1
        if self.on_call:
            self.on_call()

    def _send(self, entry: Entry, target: Target, posting: Posting, stored: StoredDocument,
              report: DispatchReport) -> Accepted:
        if entry.maybe_sent:
            # What may have reached AutoCount: an adjustment went as a note of its own type.
            sent = self._note(posting, stored) if entry.action == "adjust" else posting
            self._call(report)
            present = target.find_by_key(sent.doc_type, entry.key, sent.party_code,
                                         sent.date, posting.doc_no if entry.action == "post"
                                         else None)
            if present is not None and entry.action in ("post", "adjust", "reverse"):
                return Accepted(present.doc_no, present.doc_key)
            if present is not None and entry.action == "void" and present.cancelled:
                return Accepted(present.doc_no, present.doc_key)
        try:
            return self._act(entry, target, posting, stored, report)
        except Duplicate as duplicate:
            self._call(report)
            existing = target.find(posting.doc_type, duplicate.doc_no)
            if existing is not None and existing.acgate_key == entry.key:
                return Accepted(existing.doc_no, existing.doc_key)
            raise

    def _act(self, entry: Entry, target: Target, posting: Posting, stored: StoredDocument,
             report: DispatchReport) -> Accepted:
        number = stored.autocount_doc_no
        if entry.action == "post" or number is None:
            self._call(report)
            return target.post(posting)
        if entry.action == "update":
            self._call(report)
            target.update(posting, number)
            return Accepted(number)
        if entry.action == "void":
            self._call(report)
            target.void(posting.doc_type, number)
            return Accepted(number)
        if entry.action == "reverse":
            self._call(report)
            remote = target.find(posting.doc_type, number)
            if remote is not None and not remote.cancelled:
                self._call(report)
                target.void(posting.doc_type, number)
            self._call(report)
            return target.post(dataclasses.replace(posting, doc_no=None))
        return self._adjust(entry, target, posting, stored, report)

    def _adjust(self, entry: Entry, target: Target, posting: Posting, stored: StoredDocument,
                report: DispatchReport) -> Accepted:
        """new_document: the change since sync goes to AutoCount as its own credit or debit note,
        and the synced document stays as it was."""
        note = self._note(posting, stored)
        self._call(report)
        return target.post(note)

    def _note(self, posting: Posting, stored: StoredDocument) -> Posting:
        with self.store.transaction() as repo:
            assert stored.synced_version_id is not None
            synced = parse_raw(repo.raws([stored.synced_version_id])[stored.synced_version_id])
        return adjustment(posting, synced)

    # ---- recording what happened -----------------------------------------------------------
    def _settle(self, entry: Entry, result: str, started: float, message: str | None,
                doc_no: str | None = None, **values: Any) -> None:
        now = self.clock()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            box.settle(entry.id, now, **values)
            box.record_attempt(entry, now, self.worker, result, doc_no, message,
                               int((time.monotonic() - started) * 1000))
            repo.append_events([{
                "document_id": entry.document_id, "version_id": entry.version_id,
                "company": entry.company, "at": now, "actor": self.worker,
                "kind": "sync_attempt", "reason": f"{entry.action}: {result}"
                + (f" ({message})" if message else ""),
                "data": {"action": entry.action, "result": result, "doc_no": doc_no,
                         "attempt": entry.attempts, "key": entry.key},
            }])

    def _synced(self, entry: Entry, accepted: Accepted, posted: Posting, started: float,
                report: DispatchReport) -> None:
        now = self.clock()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            # What reconciliation compares AutoCount's copy with later. A JSON column stores
            # None as JSON null, not as NULL, so an entry without one leaves the column alone.
            recorded = self._recorded(box, entry, posted)
            box.settle(entry.id, now, state="done", doc_no=accepted.doc_no, last_error=None,
                       **({"posting": recorded} if recorded is not None else {}))
            box.record_attempt(entry, now, self.worker, "accepted", accepted.doc_no, None,
                               int((time.monotonic() - started) * 1000))
            stored = repo.by_ids([entry.document_id])[0]
            # An adjustment note is a document of its own; the synced original keeps its number.
            number = stored.autocount_doc_no if entry.action == "adjust" and \
                stored.autocount_doc_no else accepted.doc_no
            repo.update_documents([{
                "id": entry.document_id, "outcome": Outcome.SYNCED.value, "owner": None,
                "synced_version_id": entry.version_id, "autocount_doc_no": number,
                "changed_at": now,
            }])
            repo.set_version_fields(entry.version_id, outcome=Outcome.SYNCED.value)
            repo.append_events([{
                "document_id": entry.document_id, "version_id": entry.version_id,
                "company": entry.company, "at": now, "actor": self.worker,
                "kind": "synced", "reason": f"{entry.action}: AutoCount holds it as "
                f"{accepted.doc_no}",
                "data": {"action": entry.action, "doc_no": accepted.doc_no,
                         "doc_key": accepted.doc_key, "key": entry.key,
                         "outcome": Outcome.SYNCED.value,
                         "previous_outcome": stored.outcome.value},
            }])
            waiting = followers(repo, [str(stored.identity)])
            report.followers_rechecked += len(recheck(
                repo, self.directory.lookup(repo), waiting, now, self.worker,
                f"{stored.identity} synced as {accepted.doc_no}", only_changes=True))
        report.synced.append((str(stored.identity), accepted.doc_no))

    @staticmethod
    def _recorded(box: Outbox, entry: Entry, posted: Posting) -> dict[str, Any] | None:
        """The document AutoCount now holds for this record: the posting sent, or after a void
        the one sent before, cancelled. An adjustment note leaves the original as it was."""
        if entry.action in ("post", "update", "reverse"):
            return posting_dict(posted)
        if entry.action == "void":
            before = next((row.posting for row in reversed(box.entries_of(entry.document_id))
                           if row.state == "done" and row.posting), None)
            return {**before, "cancelled": True} if before else None
        return None

    def _hold(self, entry: Entry, finding: Finding, result: str, started: float,
              report: DispatchReport, message: str) -> None:
        now = self.clock()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            box.settle(entry.id, now, state="failed", last_error=message)
            box.record_attempt(entry, now, self.worker, result, None, message,
                               int((time.monotonic() - started) * 1000))
            stored = repo.by_ids([entry.document_id])[0]
            repo.set_version_fields(entry.version_id,
                                    carried=[*stored.carried, finding.as_dict()])
            recheck(repo, self.directory.lookup(repo), [entry.document_id], now, self.worker,
                    message, kind="sync_attempt")
        report.held.append((str(stored.identity), finding.code.value))

    def _refused(self, entry: Entry, error: Exception, started: float,
                 report: DispatchReport) -> None:
        rules = self.directory.rules[entry.company]
        code = Code.TARGET_UNSUPPORTED if isinstance(error, Unsupported) else Code.SYNC_REJECTED
        finding = Finding(code, Outcome.HELD, rules.owner_of(code),
                          f"AutoCount refused it: {error}",
                          suggestions=(Suggestion("fix the cause, then retry the sync", "retry"),))
        self._hold(entry, finding, "rejected", started, report, str(error))

    def _unavailable(self, entry: Entry, error: Exception, started: float,
                     report: DispatchReport) -> None:
        rule = self.directory.rules[entry.company].retry
        if entry.attempts >= rule.attempts:
            finding = Finding(
                Code.SYNC_FAILED, Outcome.HELD,
                self.directory.rules[entry.company].owner_of(Code.SYNC_FAILED),
                f"AutoCount could not be reached after {entry.attempts} attempts: {error}",
                suggestions=(Suggestion("retry the sync once AutoCount is back", "retry"),))
            self._hold(entry, finding, "failed", started, report, str(error))
            return
        report.retrying += 1
        wait = backoff(rule, entry.attempts, entry.key)
        self._settle(entry, "unavailable", started, str(error), state=_unresolved(entry),
                     not_before=self.clock() + wait, last_error=str(error))

    def _paused(self, entry: Entry, error: TargetPaused, started: float,
                report: DispatchReport) -> None:
        now = self.clock()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            box.pause(entry.company, str(error), now)
            repo.append_events([{
                "document_id": None, "version_id": None, "company": entry.company, "at": now,
                "actor": self.worker, "kind": "target_paused",
                "reason": f"AutoCount refused acgate's credentials: {error}", "data": {},
            }])
        report.paused[entry.company] = str(error)
        self._settle(entry, "paused", started, str(error), state=_unresolved(entry),
                     attempts=entry.attempts - 1, not_before=now)


def _unresolved(entry: Entry) -> str:
    """The state of an entry that goes again later: still in doubt if an earlier attempt may
    have reached AutoCount and nothing has resolved it since (a failed look-up resolves nothing)."""
    return "in_doubt" if entry.maybe_sent else "pending"


def adjustment(posting: Posting, synced: Any) -> Posting:
    """new_document: the change since sync as a document of its own. An invoice's change goes
    as a credit note (the amount went down) or a debit note (it went up), one line per changed
    line at qty 1; any other type's change goes as a further document of its type carrying only
    the added quantities (AutoCount has no credit note there, so a decrease cannot be said this
    way: use the reverse or review policy for it)."""
    before = {line.line: line for line in synced.lines} if isinstance(synced, TradeDocument) \
        else {}
    if posting.doc_type in (DocType.SALES_INVOICE, DocType.CASH_SALE):
        return _note(posting, before)
    lines = []
    for line in posting.lines:
        old = before.get(line.line)
        added = line.qty - (old.qty if old else Decimal(0))
        if added < 0 or (old is not None and old.unit_price != line.unit_price):
            raise NotPostable(
                f"line {line.line} went down or changed price; a {posting.doc_type.value} "
                "change can be posted as a new document only when quantities are added")
        if added:
            lines.append(dataclasses.replace(line, qty=added, transfer=None))
    if not lines:
        raise NotPostable("nothing was added since the synced version")
    return dataclasses.replace(posting, lines=tuple(lines), doc_no=None,
                               description=f"addition to {posting.reference or 'an order'}")


def _note(posting: Posting, before: dict[int, Any]) -> Posting:
    lines = []
    total = Decimal(0)
    for line in posting.lines:
        old = before.get(line.line)
        old_amount = old.qty * (old.unit_price or 0) if old else Decimal(0)
        delta = line.qty * (line.unit_price or 0) - old_amount
        if delta:
            total += delta
            lines.append(PostingLine(
                line=line.line, item=line.item, uom=line.uom, qty=Decimal(1),
                unit_price=abs(delta), tax_code=line.tax_code, location=line.location,
                description=f"adjustment of line {line.line}"))
    if not lines:
        raise NotPostable("no amount changed since the synced version")
    return Posting(
        doc_type=DocType.CREDIT_NOTE if total < 0 else DocType.DEBIT_NOTE, date=posting.date,
        party_code=posting.party_code, party_name=posting.party_name, lines=tuple(lines),
        key=posting.key, reference=posting.reference, currency=posting.currency,
        currency_rate=posting.currency_rate, location=posting.location,
        description=f"adjustment of {posting.doc_no or posting.reference or 'a synced document'}",
    )

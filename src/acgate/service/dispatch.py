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
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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
from acgate.autocount.target import Accepted, RemoteDocument, Target
from acgate.checks.posting import NotPostable, build_posting, idempotency_key
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import DocRef, DocType, TradeDocument
from acgate.domain.findings import Finding, Suggestion
from acgate.domain.posting import (
    NOTE_ADJUSTED,
    NotAnAddition,
    Posting,
    PostingLine,
    Transfer,
    added_quantities,
)
from acgate.domain.rules import Numbering, RetryRule
from acgate.service.companies import CompanyDirectory
from acgate.service.pipeline import alongside, followers, parse_raw, recheck, version_hash
from acgate.service.reconcile import posting_dict
from acgate.storage.outbox import FAILED_IN_DOUBT, Entry, Outbox
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


def action_of(codes: set[str], policy: str | None, synced: bool,
              released: frozenset[str] = frozenset()) -> str:
    """What the outbox asks of AutoCount. A change after sync that a person released (the
    policy held it: block, review, or a new_document that cannot be said as one) updates the
    AutoCount document in place."""
    if not synced:
        return "post"
    if Code.CANCELLED_AFTER_SYNC.value in codes:
        return "void"
    if Code.CHANGED_AFTER_SYNC.value in released:
        return "update"
    return {"update": "update", "reverse": "reverse", "new_document": "adjust"}.get(
        policy or "", "update")


class Dispatcher:
    def __init__(self, store: Store, directory: CompanyDirectory,
                 targets: Callable[[str], Target], clock: Callable[[], dt.datetime],
                 worker: str = "dispatcher", lease: dt.timedelta = dt.timedelta(seconds=60),
                 on_call: Callable[[], None] | None = None, concurrency: int = 4) -> None:
        self.store = store
        self.directory = directory
        self.targets = targets
        self.clock = clock
        self.worker = worker
        # A call must end well inside the lease that guards it, or a second worker could take
        # the entry over while the first is still waiting for AutoCount's answer.
        slowest = max((r.autocount.timeout for r in directory.rules.values()),
                      default=dt.timedelta(0))
        self.lease = max(lease, 2 * slowest + dt.timedelta(seconds=1))
        # A test hook run before each AutoCount call: fault tests kill the worker there.
        self.on_call = on_call
        self.concurrency = max(concurrency, 1)
        self._lock = threading.Lock()

    # ---- the outbox ------------------------------------------------------------------------
    def enqueue(self, company: str | None = None) -> int:
        """Give every ready version its outbox entry (in one transaction)."""
        now = self.clock()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            rows = []
            ready = box.ready_without_entry(company)
            documents = {s.id: s for s in repo.by_ids(row.id for row in ready)}
            findings = repo.findings_of(row.id for row in ready)
            for row in ready:
                stored = documents[row.id]
                codes = {f.code for f in findings.get(row.id, [])}
                released = frozenset(f.code for f in findings.get(row.id, []) if f.released_by)
                policy = self.directory.rules[row.company].for_type(
                    stored.identity.type).version_policy.value
                action = action_of(codes, policy, stored.synced_version_id is not None,
                                   released)
                rows.append({
                    "document_id": row.id, "version_id": row.current_version_id,
                    "company": row.company, "action": action,
                    "key": idempotency_key(row.company, str(stored.identity),
                                           version_hash(stored.content_hash, stored.raw) or ""),
                    "doc_no": row.autocount_doc_no or self._chosen_number(stored),
                    "state": "pending", "attempts": 0, "not_before": now,
                    "created_at": now, "updated_at": now,
                })
            box.add(rows)
            self._hold_behind_doubt(repo, box.ready_behind_doubt(company), now)
        return len(rows)

    def _hold_behind_doubt(self, repo: Repository, ids: list[int], now: dt.datetime) -> None:
        """A newer version is not sent while AutoCount may hold an older one whose answers
        never came (it would be a second document beside it): it is held for a person, whose
        retry asks AutoCount about the older version first."""
        for stored in repo.by_ids(ids):
            assert stored.current_version_id is not None
            code = Code.SYNC_FAILED
            finding = Finding(
                code, Outcome.HELD, self.directory.rules[stored.company].owner_of(code),
                "an earlier version's sync ran out of retries without AutoCount's answer, so "
                "AutoCount may hold that version; this one waits until AutoCount is asked",
                suggestions=(Suggestion("retry the sync once AutoCount answers; it is asked "
                                        "about the earlier version first", "retry"),))
            repo.set_version_fields(stored.current_version_id,
                                    carried=[*stored.carried, finding.as_dict()])
        if ids:
            recheck(repo, self.directory.lookup(repo), ids, now, self.worker,
                    "an earlier version may be in AutoCount", kind="sync_attempt")

    def _chosen_number(self, stored: StoredDocument) -> str | None:
        numbering = self.directory.rules[stored.company].for_type(stored.identity.type).numbering
        if numbering is Numbering.SOURCE and len(stored.identity.id) <= MAX_DOC_NO:
            return stored.identity.id
        return None

    def run_once(self, company: str | None = None, limit: int = 100) -> DispatchReport:
        """Enqueue what became ready, then send what is due.

        AutoCount is called one document at a time; the bookkeeping of a batch is written in
        one transaction afterwards. A crash in between leaves claimed entries whose lease runs
        out, and those are looked up before anything is sent again, so batching costs nothing in
        safety. Sending stops at half the lease, so no entry is ever worked on past its lease.
        """
        self.enqueue(company)
        report = DispatchReport()
        with self.store.transaction() as repo:
            box = Outbox(repo)
            report.paused = box.paused()
            entries = box.claim(self.worker, self.clock(), self.lease, limit, set(report.paused))
            prepared = self._prepare_all(repo, entries)
        claimed_at = time.monotonic()
        attempts: list[Attempt] = []
        pending = _changes_first(entries, prepared)
        size = 1  # the first call probes: a bad key or a spent budget costs one call, not four
        with ThreadPoolExecutor(self.concurrency) as pool:
            while pending:
                # A wave of calls at a time: AutoCount works on one while acgate reads another's
                # answer, and a pause or a spent budget still stops the next wave.
                wave: list[tuple[Entry, Future[Attempt]]] = []
                while pending and len(wave) < size:
                    entry = pending.pop(0)
                    target = self.targets(entry.company)
                    if not report.wait_seconds:
                        report.wait_seconds = budget_wait(target)
                    late = time.monotonic() - claimed_at > self.lease.total_seconds() / 2
                    if report.wait_seconds or late or entry.company in report.paused or \
                            (company and entry.company != company):
                        attempts.append(Attempt(entry, "released"))
                        continue
                    if (gone := _no_longer_ready(entry, prepared[entry.id].stored)) is not None:
                        attempts.append(Attempt(entry, "withdrawn", gone))
                        continue
                    wave.append((entry, pool.submit(self._attempt, entry, target,
                                                    prepared[entry.id], report)))
                    if entry.action in _CHANGES_AUTOCOUNT:
                        # What follows may transfer from what this changes (a delivery from an
                        # order a reversal gives quantity back to): it waits for AutoCount's
                        # answer instead of racing it.
                        break
                for entry, future in wave:
                    attempt = future.result()
                    attempts.append(attempt)
                    if attempt.kind == "paused":
                        report.paused[entry.company] = attempt.message or ""
                    if attempt.kind == "rate_limited":
                        report.wait_seconds = max(report.wait_seconds, attempt.wait)
                if wave and all(a.kind == "accepted" for a in attempts[-len(wave):]):
                    size = self.concurrency
        self._record(attempts, report)
        return report

    def _prepare_all(self, repo: Repository, entries: list[Entry]) -> dict[int, Prepared]:
        stored = {s.id: s for s in repo.by_ids({e.document_id for e in entries})}
        raws = repo.raws({e.version_id for e in entries})
        return {e.id: self._prepare(repo, e, stored[e.document_id], raws[e.version_id])
                for e in entries}

    def _prepare(self, repo: Repository, entry: Entry, stored: StoredDocument,
                 raw: str) -> Prepared:
        doc = parse_raw(raw)
        last = Outbox(repo).posted(stored.id) if entry.action == "void" else None
        try:
            if doc is None:
                raise NotPostable("the version no longer parses")
            company = self.directory.get(repo, entry.company)
            posting = build_posting(doc, company, entry.key, entry.doc_no,
                                    lambda ref, line: self._transfer(repo, entry.company, doc,
                                                                     ref, line))
            if entry.action == "adjust":
                assert stored.synced_version_id is not None
                posting = adjustment(posting, parse_raw(
                    repo.raws([stored.synced_version_id])[stored.synced_version_id]))
        except NotPostable as error:
            return Prepared(stored, None, str(error), last)
        return Prepared(stored, posting, None, last)

    def _transfer(self, repo: Repository, company: str, doc: Any, ref: DocRef,
                  line: int) -> Transfer | None:
        """The AutoCount line a line fulfils: as posted there (its number, position and UOM),
        in the same company's book."""
        code = TRANSFER_CODES.get(ref.type)
        if code is None or not isinstance(doc, TradeDocument):
            return None
        found = [s for s in repo.by_doc_id(ref.id) if s.identity.type is ref.type
                 and s.company == company
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

    # ---- one document ---------------------------------------------------------------------
    def _attempt(self, entry: Entry, target: Target, prepared: Prepared,
                 report: DispatchReport) -> Attempt:
        started = time.monotonic()

        def done(kind: str, message: str | None = None, accepted: Accepted | None = None,
                 wait: float = 0.0) -> Attempt:
            return Attempt(entry, kind, message, accepted, prepared,
                            int((time.monotonic() - started) * 1000), wait)

        if prepared.posting is None:
            return done("rejected", prepared.problem)
        try:
            accepted = self._send(entry, target, prepared.posting, prepared.stored, report)
        except _Withdrawn as withdrawn:
            return done("withdrawn", str(withdrawn))
        except Unsupported as error:
            return done("unsupported", str(error))
        except Rejected as error:
            return done("rejected", str(error))
        except InDoubt as error:
            return done("in_doubt", str(error))
        except RateLimited as error:
            return done("rate_limited", str(error), wait=_rate_limit_wait(error))
        except TargetPaused as error:
            return done("paused", str(error))
        except (Unavailable, TargetError) as error:
            return done("unavailable", str(error))
        return done("accepted", accepted=accepted)

    def _call(self, report: DispatchReport) -> None:
        with self._lock:
            report.calls += 1
        if self.on_call:
            self.on_call()

    def _send(self, entry: Entry, target: Target, posting: Posting, stored: StoredDocument,
              report: DispatchReport) -> Accepted:
        if entry.maybe_sent:
            self._call(report)
            landed = self._landed(entry, target, posting, stored)
            if landed is not None:
                return Accepted(landed.doc_no, landed.doc_key)
            if (moved_on := _moved_on(entry, stored)) is not None:
                # AutoCount never got it, and its record has moved on since (a newer version
                # arrived while it was in doubt): withdrawn, as one never sent is.
                raise _Withdrawn(moved_on)
        try:
            return self._act(entry, target, posting, stored, report)
        except Duplicate as duplicate:
            self._call(report)
            existing = target.find(posting.doc_type, duplicate.doc_no)
            if existing is not None and existing.acgate_key == entry.key:
                return Accepted(existing.doc_no, existing.doc_key)
            raise

    @staticmethod
    def _landed(entry: Entry, target: Target, posting: Posting,
                stored: StoredDocument) -> RemoteDocument | None:
        """AutoCount's document when the write in doubt was carried out, None when it was not.

        A change of a document AutoCount holds shows on that document: an update carries the
        new version's key, a void leaves it cancelled (and still carrying the key of the version
        that was synced, since a void sends no body). What is posted is found by its key.
        """
        number = stored.autocount_doc_no
        if entry.action in ("update", "void") and number is not None:
            held = target.find(posting.doc_type, number)
            if held is None:
                return None
            done = held.cancelled if entry.action == "void" else held.acgate_key == entry.key
            return held if done else None
        return target.find_by_key(posting.doc_type, entry.key, posting.party_code, posting.date,
                                  posting.doc_no if entry.action == "post" else None)

    def _act(self, entry: Entry, target: Target, posting: Posting, stored: StoredDocument,
             report: DispatchReport) -> Accepted:
        number = stored.autocount_doc_no
        self._call(report)
        if entry.action in ("post", "adjust") or number is None:
            return target.post(posting)
        if entry.action == "update":
            target.update(posting, number)
            return Accepted(number)
        if entry.action == "void":
            target.void(posting.doc_type, number)
            return Accepted(number)
        remote = target.find(posting.doc_type, number)  # reverse: void the old, post anew
        if remote is not None and not remote.cancelled:
            self._call(report)
            target.void(posting.doc_type, number)
        self._call(report)
        return target.post(dataclasses.replace(posting, doc_no=None))

    # ---- recording what happened -----------------------------------------------------------
    def _record(self, attempts: list[Attempt], report: DispatchReport) -> None:
        """The batch's bookkeeping, written in bulk in one transaction."""
        if not attempts:
            return
        now = self.clock()
        book = _Bookkeeping()
        for company, reason in report.paused.items():
            if any(a.kind == "paused" and a.entry.company == company for a in attempts):
                book.pauses.append((company, reason))
                book.events.append(self._event(None, company, now, "target_paused",
                                               f"AutoCount refused acgate's credentials: "
                                               f"{reason}", {}))
        for attempt in attempts:
            self._settle_one(attempt, now, report, book)
        with self.store.transaction() as repo:
            moved_on = self._moved_on_while_sent(repo, book)
            box = Outbox(repo)
            for company, reason in book.pauses:
                box.pause(company, reason, now)
            box.settle_many(book.settles, now)
            box.record_attempts(book.attempts)
            repo.update_documents(book.documents)
            repo.update_versions(book.versions)
            repo.append_events(book.events)
            if book.held:
                recheck(repo, self.directory.lookup(repo), book.held, now, self.worker,
                        "AutoCount's answer", kind="sync_attempt")
            if moved_on:
                recheck(repo, self.directory.lookup(repo), moved_on, now, self.worker,
                        "an earlier version reached AutoCount while this one waited")
            waiting = followers(repo, book.synced)
            report.followers_rechecked += len(recheck(
                repo, self.directory.lookup(repo), waiting, now, self.worker,
                "a document it depends on synced", only_changes=True))
            asked = set(waiting)
            beside = [i for i in alongside(repo, book.synced_ids) if i not in asked]
            report.followers_rechecked += len(recheck(
                repo, self.directory.lookup(repo), beside, now, self.worker,
                "a document fulfilling the same one synced", only_changes=True))

    @staticmethod
    def _moved_on_while_sent(repo: Repository, book: _Bookkeeping) -> list[int]:
        """Records that got a newer version while an older one was on its way to AutoCount.
        The older version is what AutoCount holds (its number and synced version are kept), but
        the record is not `synced`: its current version is re-checked as a change after sync,
        so the version policy says what becomes of it (never silently left behind)."""
        synced = {row["id"]: row for row in book.documents if "synced_version_id" in row}
        if not synced:
            return []
        moved_on = [s.id for s in repo.by_ids(synced)
                    if s.current_version_id != synced[s.id]["synced_version_id"]]
        for document_id in moved_on:
            row = synced[document_id]
            for name in ("outcome", "owner", "changed_at"):
                row.pop(name, None)
        return moved_on

    def _settle_one(self, attempt: Attempt, now: dt.datetime, report: DispatchReport,
                    book: _Bookkeeping) -> None:
        entry, kind = attempt.entry, attempt.kind
        # An entry that may have reached AutoCount stays in doubt until a look-up settles it,
        # whatever else went wrong on the way.
        unsettled = "in_doubt" if entry.maybe_sent or kind == "in_doubt" else "pending"
        if kind == "released":
            # Never sent: back as it was, and not counted as an attempt.
            book.settles.append({"id": entry.id, "state": unsettled,
                                 "attempts": max(entry.attempts - 1, 0)})
            return
        if kind == "withdrawn":
            # Never sent, and the record has moved on since it was queued: kept as cancelled,
            # with the reason on the record's timeline; its current version is queued on its own.
            book.settles.append({"id": entry.id, "state": "cancelled",
                                 "last_error": attempt.message})
            book.events.append(self._event(
                entry, entry.company, now, "sync_withdrawn",
                f"{entry.action}: not sent, {attempt.message}",
                {"action": entry.action, "key": entry.key}))
            return
        # An answer that never comes counts against the retry rule as an outage does: a record
        # whose every attempt ends in doubt must reach a person, not be tried unseen forever.
        exhausted = kind in _UNANSWERED and entry.attempts >= self._rule(entry).attempts
        result = "failed" if exhausted else kind
        doc_no = attempt.accepted.doc_no if attempt.accepted else None
        book.attempts.append({
            "outbox_id": entry.id, "document_id": entry.document_id, "company": entry.company,
            "at": now, "worker": self.worker, "action": entry.action, "result": result,
            "doc_no": doc_no, "message": attempt.message, "elapsed_ms": attempt.elapsed_ms,
        })
        if kind == "accepted":
            self._synced(attempt, now, report, book)
            return
        if kind == "in_doubt" and not exhausted:
            report.in_doubt += 1
            book.settles.append({"id": entry.id, "state": unsettled, "not_before": now,
                                 "last_error": attempt.message})
        elif kind in ("rate_limited", "paused"):
            book.settles.append({"id": entry.id, "state": unsettled,
                                 "attempts": max(entry.attempts - 1, 0),
                                 "not_before": now + dt.timedelta(seconds=attempt.wait)})
        elif kind == "unavailable" and not exhausted:
            report.retrying += 1
            book.settles.append({
                "id": entry.id, "state": unsettled, "last_error": attempt.message,
                "not_before": now + backoff(self._rule(entry), entry.attempts, entry.key)})
        else:
            self._hold(attempt, report, book)
        book.events.append(self._event(
            entry, entry.company, now, "sync_attempt",
            f"{entry.action}: {result}" + (f" ({attempt.message})" if attempt.message else ""),
            {"action": entry.action, "result": result, "attempt": entry.attempts,
             "key": entry.key}))

    def _rule(self, entry: Entry) -> RetryRule:
        return self.directory.rules[entry.company].retry

    def _synced(self, attempt: Attempt, now: dt.datetime, report: DispatchReport,
                book: _Bookkeeping) -> None:
        entry, accepted, prepared = attempt.entry, attempt.accepted, attempt.prepared
        assert accepted is not None and prepared is not None and prepared.posting is not None
        stored = prepared.stored
        posted = dataclasses.replace(prepared.posting, doc_no=accepted.doc_no)
        # What reconciliation compares AutoCount's copy with later; an adjustment note is a
        # document of its own, so the original keeps its number and its posting.
        keeps_original = entry.action in ("adjust", "void") and stored.autocount_doc_no
        record: dict[str, Any] | None = posting_dict(posted)
        if entry.action == "void":
            record = {**(prepared.last_posting or posting_dict(posted)), "cancelled": True}
        elif keeps_original:
            record = None
        book.settles.append({"id": entry.id, "state": "done", "doc_no": accepted.doc_no,
                             "last_error": None, "posting": record})
        book.documents.append({
            "id": entry.document_id, "outcome": Outcome.SYNCED.value, "owner": None,
            "synced_version_id": entry.version_id,
            "autocount_doc_no": stored.autocount_doc_no if keeps_original else accepted.doc_no,
            "changed_at": now,
        })
        book.versions.append({"id": entry.version_id, "outcome": Outcome.SYNCED.value})
        book.events.append(self._event(
            entry, entry.company, now, "synced",
            f"{entry.action}: AutoCount holds it as {accepted.doc_no}",
            {"action": entry.action, "doc_no": accepted.doc_no, "doc_key": accepted.doc_key,
             "key": entry.key, "outcome": Outcome.SYNCED.value,
             "previous_outcome": stored.outcome.value}))
        report.synced.append((str(stored.identity), accepted.doc_no))
        book.synced.append(str(stored.identity))
        book.synced_ids.append(stored.id)

    def _hold(self, attempt: Attempt, report: DispatchReport, book: _Bookkeeping) -> None:
        entry, kind = attempt.entry, attempt.kind
        rules = self.directory.rules[entry.company]
        if kind == "unavailable":
            code, text = Code.SYNC_FAILED, (f"AutoCount could not be reached after "
                                            f"{entry.attempts} attempts: {attempt.message}")
            way_out = "retry the sync once AutoCount is back"
        elif kind == "in_doubt":
            code, text = Code.SYNC_FAILED, (f"AutoCount's answer never came in {entry.attempts} "
                                            f"attempts, so it may hold the document: "
                                            f"{attempt.message}")
            way_out = "retry the sync once AutoCount answers; it is asked first, never sent twice"
        else:
            code = Code.TARGET_UNSUPPORTED if kind == "unsupported" else Code.SYNC_REJECTED
            text, way_out = f"AutoCount refused it: {attempt.message}", \
                "fix the cause, then retry the sync"
        finding = Finding(code, Outcome.HELD, rules.owner_of(code), text,
                          suggestions=(Suggestion(way_out, "retry"),))
        # Whether AutoCount may hold it decides what a newer version of the record may do.
        failed = FAILED_IN_DOUBT if kind == "in_doubt" or entry.maybe_sent else "failed"
        book.settles.append({"id": entry.id, "state": failed, "last_error": attempt.message})
        assert attempt.prepared is not None
        stored = attempt.prepared.stored
        book.versions.append({"id": entry.version_id,
                              "carried": [*stored.carried, finding.as_dict()]})
        book.held.append(entry.document_id)
        report.held.append((str(stored.identity), code.value))

    def _event(self, entry: Entry | None, company: str, now: dt.datetime, kind: str,
               reason: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"document_id": entry.document_id if entry else None,
                "version_id": entry.version_id if entry else None, "company": company,
                "at": now, "actor": self.worker, "kind": kind, "reason": reason, "data": data}


@dataclass
class _Bookkeeping:
    """A batch's writes, gathered while its answers are read, then written in bulk."""

    settles: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    pauses: list[tuple[str, str]] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    synced: list[str] = field(default_factory=list)
    synced_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a claimed entry will send: its posting, or why it cannot be posted."""

    stored: StoredDocument
    posting: Posting | None
    problem: str | None
    last_posting: dict[str, Any] | None = None  # what AutoCount last accepted for it


@dataclass(frozen=True, slots=True)
class Attempt:
    """One claimed entry in this batch, and what became of it."""

    entry: Entry
    kind: str  # accepted | in_doubt | rate_limited | paused | unavailable | rejected | ...
    message: str | None = None
    accepted: Accepted | None = None
    prepared: Prepared | None = None
    elapsed_ms: int = 0
    wait: float = 0.0


def adjustment(posting: Posting, synced: Any) -> Posting:
    """new_document: the change since sync as a document of its own. An invoice's change goes
    as a credit note (the amount went down) or a debit note (it went up), one line per changed
    line at qty 1; any other type's change goes as a further document of its type carrying only
    the added quantities (AutoCount has no credit note there, so a decrease cannot be said this
    way: use the reverse or review policy for it)."""
    if posting.doc_type in NOTE_ADJUSTED:
        before = {line.line: line for line in synced.lines} \
            if isinstance(synced, TradeDocument) else {}
        return _note(posting, before)
    synced_lines = {line.line: (line.qty, line.unit_price) for line in synced.lines} \
        if isinstance(synced, TradeDocument) else {}
    try:
        added = added_quantities(synced_lines, [(line.line, line.qty, line.unit_price)
                                                for line in posting.lines], posting.doc_type)
    except NotAnAddition as error:
        raise NotPostable(str(error)) from None
    lines = tuple(dataclasses.replace(line, qty=added[line.line], transfer=None)
                  for line in posting.lines if line.line in added)
    return dataclasses.replace(posting, lines=lines, doc_no=None,
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


# Actions that change or remove a document AutoCount already holds.
_CHANGES_AUTOCOUNT = frozenset({"update", "reverse", "void"})


def _changes_first(entries: list[Entry], prepared: dict[int, Prepared]) -> list[Entry]:
    """The claimed entries in document order, except that one transferring from an AutoCount
    document goes after a change of that document claimed with it. A delivery that arrived
    before its order has the lower id; sent first, it would meet the order's old quantities."""
    changes = {(stored.identity.type, stored.autocount_doc_no): entry for entry in entries
               if entry.action in _CHANGES_AUTOCOUNT
               and (stored := prepared[entry.id].stored).autocount_doc_no}
    ordered: dict[int, Entry] = {}

    def place(entry: Entry, placing: set[int]) -> None:
        if entry.id in ordered or entry.id in placing:
            return  # placed already, or a loop of transfers: document order decides
        placing.add(entry.id)
        posting = prepared[entry.id].posting
        for line in posting.lines if posting else ():
            transfer = line.transfer
            change = changes.get((transfer.from_type, transfer.from_doc_no)) if transfer else None
            if change is not None:
                place(change, placing)
        ordered[entry.id] = entry

    for entry in entries:
        place(entry, set())
    return list(ordered.values())


class _Withdrawn(Exception):
    """An entry in doubt that AutoCount turned out not to hold, whose record moved on."""


def _no_longer_ready(entry: Entry, stored: StoredDocument) -> str | None:
    """Why a queued entry that never reached AutoCount must not be sent now, if it must not: its
    record was held, rejected or given a newer version while the entry waited (for a retry after
    an outage, a rate limit, a pause). One that may have reached AutoCount is settled by a
    look-up first, whatever its record did since."""
    if entry.maybe_sent:
        return None
    return _moved_on(entry, stored)


def _moved_on(entry: Entry, stored: StoredDocument) -> str | None:
    if stored.current_version_id != entry.version_id:
        return "a newer version arrived while it waited"
    if stored.outcome is not Outcome.READY:
        return f"the record is {stored.outcome.value} now"
    return None


# The results a retry rule counts: AutoCount not reached, or its answer never came.
_UNANSWERED = frozenset({"unavailable", "in_doubt"})

# No reset given: wait a minute, the window the contract names. A reset of 0 (the window turns
# over now) still waits a second, so that a server answering 429 at once is not called in a loop.
_UNKNOWN_RESET_SECONDS = 60.0
_LEAST_WAIT_SECONDS = 1.0


def _rate_limit_wait(error: RateLimited) -> float:
    if error.reset_after_seconds is None:
        return _UNKNOWN_RESET_SECONDS
    return max(error.reset_after_seconds, _LEAST_WAIT_SECONDS)

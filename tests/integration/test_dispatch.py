"""Dispatch to an AutoCount book in memory: every ready record reaches AutoCount exactly once, or
is held with a reason and an owner. Faults come from a book that fails on purpose: answers lost
after AutoCount committed, workers killed mid-call, outages, refusals, bad credentials, rate
limits and duplicate numbers. Then transfers, the after-sync policies, the worker, and the types
a target cannot take."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from acgate.autocount.errors import (
    InDoubt,
    RateLimited,
    Rejected,
    TargetPaused,
    Unavailable,
    Unsupported,
)
from acgate.autocount.memory import MemoryTarget
from acgate.autocount.target import Accepted, RemoteDocument
from acgate.bootstrap import App
from acgate.checks.posting import idempotency_key
from acgate.domain.codes import Outcome
from acgate.domain.documents import DocType
from acgate.domain.posting import Posting, Transfer
from acgate.domain.rules import Table
from acgate.service.dispatch import Dispatcher
from acgate.service.pipeline import version_hash
from acgate.service.reconcile import Reconciler
from acgate.service.review import ReviewError
from acgate.service.worker import ReconcileSchedule, Worker
from acgate.storage import tables
from acgate.storage.outbox import Outbox

from .support import (
    COMPANY,
    Clock,
    Files,
    codes,
    configure,
    delivery,
    events,
    ingest,
    line,
    order,
    outcome,
    stored,
    trace_of,
    trade,
)

SO_1 = "shop/sales_order/SO-1"
NOV_20 = dt.date(2026, 11, 20)


class Killed(BaseException):
    """The worker process is killed (SIGKILL): nothing after this point runs, nothing is
    recorded."""


class FaultyTarget(MemoryTarget):
    """The in-memory book whose next posts (or look-ups by key) fail as planned. `stored=True`
    stores the document before the error: AutoCount committed it, the answer never came back."""

    def __init__(self) -> None:
        super().__init__()
        self.planned: list[tuple[BaseException, bool]] = []
        self.lookups_planned: list[BaseException] = []
        self.changes_planned: list[tuple[BaseException, bool]] = []
        self.posts = 0
        self.changes = 0

    def fail(self, error: BaseException, *, times: int = 1, stored: bool = False) -> None:
        self.planned += [(error, stored)] * times

    def fail_lookup(self, error: BaseException, *, times: int = 1) -> None:
        self.lookups_planned += [error] * times

    def fail_change(self, error: BaseException, *, stored: bool) -> None:
        """The next update or void fails as planned; `stored`: AutoCount carried it out."""
        self.changes_planned.append((error, stored))

    def update(self, posting: Posting, doc_no: str) -> None:
        self._change(lambda: super(FaultyTarget, self).update(posting, doc_no))

    def void(self, doc_type: DocType, doc_no: str) -> None:
        self._change(lambda: super(FaultyTarget, self).void(doc_type, doc_no))

    def _change(self, carry_out: Callable[[], None]) -> None:
        self.changes += 1
        if not self.changes_planned:
            carry_out()
            return
        error, stored = self.changes_planned.pop(0)
        if stored:
            carry_out()
        else:
            self.calls += 1
        raise error

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        self.posts += 1
        if not self.planned:
            return super().post(posting, need_key=need_key)
        error, stored = self.planned.pop(0)
        if stored:
            super().post(posting, need_key=need_key)
        else:
            self.calls += 1
        raise error

    def find_by_key(self, doc_type: DocType, key: str, party_code: str | None, date: dt.date,
                    doc_no: str | None = None) -> RemoteDocument | None:
        if self.lookups_planned:
            self.calls += 1
            raise self.lookups_planned.pop(0)
        return super().find_by_key(doc_type, key, party_code, date, doc_no)

    def held(self, doc_type: DocType) -> list[RemoteDocument]:
        return [doc for (kind, _), doc in self.documents.items() if kind is doc_type]


@pytest.fixture
def book() -> FaultyTarget:
    return FaultyTarget()


@pytest.fixture
def dispatcher(app: App, book: FaultyTarget, clock: Clock) -> Dispatcher:
    return Dispatcher(app.store, app.directory, lambda company: book, clock, worker="worker-1")


def invoice(doc_id: str = "INV-1", **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("status", "ready_to_bill")
    return trade("sales_invoice", doc_id, **kwargs)


def key_of(app: App, ref: str) -> str:
    """acgate's key for the current version, computed as a reader of the contract would."""
    doc = stored(app, ref)
    return idempotency_key(COMPANY, str(doc.identity),
                           version_hash(doc.content_hash, doc.raw) or "")


def attempts(app: App, ref: str) -> list[tuple[str, str]]:
    return [(a["action"], a["result"]) for a in trace_of(app, ref).sync_attempts]


def finding(app: App, ref: str, code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in trace_of(app, ref).as_dict()["findings"]
                                   if f["code"] == code]
    assert len(found) == 1, found
    return found[0]


def codes_of(app: App, ref: str) -> list[str]:
    return [f["code"] for f in trace_of(app, ref).as_dict()["findings"]]


def company_events(app: App, kind: str) -> list[Any]:
    with app.store.transaction() as repo:
        return list(repo.connection.execute(
            select(tables.events).where(tables.events.c.kind == kind)
            .order_by(tables.events.c.id)))


def entries(app: App, ref: str) -> list[Any]:
    document = stored(app, ref).id
    with app.store.transaction() as repo:
        return Outbox(repo).entries_of(document)


RETRY = {"retry": {"first": "30s", "factor": 2, "cap": "1h", "attempts": 3, "jitter": 0}}


# ---- the ordinary path -----------------------------------------------------------------------

def test_a_ready_record_syncs_once_under_acgates_key(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1", lines=[line(qty="2"), line(2, item="GAD-200", qty="3",
                                                                unit_price="5.00")]))
    assert outcome(app, "SO-1") is Outcome.READY

    report = dispatcher.run_once()

    number = stored(app, "SO-1").autocount_doc_no
    assert number == "SO-2611-0001"
    assert report.synced == [(SO_1, number)]
    assert (report.calls, book.calls) == (1, 1)
    assert outcome(app, "SO-1") is Outcome.SYNCED
    [remote] = book.held(DocType.SALES_ORDER)
    assert remote.doc_no == number
    assert remote.acgate_key == key_of(app, "SO-1")
    assert remote.party_code == "300-M001"
    assert [(ln.item, ln.uom, ln.qty, ln.location) for ln in remote.lines or ()] == [
        ("WID-100", "PCS", Decimal(2), "HQ"), ("GAD-200", "PCS", Decimal(3), "HQ")]
    found = trace_of(app, "SO-1").as_dict()
    assert found["autocount_doc_no"] == number
    [attempt] = found["sync_attempts"]
    assert (attempt["action"], attempt["result"], attempt["doc_no"], attempt["worker"]) == (
        "post", "accepted", number, "worker-1")
    synced = found["events"][-1]
    assert (synced["kind"], synced["actor"]) == ("synced", "worker-1")
    assert number in synced["reason"]

    again = dispatcher.run_once()

    assert again.idle
    assert (again.calls, book.calls) == (0, 1)
    assert len(book.documents) == 1


def test_each_document_is_one_call_and_autocount_numbers_them_in_turn(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"), order("SO-2", party="300-B002"), invoice("INV-1"))

    report = dispatcher.run_once()

    assert sorted(report.synced) == [("shop/sales_invoice/INV-1", "I-2611-0001"),
                                     (SO_1, "SO-2611-0001"),
                                     ("shop/sales_order/SO-2", "SO-2611-0002")]
    assert report.calls == 3
    assert sorted(remote.acgate_key or "" for remote in book.documents.values()) == sorted(
        key_of(app, ref) for ref in ("SO-1", "SO-2", "INV-1"))


# ---- answers lost and workers killed ----------------------------------------------------------

def test_an_answer_lost_after_autocount_stored_it_is_looked_up_not_sent_again(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(InDoubt("read timed out after the request was sent"), stored=True)

    first = dispatcher.run_once()

    assert (first.in_doubt, first.synced, first.held) == (1, [], [])
    assert outcome(app, "SO-1") is Outcome.READY  # not synced yet, and not held
    assert stored(app, "SO-1").autocount_doc_no is None
    assert attempts(app, "SO-1") == [("post", "in_doubt")]
    assert "timed out" in (trace_of(app, "SO-1").sync_attempts[0]["message"] or "")
    assert len(book.documents) == 1

    second = dispatcher.run_once()

    assert second.synced == [(SO_1, "SO-2611-0001")]
    assert second.calls == 1  # the look-up by key, no post
    assert book.posts == 1
    assert [remote.acgate_key for remote in book.documents.values()] == [key_of(app, "SO-1")]
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert stored(app, "SO-1").autocount_doc_no == "SO-2611-0001"
    assert attempts(app, "SO-1") == [("post", "in_doubt"), ("post", "accepted")]


def test_an_answer_lost_before_autocount_stored_it_is_posted_once_after_the_look_up(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(InDoubt("connection reset after sending"), stored=False)

    first = dispatcher.run_once()

    assert first.in_doubt == 1
    assert outcome(app, "SO-1") is Outcome.READY
    assert book.documents == {}

    second = dispatcher.run_once()

    assert second.synced == [(SO_1, "SO-2611-0001")]
    assert second.calls == 2  # the look-up found nothing, then the one post
    assert book.posts == 2
    assert len(book.documents) == 1
    assert outcome(app, "SO-1") is Outcome.SYNCED


@pytest.mark.parametrize("error", [Unavailable("503 Service Unavailable"),
                                   RateLimited("429 Too Many Requests", 5.0),
                                   TargetPaused("401 Unauthorized", 401)],
                         ids=["unavailable", "rate-limited", "paused"])
def test_a_look_up_that_fails_is_made_again_before_anything_is_sent(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget, clock: Clock,
        error: Exception) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(InDoubt("read timed out after the request was sent"), stored=True)
    dispatcher.run_once()
    book.fail_lookup(error)

    failed = dispatcher.run_once()

    assert (failed.calls, failed.synced) == (1, [])
    assert outcome(app, "SO-1") is Outcome.READY
    with app.store.transaction() as repo:
        Outbox(repo).resume(COMPANY)
    clock.advance(dt.timedelta(hours=1))
    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-2611-0001")]
    assert report.calls == 1  # the look-up again, never a blind post
    assert book.posts == 1
    assert len(book.documents) == 1


def test_a_record_held_while_in_doubt_is_looked_up_when_a_person_retries_it(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, {"retry": {"attempts": 2, "jitter": 0}})
    ingest(app, files, order("SO-1"))
    book.fail(InDoubt("read timed out after the request was sent"), stored=True)
    dispatcher.run_once()
    book.fail_lookup(Unavailable("connection refused"))

    held = dispatcher.run_once()

    assert held.held == [(SO_1, "SYNC_FAILED")]
    app.review.retry(SO_1, "dana", "AutoCount is back")
    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-2611-0001")]
    assert book.posts == 1
    assert len(book.documents) == 1


@pytest.mark.parametrize("stored_before_the_kill", [False, True],
                         ids=["killed-before-sending", "killed-after-autocount-stored-it"])
def test_a_worker_killed_mid_call_leaves_a_claim_the_next_worker_resolves_by_look_up(
        app: App, files: Files, book: FaultyTarget, clock: Clock,
        stored_before_the_kill: bool) -> None:
    ingest(app, files, order("SO-1"))

    def kill() -> None:
        raise Killed

    if stored_before_the_kill:
        book.fail(Killed(), stored=True)
    first = Dispatcher(app.store, app.directory, lambda company: book, clock, worker="worker-1",
                       lease=dt.timedelta(seconds=60),
                       on_call=None if stored_before_the_kill else kill)

    with pytest.raises(Killed):
        first.run_once()

    [entry] = entries(app, "SO-1")
    assert (entry.state, entry.worker) == ("in_flight", "worker-1")
    assert outcome(app, "SO-1") is Outcome.READY
    assert attempts(app, "SO-1") == []  # the killed worker recorded nothing
    second = Dispatcher(app.store, app.directory, lambda company: book, clock, worker="worker-2",
                        lease=dt.timedelta(seconds=60))

    clock.advance(dt.timedelta(seconds=59))
    assert second.run_once().calls == 0  # the lease still runs: worker-1's claim stands

    clock.advance(dt.timedelta(seconds=2))
    report = second.run_once()

    assert report.synced == [(SO_1, "SO-2611-0001")]
    # It asks AutoCount first; it posts only when AutoCount does not have it.
    assert report.calls == (1 if stored_before_the_kill else 2)
    assert len(book.documents) == 1
    assert outcome(app, "SO-1") is Outcome.SYNCED
    [attempt] = trace_of(app, "SO-1").sync_attempts
    assert (attempt["worker"], attempt["result"]) == ("worker-2", "accepted")


def test_a_newer_version_arriving_while_the_older_is_being_sent_reaches_autocount(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"))

    def newer_version_arrives() -> None:  # the API takes version 2 while AutoCount works
        dispatcher.on_call = None
        ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    dispatcher.on_call = newer_version_arrives
    first = dispatcher.run_once()

    assert first.synced == [(SO_1, "SO-2611-0001")]
    # Version 1 is what AutoCount holds; version 2 is not taken for synced: it is a change
    # after sync, and the order's policy (update) sends it.
    assert outcome(app, "SO-1") is Outcome.READY
    assert "CHANGED_AFTER_SYNC" in codes_of(app, "SO-1")

    second = dispatcher.run_once()

    assert second.synced == [(SO_1, "SO-2611-0001")]
    [remote] = book.held(DocType.SALES_ORDER)
    assert [ln.qty for ln in remote.lines or ()] == [Decimal(5)]
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert attempts(app, "SO-1") == [("post", "accepted"), ("update", "accepted")]
    versions = trace_of(app, "SO-1").as_dict()["versions"]
    assert [v["synced"] for v in versions] == [True, True]


@pytest.mark.parametrize("autocount_has_it", [True, False],
                         ids=["autocount-stored-it", "autocount-never-got-it"])
def test_a_newer_version_arriving_while_the_older_is_in_doubt_is_never_a_second_document(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget, clock: Clock,
        autocount_has_it: bool) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(InDoubt("read timed out after the request was sent"), stored=autocount_has_it)
    assert dispatcher.run_once().in_doubt == 1
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    for _ in range(3):
        clock.advance(dt.timedelta(minutes=5))
        dispatcher.run_once()

    # One AutoCount document for the record, holding the newest version.
    [remote] = book.held(DocType.SALES_ORDER)
    assert [ln.qty for ln in remote.lines or ()] == [Decimal(5)]
    assert remote.acgate_key == key_of(app, "SO-1")
    assert outcome(app, "SO-1") is Outcome.SYNCED
    if autocount_has_it:
        assert attempts(app, "SO-1") == [("post", "in_doubt"), ("post", "accepted"),
                                         ("update", "accepted")]
    else:
        assert attempts(app, "SO-1") == [("post", "in_doubt"), ("post", "accepted")]
        withdrawn = [e for e in events(app, "SO-1") if e["kind"] == "sync_withdrawn"]
        assert [e["reason"] for e in withdrawn] == [
            "post: not sent, a newer version arrived while it waited"]


def test_two_workers_queueing_the_same_ready_records_at_once_both_carry_on(
        app: App, files: Files, book: FaultyTarget, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `acgate worker` processes on one holding area look for ready records at the same
    moment (on PostgreSQL, without the write lock, both queued the same records and the second
    worker died on the outbox's unique key)."""
    ingest(app, files, *(order(f"SO-{n}", reference=f"PO-{n}") for n in range(1, 6)))
    both_looked = threading.Barrier(2, timeout=2)
    looked = Outbox.ready_without_entry

    def look_then_wait(self: Outbox, company: str | None = None) -> list[Any]:
        rows = looked(self, company)
        # The other worker looks now too, if it can; if it cannot, it waits for this write.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait()
        return rows

    monkeypatch.setattr(Outbox, "ready_without_entry", look_then_wait)
    workers = [Dispatcher(app.store, app.directory, lambda company: book, clock,
                          worker=f"worker-{n}") for n in (1, 2)]
    errors: list[BaseException] = []

    def queue(worker: Dispatcher) -> None:
        try:
            worker.enqueue()
        except Exception as error:  # a worker that dies
            errors.append(error)

    threads = [threading.Thread(target=queue, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    monkeypatch.undo()
    assert sum(len(entries(app, f"SO-{n}")) for n in range(1, 6)) == 5
    for worker in workers:
        worker.run_once()
    assert len(book.held(DocType.SALES_ORDER)) == 5
    assert {outcome(app, f"SO-{n}") for n in range(1, 6)} == {Outcome.SYNCED}


# ---- AutoCount unavailable, refusing, paused, rate limited ------------------------------------

def test_an_unreachable_autocount_is_retried_by_the_rule_then_held_for_integration(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, RETRY)
    ingest(app, files, order("SO-1"))
    book.fail(Unavailable("connection refused"), times=3)
    start = clock()

    first = dispatcher.run_once()

    assert (first.retrying, first.held, first.calls) == (1, [], 1)
    assert outcome(app, "SO-1") is Outcome.READY
    [entry] = entries(app, "SO-1")
    assert entry.not_before == start + dt.timedelta(seconds=30)
    clock.advance(dt.timedelta(seconds=29))
    assert dispatcher.run_once().calls == 0  # not due yet

    clock.advance(dt.timedelta(seconds=1))
    second = dispatcher.run_once()

    assert (second.retrying, second.calls) == (1, 1)
    [entry] = entries(app, "SO-1")
    assert entry.not_before == clock() + dt.timedelta(seconds=60)  # first x factor
    clock.advance(dt.timedelta(seconds=59))
    assert dispatcher.run_once().calls == 0
    assert outcome(app, "SO-1") is Outcome.READY

    clock.advance(dt.timedelta(seconds=1))
    third = dispatcher.run_once()

    # retry.attempts failures: held, owned by integration, with what AutoCount said.
    assert third.held == [(SO_1, "SYNC_FAILED")]
    assert outcome(app, "SO-1") is Outcome.HELD
    failed = finding(app, "SO-1", "SYNC_FAILED")
    assert (failed["outcome"], failed["owner"]) == ("held", "integration")
    assert "connection refused" in failed["message"]
    assert "3 attempts" in failed["message"]
    assert stored(app, "SO-1").owner == "integration"
    assert attempts(app, "SO-1") == [("post", "unavailable"), ("post", "unavailable"),
                                     ("post", "failed")]
    clock.advance(dt.timedelta(hours=2))
    assert dispatcher.run_once().calls == 0  # held: nothing more is sent

    verdict = app.review.retry("SO-1", "dana", "AutoCount's server is back")

    assert verdict.outcome is Outcome.READY
    retried = events(app, "SO-1")[-1]
    assert (retried["kind"], retried["actor"]) == ("retried", "dana")
    assert "AutoCount's server is back" in retried["reason"]
    report = dispatcher.run_once()
    assert report.synced == [(SO_1, "SO-2611-0001")]
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert codes_of(app, "SO-1") == []
    assert len(book.documents) == 1


def test_answers_that_never_come_are_held_after_the_retry_rule_and_a_retry_asks_first(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, {"retry": {"attempts": 3, "jitter": 0}})
    ingest(app, files, order("SO-1"))
    book.fail(InDoubt("read timed out after the request was sent"), times=3)

    reports = [dispatcher.run_once() for _ in range(3)]

    # Each time the look-up finds nothing and the post times out again: after the retry rule's
    # attempts a person sees it, instead of it being tried unseen for ever.
    assert [r.in_doubt for r in reports] == [1, 1, 0]
    assert reports[-1].held == [(SO_1, "SYNC_FAILED")]
    assert outcome(app, "SO-1") is Outcome.HELD
    failed = finding(app, "SO-1", "SYNC_FAILED")
    assert (failed["owner"], [s["action"] for s in failed["suggestions"]]) == (
        "integration", ["retry"])
    assert "may hold the document" in failed["message"]
    assert attempts(app, "SO-1") == [("post", "in_doubt"), ("post", "in_doubt"),
                                     ("post", "failed")]
    assert dispatcher.run_once().calls == 0

    app.review.retry(SO_1, "dana", "AutoCount answers again")
    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-2611-0001")]
    assert len(book.documents) == 1


@pytest.mark.parametrize("autocount_has_it", [True, False])
def test_a_newer_version_after_a_sync_that_ran_out_in_doubt_is_never_a_second_document(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        autocount_has_it: bool) -> None:
    configure(app, {"retry": {"attempts": 2, "jitter": 0}})
    ingest(app, files, order("SO-1", lines=[line(qty="2")]))
    # The post's answer is lost (AutoCount may or may not have kept it), then the look-up's.
    book.fail(InDoubt("read timed out after the request was sent"), stored=autocount_has_it)
    book.fail_lookup(InDoubt("read timed out"))
    dispatcher.run_once()
    assert dispatcher.run_once().held == [(SO_1, "SYNC_FAILED")]

    # Before anyone retries, version 2 arrives: it must not go as a document of its own.
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")
    assert dispatcher.run_once().calls == 0
    assert outcome(app, "SO-1") is Outcome.HELD
    assert "may hold that version" in finding(app, "SO-1", "SYNC_FAILED")["message"]

    app.review.retry(SO_1, "dana", "AutoCount answers again")
    for _ in range(3):
        dispatcher.run_once()

    # AutoCount is asked about version 1 first: one document, with version 2's quantity.
    [posted] = book.documents.values()
    assert [ln.qty for ln in posted.lines or ()] == [Decimal(5)]
    assert outcome(app, "SO-1") is Outcome.SYNCED


def test_a_record_rejected_while_its_sync_waits_to_be_retried_is_never_sent(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, RETRY)
    ingest(app, files, order("SO-1"))
    book.fail(Unavailable("connection refused"))
    assert dispatcher.run_once().retrying == 1

    app.review.reject(SO_1, "mei.ling", "the customer cancelled by phone")
    clock.advance(dt.timedelta(hours=2))
    report = dispatcher.run_once()

    assert (report.calls, report.synced) == (0, [])
    assert book.documents == {}
    assert outcome(app, "SO-1") is Outcome.REJECTED
    assert events(app, "SO-1")[-1]["kind"] == "rejected"


def test_a_sync_waiting_for_a_retry_is_not_sent_once_its_record_moved_on(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, RETRY)
    ingest(app, files, order("SO-1"), order("SO-2", party="300-B002"))
    book.fail(Unavailable("connection refused"), times=2)
    assert dispatcher.run_once().retrying == 2

    # While both wait: SO-1's newer version arrives, and SO-2's, held on a UOM AutoCount lacks.
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]),
           order("SO-2", version=2, party="300-B002", lines=[line(uom="crate")]),
           name="v2.jsonl")
    assert outcome(app, "SO-2") is Outcome.HELD
    clock.advance(dt.timedelta(hours=2))
    report = dispatcher.run_once()

    # Only SO-1's version 2 goes; the entries queued for the first versions are never sent.
    assert report.synced == [(SO_1, "SO-2611-0001")]
    [posted] = book.documents.values()
    assert posted.lines[0].qty == 5
    assert outcome(app, "SO-2") is Outcome.HELD
    withdrawn = [e for e in events(app, "SO-2") if e["kind"] == "sync_withdrawn"]
    assert [e["reason"] for e in withdrawn] == [
        "post: not sent, a newer version arrived while it waited"]


def test_a_record_that_stopped_being_ready_while_its_sync_waited_goes_once_ready_again(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, RETRY)
    ingest(app, files, order("SO-1"))
    book.fail(Unavailable("connection refused"), times=1)
    assert dispatcher.run_once().retrying == 1
    # While it waits for its retry, the company starts requiring approval of sales orders.
    configure(app, {**RETRY, "types": {"sales_order": {"approval_required": True}}})
    app.review.recheck((Outcome.READY,))
    assert outcome(app, "SO-1") is Outcome.WAITING
    clock.advance(dt.timedelta(hours=2))
    assert dispatcher.run_once().synced == []  # its queued sync is withdrawn, not sent

    configure(app, RETRY)  # the rule is lifted: the same version is ready again
    app.review.recheck()
    assert outcome(app, "SO-1") is Outcome.READY
    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-2611-0001")]
    assert outcome(app, "SO-1") is Outcome.SYNCED


def test_a_record_in_doubt_is_not_rejected_until_autocount_answers(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(InDoubt("read timed out after the request was sent"), stored=True)
    dispatcher.run_once()

    # AutoCount may already hold it: rejecting it here would leave that copy unaccounted for.
    with pytest.raises(ReviewError, match="may already hold it"):
        app.review.reject(SO_1, "mei.ling", "the customer cancelled by phone")

    assert outcome(app, "SO-1") is Outcome.READY
    assert dispatcher.run_once().synced == [(SO_1, "SO-2611-0001")]


def test_a_rejected_record_with_a_failed_sync_cannot_be_retried(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(Rejected("CreditTerm (CreditTermKey = COD) not exists", 400))
    dispatcher.run_once()
    app.review.reject(SO_1, "mei.ling", "the customer cancelled by phone")

    with pytest.raises(ReviewError, match="rejected; only a held record"):
        app.review.retry(SO_1, "dana", "term key added")

    assert dispatcher.run_once().calls == 0
    assert outcome(app, "SO-1") is Outcome.REJECTED
    assert book.documents == {}


def test_a_refusal_is_held_for_accounts_with_autocounts_message_and_can_be_retried(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    message = "CreditTerm (CreditTermKey = COD) not exists"
    ingest(app, files, order("SO-1"))
    book.fail(Rejected(message, 400))

    report = dispatcher.run_once()

    assert report.held == [(SO_1, "SYNC_REJECTED")]
    assert report.calls == 1
    assert outcome(app, "SO-1") is Outcome.HELD
    rejected = finding(app, "SO-1", "SYNC_REJECTED")
    assert (rejected["outcome"], rejected["owner"]) == ("held", "accounts")
    assert message in rejected["message"]
    assert [s["action"] for s in rejected["suggestions"]] == ["retry"]
    [attempt] = trace_of(app, "SO-1").sync_attempts
    assert (attempt["result"], attempt["message"]) == ("rejected", message)
    assert dispatcher.run_once().calls == 0  # a refusal is never resent by itself
    assert book.documents == {}

    # Accounts adds the credit term in AutoCount, then retries.
    assert app.review.retry(SO_1, "mei.ling", "term key added").outcome is Outcome.READY
    again = dispatcher.run_once()

    assert again.synced == [(SO_1, "SO-2611-0001")]
    assert codes_of(app, "SO-1") == []
    assert len(book.documents) == 1


def test_a_retry_sends_only_the_current_version(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(Rejected("CreditTerm (CreditTermKey = COD) not exists", 400), times=2)
    dispatcher.run_once()
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")
    assert outcome(app, "SO-1") is Outcome.READY  # a new version is judged afresh
    assert dispatcher.run_once().held == [(SO_1, "SYNC_REJECTED")]

    app.review.retry(SO_1, "mei.ling", "term key added")
    report = dispatcher.run_once()

    assert [identity for identity, _ in report.synced] == [SO_1]
    [remote] = book.documents.values()
    assert [ln.qty for ln in remote.lines or ()] == [Decimal(5)]
    assert remote.acgate_key == key_of(app, "SO-1")


def test_a_target_that_cannot_take_the_document_holds_it_for_integration(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(Unsupported("the cloud target takes no sales_order documents",
                          DocType.SALES_ORDER))

    report = dispatcher.run_once()

    assert report.held == [(SO_1, "TARGET_UNSUPPORTED")]
    unsupported = finding(app, "SO-1", "TARGET_UNSUPPORTED")
    assert (unsupported["outcome"], unsupported["owner"]) == ("held", "integration")


def test_bad_credentials_pause_the_target_not_the_records(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files, order("SO-1"), order("SO-2", party="300-B002"))
    book.fail(TargetPaused("401 Unauthorized: the API-Key is not valid", 401))

    first = dispatcher.run_once()

    assert first.paused == {COMPANY: "401 Unauthorized: the API-Key is not valid"}
    assert (first.calls, first.held, first.synced) == (1, [], [])
    assert outcome(app, "SO-1") is Outcome.READY
    assert outcome(app, "SO-2") is Outcome.READY
    assert codes_of(app, "SO-1") == []
    [paused] = company_events(app, "target_paused")
    assert (paused.company, paused.document_id) == (COMPANY, None)
    assert "API-Key is not valid" in paused.reason
    assert attempts(app, "SO-1") == [("post", "paused")]

    second = dispatcher.run_once()

    assert second.paused == first.paused
    assert (second.calls, book.calls) == (0, 1)  # nothing more until someone resumes it

    with app.store.transaction() as repo:
        Outbox(repo).resume(COMPANY)
    third = dispatcher.run_once()

    assert sorted(third.synced) == [(SO_1, "SO-2611-0001"),
                                    ("shop/sales_order/SO-2", "SO-2611-0002")]
    assert third.paused == {}
    assert len(book.documents) == 2


def test_a_rate_limit_waits_for_the_reset_and_does_not_count_against_the_retry_rule(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, {"retry": {"first": "30s", "attempts": 2, "jitter": 0}})
    ingest(app, files, order("SO-1"))
    book.fail(RateLimited("429 Too Many Requests", 42.0), times=3)
    book.fail(Unavailable("503 Service Unavailable"))

    first = dispatcher.run_once()

    assert (first.wait_seconds, first.calls, first.retrying, first.held) == (42.0, 1, 0, [])
    assert outcome(app, "SO-1") is Outcome.READY
    [entry] = entries(app, "SO-1")
    assert entry.not_before == clock() + dt.timedelta(seconds=42)
    clock.advance(dt.timedelta(seconds=41))
    assert dispatcher.run_once().calls == 0  # not due before the reset

    for _ in range(2):
        clock.advance(dt.timedelta(seconds=1))
        limited = dispatcher.run_once()
        assert (limited.wait_seconds, limited.calls) == (42.0, 1)
        clock.advance(dt.timedelta(seconds=41))

    clock.advance(dt.timedelta(seconds=1))
    unavailable = dispatcher.run_once()

    # Three rate limits, then one outage: the first counted failure of the two allowed.
    assert (unavailable.retrying, unavailable.held) == (1, [])
    assert outcome(app, "SO-1") is Outcome.READY
    clock.advance(dt.timedelta(seconds=30))
    report = dispatcher.run_once()
    assert report.synced == [(SO_1, "SO-2611-0001")]
    assert attempts(app, "SO-1") == [("post", "rate_limited")] * 3 + [
        ("post", "unavailable"), ("post", "accepted")]


@pytest.mark.parametrize(("reset", "wait"), [(0.0, 1.0), (0.4, 1.0), (2.5, 2.5)])
def test_a_rate_limit_that_resets_now_waits_a_second_not_a_minute(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget, reset: float,
        wait: float) -> None:
    ingest(app, files, order("SO-1"))
    book.fail(RateLimited("429 Too Many Requests", reset))

    assert dispatcher.run_once().wait_seconds == wait


def test_after_a_rate_limit_the_rest_of_the_batch_is_given_back_unsent(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    ingest(app, files, order("SO-1"), order("SO-2", party="300-B002"))
    book.fail(RateLimited("429 Too Many Requests", None))

    first = dispatcher.run_once()

    assert (first.wait_seconds, first.calls) == (60.0, 1)  # no reset given: a minute
    [entry] = entries(app, "SO-2")
    assert (entry.state, entry.attempts) == ("pending", 0)  # not sent, so not in doubt
    assert attempts(app, "SO-2") == []

    clock.advance(dt.timedelta(seconds=60))
    report = dispatcher.run_once()

    assert sorted(report.synced) == [(SO_1, "SO-2611-0001"),
                                     ("shop/sales_order/SO-2", "SO-2611-0002")]
    assert report.calls == 2  # two posts, no look-ups
    assert len(book.documents) == 2


# ---- numbers chosen by the source --------------------------------------------------------------

SOURCE_NUMBERING = {"types": {"sales_order": {"numbering": "source"}}}


def test_under_source_numbering_the_source_id_is_the_autocount_number(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, SOURCE_NUMBERING)
    ingest(app, files, order("SO-1"))

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-1")]
    assert list(book.documents) == [(DocType.SALES_ORDER, "SO-1")]


def test_a_duplicate_number_that_carries_acgates_own_key_is_already_synced(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, SOURCE_NUMBERING)
    ingest(app, files, order("SO-1"))
    # An earlier write of acgate's reached AutoCount, but the outbox never learnt it.
    MemoryTarget.post(book, Posting(DocType.SALES_ORDER, NOV_20, "300-M001", None, (),
                                    key=key_of(app, "SO-1"), doc_no="SO-1"))

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-1")]
    assert report.held == []
    assert report.calls == 2  # the refused post, then the look-up of the number
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert len(book.documents) == 1


def test_a_duplicate_number_of_someone_elses_document_is_rejected(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, SOURCE_NUMBERING)
    ingest(app, files, order("SO-1"))
    typed_in = RemoteDocument(DocType.SALES_ORDER, "SO-1", 1, NOV_20, "300-B002")
    book.documents[(DocType.SALES_ORDER, "SO-1")] = typed_in

    report = dispatcher.run_once()

    assert report.held == [(SO_1, "SYNC_REJECTED")]
    rejected = finding(app, "SO-1", "SYNC_REJECTED")
    assert "DocNo SO-1 already exists" in rejected["message"]
    assert rejected["owner"] == "accounts"
    assert book.documents == {(DocType.SALES_ORDER, "SO-1"): typed_in}


# ---- transfers ----------------------------------------------------------------------------------

def test_a_delivery_transfers_from_the_synced_order_line_by_position(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    ingest(app, files,
           order("SO-1", lines=[line(10, qty="5"),
                                line(20, item="GAD-200", qty="3", unit_price="5.00")]),
           delivery("DO-1", "SO-1", lines=[
               line(1, item="GAD-200", qty="3", unit_price=None,
                    based_on_line={"type": "sales_order", "id": "SO-1", "line": 20}),
               line(2, qty="5", unit_price=None,
                    based_on_line={"type": "sales_order", "id": "SO-1", "line": 10})]))
    dispatcher.run_once()
    assert outcome(app, "DO-1") is Outcome.READY

    report = dispatcher.run_once()

    [(_, do_number)] = report.synced
    remote = book.documents[(DocType.DELIVERY_ORDER, do_number)]
    assert [ln.transfer for ln in remote.lines or ()] == [
        Transfer(DocType.SALES_ORDER, "SO-2611-0001", 2, "PCS"),
        Transfer(DocType.SALES_ORDER, "SO-2611-0001", 1, "PCS")]


# ---- after sync ---------------------------------------------------------------------------------

def _synced_order(app: App, files: Files, dispatcher: Dispatcher) -> str:
    ingest(app, files, order("SO-1", lines=[line(qty="2")]))
    dispatcher.run_once()
    number = stored(app, "SO-1").autocount_doc_no
    assert number is not None
    return number


def test_calls_after_a_change_of_an_autocount_document_wait_for_its_answer(
        app: App, files: Files, clock: Clock) -> None:
    # A delivery may transfer from an order a change gives quantity back to: sent beside that
    # change it could reach AutoCount first and be refused. So nothing starts while it runs.
    class Watching(FaultyTarget):
        def __init__(self) -> None:
            super().__init__()
            self.changing = threading.Event()
            self.started_meanwhile = threading.Event()

        def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
            if self.changing.is_set():
                self.started_meanwhile.set()
            return super().post(posting, need_key=need_key)

        def update(self, posting: Posting, doc_no: str) -> None:
            self.changing.set()
            # Another call of the same wave would start at once; none may (bounded: the one
            # that follows only starts after this returns).
            self.started_meanwhile.wait(0.3)
            self.changing.clear()
            super().update(posting, doc_no)

    book = Watching()
    dispatcher = Dispatcher(app.store, app.directory, lambda company: book, clock)
    ingest(app, files, order("SO-0", lines=[line(item="NOPE-0")]), order("SO-1"))
    dispatcher.run_once()
    app.review.add_mapping(COMPANY, Table.ITEM, "NOPE-0", "WID-100", "mei.ling")
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), order("SO-3"),
           name="more.jsonl")

    report = dispatcher.run_once()  # SO-0's post probes alone; then SO-1's update, SO-3's post

    assert sorted(ref for ref, _ in report.synced) == [
        "shop/sales_order/SO-0", SO_1, "shop/sales_order/SO-3"]
    assert not book.started_meanwhile.is_set()


def test_version_policy_update_changes_the_autocount_document_in_place(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    number = _synced_order(app, files, dispatcher)
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, number)]
    assert report.calls == 1
    [remote] = book.held(DocType.SALES_ORDER)
    assert remote.doc_no == number
    assert [ln.qty for ln in remote.lines or ()] == [Decimal(5)]
    assert remote.acgate_key == key_of(app, "SO-1")
    assert attempts(app, "SO-1") == [("post", "accepted"), ("update", "accepted")]
    assert outcome(app, "SO-1") is Outcome.SYNCED


@pytest.mark.parametrize("landed", [True, False])
def test_an_update_in_doubt_is_sent_again_only_when_autocount_shows_it_did_not_land(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        landed: bool) -> None:
    number = _synced_order(app, files, dispatcher)
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")
    book.fail_change(InDoubt("read timed out after the request was sent"), stored=landed)
    assert dispatcher.run_once().in_doubt == 1

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, number)]
    # The look-up of the document, and the update again only when it did not land: a second
    # PUT would overwrite whatever was changed in AutoCount since.
    assert (report.calls, book.changes) == ((1, 1) if landed else (2, 2))
    [remote] = book.held(DocType.SALES_ORDER)
    assert [ln.qty for ln in remote.lines or ()] == [Decimal(5)]
    assert remote.acgate_key == key_of(app, "SO-1")
    assert attempts(app, "SO-1") == [("post", "accepted"), ("update", "in_doubt"),
                                     ("update", "accepted")]


@pytest.mark.parametrize("landed", [True, False])
def test_a_void_in_doubt_is_sent_again_only_when_the_document_is_not_cancelled(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        landed: bool) -> None:
    number = _synced_order(app, files, dispatcher)
    ingest(app, files, order("SO-1", version=2, status="cancelled"), name="cancel.jsonl")
    book.fail_change(InDoubt("read timed out after the request was sent"), stored=landed)
    assert dispatcher.run_once().in_doubt == 1

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, number)]
    assert (report.calls, book.changes) == ((1, 1) if landed else (2, 2))
    assert book.documents[(DocType.SALES_ORDER, number)].cancelled is True
    assert attempts(app, "SO-1")[-2:] == [("void", "in_doubt"), ("void", "accepted")]


def test_version_policy_reverse_voids_the_old_number_and_posts_a_new_one(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, {"types": {"sales_order": {"version_policy": "reverse"}}})
    old = _synced_order(app, files, dispatcher)
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-2611-0002")]
    assert book.documents[(DocType.SALES_ORDER, old)].cancelled is True
    new = book.documents[(DocType.SALES_ORDER, "SO-2611-0002")]
    assert not new.cancelled
    assert [ln.qty for ln in new.lines or ()] == [Decimal(5)]
    assert stored(app, "SO-1").autocount_doc_no == "SO-2611-0002"
    assert outcome(app, "SO-1") is Outcome.SYNCED


NEW_DOCUMENT = {"types": {"sales_invoice": {"version_policy": "new_document"}}}
APPROVED_V2 = {"by": "mei.ling", "at": "2026-11-20T11:00:00+08:00", "version": 2}


def test_version_policy_new_document_posts_a_credit_note_and_keeps_the_original(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, NEW_DOCUMENT)
    ingest(app, files, invoice("INV-1", lines=[line(qty="2", unit_price="12.50")]))
    dispatcher.run_once()
    original = book.documents[(DocType.SALES_INVOICE, "I-2611-0001")]
    ingest(app, files, invoice("INV-1", version=2, approval=APPROVED_V2,
                               lines=[line(qty="2", unit_price="10.00")]), name="v2.jsonl")
    assert outcome(app, "INV-1") is Outcome.READY

    report = dispatcher.run_once()

    assert report.synced == [("shop/sales_invoice/INV-1", "CN-2611-0001")]
    assert report.calls == 1
    [note] = book.held(DocType.CREDIT_NOTE)
    assert note.party_code == "300-M001"
    assert [(ln.item, ln.qty, ln.unit_price) for ln in note.lines or ()] == [
        ("WID-100", Decimal(1), Decimal("5.00"))]
    assert book.documents[(DocType.SALES_INVOICE, "I-2611-0001")] == original
    assert stored(app, "INV-1").autocount_doc_no == "I-2611-0001"
    assert outcome(app, "INV-1") is Outcome.SYNCED


def test_a_credit_note_whose_answer_was_lost_is_found_not_posted_twice(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, NEW_DOCUMENT)
    ingest(app, files, invoice("INV-1", lines=[line(qty="2", unit_price="12.50")]))
    dispatcher.run_once()
    ingest(app, files, invoice("INV-1", version=2, approval=APPROVED_V2,
                               lines=[line(qty="2", unit_price="10.00")]), name="v2.jsonl")
    book.fail(InDoubt("read timed out"), stored=True)

    assert dispatcher.run_once().in_doubt == 1
    report = dispatcher.run_once()

    assert report.synced == [("shop/sales_invoice/INV-1", "CN-2611-0001")]
    assert len(book.held(DocType.CREDIT_NOTE)) == 1
    assert len(book.held(DocType.SALES_INVOICE)) == 1


@pytest.mark.parametrize("policy", ["block", "review"])
def test_version_policies_block_and_review_hold_the_change_without_calling_autocount(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        policy: str) -> None:
    configure(app, {"types": {"sales_order": {"version_policy": policy}}})
    number = _synced_order(app, files, dispatcher)
    before = dict(book.documents)
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert (report.calls, report.synced) == (0, [])
    assert outcome(app, "SO-1") is Outcome.HELD
    changed = finding(app, "SO-1", "CHANGED_AFTER_SYNC")
    assert (changed["outcome"], changed["owner"], changed["field"]) == (
        "held", "accounts", "lines[0].qty")
    assert policy in changed["message"]
    assert book.documents == before
    assert stored(app, "SO-1").autocount_doc_no == number


def test_new_document_for_an_order_that_went_down_is_held_at_once_and_a_release_updates_it(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, {"types": {"sales_order": {"version_policy": "new_document"}}})
    number = _synced_order(app, files, dispatcher)
    # A further sales order can only add quantities: 2 -> 1 cannot be said as one.
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="1")]), name="v2.jsonl")

    assert outcome(app, "SO-1") is Outcome.HELD
    changed = finding(app, "SO-1", "CHANGED_AFTER_SYNC")
    assert "only when quantities are added" in changed["message"]
    assert [s["action"] for s in changed["suggestions"]] == ["release", "fix_source"]
    assert dispatcher.run_once().calls == 0

    app.review.release("SO-1", "mei.ling", "the customer took one less; update it")
    report = dispatcher.run_once()

    assert report.synced == [(SO_1, number)]
    assert attempts(app, "SO-1")[-1] == ("update", "accepted")
    assert [ln.qty for ln in book.documents[(DocType.SALES_ORDER, number)].lines or ()] == [
        Decimal(1)]
    assert len(book.documents) == 1


def test_cancel_policy_reverse_voids_the_autocount_document(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    number = _synced_order(app, files, dispatcher)
    ingest(app, files, order("SO-1", version=2, status="cancelled"), name="cancel.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, number)]
    assert report.calls == 1
    assert book.documents[(DocType.SALES_ORDER, number)].cancelled is True
    assert len(book.documents) == 1
    assert attempts(app, "SO-1")[-1] == ("void", "accepted")


@pytest.mark.parametrize("policy", ["block", "review"])
def test_cancel_policies_block_and_review_hold_the_cancellation(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        policy: str) -> None:
    configure(app, {"types": {"sales_order": {"cancel_policy": policy}}})
    number = _synced_order(app, files, dispatcher)
    ingest(app, files, order("SO-1", version=2, status="cancelled"), name="cancel.jsonl")

    report = dispatcher.run_once()

    assert report.calls == 0
    assert outcome(app, "SO-1") is Outcome.HELD
    cancelled = finding(app, "SO-1", "CANCELLED_AFTER_SYNC")
    assert (cancelled["outcome"], cancelled["owner"]) == ("held", "accounts")
    assert policy in cancelled["message"]
    assert book.documents[(DocType.SALES_ORDER, number)].cancelled is False


# ---- the worker ---------------------------------------------------------------------------------

def test_the_worker_once_syncs_everything_due_and_returns(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    ingest(app, files, order("SO-1"), delivery("DO-1", "SO-1"), invoice("INV-1"))

    totals = Worker(dispatcher, app.review, clock).run(threading.Event(), once=True)

    assert totals.synced == 3  # the delivery too, once its order synced
    assert totals.held == 0
    assert {outcome(app, ref) for ref in ("SO-1", "DO-1", "INV-1")} == {Outcome.SYNCED}
    assert len(book.documents) == 3


def test_the_worker_rechecks_a_batch_record_when_its_window_opens_and_syncs_it(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    configure(app, {"types": {"sales_invoice": {"timing": "batch",
                                                "schedule": "0 18 * * *"}}})
    ingest(app, files, invoice("INV-1"))
    assert outcome(app, "INV-1") is Outcome.WAITING
    worker = Worker(dispatcher, app.review, clock)

    assert worker.run(threading.Event(), once=True).synced == 0
    assert outcome(app, "INV-1") is Outcome.WAITING

    clock.advance(dt.timedelta(hours=8))  # 18:00 in Kuala Lumpur
    totals = worker.run(threading.Event(), once=True)

    assert totals.synced == 1
    assert outcome(app, "INV-1") is Outcome.SYNCED
    assert [doc.doc_no for doc in book.held(DocType.SALES_INVOICE)] == ["I-2611-0001"]
    kinds = [e["kind"] for e in events(app, "INV-1")]
    assert kinds[-2:] == ["rechecked", "synced"]


def test_a_held_record_loses_its_batch_window_finding_once_the_window_has_opened(
        app: App, files: Files, dispatcher: Dispatcher, clock: Clock) -> None:
    configure(app, {"types": {"sales_order": {"timing": "batch", "schedule": "0 18 * * *"}}})
    ingest(app, files, order("SO-1", totals={"subtotal": "99.00", "tax": "0", "total": "99.00"}))
    assert set(codes(app, "SO-1")) == {"SCHEDULED_BATCH", "TOTALS_MISMATCH"}
    worker = Worker(dispatcher, app.review, clock)

    clock.advance(dt.timedelta(hours=9))  # 19:00 in Kuala Lumpur: the window has opened
    worker.run(threading.Event(), once=True)

    assert outcome(app, "SO-1") is Outcome.HELD
    assert set(codes(app, "SO-1")) == {"TOTALS_MISMATCH"}  # what still holds it, and only that


def test_a_record_held_for_a_future_date_moves_on_by_itself_when_the_day_comes(
        app: App, files: Files, dispatcher: Dispatcher, clock: Clock) -> None:
    ingest(app, files, order("SO-1", date="2026-11-21"))
    assert codes(app, "SO-1") == ["DATE_OUT_OF_RANGE"]
    worker = Worker(dispatcher, app.review, clock)

    assert worker.run(threading.Event(), once=True).synced == 0
    assert outcome(app, "SO-1") is Outcome.HELD

    clock.advance(dt.timedelta(days=1))
    totals = worker.run(threading.Event(), once=True)

    assert totals.synced == 1
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert [e["kind"] for e in events(app, "SO-1")] == ["received", "rechecked", "synced"]


def test_the_worker_reconciles_up_to_today_in_the_company_time_zone(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    # acgate's clock reads UTC: 23:30 on 20 November is already 07:30 on 21 November in
    # Kuala Lumpur, and an order dated that day synced.
    clock.now = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)
    ingest(app, files, order("SO-1", date="2026-11-21"))
    reconciler = Reconciler(app.store, app.directory, lambda company: book, clock)
    worker = Worker(dispatcher, app.review, clock,
                    reconcile=ReconcileSchedule(reconciler, [COMPANY], dt.timedelta(0)))
    assert worker.round().synced
    assert outcome(app, "SO-1") is Outcome.SYNCED

    [where] = book.documents
    del book.documents[where]  # someone deletes it in AutoCount
    worker.round()

    assert outcome(app, "SO-1") is Outcome.HELD
    assert codes_of(app, "SO-1") == ["MISSING_IN_AUTOCOUNT"]


def test_a_worker_told_to_stop_while_reconciling_stops_after_the_document_in_hand(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget,
        clock: Clock) -> None:
    ingest(app, files, *(order(f"SO-{n}") for n in range(1, 6)))
    dispatcher.run_once()
    for where in list(book.documents):
        del book.documents[where]  # AutoCount lost all five: each would be held as missing
    stop = threading.Event()
    looked_up: list[str] = []

    class Stopping(FaultyTarget):
        def find(self, doc_type: DocType, doc_no: str) -> Any:
            looked_up.append(doc_no)
            stop.set()  # SIGTERM arrives while the first document is being compared
            return super().find(doc_type, doc_no)

    reconciler = Reconciler(app.store, app.directory, lambda company: Stopping(), clock)
    worker = Worker(dispatcher, app.review, clock,
                    reconcile=ReconcileSchedule(reconciler, [COMPANY], dt.timedelta(0)))

    worker.run(stop)

    assert len(looked_up) == 1
    held = [n for n in range(1, 6) if outcome(app, f"SO-{n}") is Outcome.HELD]
    assert held == [1]  # the one in hand is finished; the others wait for the next round


# ---- what the target cannot take ----------------------------------------------------------------

def test_a_type_autocount_cloud_cannot_take_is_held_before_any_call(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, {"autocount": {"kind": "cloud", "book": "1"},
                    "mappings": {"terms": {"30 days": "C30"}}})
    ingest(app, files, order("SO-1"), invoice("INV-1", terms="30 days"))

    assert outcome(app, "SO-1") is Outcome.HELD
    unsupported = finding(app, "SO-1", "TARGET_UNSUPPORTED")
    assert (unsupported["outcome"], unsupported["owner"]) == ("held", "integration")
    assert "sales order" in unsupported["message"]

    report = dispatcher.run_once()

    assert report.synced == [("shop/sales_invoice/INV-1", "I-2611-0001")]
    assert report.calls == 1
    assert book.held(DocType.SALES_ORDER) == []
    assert outcome(app, "SO-1") is Outcome.HELD


def test_a_cloud_document_without_any_credit_term_is_held_before_any_call(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    configure(app, {"autocount": {"kind": "cloud", "book": "1"}})
    ingest(app, files, invoice("INV-1"))

    unsupported = finding(app, "INV-1", "TARGET_UNSUPPORTED")
    assert (unsupported["field"], outcome(app, "INV-1")) == ("terms", Outcome.HELD)
    assert "credit term" in unsupported["message"]
    assert dispatcher.run_once().calls == 0


def test_a_cloud_invoice_without_a_document_location_is_held_before_any_call(
        app: App, files: Files, dispatcher: Dispatcher, book: FaultyTarget) -> None:
    # The Cloud API requires `salesLocation`; the lines' own locations do not give it one.
    configure(app, {"autocount": {"kind": "cloud", "book": "1"}, "default_location": None,
                    "mappings": {"terms": {"30 days": "C30"}}})
    ingest(app, files, invoice("INV-1", terms="30 days", lines=[line(location="Penang")]))

    unsupported = finding(app, "INV-1", "TARGET_UNSUPPORTED")
    assert (unsupported["field"], outcome(app, "INV-1")) == ("branch", Outcome.HELD)
    assert "location" in unsupported["message"]
    assert dispatcher.run_once().calls == 0


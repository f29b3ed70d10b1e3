"""Reconciliation against an AutoCount book in memory: what AutoCount holds now, against what
acgate posted. AutoCount-owned fields may change there; any other change, or a document gone
missing, is held for accounts."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

from acgate.autocount.errors import RateLimited
from acgate.autocount.memory import MemoryTarget
from acgate.autocount.target import RemoteDocument
from acgate.bootstrap import App
from acgate.domain.codes import Outcome
from acgate.domain.documents import DocType
from acgate.service.dispatch import Dispatcher
from acgate.service.reconcile import Reconciler
from acgate.service.review import ReviewError

from .support import (
    COMPANY,
    Clock,
    Files,
    configure,
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
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def book() -> MemoryTarget:
    return MemoryTarget()


@pytest.fixture
def dispatcher(app: App, book: MemoryTarget, clock: Clock) -> Dispatcher:
    return Dispatcher(app.store, app.directory, lambda company: book, clock)


@pytest.fixture
def reconciler(app: App, book: MemoryTarget, clock: Clock) -> Reconciler:
    return Reconciler(app.store, app.directory, lambda company: book, clock)


def synced_order(app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
                 doc_id: str = "SO-1", **kwargs: Any) -> tuple[DocType, str]:
    kwargs.setdefault("lines", [line(qty="2"), line(2, item="GAD-200", qty="3",
                                                    unit_price="5.00")])
    ingest(app, files, order(doc_id, **kwargs), name=f"{doc_id}.jsonl")
    dispatcher.run_once()
    assert outcome(app, doc_id) is Outcome.SYNCED
    number = stored(app, doc_id).autocount_doc_no
    assert number is not None
    return DocType.SALES_ORDER, number


def edit(book: MemoryTarget, where: tuple[DocType, str], **changes: Any) -> None:
    """Someone changes the document in AutoCount."""
    book.documents[where] = dataclasses.replace(book.documents[where], **changes)


def edit_line(book: MemoryTarget, where: tuple[DocType, str], index: int,
              **changes: Any) -> None:
    lines = list(book.documents[where].lines or ())
    lines[index] = dataclasses.replace(lines[index], **changes)
    edit(book, where, lines=tuple(lines))


def finding(app: App, ref: str, code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in trace_of(app, ref).as_dict()["findings"]
                                   if f["code"] == code]
    assert len(found) == 1, found
    return found[0]


def codes(app: App, ref: str) -> list[str]:
    return [f["code"] for f in trace_of(app, ref).as_dict()["findings"]]


# ---- nothing changed ----------------------------------------------------------------------------

def test_an_untouched_document_matches_and_leaves_no_trace(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    synced_order(app, files, dispatcher, book)
    before = events(app, "SO-1")

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert (report.checked, report.matching) == (1, 1)
    assert (report.accepted, report.edited, report.missing) == ([], [], [])
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert events(app, "SO-1") == before


class SpentBudget(MemoryTarget):
    """A book whose call budget is spent until someone waits out its minute: a read with nobody
    to wait is refused (429), as AutoCount's rate limit does."""

    def __init__(self) -> None:
        super().__init__()
        self.spent = False
        self.waiting: Callable[[float], None] | None = None

    @contextlib.contextmanager
    def _paced(self, wait: Callable[[float], None] | None) -> Iterator[None]:
        self.waiting = wait
        try:
            yield
        finally:
            self.waiting = None

    def pacing(self, wait: Callable[[float], None] | None) -> AbstractContextManager[None]:
        return self._paced(wait)

    def list_documents(self, doc_type: DocType, date_from: dt.date,
                       date_to: dt.date) -> Iterator[RemoteDocument]:
        if self.spent:
            if self.waiting is None:
                raise RateLimited("Too many requests.", 60.0)
            self.waiting(60.0)
            self.spent = False
        return super().list_documents(doc_type, date_from, date_to)


def test_a_spent_call_budget_is_waited_out_not_the_end_of_the_comparison(
        app: App, files: Files, clock: Clock) -> None:
    book = SpentBudget()
    dispatcher = Dispatcher(app.store, app.directory, lambda company: book, clock)
    reconciler = Reconciler(app.store, app.directory, lambda company: book, clock)
    for doc_id in ("SO-1", "SO-2", "SO-3"):
        synced_order(app, files, dispatcher, book, doc_id)
    book.spent = True

    with pytest.raises(RateLimited):  # nobody to wait: the run says so
        reconciler.run(COMPANY, *NOVEMBER)
    waited: list[float] = []
    report = reconciler.run(COMPANY, *NOVEMBER, wait=waited.append)

    assert (report.checked, report.matching, waited) == (3, 3, [60.0])


def test_only_documents_dated_in_the_range_are_compared(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    del book.documents[where]

    report = reconciler.run(COMPANY, dt.date(2026, 10, 1), dt.date(2026, 10, 31))

    assert report.checked == 0
    assert outcome(app, "SO-1") is Outcome.SYNCED


# ---- changes made in AutoCount ------------------------------------------------------------------

def test_a_manual_edit_of_a_source_owned_field_is_held_for_accounts(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    edit_line(book, where, 1, qty=Decimal("4"))

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.edited == [(SO_1, ["lines[1].qty"])]
    assert report.matching == 0
    assert outcome(app, "SO-1") is Outcome.HELD
    edited = finding(app, "SO-1", "MANUAL_EDIT_AFTER_SYNC")
    assert (edited["outcome"], edited["owner"], edited["field"]) == (
        "held", "accounts", "lines[1].qty")
    assert (edited["source_value"], edited["expected"]) == ("3", "4")
    assert where[1] in edited["message"]
    assert stored(app, "SO-1").owner == "accounts"
    last = events(app, "SO-1")[-1]
    assert (last["kind"], last["actor"]) == ("reconciled", "reconciliation")
    assert last["data"]["outcome"] == "held"
    assert [f["code"] for f in last["data"]["findings"]] == ["MANUAL_EDIT_AFTER_SYNC"]

    again = reconciler.run(COMPANY, *NOVEMBER)

    assert again.edited == [(SO_1, ["lines[1].qty"])]
    assert codes(app, "SO-1") == ["MANUAL_EDIT_AFTER_SYNC"]  # one finding per cause
    assert dispatcher.run_once().calls == 0  # nothing is sent over AutoCount's copy


def test_accepting_autocounts_version_releases_the_record_as_synced(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    edit(book, where, date=dt.date(2026, 11, 21))
    reconciler.run(COMPANY, *NOVEMBER)
    assert finding(app, "SO-1", "MANUAL_EDIT_AFTER_SYNC")["field"] == "date"

    verdict = app.review.release(SO_1, "mei.ling", "delivery moved a day; AutoCount is right")

    assert verdict.outcome is Outcome.SYNCED
    assert dispatcher.run_once().calls == 0
    reconciler.run(COMPANY, *NOVEMBER)
    assert outcome(app, "SO-1") is Outcome.SYNCED


def test_another_edit_after_an_accepted_one_is_held_again(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    edit(book, where, date=dt.date(2026, 11, 21))
    reconciler.run(COMPANY, *NOVEMBER)
    app.review.release(SO_1, "mei.ling", "delivery moved a day; AutoCount is right")
    reconciler.run(COMPANY, *NOVEMBER)
    assert outcome(app, "SO-1") is Outcome.SYNCED  # the accepted edit stays accepted

    edit_line(book, where, 1, qty=Decimal("4"))  # someone changes a quantity there later
    reconciler.run(COMPANY, *NOVEMBER)

    assert outcome(app, "SO-1") is Outcome.HELD
    edited = finding(app, "SO-1", "MANUAL_EDIT_AFTER_SYNC")
    assert edited["outcome"] == "held" and "lines[1].qty" in edited["message"]


def test_an_edit_corrected_in_autocount_is_cleared_by_the_next_reconciliation(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    edit_line(book, where, 1, qty=Decimal("4"))
    reconciler.run(COMPANY, *NOVEMBER)
    assert outcome(app, "SO-1") is Outcome.HELD

    edit_line(book, where, 1, qty=Decimal("3"))  # accounts puts AutoCount's copy right
    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.matching == 1
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert codes(app, "SO-1") == []
    assert stored(app, "SO-1").owner is None
    last = events(app, "SO-1")[-1]
    assert (last["kind"], last["actor"], last["data"]["outcome"]) == (
        "reconciled", "reconciliation", "synced")
    assert "matches" in last["reason"]
    assert dispatcher.run_once().calls == 0
    assert reconciler.run(COMPANY, *NOVEMBER).matching == 1
    assert events(app, "SO-1")[-1] == last  # nothing more to say


def test_an_edit_of_an_autocount_owned_field_is_accepted_and_recorded(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    edit(book, where, description="Deliver before noon")
    edit_line(book, where, 0, description="Widget, blue")

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert sorted(report.accepted) == [(SO_1, "description"), (SO_1, "lines[0].description")]
    assert (report.edited, report.matching) == ([], 0)
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert codes(app, "SO-1") == []
    last = events(app, "SO-1")[-1]
    assert last["kind"] == "reconciled"
    assert "description" in last["reason"]
    assert {a["field"]: a["autocount"] for a in last["data"]["accepted"]} == {
        "description": "Deliver before noon", "lines[0].description": "Widget, blue"}


def test_a_line_added_in_autocount_is_a_manual_edit(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book, lines=[line(qty="2")])
    [first] = book.documents[where].lines or ()
    edit(book, where, lines=(first, dataclasses.replace(first, item="GAD-200", seq=2)))

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.edited == [(SO_1, ["lines[1]"])]
    assert outcome(app, "SO-1") is Outcome.HELD


# ---- documents gone from AutoCount --------------------------------------------------------------

def test_a_deleted_document_is_held_as_missing_and_a_retry_posts_it_again(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    del book.documents[where]

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.missing == [SO_1]
    assert outcome(app, "SO-1") is Outcome.HELD
    missing = finding(app, "SO-1", "MISSING_IN_AUTOCOUNT")
    assert (missing["outcome"], missing["owner"], missing["expected"]) == (
        "held", "accounts", where[1])
    assert [s["action"] for s in missing["suggestions"]] == ["retry"]
    with pytest.raises(ReviewError):
        app.review.release(SO_1, "mei.ling", "never mind")  # it must be posted again

    verdict = app.review.retry(SO_1, "mei.ling", "deleted by mistake")

    assert verdict.outcome is Outcome.READY
    sent = dispatcher.run_once()
    assert sent.calls == 1
    [(identity, number)] = sent.synced
    assert identity == SO_1
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert stored(app, "SO-1").autocount_doc_no == number
    [remote] = book.documents.values()
    assert [ln.qty for ln in remote.lines or ()] == [Decimal(2), Decimal(3)]
    assert reconciler.run(COMPANY, *NOVEMBER).matching == 1


def test_a_deleted_document_that_was_updated_is_posted_again_once_as_it_is_now(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book, lines=[line(qty="2")])
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")
    dispatcher.run_once()
    assert [ln.qty for ln in book.documents[where].lines or ()] == [Decimal(5)]
    del book.documents[where]
    reconciler.run(COMPANY, *NOVEMBER)
    app.review.retry(SO_1, "mei.ling", "deleted by mistake")

    sent = dispatcher.run_once()

    assert sent.calls == 1
    [remote] = book.documents.values()
    assert [ln.qty for ln in remote.lines or ()] == [Decimal(5)]
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert dispatcher.run_once().calls == 0
    assert reconciler.run(COMPANY, *NOVEMBER).matching == 1


def test_a_deleted_document_with_a_change_under_review_is_posted_once(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    configure(app, {"types": {"sales_order": {"version_policy": "review"}}})
    where = synced_order(app, files, dispatcher, book, lines=[line(qty="2")])
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")
    assert codes(app, "SO-1") == ["CHANGED_AFTER_SYNC"]
    del book.documents[where]
    reconciler.run(COMPANY, *NOVEMBER)

    app.review.retry(SO_1, "mei.ling", "deleted by mistake")
    dispatcher.run_once()

    assert len(book.documents) == 1
    assert outcome(app, "SO-1") is Outcome.SYNCED


# ---- after acgate itself changed the document ---------------------------------------------------

def test_an_update_acgate_made_is_what_autocount_is_compared_with(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    synced_order(app, files, dispatcher, book, lines=[line(qty="2")])
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")
    dispatcher.run_once()

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert (report.checked, report.matching) == (1, 1)
    assert outcome(app, "SO-1") is Outcome.SYNCED


def test_a_void_acgate_made_is_not_a_manual_edit(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    ingest(app, files, order("SO-1", version=2, status="cancelled"), name="cancel.jsonl")
    dispatcher.run_once()
    assert book.documents[where].cancelled is True

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.edited == []
    assert outcome(app, "SO-1") is Outcome.SYNCED


def test_a_void_made_in_autocount_is_a_manual_edit(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    where = synced_order(app, files, dispatcher, book)
    edit(book, where, cancelled=True)

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.edited == [(SO_1, ["cancelled"])]
    assert outcome(app, "SO-1") is Outcome.HELD


def test_a_credit_note_for_a_change_leaves_the_original_matching(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler) -> None:
    configure(app, {"types": {"sales_invoice": {"version_policy": "new_document"}}})
    ingest(app, files, trade("sales_invoice", "INV-1", status="ready_to_bill"))
    dispatcher.run_once()
    ingest(app, files, trade("sales_invoice", "INV-1", version=2, status="ready_to_bill",
                             approval={"by": "mei.ling", "at": "2026-11-20T11:00:00+08:00",
                                       "version": 2},
                             lines=[line(unit_price="10.00")]), name="v2.jsonl")
    dispatcher.run_once()
    assert {kind for kind, _ in book.documents} == {DocType.SALES_INVOICE, DocType.CREDIT_NOTE}

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert (report.checked, report.matching, report.edited) == (1, 1, [])
    assert outcome(app, "INV-1") is Outcome.SYNCED


def test_a_listing_without_lines_is_completed_by_a_look_up(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget,
        reconciler: Reconciler, clock: Clock) -> None:
    where = synced_order(app, files, dispatcher, book)
    edit_line(book, where, 0, unit_price=Decimal("11.00"))

    class ListingWithoutLines(MemoryTarget):
        def list_documents(self, doc_type: DocType, date_from: dt.date,
                           date_to: dt.date) -> Any:
            for document in super().list_documents(doc_type, date_from, date_to):
                yield dataclasses.replace(document, lines=None)

    listing = ListingWithoutLines()
    listing.documents = book.documents
    report = Reconciler(app.store, app.directory, lambda company: listing, clock).run(
        COMPANY, *NOVEMBER)

    assert report.edited == [(SO_1, ["lines[0].unit_price"])]

"""A record's life past intake: dependencies, syncing to the sandbox book, changes and
cancellations after sync, waits that expire, master data reloads, and the trace of it all."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from acgate.autocount.memory import MemoryTarget
from acgate.bootstrap import App
from acgate.domain.codes import Outcome
from acgate.domain.documents import DocType
from acgate.service.dispatch import Dispatcher
from acgate.service.masters import load_master
from acgate.sources.readers import read_documents
from acgate.sources.rules_file import load_rules_dir

from .support import (
    COMPANY,
    MASTER,
    RULES_YAML,
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


@pytest.fixture
def book() -> MemoryTarget:
    return MemoryTarget()


@pytest.fixture
def dispatcher(app: App, book: MemoryTarget, clock: Clock) -> Dispatcher:
    return Dispatcher(app.store, app.directory, lambda company: book, clock)


def invoice(doc_id: str = "INV-1", **kwargs: object) -> dict[str, object]:
    kwargs.setdefault("status", "ready_to_bill")
    return trade("sales_invoice", doc_id, **kwargs)  # type: ignore[arg-type]


# ---- dependencies -------------------------------------------------------------------------------

def test_a_delivery_waits_for_its_order_to_sync_then_moves_on_once(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget) -> None:
    ingest(app, files, order("SO-1"), delivery("DO-1", "SO-1"))
    assert outcome(app, "SO-1") is Outcome.READY
    assert outcome(app, "DO-1") is Outcome.WAITING
    [finding] = trace_of(app, "DO-1").as_dict()["findings"]
    assert finding["code"] == "DEPENDENCY_PENDING"
    assert finding["source_value"] == "shop/sales_order/SO-1"
    before = len(events(app, "DO-1"))

    report = dispatcher.run_once()

    assert [identity for identity, _ in report.synced] == ["shop/sales_order/SO-1"]
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert outcome(app, "DO-1") is Outcome.READY
    new = events(app, "DO-1")[before:]
    assert len(new) == 1
    assert (new[0]["data"]["previous_outcome"], new[0]["data"]["outcome"]) == ("waiting",
                                                                              "ready")
    assert codes(app, "DO-1") == []

    dispatcher.run_once()

    assert outcome(app, "DO-1") is Outcome.SYNCED
    assert (DocType.DELIVERY_ORDER, stored(app, "DO-1").autocount_doc_no) in book.documents


def test_a_delivery_that_arrives_before_its_order_waits_for_it(
        app: App, files: Files, dispatcher: Dispatcher) -> None:
    ingest(app, files, delivery("DO-1", "SO-1"))
    [finding] = trace_of(app, "DO-1").as_dict()["findings"]
    assert finding["code"] == "DEPENDENCY_PENDING"
    assert "has not arrived" in finding["message"]

    ingest(app, files, order("SO-1"), name="late-order.jsonl")
    assert outcome(app, "DO-1") is Outcome.WAITING
    dispatcher.run_once()

    assert outcome(app, "DO-1") is Outcome.READY


def test_an_order_once_synced_satisfies_its_delivery_while_a_newer_version_is_held(
        app: App, files: Files, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1"))
    dispatcher.run_once()
    ingest(app, files, order("SO-1", version=2, status="on_hold"), name="v2.jsonl")
    assert outcome(app, "SO-1") is Outcome.HELD

    ingest(app, files, delivery("DO-1", "SO-1"), name="delivery.jsonl")

    assert codes(app, "DO-1") == []
    assert outcome(app, "DO-1") is Outcome.READY


@pytest.mark.parametrize("order_first", [True, False])
def test_a_tracked_document_satisfies_its_followers_at_once(app: App, files: Files,
                                                            order_first: bool) -> None:
    purchase = trade("purchase_order", "PO-1", party="400-P001")
    received = trade("goods_received", "GR-1", party="400-P001", status="received",
                     based_on=[{"type": "purchase_order", "id": "PO-1"}],
                     lines=[line(unit_price=None)])
    first, second = (purchase, received) if order_first else (received, purchase)

    ingest(app, files, first, name="first.jsonl")
    ingest(app, files, second, name="second.jsonl")

    assert outcome(app, "PO-1") is Outcome.TRACKED
    assert outcome(app, "GR-1") is Outcome.READY
    assert codes(app, "GR-1") == []



def test_a_follower_judged_before_its_tracked_document_in_one_batch_moves_on(
        app: App, files: Files) -> None:
    ingest(app, files, trade("goods_received", "GR-1", party="400-P001", status="received",
                             based_on=[{"type": "purchase_order", "id": "PO-1"}],
                             lines=[line(unit_price=None)]),
           trade("purchase_order", "PO-1", party="400-P001"))

    assert outcome(app, "GR-1") is Outcome.READY
    assert [e["reason"] for e in events(app, "GR-1")][-1] == "a document it depends on is tracked"


def test_a_batch_with_a_tracked_document_nothing_waits_on_is_planned_without_the_lock(
        app: App, files: Files) -> None:
    # Several intake processes check batches side by side only while a batch can be planned
    # on a snapshot; one that needs the write lock is checked alone.
    batch = list(read_documents(files.jsonl("po.jsonl", [
        trade("purchase_order", "PO-1", party="400-P001"), order("SO-1")])))

    plan, report = app.intake.plan(batch, None, app.clock())

    assert plan is not None
    assert dict(report.outcomes) == {"tracked": 1, "ready": 1}

# ---- after sync ---------------------------------------------------------------------------------

def test_a_newer_version_after_sync_follows_the_version_policy(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget) -> None:
    ingest(app, files, order("SO-1"), invoice("INV-1"))
    dispatcher.run_once()
    so_number = stored(app, "SO-1").autocount_doc_no

    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]),
           invoice("INV-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    # sales_order: version_policy update -> the dispatcher may carry it out.
    [changed] = trace_of(app, "SO-1").as_dict()["findings"]
    assert (changed["code"], changed["outcome"]) == ("CHANGED_AFTER_SYNC", "ready")
    assert "update" in changed["message"]
    assert changed["field"] == "lines[0].qty"
    assert outcome(app, "SO-1") is Outcome.READY
    # sales_invoice: version_policy review -> held for accounts.
    [review] = trace_of(app, "INV-1").as_dict()["findings"]
    assert (review["code"], review["outcome"], review["owner"]) == (
        "CHANGED_AFTER_SYNC", "held", "accounts")
    assert outcome(app, "INV-1") is Outcome.HELD
    assert trace_of(app, "INV-1").changed_after_sync

    report = dispatcher.run_once()

    assert report.synced == [("shop/sales_order/SO-1", so_number)]
    assert book.documents[(DocType.SALES_ORDER, so_number or "")].lines[0].qty == 5  # type: ignore[index]
    assert outcome(app, "INV-1") is Outcome.HELD


def test_the_trace_still_says_a_document_changed_after_sync_once_the_change_has_synced(
        app: App, files: Files, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1"))
    dispatcher.run_once()
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    dispatcher.run_once()  # sales_order: version_policy update, so AutoCount's copy is updated

    trace = trace_of(app, "SO-1").as_dict()
    assert trace["outcome"] == "synced"
    assert [f["code"] for f in trace["findings"]] == ["CHANGED_AFTER_SYNC"]
    assert trace["changed_after_sync"] is True
    # Both versions went into AutoCount: the first as posted, the second as the update.
    assert [(v["version"], v["synced"]) for v in trace["versions"]] == [(1, True), (2, True)]


def test_a_newer_version_with_the_same_content_leaves_a_synced_document_unchanged(
        app: App, files: Files, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1"))
    dispatcher.run_once()

    ingest(app, files, order("SO-1", version=2), name="v2.jsonl")

    trace = trace_of(app, "SO-1").as_dict()
    assert (trace["outcome"], trace["findings"]) == ("synced", [])
    assert trace["changed_after_sync"] is False


def test_a_cancellation_after_sync_follows_the_cancel_policy(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget) -> None:
    ingest(app, files, order("SO-1"), invoice("INV-1"))
    dispatcher.run_once()
    so_number = stored(app, "SO-1").autocount_doc_no or ""

    ingest(app, files, order("SO-1", version=2, status="cancelled"),
           invoice("INV-1", version=2, status="void"), name="cancel.jsonl")

    [cancel] = trace_of(app, "SO-1").as_dict()["findings"]
    assert (cancel["code"], cancel["outcome"]) == ("CANCELLED_AFTER_SYNC", "ready")
    assert "reverse" in cancel["message"]
    [review] = trace_of(app, "INV-1").as_dict()["findings"]
    assert (review["code"], review["outcome"]) == ("CANCELLED_AFTER_SYNC", "held")
    assert "review" in review["message"]

    report = dispatcher.run_once()

    assert report.synced == [("shop/sales_order/SO-1", so_number)]
    assert book.documents[(DocType.SALES_ORDER, so_number)].cancelled is True
    assert outcome(app, "INV-1") is Outcome.HELD


def test_a_cancellation_before_sync_rejects_the_record(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", status="draft"))
    ingest(app, files, order("SO-1", version=2, status="Cancelled "), name="v2.jsonl")

    assert outcome(app, "SO-1") is Outcome.REJECTED
    assert stored(app, "SO-1").owner is None


# ---- time and master data ---------------------------------------------------------------------

def test_a_wait_past_the_rule_becomes_held_with_wait_expired(app: App, files: Files,
                                                             clock: Clock) -> None:
    ingest(app, files, order("SO-1", status="draft"))
    assert outcome(app, "SO-1") is Outcome.WAITING

    clock.advance(dt.timedelta(hours=47))
    [verdict] = app.review.recheck()
    assert verdict.outcome is Outcome.WAITING
    assert len(events(app, "SO-1")) == 1  # nothing changed: no event

    clock.advance(dt.timedelta(hours=2))
    [verdict] = app.review.recheck()

    assert verdict.outcome is Outcome.HELD
    found = trace_of(app, "SO-1").as_dict()
    assert found["outcome"] == "held"
    assert found["owner"] == "operations"
    assert sorted(f["code"] for f in found["findings"]) == ["STATUS_NOT_READY", "WAIT_EXPIRED"]
    assert found["events"][-1]["data"]["outcome"] == "held"
    # In the company's time and the rule's own words, as the integrator wrote them.
    [expired] = [f for f in found["findings"] if f["code"] == "WAIT_EXPIRED"]
    assert expired["message"] == ("waiting since 2026-11-20T10:00+08:00, longer than the 2d "
                                  "its rule allows")
    assert expired["expected"] == "at most 2d"


def test_a_master_data_reload_rechecks_open_records(app: App, files: Files,
                                                    workspace: Path, clock: Clock) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NEW-300", unit_price="9.00")]),
           order("SO-2", lines=[line(item="NOPE-1")]))
    assert codes(app, "SO-1") == ["ITEM_UNMAPPED"]
    before = len(events(app, "SO-2"))
    extended = {**MASTER, "items": [*MASTER["items"], {
        "code": "NEW-300", "description": "New thing", "base_uom": "PCS", "active": True,
        "uoms": [{"uom": "PCS", "rate": "1"}]}]}
    path = workspace / "master-2.json"
    path.write_text(json.dumps(extended))

    clock.advance(dt.timedelta(hours=1))
    _, rechecked = load_master(app.store, app.directory, COMPANY, path, clock(), "carol")

    assert rechecked == 2
    assert outcome(app, "SO-1") is Outcome.READY
    last = events(app, "SO-1")[-1]
    assert (last["actor"], last["data"]["outcome"]) == ("carol", "ready")
    assert "master-2.json" in last["reason"]
    assert outcome(app, "SO-2") is Outcome.HELD
    assert len(events(app, "SO-2")) == before  # unchanged: no event



def test_a_master_data_reload_counts_for_the_very_next_document_taxes_and_prices_afresh(
        app: App, files: Files, workspace: Path, clock: Clock) -> None:
    # Checking remembers a line's amounts and a price found within tolerance for the company
    # as it is built: a reload (a new tax rate, a new price) must not meet old answers.
    configure(app, {"types": {"sales_order": {"price_check": True}}})
    stated = {"subtotal": "25.00", "tax": "2.50", "total": "27.50"}  # 2 x 12.50 at 10%
    ingest(app, files, order("SO-1", totals=stated, lines=[line(tax_code="SST10")]))
    assert codes(app, "SO-1") == []
    changed = json.loads(json.dumps(MASTER))
    changed["tax_codes"] = [{"code": "S-10", "rate": "0.08"}]
    widget = next(item for item in changed["items"] if item["code"] == "WID-100")
    widget["uoms"][0]["price"] = "20.00"
    path = workspace / "master-2.json"
    path.write_text(json.dumps(changed))
    load_master(app.store, app.directory, COMPANY, path, clock(), "carol")

    ingest(app, files, order("SO-2", totals=stated, lines=[line(tax_code="SST10")]),
           name="after.jsonl")

    # 12.50 is now 37.5% under 20.00; the tax at 8% is 2.00, and the total 27.00.
    assert codes(app, "SO-2") == ["PRICE_OUT_OF_TOLERANCE", "TOTALS_MISMATCH",
                                  "TOTALS_MISMATCH"]

def test_the_trace_of_a_rate_mismatch_shows_the_whole_conversion(app: App,
                                                                  files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(uom="ctn", qty="2", unit_price="140.00",
                                                 uom_rate="10")]))

    found = trace_of(app, "shop/sales_order/SO-1").as_dict()

    assert found["outcome"] == "held"
    [finding] = found["findings"]
    assert (finding["code"], finding["field"], finding["source_value"], finding["expected"]) == (
        "UOM_RATE_MISMATCH", "lines[0].uom_rate", "10", "12")
    [conversion] = found["conversions"]
    assert conversion["source_uom"] == "ctn"
    assert conversion["alias"] == "CTN"
    assert (conversion["autocount_uom"], conversion["autocount_rate"]) == ("CTN", "12")
    assert conversion["source_rate"] == "10"
    assert (conversion["base_qty"], conversion["base_uom"]) == ("24", "PCS")



def test_the_trace_shows_each_lines_mappings_and_conversion_clean_lines_as_much_as_held_ones(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", branch="Penang", lines=[
        line(1, uom="ctn", qty="2", unit_price="140.00", tax_code="SST10"),
        line(2, uom="ctn", qty="1", unit_price="140.00", uom_rate="10"),
        line(3, uom="ctn", qty="5", unit_price="140.00", tax_code="SST10")]))

    found = trace_of(app, "shop/sales_order/SO-1").as_dict()

    assert codes(app, "SO-1") == ["UOM_RATE_MISMATCH"]
    assert [(m["field"], m["source_value"], m["autocount_value"]) for m in found["mapped"]
            if m["field"].startswith(("lines", "branch"))] == [
        ("lines[0].item", "WID-100", "WID-100"), ("lines[0].uom", "ctn", "CTN"),
        ("lines[0].tax_code", "SST10", "S-10"), ("branch", "Penang", "PG"),
        ("lines[1].item", "WID-100", "WID-100"), ("lines[1].uom", "ctn", "CTN"),
        ("lines[2].item", "WID-100", "WID-100"), ("lines[2].uom", "ctn", "CTN"),
        ("lines[2].tax_code", "SST10", "S-10")]
    assert [(c["field"], c["source_uom"], c["alias"], c["autocount_rate"], c["source_rate"],
             c["qty"], c["base_qty"], c["base_uom"]) for c in found["conversions"]] == [
        ("lines[0].uom", "ctn", "CTN", "12", None, "2", "24", "PCS"),
        ("lines[1].uom", "ctn", "CTN", "12", "10", "1", "12", "PCS"),
        ("lines[2].uom", "ctn", "CTN", "12", None, "5", "60", "PCS")]

# ---- the fulfilment ledger and duplicate keys across re-checks --------------------------------

def partial(doc_id: str, qty: str) -> dict[str, object]:
    """A delivery of `qty` pieces against line 1 of SO-1 (2 cartons: 24 pieces)."""
    return delivery(doc_id, "SO-1", lines=[line(qty=qty, unit_price=None, based_on_line={
        "type": "sales_order", "id": "SO-1", "line": 1})])


def test_deliveries_re_checked_together_count_each_delivery_once(
        app: App, files: Files, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1", lines=[line(uom="ctn", qty="2", unit_price="140.00")]),
           partial("DO-1", "10"), partial("DO-2", "10"))
    assert codes(app, "DO-2") == ["DEPENDENCY_PENDING", "PARTIAL_DELIVERY"]

    # Both wait on SO-1 and are re-checked in one batch, DO-1 before DO-2: 10 + 10 of 24.
    app.review.recheck(outcomes=(Outcome.WAITING,))
    dispatcher.run_once()

    assert codes(app, "DO-2") == ["PARTIAL_DELIVERY"]
    assert outcome(app, "DO-2") is Outcome.READY
    assert "line 1: 4" in trace_of(app, "DO-2").as_dict()["findings"][0]["message"]


def test_a_new_version_of_a_delivery_in_a_batch_counts_once_for_the_next_delivery(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(uom="ctn", qty="2", unit_price="140.00")]),
           partial("DO-1", "10"))

    ingest(app, files, {**partial("DO-1", "10"), "version": 2, "notes": "driver changed"},
           partial("DO-2", "14"), name="second.jsonl")

    assert "OVER_FULFILMENT" not in codes(app, "DO-2")
    assert outcome(app, "DO-2") is Outcome.WAITING


def test_a_reference_a_new_version_gave_up_is_free_for_the_next_document_in_its_batch(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", reference="PO-77"))

    ingest(app, files, order("SO-1", version=2, reference="PO-78"),
           order("SO-2", reference="PO-77"), name="second.jsonl")

    assert codes(app, "SO-2") == []
    assert outcome(app, "SO-2") is Outcome.READY


def add_company(app: App, name: str) -> None:
    """A second company in the workspace, whose documents come from the same shop."""
    (app.root / "rules" / f"{name}.yaml").write_text(
        RULES_YAML.replace("company: acme", f"company: {name}"))
    app.directory.rules.update(load_rules_dir(app.root / "rules"))
    load_master(app.store, app.directory, name, app.root / "master.json", app.clock(), "setup")


def test_a_document_never_follows_another_companys_document_of_the_same_identity(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget) -> None:
    add_company(app, "other")
    ingest(app, files, order("SO-1", company=COMPANY))
    dispatcher.run_once()
    assert outcome(app, "SO-1") is Outcome.SYNCED

    ingest(app, files, delivery("DO-1", "SO-1", company="other", lines=[line(
        unit_price=None, based_on_line={"type": "sales_order", "id": "SO-1", "line": 1})]),
           name="other.jsonl")
    dispatcher.run_once()

    # acme's SO-1 is in acme's book: other's delivery still waits for other's own order.
    assert outcome(app, "DO-1") is Outcome.WAITING
    [finding] = trace_of(app, "DO-1").as_dict()["findings"]
    assert finding["code"] == "DEPENDENCY_PENDING"
    assert "has not arrived" in finding["message"]


def test_an_invoice_never_transfers_from_another_companys_order(
        app: App, files: Files, dispatcher: Dispatcher, book: MemoryTarget) -> None:
    add_company(app, "other")
    ingest(app, files, order("SO-1", company=COMPANY))
    dispatcher.run_once()

    # Invoices sync at once in both companies; other's names a line of an SO-1 it never sent.
    ingest(app, files, invoice("INV-1", company="other", lines=[line(
        based_on_line={"type": "sales_order", "id": "SO-1", "line": 1})]), name="other.jsonl")
    dispatcher.run_once()

    assert outcome(app, "INV-1") is Outcome.SYNCED
    posted = book.documents[(DocType.SALES_INVOICE, stored(app, "INV-1").autocount_doc_no or "")]
    assert [line.transfer for line in posted.lines] == [None]


def test_a_document_of_one_company_sent_for_another_is_refused_and_kept(
        app: App, files: Files) -> None:
    add_company(app, "other")
    ingest(app, files, order("SO-1", company=COMPANY, lines=[line(qty="2")]))

    report = ingest(app, files, order("SO-1", company="other", version=2,
                                      lines=[line(qty="9")]), name="other.jsonl")

    # acme's order stays acme's, at its version, with its content.
    assert report.refused == 1 and report.new_versions == 0
    [problem] = report.problems
    assert problem.kind == "conflict" and problem.problems[0].path == "company"
    assert "company acme" in problem.problems[0].problem
    assert stored(app, "SO-1").company == COMPANY and stored(app, "SO-1").version == 1
    refused = [e for e in events(app, "SO-1") if e["kind"] == "refused"]
    assert len(refused) == 1 and "company other" in refused[0]["reason"]
    assert '"qty": "9"' in refused[0]["data"]["raw"]


def test_a_finding_cleared_while_the_record_stays_held_is_on_its_timeline(
        app: App, files: Files, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1"), delivery("DO-1", "SO-1", branch="Ipoh"))
    assert sorted(codes(app, "DO-1")) == ["DEPENDENCY_PENDING", "LOCATION_UNMAPPED"]
    before = len(events(app, "DO-1"))

    dispatcher.run_once()  # SO-1 syncs; DO-1 no longer waits for it, but Ipoh still holds it

    assert outcome(app, "DO-1") is Outcome.HELD
    assert codes(app, "DO-1") == ["LOCATION_UNMAPPED"]
    [event] = events(app, "DO-1")[before:]
    assert "depends on synced" in event["reason"]
    assert [f["code"] for f in event["data"]["findings"]] == ["LOCATION_UNMAPPED"]

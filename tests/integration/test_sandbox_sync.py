"""Dispatch and reconciliation against the AutoCount sandbox over real HTTP: the after-sync and
cancel policies, transfers from a synced order, commit-then-timeout, manual edits made in
AutoCount itself, and the Cloud profile's one-call invoice and the types it cannot take.

One sandbox serves the module (on the integration master data) and is emptied before each test;
the workspace's rules point at it as a company's `autocount:` section would, with the keys in
environment variables, and the dispatcher is the one the application builds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from acgate.autocount.http import HttpTarget
from acgate.autocount.target import Target
from acgate.bootstrap import App
from acgate.checks.posting import idempotency_key
from acgate.domain.codes import Outcome
from acgate.sandbox import SandboxConfig, run_in_thread
from acgate.service.dispatch import Dispatcher
from acgate.service.pipeline import version_hash
from acgate.service.reconcile import Reconciler
from acgate.service.targets import build_target
from acgate.sources.masterdata import master_data_from_json

from .support import (
    COMPANY,
    MASTER,
    Cli,
    Clock,
    Files,
    configure,
    delivery,
    ingest,
    line,
    order,
    outcome,
    stored,
    trace_of,
    trade,
)

SO_1 = "shop/sales_order/SO-1"
INV_1 = "shop/sales_invoice/INV-1"
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
APPROVED_V2 = {"by": "mei.ling", "at": "2026-11-20T11:00:00+08:00", "version": 2}

BRIDGE_KEY_ENV = "ACGATE_TEST_BRIDGE_KEY"
CLOUD_KEY_ID_ENV = "ACGATE_TEST_CLOUD_KEY_ID"
CLOUD_API_KEY_ENV = "ACGATE_TEST_CLOUD_API_KEY"


@dataclass
class Sandbox:
    """The running sandbox, seen through `/_admin` as a person at AutoCount would see the book."""

    base_url: str
    admin: httpx.Client

    def reset(self) -> None:
        self.admin.post("/_admin/reset").raise_for_status()

    def faults(self, **switches: Any) -> None:
        self.admin.post("/_admin/faults", json=switches).raise_for_status()

    def documents(self, kind: str | None = None) -> list[dict[str, Any]]:
        answer = self.admin.get("/_admin/documents")
        answer.raise_for_status()
        documents: list[dict[str, Any]] = answer.json()["documents"]
        return [doc for doc in documents if kind is None or doc["kind"] == kind]

    def document(self, kind: str, doc_no: str) -> dict[str, Any]:
        [found] = [doc for doc in self.documents(kind) if doc["doc_no"] == doc_no]
        return found

    def edit(self, kind: str, doc_no: str, *, header: Mapping[str, Any] | None = None,
             lines: Mapping[int, Mapping[str, Any]] | None = None) -> None:
        """A person changes the document in AutoCount, past AutoCount's rules."""
        answer = self.admin.post("/_admin/edit", json={
            "kind": kind, "doc_no": doc_no, "set": dict(header or {}),
            "lines": {str(seq): dict(change) for seq, change in (lines or {}).items()}})
        assert answer.status_code == 200, answer.text

    def delete(self, kind: str, doc_no: str) -> None:
        answer = self.admin.post("/_admin/edit",
                                 json={"kind": kind, "doc_no": doc_no, "delete": True})
        assert answer.status_code == 204, answer.text


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[Sandbox]:
    base_url, stop = run_in_thread(SandboxConfig(master=master_data_from_json(MASTER)))
    admin = httpx.Client(base_url=base_url, timeout=5.0, trust_env=False)
    yield Sandbox(base_url, admin)
    admin.close()
    stop()


@pytest.fixture
def sandbox(running_sandbox: Sandbox) -> Sandbox:
    """The module's sandbox, emptied: no documents, numbering from 1, no faults."""
    running_sandbox.reset()
    return running_sandbox


def bridge_rules(sandbox: Sandbox) -> dict[str, Any]:
    return {"autocount": {"kind": "bridge", "base_url": sandbox.base_url,
                          "api_key_env": BRIDGE_KEY_ENV}}


def cloud_rules(sandbox: Sandbox) -> dict[str, Any]:
    return {"autocount": {"kind": "cloud", "book": "1", "base_url": sandbox.base_url,
                          "key_id_env": CLOUD_KEY_ID_ENV, "api_key_env": CLOUD_API_KEY_ENV}}


def on_bridge(app: App, sandbox: Sandbox, changes: Mapping[str, Any] | None = None) -> None:
    """The rules with `changes`, still pointed at the sandbox's bridge profile."""
    configure(app, {**bridge_rules(sandbox), **(changes or {})})


@pytest.fixture
def bridge(app: App, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv(BRIDGE_KEY_ENV, "sandbox-bridge-key")
    on_bridge(app, sandbox)
    return sandbox


class Targets:
    """Each company's target built from its rules, as the application's directory does, and
    closed when the test ends."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.built: dict[str, Target] = {}

    def __call__(self, company: str) -> Target:
        if company not in self.built:
            self.built[company] = build_target(self.app.directory.rules[company], self.app.root)
        return self.built[company]

    def close(self) -> None:
        for target in self.built.values():
            assert isinstance(target, HttpTarget)
            target.close()


@pytest.fixture
def targets(app: App) -> Iterator[Targets]:
    built = Targets(app)
    yield built
    built.close()


@pytest.fixture
def dispatcher(app: App, targets: Targets, clock: Clock) -> Dispatcher:
    return Dispatcher(app.store, app.directory, targets, clock, worker="worker-1")


@pytest.fixture
def reconciler(app: App, targets: Targets, clock: Clock) -> Reconciler:
    return Reconciler(app.store, app.directory, targets, clock)


def invoice(doc_id: str = "INV-1", **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("status", "ready_to_bill")
    return trade("sales_invoice", doc_id, **kwargs)


def key_of(app: App, ref: str) -> str:
    doc = stored(app, ref)
    return idempotency_key(COMPANY, str(doc.identity),
                           version_hash(doc.content_hash, doc.raw) or "")


def finding(app: App, ref: str, code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in trace_of(app, ref).as_dict()["findings"]
                                   if f["code"] == code]
    assert len(found) == 1, found
    return found[0]


def codes(app: App, ref: str) -> list[str]:
    return [f["code"] for f in trace_of(app, ref).as_dict()["findings"]]


def attempts(app: App, ref: str) -> list[tuple[str, str]]:
    return [(a["action"], a["result"]) for a in trace_of(app, ref).sync_attempts]


def qtys(document: Mapping[str, Any]) -> list[str]:
    return [ln["qty"] for ln in document["lines"]]


def synced_order(app: App, files: Files, dispatcher: Dispatcher, sandbox: Sandbox,
                 **kwargs: Any) -> str:
    """SO-1 synced through the bridge; its AutoCount number."""
    kwargs.setdefault("lines", [line(qty="2")])
    ingest(app, files, order("SO-1", **kwargs), name="so-1.jsonl")
    report = dispatcher.run_once()
    number = stored(app, "SO-1").autocount_doc_no
    assert number is not None
    assert report.synced == [(SO_1, number)]
    assert sandbox.document("SalesOrder", number)["remark4"] == f"acg:{key_of(app, 'SO-1')}"
    return number


# ---- the ordinary path ------------------------------------------------------------------------

def test_a_ready_order_reaches_the_sandbox_once_under_acgates_key(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1", lines=[line(qty="2"), line(2, item="GAD-200", qty="3",
                                                                unit_price="5.00")]))

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-000001")]
    assert report.calls == 1
    [remote] = bridge.documents()
    assert (remote["kind"], remote["doc_no"], remote["party_code"], remote["cancelled"]) == (
        "SalesOrder", "SO-000001", "300-M001", False)
    assert remote["remark4"] == f"acg:{key_of(app, 'SO-1')}"
    assert [(ln["item_code"], ln["uom"], ln["qty"], ln["location"]) for ln in remote["lines"]] \
        == [("WID-100", "PCS", "2", "HQ"), ("GAD-200", "PCS", "3", "HQ")]
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert dispatcher.run_once().calls == 0
    assert len(bridge.documents()) == 1


# ---- version policies ---------------------------------------------------------------------------

def test_version_policy_update_replaces_the_same_docno_in_the_sandbox(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    number = synced_order(app, files, dispatcher, bridge)
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, number)]
    assert report.calls == 1
    [remote] = bridge.documents()
    assert remote["doc_no"] == number
    assert qtys(remote) == ["5"]
    assert remote["remark4"] == f"acg:{key_of(app, 'SO-1')}"  # the new version's key
    assert attempts(app, "SO-1") == [("post", "accepted"), ("update", "accepted")]
    assert outcome(app, "SO-1") is Outcome.SYNCED


def test_version_policy_reverse_cancels_the_old_docno_and_posts_a_new_one(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    on_bridge(app, bridge, {"types": {"sales_order": {"version_policy": "reverse"}}})
    old = synced_order(app, files, dispatcher, bridge)
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-000002")]
    assert report.calls == 3  # look the old one up, cancel it, post the new one
    assert bridge.document("SalesOrder", old)["cancelled"] is True
    new = bridge.document("SalesOrder", "SO-000002")
    assert new["cancelled"] is False
    assert qtys(new) == ["5"]
    assert new["remark4"] == f"acg:{key_of(app, 'SO-1')}"
    assert stored(app, "SO-1").autocount_doc_no == "SO-000002"
    assert outcome(app, "SO-1") is Outcome.SYNCED


def test_version_policy_new_document_posts_a_credit_note_for_a_decrease_on_an_invoice(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    on_bridge(app, bridge, {"types": {"sales_invoice": {"version_policy": "new_document"}}})
    ingest(app, files, invoice("INV-1", lines=[line(qty="2", unit_price="12.50")]))
    assert dispatcher.run_once().synced == [(INV_1, "I-000001")]
    original = bridge.document("Invoice", "I-000001")
    ingest(app, files, invoice("INV-1", version=2, approval=APPROVED_V2,
                               lines=[line(qty="2", unit_price="10.00")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(INV_1, "CN-000001")]
    assert report.calls == 1
    [note] = bridge.documents("CreditNote")
    assert note["party_code"] == "300-M001"
    assert [(ln["item_code"], ln["qty"], ln["unit_price"]) for ln in note["lines"]] == [
        ("WID-100", "1", "5.00")]
    assert note["remark4"] == f"acg:{key_of(app, 'INV-1')}"
    assert bridge.document("Invoice", "I-000001") == original
    assert stored(app, "INV-1").autocount_doc_no == "I-000001"
    assert outcome(app, "INV-1") is Outcome.SYNCED


def test_version_policy_new_document_posts_the_added_quantities_of_an_order(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    on_bridge(app, bridge, {"types": {"sales_order": {"version_policy": "new_document"}}})
    number = synced_order(app, files, dispatcher, bridge,
                          lines=[line(qty="2"), line(2, item="GAD-200", qty="3",
                                                     unit_price="5.00")])
    original = bridge.document("SalesOrder", number)
    ingest(app, files, order("SO-1", version=2, lines=[
        line(qty="5"), line(2, item="GAD-200", qty="3", unit_price="5.00")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, "SO-000002")]
    further = bridge.document("SalesOrder", "SO-000002")
    assert [(ln["item_code"], ln["qty"]) for ln in further["lines"]] == [("WID-100", "3")]
    assert further["description"].startswith("addition to")
    assert bridge.document("SalesOrder", number) == original
    assert stored(app, "SO-1").autocount_doc_no == number
    assert outcome(app, "SO-1") is Outcome.SYNCED


@pytest.mark.parametrize("policy", ["block", "review"])
def test_version_policies_block_and_review_hold_the_change_and_leave_the_sandbox_alone(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher, policy: str) -> None:
    on_bridge(app, bridge, {"types": {"sales_order": {"version_policy": policy}}})
    number = synced_order(app, files, dispatcher, bridge)
    before = bridge.documents()
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")

    report = dispatcher.run_once()

    assert (report.calls, report.synced) == (0, [])
    assert outcome(app, "SO-1") is Outcome.HELD
    changed = finding(app, "SO-1", "CHANGED_AFTER_SYNC")
    assert (changed["outcome"], changed["owner"], changed["field"]) == (
        "held", "accounts", "lines[0].qty")
    assert policy in changed["message"]
    assert bridge.documents() == before
    assert stored(app, "SO-1").autocount_doc_no == number


# ---- cancel policies ----------------------------------------------------------------------------

def test_cancel_policy_reverse_cancels_the_document_in_the_sandbox(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    number = synced_order(app, files, dispatcher, bridge)
    ingest(app, files, order("SO-1", version=2, status="cancelled"), name="cancel.jsonl")

    report = dispatcher.run_once()

    assert report.synced == [(SO_1, number)]
    assert report.calls == 1
    [remote] = bridge.documents()
    assert (remote["doc_no"], remote["cancelled"]) == (number, True)
    assert attempts(app, "SO-1")[-1] == ("void", "accepted")
    assert outcome(app, "SO-1") is Outcome.SYNCED


@pytest.mark.parametrize("policy", ["block", "review"])
def test_cancel_policies_block_and_review_hold_the_cancellation(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher, policy: str) -> None:
    on_bridge(app, bridge, {"types": {"sales_order": {"cancel_policy": policy}}})
    number = synced_order(app, files, dispatcher, bridge)
    ingest(app, files, order("SO-1", version=2, status="cancelled"), name="cancel.jsonl")

    report = dispatcher.run_once()

    assert report.calls == 0
    assert outcome(app, "SO-1") is Outcome.HELD
    cancelled = finding(app, "SO-1", "CANCELLED_AFTER_SYNC")
    assert (cancelled["outcome"], cancelled["owner"]) == ("held", "accounts")
    assert policy in cancelled["message"]
    assert bridge.document("SalesOrder", number)["cancelled"] is False


# ---- transfers ----------------------------------------------------------------------------------

def _delivered_from(doc_id: str, qty: str, so_line: int = 1) -> dict[str, Any]:
    return delivery(doc_id, "SO-1", lines=[line(qty=qty, unit_price=None, based_on_line={
        "type": "sales_order", "id": "SO-1", "line": so_line})])


def test_a_delivery_transfers_from_the_synced_order_and_its_outstanding_goes_down(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher,
        reconciler: Reconciler) -> None:
    number = synced_order(app, files, dispatcher, bridge, lines=[line(qty="5")])
    ingest(app, files, _delivered_from("DO-1", "3"), name="do-1.jsonl")
    assert outcome(app, "DO-1") is Outcome.READY

    report = dispatcher.run_once()

    assert report.synced == [("shop/delivery_order/DO-1", "DO-000001")]
    [do_line] = bridge.document("DeliveryOrder", "DO-000001")["lines"]
    assert do_line["transfer"] == {"from_code": "SO", "from_doc_no": number, "from_seq": 1}
    assert do_line["qty"] == "3"
    [so_line] = bridge.document("SalesOrder", number)["lines"]
    assert (so_line["qty"], so_line["transferred_qty"]) == ("5", "3")  # 2 outstanding
    # The delivery went without prices: AutoCount took them from the order's line.
    assert do_line["unit_price"] == "12.50"
    assert reconciler.run(COMPANY, *NOVEMBER).matching == 2


def test_an_over_transfer_is_held_by_acgate_and_refused_by_autocount_if_released(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    number = synced_order(app, files, dispatcher, bridge, lines=[line(qty="5")])
    ingest(app, files, _delivered_from("DO-1", "3"), name="do-1.jsonl")
    dispatcher.run_once()
    ingest(app, files, _delivered_from("DO-2", "3"), name="do-2.jsonl")

    # acgate's own ledger sees it first: 3 more against the 2 outstanding.
    assert outcome(app, "DO-2") is Outcome.HELD
    over = finding(app, "DO-2", "OVER_FULFILMENT")
    assert (over["outcome"], over["field"], over["expected"]) == (
        "held", "lines[0].qty", "at most 2")
    assert dispatcher.run_once().calls == 0
    assert [doc["doc_no"] for doc in bridge.documents("DeliveryOrder")] == ["DO-000001"]

    # A person lets it through anyway: AutoCount refuses the transfer with its own message.
    assert app.review.release("DO-2", "dana", "the customer took 3 more").outcome \
        is Outcome.READY
    report = dispatcher.run_once()

    assert report.held == [("shop/delivery_order/DO-2", "SYNC_REJECTED")]
    rejected = finding(app, "DO-2", "SYNC_REJECTED")
    assert rejected["owner"] == "accounts"
    assert (f"Transfer quantity 3 is more than the outstanding quantity 2 of SalesOrder "
            f"{number} Seq 1") in rejected["message"]
    assert len(bridge.documents("DeliveryOrder")) == 1
    [so_line] = bridge.document("SalesOrder", number)["lines"]
    assert so_line["transferred_qty"] == "3"



def _delivery_held_on_the_orders_first_version(app: App, files: Files, dispatcher: Dispatcher,
                                               sandbox: Sandbox) -> str:
    """DO-1 for 5 arrived before SO-1 (so it has the lower document id); SO-1 synced with 2,
    and a second version raises it to 5."""
    ingest(app, files, _delivered_from("DO-1", "5"), name="do-1.jsonl")
    number = synced_order(app, files, dispatcher, sandbox, lines=[line(qty="2")])
    assert codes(app, "DO-1") == ["OVER_FULFILMENT"]
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]), name="v2.jsonl")
    return number


def test_a_delivery_held_over_its_order_moves_on_once_the_raised_order_reaches_autocount(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    number = _delivery_held_on_the_orders_first_version(app, files, dispatcher, bridge)
    # AutoCount's order still says 2 until the update reaches it.
    assert outcome(app, "DO-1") is Outcome.HELD

    assert dispatcher.run_once().synced == [(SO_1, number)]
    assert outcome(app, "DO-1") is Outcome.READY
    assert [e["reason"] for e in trace_of(app, "DO-1").events][-1] \
        == "a document it depends on synced"

    assert dispatcher.run_once().synced == [("shop/delivery_order/DO-1", "DO-000001")]
    [so_line] = bridge.document("SalesOrder", number)["lines"]
    assert (so_line["qty"], so_line["transferred_qty"]) == ("5", "5")


def test_a_delivery_ready_beside_its_orders_update_reaches_autocount_after_it(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    number = _delivery_held_on_the_orders_first_version(app, files, dispatcher, bridge)
    app.review.recheck()  # a person's re-check judges it against the order's second version
    assert outcome(app, "DO-1") is Outcome.READY

    report = dispatcher.run_once()

    assert report.held == []
    assert sorted(report.synced) == [("shop/delivery_order/DO-1", "DO-000001"), (SO_1, number)]
    [so_line] = bridge.document("SalesOrder", number)["lines"]
    assert (so_line["qty"], so_line["transferred_qty"]) == ("5", "5")



def _second_delivery_held_over_the_first(app: App, files: Files, dispatcher: Dispatcher,
                                         sandbox: Sandbox, *, first_synced: bool) -> str:
    """SO-1 for 5 synced; DO-1 takes 3 (synced or only ready); DO-2 for 3 more is held."""
    number = synced_order(app, files, dispatcher, sandbox, lines=[line(qty="5")])
    ingest(app, files, _delivered_from("DO-1", "3"), name="do-1.jsonl")
    if first_synced:
        dispatcher.run_once()
    ingest(app, files, _delivered_from("DO-2", "3"), name="do-2.jsonl")
    assert codes(app, "DO-2") == ["OVER_FULFILMENT"]
    return number


def test_a_delivery_held_over_another_moves_on_once_that_ones_cut_reaches_autocount(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    number = _second_delivery_held_over_the_first(app, files, dispatcher, bridge,
                                                  first_synced=True)
    ingest(app, files, _delivered_from("DO-1", "1") | {"version": 2}, name="do-1-v2.jsonl")
    assert outcome(app, "DO-2") is Outcome.HELD  # AutoCount still has the 3 DO-1 took

    dispatcher.run_once()  # DO-1's second version replaces its first in AutoCount
    assert outcome(app, "DO-2") is Outcome.READY
    assert trace_of(app, "DO-2").events[-1]["reason"] \
        == "a document fulfilling the same one synced"

    assert [ref for ref, _ in dispatcher.run_once().synced] == ["shop/delivery_order/DO-2"]
    [so_line] = bridge.document("SalesOrder", number)["lines"]
    assert so_line["transferred_qty"] == "4"


@pytest.mark.parametrize("how", ["rejected by a person", "cancelled by its source"])
def test_a_delivery_held_over_another_that_never_synced_moves_on_when_that_one_is_dropped(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher, how: str) -> None:
    number = _second_delivery_held_over_the_first(app, files, dispatcher, bridge,
                                                  first_synced=False)

    if how == "rejected by a person":
        app.review.reject("DO-1", "dana", "entered twice")
    else:
        ingest(app, files, _delivered_from("DO-1", "3") | {"version": 2, "status": "cancelled"},
               name="do-1-v2.jsonl")

    assert outcome(app, "DO-1") is Outcome.REJECTED
    assert outcome(app, "DO-2") is Outcome.READY
    assert [ref for ref, _ in dispatcher.run_once().synced] == ["shop/delivery_order/DO-2"]
    [so_line] = bridge.document("SalesOrder", number)["lines"]
    assert so_line["transferred_qty"] == "3"

# ---- an answer lost after AutoCount committed -------------------------------------------------

def test_a_post_committed_then_timed_out_is_resolved_by_look_up_not_sent_again(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1"))
    bridge.faults(commit_timeout_next=1)

    first = dispatcher.run_once()

    assert (first.in_doubt, first.synced, first.held) == (1, [], [])
    assert outcome(app, "SO-1") is Outcome.READY
    assert attempts(app, "SO-1") == [("post", "in_doubt")]
    [saved] = bridge.documents()  # AutoCount committed it; the answer never came back

    second = dispatcher.run_once()

    assert second.synced == [(SO_1, saved["doc_no"])]
    assert second.calls == 1  # the look-up by key, no second post
    [remote] = bridge.documents()
    assert remote["remark4"] == f"acg:{key_of(app, 'SO-1')}"
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert attempts(app, "SO-1") == [("post", "in_doubt"), ("post", "accepted")]


# ---- reconciliation -----------------------------------------------------------------------------

def test_reconciliation_finds_a_manual_edit_made_in_the_sandbox(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher,
        reconciler: Reconciler) -> None:
    number = synced_order(app, files, dispatcher, bridge,
                          lines=[line(qty="2"), line(2, item="GAD-200", qty="3",
                                                     unit_price="5.00")])
    assert reconciler.run(COMPANY, *NOVEMBER).matching == 1
    bridge.edit("SalesOrder", number, lines={2: {"qty": "4"}})

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.edited == [(SO_1, ["lines[1].qty"])]
    assert outcome(app, "SO-1") is Outcome.HELD
    edited = finding(app, "SO-1", "MANUAL_EDIT_AFTER_SYNC")
    assert (edited["outcome"], edited["owner"], edited["field"]) == (
        "held", "accounts", "lines[1].qty")
    assert (edited["source_value"], edited["expected"]) == ("3", "4")
    assert number in edited["message"]
    assert dispatcher.run_once().calls == 0  # nothing is sent over AutoCount's copy


def test_reconciliation_tells_autocounts_defaults_from_a_later_edit_of_them(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher,
        reconciler: Reconciler) -> None:
    number = synced_order(app, files, dispatcher, bridge)
    [filled] = bridge.document("SalesOrder", number)["lines"]
    # acgate sent no tax code, rate or description: AutoCount filled in its defaults.
    assert (filled["tax_code"], filled["description"]) == ("S-10", "Widget")
    assert bridge.document("SalesOrder", number)["currency_rate"] == "1"
    assert reconciler.run(COMPANY, *NOVEMBER).matching == 1
    bridge.edit("SalesOrder", number, lines={1: {"tax_code": "SR-0"}})

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.edited == [(SO_1, ["lines[0].tax_code"])]
    edited = finding(app, "SO-1", "MANUAL_EDIT_AFTER_SYNC")
    assert (edited["field"], edited["source_value"], edited["expected"]) == (
        "lines[0].tax_code", "None", "SR-0")


def test_reconciliation_accepts_an_edit_of_an_autocount_owned_field(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher,
        reconciler: Reconciler) -> None:
    number = synced_order(app, files, dispatcher, bridge)
    bridge.edit("SalesOrder", number, header={"description": "Deliver before noon"},
                lines={1: {"description": "Widget, blue"}})

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert sorted(report.accepted) == [(SO_1, "description"), (SO_1, "lines[0].description")]
    assert report.edited == []
    assert outcome(app, "SO-1") is Outcome.SYNCED
    assert codes(app, "SO-1") == []
    last = trace_of(app, "SO-1").events[-1]
    assert last["kind"] == "reconciled"
    assert {a["field"]: a["autocount"] for a in last["data"]["accepted"]} == {
        "description": "Deliver before noon", "lines[0].description": "Widget, blue"}


def test_reconciliation_holds_a_document_deleted_in_the_sandbox_as_missing(
        app: App, files: Files, bridge: Sandbox, dispatcher: Dispatcher,
        reconciler: Reconciler) -> None:
    number = synced_order(app, files, dispatcher, bridge)
    bridge.delete("SalesOrder", number)

    report = reconciler.run(COMPANY, *NOVEMBER)

    assert report.missing == [SO_1]
    assert outcome(app, "SO-1") is Outcome.HELD
    missing = finding(app, "SO-1", "MISSING_IN_AUTOCOUNT")
    assert (missing["outcome"], missing["owner"], missing["expected"]) == (
        "held", "accounts", number)

    app.review.retry(SO_1, "mei.ling", "deleted by mistake")
    again = dispatcher.run_once()

    [(identity, renumbered)] = again.synced
    assert identity == SO_1
    assert [doc["doc_no"] for doc in bridge.documents()] == [renumbered]
    assert reconciler.run(COMPANY, *NOVEMBER).matching == 1


# ---- the Cloud profile --------------------------------------------------------------------------

@pytest.fixture
def cloud(app: App, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv(CLOUD_KEY_ID_ENV, "sandbox")
    monkeypatch.setenv(CLOUD_API_KEY_ENV, "sandbox-api-key")
    configure(app, {**cloud_rules(sandbox), "mappings": {"terms": {"C30": "C30"}}})
    return sandbox


def test_through_the_cloud_an_invoice_syncs_in_one_call_and_an_order_is_held(
        app: App, files: Files, cloud: Sandbox, dispatcher: Dispatcher) -> None:
    ingest(app, files, order("SO-1", terms="C30"), invoice("INV-1", terms="C30"))

    assert outcome(app, "SO-1") is Outcome.HELD
    unsupported = finding(app, "SO-1", "TARGET_UNSUPPORTED")
    assert (unsupported["outcome"], unsupported["owner"]) == ("held", "integration")
    assert "sales order" in unsupported["message"]

    report = dispatcher.run_once()

    assert report.synced == [(INV_1, "I-000001")]
    assert report.calls == 1
    [remote] = cloud.documents()
    assert (remote["kind"], remote["doc_no"], remote["party_code"]) == (
        "Invoice", "I-000001", "300-M001")
    assert remote["remark4"] == f"acg:{key_of(app, 'INV-1')}"
    assert qtys(remote) == ["2"]
    assert outcome(app, "INV-1") is Outcome.SYNCED
    assert outcome(app, "SO-1") is Outcome.HELD


def test_master_data_is_pulled_from_the_cloud_with_each_products_units(
        app: App, files: Files, cloud: Sandbox, cli: Cli) -> None:
    result = cli("master", "pull")

    assert result.exit_code == 0, result.output
    assert "master data pulled from AutoCount:" in result.output
    # The Cloud API lists no tax codes, projects or credit terms: those stay as loaded.
    assert "lists no projects, tax_codes, terms: kept as loaded before" in result.output
    ingest(app, files, invoice("INV-1", terms="C30", lines=[
        line(uom="ctn", qty="1", unit_price="140.00", tax_code="SST10")]))
    assert codes(app, "INV-1") == []
    assert trace_of(app, "INV-1").as_dict()["conversions"][0]["base_qty"] == "12"

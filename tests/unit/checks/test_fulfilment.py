"""Partial delivery and over-fulfilment from the fulfilment ledger, in the item's base units
(AutoCount: one CTN of WIDGET is 12 PCS)."""

from __future__ import annotations

from typing import Any

from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import TradeDocument

from .builders import Gate, codes, line, only, trade


def order(*lines: dict[str, Any], doc_type: str = "sales_order", number: int = 1
          ) -> TradeDocument:
    """An order of 2 cartons (24 pieces) on line 1, unless lines are given."""
    prefix = "SO" if doc_type == "sales_order" else "PO"
    return trade(doc_type, id=f"{prefix}-{number}", lines=list(lines) or [line(1, qty="2")])


def following(doc_type: str, number: int, target: str, *deliveries: tuple[str, str],
              target_line: int = 1, **fields: Any) -> TradeDocument:
    """A document whose lines each deliver or bill (qty, uom) against line 1 of `target`."""
    target_type = {"SO": "sales_order", "DO": "delivery_order", "PO": "purchase_order",
                   "GR": "goods_received"}[target.split("-")[0]]
    prefix = {"delivery_order": "DO", "sales_invoice": "INV", "goods_received": "GR",
              "purchase_invoice": "PI"}[doc_type]
    return trade(doc_type, id=f"{prefix}-{number}", lines=[
        line(n, qty=qty, uom=uom, based_on_line={"type": target_type, "id": target,
                                                 "line": target_line})
        for n, (qty, uom) in enumerate(deliveries, start=1)
    ], **fields)


def delivery(number: int, qty: str, uom: str = "pcs", **fields: Any) -> TradeDocument:
    return following("delivery_order", number, "SO-1", (qty, uom), **fields)


def invoice(number: int, target: str, qty: str, uom: str = "pcs") -> TradeDocument:
    return following("sales_invoice", number, target, (qty, uom))


# --- deliveries against orders ------------------------------------------------------------------


def test_a_delivery_of_part_of_an_order_is_a_ready_note_for_operations() -> None:
    gate = Gate()
    gate.receive(order())

    result = gate.receive(delivery(1, "10"))

    finding = only(result, Code.PARTIAL_DELIVERY)
    assert result.outcome is Outcome.READY
    assert (finding.outcome, finding.owner) == (Outcome.READY, "operations")
    assert finding.source_value == "shopfront/sales_order/SO-1"
    assert "line 1: 14" in finding.message


def test_a_delivery_that_completes_the_order_in_another_uom_is_neither_partial_nor_over() -> None:
    gate = Gate()
    gate.receive(order())
    gate.receive(delivery(1, "1", "carton"))

    assert codes(gate.receive(delivery(2, "12", "pcs"))) == []


def test_a_delivery_that_leaves_another_order_line_open_is_partial() -> None:
    gate = Gate()
    gate.receive(order(line(1, qty="2"), line(2, qty="1")))

    finding = only(gate.receive(delivery(1, "2", "carton")), Code.PARTIAL_DELIVERY)
    assert "line 2: 12" in finding.message


def test_a_delivery_over_the_ordered_quantity_is_held_for_operations() -> None:
    gate = Gate()
    gate.receive(order())

    result = gate.receive(delivery(1, "25"))

    finding = only(result, Code.OVER_FULFILMENT)
    assert result.outcome is Outcome.HELD
    assert (finding.owner, finding.field) == ("operations", "lines[0].qty")
    assert (finding.source_value, finding.expected) == ("25", "at most 24")


def test_the_delivery_that_crosses_the_ordered_quantity_is_the_one_flagged() -> None:
    gate = Gate()
    gate.receive(order())
    first = delivery(1, "1", "carton")
    gate.receive(first)
    second = gate.receive(delivery(2, "13"))

    assert codes(second) == [Code.OVER_FULFILMENT]
    assert only(second, Code.OVER_FULFILMENT).expected == "at most 12"
    # A later document does not change the earlier one's findings.
    assert codes(gate.receive(first)) == [Code.PARTIAL_DELIVERY]


def test_an_order_line_of_unknown_quantity_is_not_over_delivered() -> None:
    gate = Gate()
    assert codes(gate.receive(order(line(1, uom="box")))) == [Code.UOM_UNKNOWN]

    result = gate.receive(delivery(1, "1", "carton"))

    assert Code.OVER_FULFILMENT not in codes(result)
    assert result.outcome is Outcome.READY


def test_two_lines_against_one_order_line_add_up() -> None:
    gate = Gate()
    gate.receive(order())

    result = gate.receive(following("delivery_order", 1, "SO-1", ("1", "carton"), ("13", "pcs")))

    assert codes(result) == [Code.OVER_FULFILMENT]


def test_a_redelivery_or_new_version_of_a_delivery_counts_once() -> None:
    gate = Gate()
    gate.receive(order())
    gate.receive(delivery(1, "12"))
    gate.receive(delivery(1, "12"))
    gate.receive(delivery(1, "12", version=2))

    assert codes(gate.receive(delivery(2, "12"))) == []


def test_goods_received_against_a_purchase_order_are_checked_the_same_way() -> None:
    gate = Gate()
    gate.receive(order(doc_type="purchase_order"))

    partial = gate.receive(following("goods_received", 1, "PO-1", ("1", "carton")))
    over = gate.receive(following("goods_received", 2, "PO-1", ("13", "pcs")))

    assert codes(partial) == [Code.PARTIAL_DELIVERY]
    assert codes(over) == [Code.OVER_FULFILMENT]


# --- invoices against what was delivered --------------------------------------------------------


def test_an_invoice_on_an_order_over_what_was_delivered_is_held() -> None:
    gate = Gate()
    gate.receive(order())
    gate.receive(delivery(1, "1", "carton"))

    over = gate.receive(invoice(1, "SO-1", "2", "carton"))

    finding = only(over, Code.OVER_FULFILMENT)
    assert (finding.field, finding.expected) == ("lines[0].qty", "at most 12")
    assert "delivered" in finding.message


def test_an_invoice_on_an_order_for_what_was_delivered_passes() -> None:
    gate = Gate()
    gate.receive(order())
    gate.receive(delivery(1, "1", "carton"))

    assert codes(gate.receive(invoice(1, "SO-1", "12", "pcs"))) == []


def test_an_invoice_on_an_order_with_nothing_delivered_is_over() -> None:
    gate = Gate()
    gate.receive(order())

    assert codes(gate.receive(invoice(1, "SO-1", "1", "pcs"))) == [Code.OVER_FULFILMENT]


def test_invoices_on_a_delivery_may_bill_what_it_delivered_and_no_more() -> None:
    gate = Gate()
    gate.receive(order())
    gate.receive(delivery(1, "1", "carton"))

    assert codes(gate.receive(invoice(1, "DO-1", "6", "pcs"))) == []
    assert codes(gate.receive(invoice(2, "DO-1", "6", "pcs"))) == []
    assert codes(gate.receive(invoice(3, "DO-1", "1", "pcs"))) == [Code.OVER_FULFILMENT]


# --- what the ledger counts ---------------------------------------------------------------------


def test_a_delivery_held_by_its_own_status_is_not_counted() -> None:
    gate = Gate()
    gate.receive(order())
    on_hold = gate.receive(delivery(1, "24", status="on_hold"))
    unknown = gate.receive(delivery(2, "24", status="lost_in_transit"))

    assert (on_hold.counts_in_ledger, unknown.counts_in_ledger) == (False, False)
    assert codes(gate.receive(delivery(3, "24"))) == []


def test_a_cancelled_delivery_is_not_counted() -> None:
    gate = Gate()
    gate.receive(order())
    cancelled = gate.receive(delivery(1, "24", status="cancelled"))

    assert cancelled.outcome is Outcome.REJECTED
    assert not cancelled.counts_in_ledger
    assert codes(gate.receive(delivery(2, "24"))) == []


def test_a_delivery_that_does_not_count_says_nothing_of_the_order() -> None:
    gate = Gate()
    gate.receive(order())

    # Half the order, then cancelled or on hold at the source: the order is not "left open
    # after this delivery" by it, nor crossed by it.
    assert codes(gate.receive(delivery(1, "12", status="cancelled"))) == []
    assert codes(gate.receive(delivery(2, "30", status="on_hold"))) == [Code.SOURCE_EXCEPTION]


def test_a_purchase_order_against_a_request_is_neither_partial_nor_over_fulfilment() -> None:
    gate = Gate()
    gate.receive(trade("purchase_request", id="PR-1", lines=[line(1, qty="2")]))  # 24 PCS

    part = trade("purchase_order", id="PO-1", lines=[line(1, qty="10", uom="pcs", based_on_line={
        "type": "purchase_request", "id": "PR-1", "line": 1})])
    assert codes(gate.receive(part)) == []
    # Nor is ordering more than was requested (a supplier's carton) an over-fulfilment: only
    # deliveries cross what was ordered, and invoices what was delivered.
    over = trade("purchase_order", id="PO-2", lines=[line(1, qty="20", uom="pcs", based_on_line={
        "type": "purchase_request", "id": "PR-1", "line": 1})])
    assert codes(gate.receive(over)) == []


def test_a_delivery_rejected_by_a_person_is_no_longer_counted() -> None:
    gate = Gate()
    gate.receive(order())
    first = delivery(1, "24")
    gate.receive(first)
    gate.settle(first, Outcome.REJECTED)

    assert codes(gate.receive(delivery(2, "24"))) == []


def test_waiting_and_held_deliveries_still_count() -> None:
    gate = Gate()
    gate.receive(order())
    waiting = gate.receive(delivery(1, "12", status="draft"))
    held = gate.receive(delivery(2, "12", branch="Ipoh"))

    assert (waiting.outcome, held.outcome) == (Outcome.WAITING, Outcome.HELD)
    assert (waiting.counts_in_ledger, held.counts_in_ledger) == (True, True)
    assert codes(gate.receive(delivery(3, "1"))) == [Code.OVER_FULFILMENT]

"""The fulfilment ledger: what each line of an order has had delivered, billed and credited.

Quantities are in the item's AutoCount base unit, so a delivery in pieces and an order in cartons
add up correctly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from acgate.domain.documents import DocType


class Relation(StrEnum):
    FULFIL = "fulfil"  # delivery against order, receipt against purchase order
    BILL = "bill"  # invoice against delivery or order
    CREDIT = "credit"  # credit note against invoice
    OTHER = "other"


_FULFILS = {
    (DocType.DELIVERY_ORDER, DocType.SALES_ORDER),
    (DocType.GOODS_RECEIVED, DocType.PURCHASE_ORDER),
    (DocType.PURCHASE_ORDER, DocType.PURCHASE_REQUEST),
}
_BILLS = {
    (DocType.SALES_INVOICE, DocType.DELIVERY_ORDER),
    (DocType.SALES_INVOICE, DocType.SALES_ORDER),
    (DocType.CASH_SALE, DocType.DELIVERY_ORDER),
    (DocType.CASH_SALE, DocType.SALES_ORDER),
    (DocType.PURCHASE_INVOICE, DocType.GOODS_RECEIVED),
    (DocType.PURCHASE_INVOICE, DocType.PURCHASE_ORDER),
}
_CREDITS = {
    (DocType.CREDIT_NOTE, DocType.SALES_INVOICE),
    (DocType.CREDIT_NOTE, DocType.CASH_SALE),
}


def relation(follower: DocType, target: DocType) -> Relation:
    pair = (follower, target)
    if pair in _FULFILS:
        return Relation.FULFIL
    if pair in _BILLS:
        return Relation.BILL
    if pair in _CREDITS:
        return Relation.CREDIT
    return Relation.OTHER


def is_order(doc_type: DocType) -> bool:
    """Documents whose lines are fulfilled by deliveries or receipts."""
    return doc_type in {DocType.SALES_ORDER, DocType.PURCHASE_ORDER, DocType.PURCHASE_REQUEST}


@dataclass(frozen=True, slots=True)
class Contribution:
    """One follower line's quantity against one target line, in base units."""

    target: str  # identity text of the target document
    target_line: int
    relation: Relation
    base_qty: Decimal
    line: int

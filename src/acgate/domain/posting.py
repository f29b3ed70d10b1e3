"""What acgate asks AutoCount to hold: a document with every code already mapped.

A `Posting` is built from a ready version and the mappings its checks applied; the AutoCount
clients (cloud, bridge, xlsx) only translate it into their wire format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from acgate.domain.documents import DocType

# The document types AutoCount Cloud's Integration API offers (as of 2026-08); the bridge and
# the import workbooks take every trade type.
CLOUD_TYPES = frozenset({
    DocType.SALES_INVOICE, DocType.CREDIT_NOTE, DocType.PURCHASE_INVOICE, DocType.PURCHASE_ORDER,
})


# The fields reconciliation compares between what acgate posted and what AutoCount holds, and
# so the fields a company's ownership rule may give to AutoCount.
RECONCILED_HEADER = ("date", "party_code", "reference", "currency_rate", "agent", "terms",
                     "location", "description")
RECONCILED_LINE = ("item", "uom", "qty", "unit_price", "discount", "tax_code", "location",
                   "description")
OWNABLE_FIELDS = frozenset(
    (*RECONCILED_HEADER, "cancelled", *(f"lines.{name}" for name in RECONCILED_LINE)))


@dataclass(frozen=True, slots=True)
class Transfer:
    """The AutoCount line a posting line fulfils (a DO line from an SO line, and so on)."""

    from_type: DocType
    from_doc_no: str
    from_line: int
    # The AutoCount UOM of the line transferred from: AutoCount keeps it on the new line.
    from_uom: str | None = None


@dataclass(frozen=True, slots=True)
class PostingLine:
    line: int
    item: str
    uom: str
    qty: Decimal
    unit_price: Decimal | None = None
    discount: str | None = None  # an amount, or "N%" as AutoCount's discount formula
    tax_code: str | None = None
    location: str | None = None
    description: str | None = None
    project: str | None = None
    department: str | None = None
    transfer: Transfer | None = None


@dataclass(frozen=True, slots=True)
class Posting:
    doc_type: DocType
    date: dt.date
    party_code: str | None
    party_name: str | None
    lines: tuple[PostingLine, ...]
    # acgate's idempotency key, carried in the configured remark field ("acg:" + <= 36 chars).
    key: str
    doc_no: str | None = None  # None: AutoCount allocates the number
    reference: str | None = None
    description: str | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    agent: str | None = None
    terms: str | None = None
    location: str | None = None


# new_document on these types posts the change as a credit or debit note; on any other type
# as a further document of its type, which can only add quantities (AutoCount has no note to
# take a decrease or a new price there).
NOTE_ADJUSTED = frozenset({DocType.SALES_INVOICE, DocType.CASH_SALE})


class NotAnAddition(ValueError):
    """A change since sync that a further document of the same type cannot say."""


def added_quantities(before: dict[int, tuple[Decimal, Decimal | None]],
                     after: list[tuple[int, Decimal, Decimal | None]],
                     doc_type: DocType) -> dict[int, Decimal]:
    """The quantity each line (`line`, `qty`, `unit_price`) added since the synced version
    (`before`, by line number), for new_document on a type without notes."""
    removed = sorted(set(before) - {line for line, _, _ in after})
    if removed:
        raise NotAnAddition(
            f"line {removed[0]} was removed; a {doc_type.value} change can be posted as a new "
            "document only when quantities are added")
    added: dict[int, Decimal] = {}
    for line, qty, unit_price in after:
        old_qty, old_price = before.get(line, (Decimal(0), unit_price))
        if qty < old_qty or old_price != unit_price:
            raise NotAnAddition(
                f"line {line} went down or changed price; a {doc_type.value} change can be "
                "posted as a new document only when quantities are added")
        if qty > old_qty:
            added[line] = qty - old_qty
    if not added:
        raise NotAnAddition("nothing was added since the synced version")
    return added

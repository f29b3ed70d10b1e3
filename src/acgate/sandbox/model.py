"""The documents a sandbox book holds, profile-neutral, and their stored JSON form.

Amounts are computed as AutoCount does: `qty x unit price`, less the discount formula, rounded to
cents; tax on the rounded amount at the line's tax rate (a percent, as AutoCount stores it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from acgate.domain.values import round_cents
from acgate.sandbox.config import DocKind
from acgate.sandbox.errors import BookError

TRANSFER_CODES: dict[str, DocKind] = {
    "SO": DocKind.SALES_ORDER, "DO": DocKind.DELIVERY_ORDER,
    "PO": DocKind.PURCHASE_ORDER, "GR": DocKind.GOODS_RECEIVED,
}
"""`FromDocType` codes of the bridge contract."""

_DISCOUNT_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*")


@dataclass(frozen=True, slots=True)
class TransferRef:
    """The source line a detail was transferred from."""

    from_code: str  # SO, DO, PO or GR
    from_doc_no: str
    from_seq: int


@dataclass(frozen=True, slots=True)
class Line:
    dtl_key: int
    seq: int
    qty: Decimal
    unit_price: Decimal
    item_code: str | None = None
    description: str | None = None
    location: str | None = None
    uom: str | None = None
    discount: str | None = None  # AutoCount's formula: "10", "5%", "10%+5%"
    tax_code: str | None = None
    tax_rate: Decimal = Decimal(0)  # percent
    acc_no: str | None = None
    project: str | None = None
    department: str | None = None
    transfer: TransferRef | None = None
    transferred_qty: Decimal = Decimal(0)  # how much of this line later documents took

    @property
    def sub_total_ex_tax(self) -> Decimal:
        gross = self.qty * self.unit_price
        return round_cents(gross - discount_amount(self.discount, gross))

    @property
    def tax(self) -> Decimal:
        return round_cents(self.sub_total_ex_tax * self.tax_rate / 100)

    @property
    def sub_total(self) -> Decimal:
        return self.sub_total_ex_tax + self.tax

    @property
    def outstanding(self) -> Decimal:
        return self.qty - self.transferred_qty


@dataclass(frozen=True, slots=True)
class Document:
    kind: DocKind
    doc_key: int
    doc_no: str
    doc_date: dt.date
    party_code: str
    party_name: str
    created_at: dt.datetime
    modified_at: dt.datetime
    credit_term: str | None = None
    location: str | None = None
    ref: str | None = None
    ref_no2: str | None = None
    description: str | None = None
    currency_code: str | None = None
    currency_rate: Decimal = Decimal(1)
    agent: str | None = None
    branch: str | None = None
    remark1: str | None = None
    remark2: str | None = None
    remark3: str | None = None
    remark4: str | None = None
    draft: bool = False
    cancelled: bool = False
    lines: tuple[Line, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return sum((line.sub_total for line in self.lines), Decimal(0))

    def line(self, seq: int) -> Line | None:
        return next((line for line in self.lines if line.seq == seq), None)

    def with_line(self, changed: Line) -> Document:
        return replace(self, lines=tuple(changed if line.seq == changed.seq else line
                                         for line in self.lines))


@dataclass(frozen=True, slots=True)
class LineDraft:
    """A detail as a client sent it; None means "not sent", for AutoCount to fill."""

    item_code: str | None = None
    description: str | None = None
    location: str | None = None
    uom: str | None = None
    qty: Decimal | None = None
    unit_price: Decimal | None = None
    discount: str | None = None
    tax_code: str | None = None
    acc_no: str | None = None
    project: str | None = None
    department: str | None = None
    transfer: TransferRef | None = None


@dataclass(frozen=True, slots=True)
class DocumentDraft:
    """A document as a client sent it, before the book checks and fills it."""

    doc_date: dt.date
    party_code: str
    doc_no: str | None = None  # None: the book allocates the next number
    party_name: str | None = None
    credit_term: str | None = None
    location: str | None = None
    ref: str | None = None
    ref_no2: str | None = None
    description: str | None = None
    currency_code: str | None = None
    currency_rate: Decimal | None = None
    agent: str | None = None
    branch: str | None = None
    remark1: str | None = None
    remark2: str | None = None
    remark3: str | None = None
    remark4: str | None = None
    draft: bool = False
    lines: tuple[LineDraft, ...] = ()
    fill_tax_code: bool = False  # take an absent tax code from the item, as the SDK does


def discount_amount(formula: str | None, gross: Decimal) -> Decimal:
    """AutoCount's discount formula: parts joined by `+`, each an amount or a percent of what
    the parts before it left."""
    if not formula or not formula.strip():
        return Decimal(0)
    left = gross
    for part in formula.split("+"):
        matched = _DISCOUNT_PART.fullmatch(part)
        if matched is None:
            raise BookError(f"Invalid discount formula: {formula}")
        value = Decimal(matched.group(1))
        left -= left * value / 100 if matched.group(2) else value
    return gross - left


def document_json(doc: Document) -> dict[str, Any]:
    """The stored form (and the admin dump): decimals and dates as text, amounts included."""
    data = {f.name: _plain(getattr(doc, f.name)) for f in fields(doc) if f.name != "lines"}
    data["total"] = str(doc.total)
    data["lines"] = [_line_json(line) for line in doc.lines]
    return data


def _line_json(line: Line) -> dict[str, Any]:
    data = {f.name: _plain(getattr(line, f.name)) for f in fields(line)}
    data["transfer"] = None if line.transfer is None else {
        "from_code": line.transfer.from_code, "from_doc_no": line.transfer.from_doc_no,
        "from_seq": line.transfer.from_seq,
    }
    data.update(sub_total_ex_tax=str(line.sub_total_ex_tax), tax=str(line.tax),
                sub_total=str(line.sub_total))
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):  # a datetime is a date too
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def document_from_json(data: dict[str, Any]) -> Document:
    """Read back `document_json`; computed amounts are ignored."""
    return Document(
        kind=DocKind(data["kind"]), doc_key=int(data["doc_key"]), doc_no=data["doc_no"],
        doc_date=dt.date.fromisoformat(data["doc_date"]), party_code=data["party_code"],
        party_name=data["party_name"],
        created_at=dt.datetime.fromisoformat(data["created_at"]),
        modified_at=dt.datetime.fromisoformat(data["modified_at"]),
        credit_term=data.get("credit_term"), location=data.get("location"),
        ref=data.get("ref"), ref_no2=data.get("ref_no2"), description=data.get("description"),
        currency_code=data.get("currency_code"),
        currency_rate=Decimal(str(data.get("currency_rate", 1))),
        agent=data.get("agent"), branch=data.get("branch"),
        remark1=data.get("remark1"), remark2=data.get("remark2"),
        remark3=data.get("remark3"), remark4=data.get("remark4"),
        draft=bool(data.get("draft", False)), cancelled=bool(data.get("cancelled", False)),
        lines=tuple(_line_from_json(line) for line in data.get("lines", [])),
    )


def _line_from_json(data: dict[str, Any]) -> Line:
    transfer = data.get("transfer")
    return Line(
        dtl_key=int(data["dtl_key"]), seq=int(data["seq"]), qty=Decimal(str(data["qty"])),
        unit_price=Decimal(str(data["unit_price"])), item_code=data.get("item_code"),
        description=data.get("description"), location=data.get("location"),
        uom=data.get("uom"), discount=data.get("discount"), tax_code=data.get("tax_code"),
        tax_rate=Decimal(str(data.get("tax_rate", 0))), acc_no=data.get("acc_no"),
        project=data.get("project"), department=data.get("department"),
        transfer=None if transfer is None else TransferRef(
            transfer["from_code"], transfer["from_doc_no"], int(transfer["from_seq"])),
        transferred_qty=Decimal(str(data.get("transferred_qty", 0))),
    )

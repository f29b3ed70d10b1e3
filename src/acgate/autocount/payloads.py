"""A `Posting` in each AutoCount wire format, and the exact JSON that carries it.

Amounts and quantities travel as bare JSON numbers written from `Decimal`: the Cloud API refuses
quoted numbers, and a trip through float would change 0.1 + 0.2 into 0.30000000000000004.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from acgate.domain.documents import DocType, party_kind
from acgate.domain.posting import Posting, PostingLine

KEY_PREFIX = "acg:"
MAX_KEY_LENGTH = 36
"""acgate's key travels as `acg:` + at most 36 characters in a 40-character remark field."""

NEW_DOC_NO = "<<New>>"
"""The SDK's sentinel asking AutoCount to allocate the next number."""

REMARK_FIELDS = ("remark1", "remark2", "remark3", "remark4")

BRIDGE_TYPES: dict[DocType, str] = {
    DocType.SALES_ORDER: "SalesOrder",
    DocType.DELIVERY_ORDER: "DeliveryOrder",
    DocType.SALES_INVOICE: "Invoice",
    DocType.CASH_SALE: "CashSale",
    DocType.CREDIT_NOTE: "CreditNote",
    DocType.DEBIT_NOTE: "DebitNote",
    DocType.PURCHASE_ORDER: "PurchaseOrder",
    DocType.GOODS_RECEIVED: "GoodsReceivedNote",
    DocType.PURCHASE_INVOICE: "PurchaseInvoice",
}
"""The bridge's `/api/{DocType}` names, which are the SDK's."""

TRANSFER_CODES: dict[DocType, str] = {
    DocType.SALES_ORDER: "SO",
    DocType.DELIVERY_ORDER: "DO",
    DocType.PURCHASE_ORDER: "PO",
    DocType.GOODS_RECEIVED: "GR",
}
"""The document types a line can be transferred from, as the SDK's `FromDocType` spells them."""


def remark_field(name: str) -> str:
    """A configured remark field as `remark1`..`remark4`; anything else is refused."""
    field = name.strip().lower()
    if field not in REMARK_FIELDS:
        raise ValueError(f"the key's remark field must be one of {', '.join(REMARK_FIELDS)}, "
                         f"not {name!r}")
    return field


def key_remark(key: str) -> str:
    """acgate's key as the remark text that carries it."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"acgate's key {key!r} must have 1 to {MAX_KEY_LENGTH} characters to "
                         f"fit a remark field as {KEY_PREFIX}<key>")
    return KEY_PREFIX + key


def key_from_remark(text: str | None) -> str | None:
    """The acgate key a remark carries, or None when it carries none."""
    if text is None or not text.strip().startswith(KEY_PREFIX):
        return None
    return text.strip()[len(KEY_PREFIX):] or None


def cloud_date(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00"


def cloud_body(posting: Posting, remark: str, save_approve: bool) -> dict[str, Any]:
    """The Cloud API's `{"master", "details", "autoFillOption", "saveApprove"}` for a posting.

    Fields acgate manages are sent even when empty, so that an update (PUT) clears them; but a
    number acgate does not have (a rate, a price) is left out rather than sent as `null`, which
    a .NET model with a `decimal` field refuses. The account number is left to AutoCount
    (`autoFillOption.accNo`): acgate maps no accounts.
    """
    supplier = party_kind(posting.doc_type) == "supplier"
    master: dict[str, Any] = {
        "docDate": cloud_date(posting.date),
        "creditorCode" if supplier else "debtorCode": posting.party_code,
        "creditorName" if supplier else "debtorName": posting.party_name,
        "ref": posting.reference,
        "description": posting.description,
        "creditTerm": posting.terms,
        "salesAgent": posting.agent,
        "salesLocation": posting.location,
        # A home-currency document's rate is 1, and is sent: an update keeps what it is not
        # sent (a row of `{}` keeps the row), so a version back in the home currency would keep
        # the foreign rate of the one before.
        "currencyRate": Decimal(1) if posting.currency_rate is None else posting.currency_rate,
        remark_field(remark): key_remark(posting.key),
    }
    if posting.doc_no is not None:
        master = {"docNo": posting.doc_no, **master}
    return {
        "master": master,
        "details": [_cloud_line(line) for line in posting.lines],
        "autoFillOption": {"accNo": True, "taxCode": False},
        "saveApprove": save_approve,
    }


def _cloud_line(line: PostingLine) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "productCode": line.item,
        "description": line.description,
        "qty": line.qty,
        "unit": line.uom,
        **_numbers(unitPrice=line.unit_price),
        "discount": line.discount,
        "taxCode": line.tax_code,
    }
    # The published detail model names no location or project; send them only when used.
    optional = {"location": line.location, "projNo": line.project, "deptNo": line.department}
    return {**detail, **{name: value for name, value in optional.items() if value is not None}}


def bridge_body(posting: Posting, remark: str) -> dict[str, Any]:
    """The bridge's document in the SDK's names; `DocNo` is `<<New>>` when AutoCount numbers it."""
    # The contract names the party by side (`DebtorCode` / `CreditorCode`), but the agent and
    # location only as `SalesAgent` and `SalesLocation`: those carry them on every type.
    party = "Creditor" if party_kind(posting.doc_type) == "supplier" else "Debtor"
    return {
        "DocNo": posting.doc_no or NEW_DOC_NO,
        "DocDate": posting.date.isoformat(),
        f"{party}Code": posting.party_code,
        f"{party}Name": posting.party_name,
        "Ref": posting.reference,
        "Description": posting.description,
        "CurrencyCode": posting.currency,
        **_numbers(CurrencyRate=posting.currency_rate),
        "SalesAgent": posting.agent,
        "DisplayTerm": posting.terms,
        "SalesLocation": posting.location,
        remark_field(remark).capitalize(): key_remark(posting.key),
        # A draft cannot be a transfer source, and acgate posts only approved documents.
        "SaveAsDraft": False,
        "Details": [_bridge_line(line) for line in posting.lines],
    }


def _bridge_line(line: PostingLine) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "ItemCode": line.item,
        "Location": line.location,
        "Description": line.description,
        "UOM": line.uom,
        "Qty": line.qty,
        **_numbers(UnitPrice=line.unit_price),
        "Discount": line.discount,
        "TaxCode": line.tax_code,
        "ProjNo": line.project,
        "DeptNo": line.department,
    }
    if line.transfer is not None:
        detail |= {
            "FromDocType": TRANSFER_CODES[line.transfer.from_type],
            "FromDocNo": line.transfer.from_doc_no,
            "FromDtlSeq": line.transfer.from_line,
        }
    return detail


def _numbers(**fields: Decimal | None) -> dict[str, Decimal]:
    """The numbers that have a value; `null` is no number for AutoCount's decimal fields."""
    return {name: value for name, value in fields.items() if value is not None}


def json_bytes(value: Any) -> bytes:
    """JSON with every `Decimal` written as a bare number literal exactly as it is.

    Floats are refused: they are never exact, and acgate's amounts are never floats.
    """
    return _encode(value).encode()


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be sent as a JSON number")
        return format(value, "f")  # fixed point: no exponent for AutoCount's decimal parser
    if isinstance(value, float):
        raise TypeError(f"the float {value!r} is not exact; send a Decimal")
    if value is None or isinstance(value, str | int | bool):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ",".join(
            f"{json.dumps(str(key), ensure_ascii=False)}:{_encode(item)}"
            for key, item in value.items()
        ) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")

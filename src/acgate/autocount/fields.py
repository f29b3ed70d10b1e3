"""Reading AutoCount's answers: names in any case, exact decimals, plain dates, documents.

The Cloud API answers in camelCase and the bridge in the SDK's PascalCase; looking names up
without regard to case lets one reader serve both. A value that cannot be read raises
`ValueError`, which the clients turn into the error that fits the call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from acgate.autocount.payloads import REMARK_FIELDS, TRANSFER_CODES, key_from_remark
from acgate.autocount.target import RemoteDocument, RemoteLine
from acgate.domain.documents import DocType
from acgate.domain.posting import Transfer
from acgate.domain.values import canonical_decimal, to_decimal


class Fields:
    """One JSON object of an answer, read by field name regardless of case."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self._names = {str(name).casefold(): name for name in data}

    def get(self, *names: str) -> Any:
        """The first of `names` present with a value, or None."""
        for name in names:
            key = self._names.get(name.casefold())
            if key is not None and self.data[key] is not None:
                return self.data[key]
        return None

    def text(self, *names: str) -> str | None:
        value = self.get(*names)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ValueError(f"{names[0]}: expected text, got {value!r}")
        text = canonical_decimal(value) if isinstance(value, Decimal) else str(value)
        return text.strip() or None

    def decimal(self, *names: str) -> Decimal | None:
        value = self.get(*names)
        return None if value is None else to_decimal(value)

    def integer(self, *names: str) -> int | None:
        value = self.get(*names)
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError(f"{names[0]}: expected a whole number, got {value!r}")
        number = to_decimal(value)
        if number != number.to_integral_value():
            raise ValueError(f"{names[0]}: expected a whole number, got {value!r}")
        return int(number)

    def date(self, *names: str) -> dt.date | None:
        """A date sent as `YYYY-MM-DD` or `YYYY-MM-DDT00:00:00` (the Cloud API's form)."""
        value = self.get(*names)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{names[0]}: expected a date, got {value!r}")
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()

    def flag(self, *names: str) -> bool | None:
        value = self.get(*names)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().casefold() in ("true", "false", "t", "f"):
            return value.strip().casefold() in ("true", "t")
        raise ValueError(f"{names[0]}: expected true or false, got {value!r}")

    def rows(self, *names: str) -> list[Fields]:
        """A list of objects, such as a document's details; missing is empty."""
        value = self.get(*names)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError(f"{names[0]}: expected a list, got {type(value).__name__}")
        return [Fields(row) for row in value]

    def has(self, name: str) -> bool:
        return name.casefold() in self._names


def remote_document(doc_type: DocType, data: Any, remark: str) -> RemoteDocument:
    """A document from either profile's answer.

    The Cloud API nests `{"master", "details"}` in camelCase; the bridge sends one object in
    the SDK's names with `Details`. Without details (some listings) `lines` is None.
    """
    outer = Fields(data)
    master = Fields(outer.get("master")) if outer.has("master") else outer
    doc_no, date = master.text("docNo"), master.date("docDate")
    if doc_no is None or date is None:
        raise ValueError("a document needs docNo and docDate")
    remarks = tuple(master.text(f"remark{n}") for n in range(1, 5))
    return RemoteDocument(
        doc_type=doc_type, doc_no=doc_no, doc_key=master.integer("docKey"), date=date,
        party_code=master.text("debtorCode", "creditorCode"),
        party_name=master.text("debtorName", "creditorName"),
        ref=master.text("ref"), description=master.text("description"), remarks=remarks,
        acgate_key=key_from_remark(remarks[REMARK_FIELDS.index(remark)]),
        currency=master.text("currencyCode"), currency_rate=master.decimal("currencyRate"),
        agent=master.text("salesAgent"), terms=master.text("creditTerm", "displayTerm"),
        location=master.text("salesLocation"),
        total=master.decimal("total", "netTotal", "finalTotal"),
        cancelled=bool(master.flag("cancelled")),
        lines=tuple(_line(row) for row in outer.rows("details")) if outer.has("details")
        else None,
    )


def _line(row: Fields) -> RemoteLine:
    return RemoteLine(
        item=row.text("productCode", "itemCode"), uom=row.text("unit", "uom"),
        qty=row.decimal("qty"), unit_price=row.decimal("unitPrice"),
        discount=row.text("discount"), tax_code=row.text("taxCode"),
        location=row.text("location"), description=row.text("description"),
        project=row.text("projNo"), department=row.text("deptNo"),
        subtotal=row.decimal("subTotal"), seq=row.integer("seq"), transfer=_transfer(row),
    )


def _transfer(row: Fields) -> Transfer | None:
    code = row.text("fromDocType")
    if code is None:
        return None
    from_type = next((t for t, c in TRANSFER_CODES.items() if c == code.upper()), None)
    doc_no, line = row.text("fromDocNo"), row.integer("fromDtlSeq")
    if from_type is None or doc_no is None or line is None:
        raise ValueError(f"a transfer needs FromDocType (SO, DO, PO, GR), FromDocNo and "
                         f"FromDtlSeq, got {code}, {doc_no}, {line}")
    return Transfer(from_type, doc_no, line)

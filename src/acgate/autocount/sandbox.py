"""An in-process AutoCount book for the demo and tests: numbering, and the documents it holds.

It behaves as AutoCount does where the readiness gate depends on it: each document type has its
own numbering format and a number is never reused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from acgate.domain.documents import DocType

PREFIX = {
    DocType.SALES_ORDER: "SO", DocType.DELIVERY_ORDER: "DO", DocType.SALES_INVOICE: "I",
    DocType.CASH_SALE: "CS", DocType.CREDIT_NOTE: "CN", DocType.DEBIT_NOTE: "DN",
    DocType.PURCHASE_REQUEST: "PR", DocType.PURCHASE_ORDER: "PO", DocType.GOODS_RECEIVED: "GR",
    DocType.PURCHASE_INVOICE: "PI", DocType.CUSTOMER: "300-", DocType.SUPPLIER: "400-",
    DocType.ITEM: "ITM-",
}


@dataclass
class SandboxBook:
    """Documents by (type, DocNo), numbered `PREFIX-yyMM-0001` as AutoCount's default format."""

    documents: dict[tuple[DocType, str], dict[str, Any]] = field(default_factory=dict)
    counters: dict[tuple[DocType, str], int] = field(default_factory=dict)

    def post(self, doc_type: DocType, payload: dict[str, Any], on: dt.date) -> str:
        period = on.strftime("%y%m")
        number = self.counters.get((doc_type, period), 0) + 1
        self.counters[(doc_type, period)] = number
        doc_no = f"{PREFIX[doc_type]}{'' if PREFIX[doc_type].endswith('-') else '-'}" \
                 f"{period}-{number:04d}"
        self.documents[(doc_type, doc_no)] = {**payload, "cancelled": False}
        return doc_no

    def update(self, doc_type: DocType, doc_no: str, payload: dict[str, Any]) -> None:
        self.documents[(doc_type, doc_no)] = {**payload, "cancelled": False}

    def void(self, doc_type: DocType, doc_no: str) -> None:
        self.documents[(doc_type, doc_no)]["cancelled"] = True

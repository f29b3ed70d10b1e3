"""An AutoCount book in memory that speaks the `Target` protocol: numbering per type, documents
by number, acgate's key in a remark, void. For the demo's quick path and for tests that need a
target but not HTTP; the sandbox server is the full twin."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager

from acgate.autocount.errors import Duplicate, Rejected
from acgate.autocount.ratelimit import RateLimit
from acgate.autocount.target import Accepted, RemoteDocument, RemoteLine, Wait
from acgate.domain.documents import DocType
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import Posting

PREFIX = {
    DocType.SALES_ORDER: "SO", DocType.DELIVERY_ORDER: "DO", DocType.SALES_INVOICE: "I",
    DocType.CASH_SALE: "CS", DocType.CREDIT_NOTE: "CN", DocType.DEBIT_NOTE: "DN",
    DocType.PURCHASE_REQUEST: "PR", DocType.PURCHASE_ORDER: "PO", DocType.GOODS_RECEIVED: "GR",
    DocType.PURCHASE_INVOICE: "PI",
}


class MemoryTarget:
    """Numbers like AutoCount's default formats: `I-2611-0001` for the first invoice of
    November 2026."""

    name = "memory"
    unlisted_master_tables: frozenset[str] = frozenset()

    def __init__(self, master: MasterData | None = None) -> None:
        self.documents: dict[tuple[DocType, str], RemoteDocument] = {}
        self.counters: dict[tuple[DocType, str], int] = {}
        self.master = master or MasterData()
        self.calls = 0
        self._lock = threading.Lock()

    @property
    def rate_limit(self) -> RateLimit | None:
        return None

    def unsupported(self, posting: Posting) -> str | None:
        return None

    def _number(self, doc_type: DocType, on: dt.date) -> str:
        period = on.strftime("%y%m")
        number = self.counters.get((doc_type, period), 0) + 1
        self.counters[(doc_type, period)] = number
        return f"{PREFIX[doc_type]}-{period}-{number:04d}"

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        with self._lock:  # the dispatcher posts from several threads
            return self._post(posting)

    def _post(self, posting: Posting) -> Accepted:
        self.calls += 1
        if posting.doc_type not in PREFIX:
            raise Rejected(f"{posting.doc_type.value} is not a document AutoCount posts")
        doc_no = posting.doc_no or self._number(posting.doc_type, posting.date)
        if (posting.doc_type, doc_no) in self.documents:
            raise Duplicate(f"DocNo {doc_no} already exists", doc_no)
        self.documents[(posting.doc_type, doc_no)] = _remote(posting, doc_no,
                                                             len(self.documents) + 1)
        return Accepted(doc_no, len(self.documents))

    def find(self, doc_type: DocType, doc_no: str) -> RemoteDocument | None:
        self.calls += 1
        return self.documents.get((doc_type, doc_no))

    def find_by_key(self, doc_type: DocType, key: str, party_code: str | None, date: dt.date,
                    doc_no: str | None = None) -> RemoteDocument | None:
        self.calls += 1
        return next((d for (t, _), d in self.documents.items()
                     if t is doc_type and d.acgate_key == key), None)

    def update(self, posting: Posting, doc_no: str) -> None:
        self.calls += 1
        old = self.documents.get((posting.doc_type, doc_no))
        if old is None:
            raise Rejected(f"document {doc_no} does not exist")
        self.documents[(posting.doc_type, doc_no)] = _remote(posting, doc_no, old.doc_key or 0)

    def void(self, doc_type: DocType, doc_no: str) -> None:
        self.calls += 1
        old = self.documents.get((doc_type, doc_no))
        if old is None:
            raise Rejected(f"document {doc_no} does not exist")
        self.documents[(doc_type, doc_no)] = dataclasses.replace(old, cancelled=True)

    def list_documents(self, doc_type: DocType, date_from: dt.date,
                       date_to: dt.date) -> Iterator[RemoteDocument]:
        self.calls += 1
        for (kind, _), document in list(self.documents.items()):
            if kind is doc_type and date_from <= document.date <= date_to:
                yield document

    def master_data(self) -> MasterData:
        return self.master

    def pacing(self, wait: Wait | None) -> AbstractContextManager[None]:
        return contextlib.nullcontext()  # no call budget to wait for


def _remote(posting: Posting, doc_no: str, doc_key: int) -> RemoteDocument:
    return RemoteDocument(
        doc_type=posting.doc_type, doc_no=doc_no, doc_key=doc_key, date=posting.date,
        party_code=posting.party_code, party_name=posting.party_name, ref=posting.reference,
        description=posting.description, acgate_key=posting.key, currency=posting.currency,
        currency_rate=posting.currency_rate, agent=posting.agent, terms=posting.terms,
        location=posting.location,
        lines=tuple(RemoteLine(item=line.item, uom=line.uom, qty=line.qty,
                               unit_price=line.unit_price, discount=line.discount,
                               tax_code=line.tax_code, location=line.location,
                               description=line.description, seq=index + 1,
                               transfer=line.transfer)
                    for index, line in enumerate(posting.lines)),
    )

"""The AutoCount Cloud Accounting Integration API as a target.

One call per document where possible: a POST answers 201 with an empty body and the number in
its `location` header, so the DocKey costs a second call and is fetched only on request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from acgate.autocount.errors import InDoubt, TargetError
from acgate.autocount.fields import Fields
from acgate.autocount.http import (
    HttpSettings,
    HttpTarget,
    Page,
    doc_no_from_location,
)
from acgate.autocount.masters import item_code, item_record, party_record
from acgate.autocount.payloads import cloud_body
from acgate.autocount.ratelimit import RateBudget
from acgate.autocount.target import Accepted, RemoteDocument
from acgate.domain.documents import DocType, party_kind
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import Posting

CLOUD_URL = "https://accounting-api.autocountcloud.com"

RESOURCES: dict[DocType, str] = {
    DocType.SALES_INVOICE: "invoice",
    DocType.CREDIT_NOTE: "credit-note",
    DocType.PURCHASE_INVOICE: "purchase-invoice",
    DocType.PURCHASE_ORDER: "purchase-order",
}
"""Document types the Cloud API offers (all but `invoice` are guessed paths, as of 2026-08)."""

R = TypeVar("R")


@dataclass(frozen=True, kw_only=True)
class CloudSettings(HttpSettings):
    """One Cloud account book; `base_url` is changed only to point at the sandbox."""

    book_id: int
    key_id: str
    api_key: str = field(repr=False)
    base_url: str = CLOUD_URL
    save_approve: bool = False

    @property
    def book_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/{self.book_id}/"


class CloudClient(HttpTarget):
    """A `Target` speaking the Cloud API's profile."""

    name = "cloud"
    unlisted_master_tables = frozenset({"tax_codes", "projects", "terms"})
    # The Cloud API publishes no status for a number already taken: AutoCount's refusals are
    # mostly 400s, so any refusal of acgate's own number is checked for acgate's earlier write.
    duplicate_statuses = (400, 409, 422)

    def __init__(self, settings: CloudSettings, *, transport: httpx.BaseTransport | None = None,
                 budget: RateBudget | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        super().__init__(
            settings, settings.book_url, {"Key-ID": settings.key_id, "API-Key": settings.api_key},
            transport=transport, budget=budget, clock=clock,
        )
        self._save_approve = settings.save_approve

    def unsupported(self, posting: Posting) -> str | None:
        if posting.doc_type not in RESOURCES:
            return (f"AutoCount Cloud offers no {posting.doc_type.value.replace('_', ' ')} "
                    "documents; post it through the bridge or an import workbook")
        if any(line.transfer is not None for line in posting.lines):
            return "AutoCount Cloud offers no document transfer (such as an SO line to a DO)"
        return None

    def _supported_type(self, doc_type: DocType) -> str | None:
        return RESOURCES.get(doc_type)

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        self._refuse_unsupported(posting)
        body = cloud_body(posting, self.settings.remark_field, self._save_approve)
        response = self._write("POST", RESOURCES[posting.doc_type], body=body,
                               doc_no=posting.doc_no)
        doc_no = doc_no_from_location(response.headers.get("location")) or posting.doc_no
        if doc_no is None:
            raise InDoubt(f"AutoCount answered {response.status_code} without the document "
                          "number in `location`; find the document by acgate's key")
        return Accepted(doc_no, self._doc_key(posting.doc_type, doc_no) if need_key else None)

    def _doc_key(self, doc_type: DocType, doc_no: str) -> int | None:
        # The document is written: failing to learn its key must not look like a failed post.
        try:
            found = self.find(doc_type, doc_no)
        except TargetError:
            return None
        return None if found is None else found.doc_key

    def find(self, doc_type: DocType, doc_no: str) -> RemoteDocument | None:
        answer = self._read("GET", self._type_name(doc_type), params={"docNo": doc_no},
                            missing_ok=True)
        return None if answer is None else self._document(doc_type, answer)

    def update(self, posting: Posting, doc_no: str) -> None:
        self._refuse_unsupported(posting)
        body = cloud_body(dataclasses.replace(posting, doc_no=doc_no),
                          self.settings.remark_field, self._save_approve)
        # Details are positional: the whole list replaces the old one, extra rows are deleted.
        self._write("PUT", RESOURCES[posting.doc_type], params={"docNo": doc_no}, body=body)

    def void(self, doc_type: DocType, doc_no: str) -> None:
        self._write("POST", f"{self._type_name(doc_type)}/void", params={"docNo": doc_no})

    def _page(self, doc_type: DocType, date_from: dt.date, date_to: dt.date,
              party_code: str | None, page: int) -> Page:
        listing_filter: dict[str, Any] = {
            "date": {"from": date_from.isoformat(), "to": date_to.isoformat()}}
        if party_code is not None:
            party = "creditorCode" if party_kind(doc_type) == "supplier" else "debtorCode"
            listing_filter[party] = {"multiSelect": [party_code]}
        return self._documents(doc_type, self._read(
            "POST", f"{RESOURCES[doc_type]}/listing",
            body={"page": page, "filter": listing_filter}))

    def master_data(self) -> MasterData:
        """Debtors, creditors, products, locations, agents and departments.

        The Cloud API lists no tax codes, projects or credit terms: those stay empty, which the
        pre-checks read as "not known" rather than "none exist". A product listed without its
        multi-packs (a listing's summary row) is read from its own page, which has them: with its
        base unit alone every carton line would be held as an unknown UOM. That is one call per
        product: a caller that can wait pulls inside `pacing`.
        """
        def table(resource: str, read: Callable[[Fields], R],
                  identity: Callable[[R], Hashable]) -> list[R]:
            return self._table(f"{resource}/listing", {"activeOnly": "true"}, read, identity)

        def codes(resource: str, name: str) -> set[str]:
            return self._codes(f"{resource}/listing", {"activeOnly": "true"}, name)

        listed = table("product", lambda row: row, item_code)
        items = [item_record(row if row.has("productMultiPacks") else self._product(row))
                 for row in listed]
        return MasterData(
            debtors={p.code: p for p in table("debtor", party_record, lambda p: p.code)},
            creditors={p.code: p for p in table("creditor", party_record, lambda p: p.code)},
            items={i.code: i for i in items},
            locations=codes("location", "location"),
            agents=codes("sales-agent", "salesAgent"),
            departments=codes("department", "deptNo"),
        )

    def _product(self, summary: Fields) -> Fields:
        """A product's own page (with its multi-packs); the summary itself when the product
        went between the listing and now."""
        answer = self._read("GET", "product", params={"code": item_code(summary)},
                            missing_ok=True)
        return summary if answer is None else Fields(answer)

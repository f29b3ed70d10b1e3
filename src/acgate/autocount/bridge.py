"""The on-premise bridge as a target: acgate's HTTP contract for AutoCount Accounting 2.x.

The bridge runs on the customer's Windows host and calls AutoCount's .NET SDK, so its fields are
the SDK's names and it can do what the Cloud API cannot: every trade document type, and lines
transferred from an earlier document (an SO line delivered by a DO line).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from acgate.autocount.errors import InDoubt
from acgate.autocount.fields import Fields
from acgate.autocount.http import HttpSettings, HttpTarget, Page, answer_json
from acgate.autocount.masters import item_record, party_record, tax_code
from acgate.autocount.payloads import BRIDGE_TYPES, TRANSFER_CODES, bridge_body
from acgate.autocount.ratelimit import RateBudget
from acgate.autocount.target import Accepted, RemoteDocument
from acgate.domain.documents import DocType
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import Posting

R = TypeVar("R")


@dataclass(frozen=True, kw_only=True)
class BridgeSettings(HttpSettings):
    api_key: str = field(repr=False)


class BridgeClient(HttpTarget):
    """A `Target` speaking the bridge profile (`X-API-KEY`, `/api/{DocType}`)."""

    name = "bridge"

    def __init__(self, settings: BridgeSettings, *, transport: httpx.BaseTransport | None = None,
                 budget: RateBudget | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        super().__init__(settings, settings.base_url, {"X-API-KEY": settings.api_key},
                         transport=transport, budget=budget, clock=clock)

    def unsupported(self, posting: Posting) -> str | None:
        if posting.doc_type not in BRIDGE_TYPES:
            return f"the bridge takes no {posting.doc_type.value.replace('_', ' ')} documents"
        for line in posting.lines:
            if line.transfer is not None and line.transfer.from_type not in TRANSFER_CODES:
                return (f"line {line.line}: AutoCount transfers lines only from "
                        f"{', '.join(t.value for t in TRANSFER_CODES)} documents, not from a "
                        f"{line.transfer.from_type.value}")
        return None

    def _supported_type(self, doc_type: DocType) -> str | None:
        name = BRIDGE_TYPES.get(doc_type)
        return None if name is None else f"api/{name}"

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        """Create the document; the bridge answers the DocKey anyway, so `need_key` is free."""
        self._refuse_unsupported(posting)
        response = self._write("POST", self._type_name(posting.doc_type),
                               body=bridge_body(posting, self.settings.remark_field),
                               doc_no=posting.doc_no)
        try:
            answer = Fields(answer_json(response, write=True))
            doc_no, doc_key = answer.text("DocNo") or posting.doc_no, answer.integer("DocKey")
        except ValueError as error:
            raise InDoubt(f"the bridge accepted the document but its answer is unreadable: "
                          f"{error}") from error
        if doc_no is None:
            raise InDoubt("the bridge accepted the document without saying its DocNo; find it "
                          "by acgate's key")
        return Accepted(doc_no, doc_key)

    def find(self, doc_type: DocType, doc_no: str) -> RemoteDocument | None:
        answer = self._read("GET", self._type_name(doc_type), params={"DocNo": doc_no},
                            missing_ok=True)
        return None if answer is None else self._document(doc_type, answer)

    def update(self, posting: Posting, doc_no: str) -> None:
        """Replace the whole document, as the bridge's PUT does."""
        self._refuse_unsupported(posting)
        body = bridge_body(dataclasses.replace(posting, doc_no=doc_no),
                           self.settings.remark_field)
        self._write("PUT", self._type_name(posting.doc_type), params={"DocNo": doc_no},
                    body=body)

    def void(self, doc_type: DocType, doc_no: str) -> None:
        self._write("POST", f"{self._type_name(doc_type)}/cancel", params={"DocNo": doc_no})

    def _page(self, doc_type: DocType, date_from: dt.date, date_to: dt.date,
              party_code: str | None, page: int) -> Page:
        # The bridge lists by date only; the caller matches the party and key in the rows.
        params: dict[str, str | int] = {
            "from": date_from.isoformat(), "to": date_to.isoformat(), "page": page}
        return self._documents(
            doc_type, self._read("GET", f"{self._type_name(doc_type)}/list", params=params))

    def master_data(self) -> MasterData:
        def table(name: str, read: Callable[[Fields], R],
                  identity: Callable[[R], Hashable]) -> list[R]:
            return self._table(f"api/{name}/list", {}, read, identity)

        def codes(name: str, field_name: str) -> set[str]:
            return self._codes(f"api/{name}/list", {}, field_name)

        return MasterData(
            debtors={p.code: p for p in table("Debtor", party_record, lambda p: p.code)},
            creditors={p.code: p for p in table("Creditor", party_record, lambda p: p.code)},
            items={i.code: i for i in table("Item", item_record, lambda i: i.code)},
            locations=codes("Location", "Location"),
            tax_codes=dict(table("TaxCode", tax_code, lambda pair: pair[0])),
            terms=codes("Term", "DisplayTerm"),
            agents=codes("SalesAgent", "SalesAgent"),
            projects=codes("Project", "ProjNo"),
            departments=codes("Department", "DeptNo"),
        )

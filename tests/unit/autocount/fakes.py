"""A fake AutoCount for the client tests: both HTTP profiles behind `httpx.MockTransport`.

It keeps documents as AutoCount answers them, numbers them per type, lists them in an order
that is neither by date nor by number, and can be told to shift rows between page calls, fail
in a chosen way, or answer with chosen headers. It checks what AutoCount checks where a test
depends on it: the key headers, and that amounts arrive as JSON numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from acgate.autocount.bridge import BridgeClient, BridgeSettings
from acgate.autocount.cloud import CloudClient, CloudSettings
from acgate.autocount.payloads import json_bytes
from acgate.autocount.ratelimit import RateBudget
from acgate.domain.documents import DocType
from acgate.domain.masterdata import ItemRecord, ItemUom, MasterData, PartyRecord
from acgate.domain.posting import Posting, PostingLine

DAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
BOOK = 7
Handler = Callable[[httpx.Request], httpx.Response]


def posting(**changes: Any) -> Posting:
    """A sales invoice to debtor 300-A001 that AutoCount would take, changed as a test needs."""
    base = Posting(
        doc_type=DocType.SALES_INVOICE, date=DAY, party_code="300-A001",
        party_name="Ah Seng Trading", key="acme-inv-0001", terms="C.O.D.", location="HQ",
        lines=(
            PostingLine(1, "A100", "PCS", Decimal("3"), Decimal("0.1"), tax_code="SV-8"),
            PostingLine(2, "A100", "CTN", Decimal("0.2"), Decimal("12.345678"),
                        discount="5%", tax_code="SV-8"),
        ),
    )
    return dataclasses.replace(base, **changes)


def master() -> MasterData:
    """The master data `posting()` is checked against."""
    return MasterData(
        debtors={"300-A001": PartyRecord("300-A001", "Ah Seng Trading", currency="MYR")},
        creditors={"400-B001": PartyRecord("400-B001", "Bintang Supply")},
        items={"A100": ItemRecord("A100", "Widget", "PCS", (
            ItemUom("PCS", Decimal(1)), ItemUom("CTN", Decimal(12))))},
        locations={"HQ"}, tax_codes={"SV-8": Decimal("0.08")}, terms={"C.O.D.", "30 DAYS"},
    )


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content, parse_float=Decimal) if request.content else None


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """An answer as AutoCount writes it: amounts as bare JSON numbers."""
    content = b"" if body is None else json_bytes(body)
    return httpx.Response(status, content=content, headers=headers)


@dataclass
class FakeBook:
    """Documents of one book, by type, in the order listings serve them."""

    documents: dict[DocType, list[dict[str, Any]]] = field(default_factory=dict)
    counters: dict[DocType, int] = field(default_factory=dict)
    next_key: int = 100
    # Called after each listing page is served, to move rows as a concurrent write would.
    after_page: Callable[[int], None] | None = None
    page_size: int = 100

    def of(self, doc_type: DocType) -> list[dict[str, Any]]:
        return self.documents.setdefault(doc_type, [])

    def allocate_key(self) -> int:
        self.next_key += 1
        return self.next_key

    def page(self, rows: list[dict[str, Any]], page: int) -> dict[str, Any]:
        start = (page - 1) * self.page_size
        served = {"data": rows[start:start + self.page_size], "totalCount": len(rows)}
        if self.after_page is not None:
            self.after_page(page)
        return served


def scatter(rows: list[Any], seed: int = 5) -> list[Any]:
    """The rows in an order that is neither by date nor by number."""
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    return shuffled


class FakeCloud:
    """The Cloud API profile: `/{book}/{resource}`, camelCase, 201 with an empty body."""

    RESOURCES: ClassVar[dict[str, DocType]] = {
        "invoice": DocType.SALES_INVOICE, "credit-note": DocType.CREDIT_NOTE,
        "purchase-invoice": DocType.PURCHASE_INVOICE, "purchase-order": DocType.PURCHASE_ORDER,
    }

    def __init__(self) -> None:
        self.book = FakeBook()
        self.requests: list[httpx.Request] = []
        self.masters: dict[str, list[dict[str, Any]]] = {}
        # `GET /{book}/product?code=X`: a product's own page, with its multi-packs.
        self.products: dict[str, dict[str, Any]] = {}
        self.headers: dict[str, str] = {}
        self.fail: Handler | None = None
        # The call budget's clock, which moves only when a caller waits.
        self.seconds = 0.0
        self.waited: list[float] = []

    def client(self, **settings: Any) -> CloudClient:
        config = CloudSettings(book_id=BOOK, key_id="kid", api_key="secret", **settings)
        return CloudClient(config, transport=httpx.MockTransport(self.handle),
                           budget=RateBudget(clock=lambda: self.seconds), clock=lambda: NOW)

    def wait(self, seconds: float) -> None:
        """A caller's pause: the seconds pass for the call budget."""
        self.waited.append(seconds)
        self.seconds += seconds

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail is not None:
            return self.fail(request)
        if (request.headers.get("Key-ID"), request.headers.get("API-Key")) != ("kid", "secret"):
            return answer(401, {"message": "Invalid Key-ID or API-Key."})
        response = self._route(request)
        response.headers.update(self.headers)
        return response

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if parts[0] != str(BOOK):
            return answer(404, {"message": "Account book not found."})
        resource, action = parts[1], parts[2] if len(parts) > 2 else ""
        if resource in self.masters and action == "listing":
            page = int(request.url.params["page"])
            return answer(200, self.book.page(self.masters[resource], page))
        if resource == "product":
            found = self.products.get(request.url.params["code"])
            return answer(404, {"message": "Product not found."}) if found is None \
                else answer(200, found)
        doc_type = self.RESOURCES[resource]
        doc_no = request.url.params.get("docNo")
        if action == "listing":
            return self._listing(doc_type, json_body(request))
        if action == "void":
            self._find(doc_type, doc_no)["master"]["cancelled"] = True
            return answer(204)
        if request.method == "POST":
            return self._create(resource, doc_type, json_body(request))
        found = self._find(doc_type, doc_no)
        if found is None:
            return answer(404, {"message": f"Document {doc_no} not found."})
        if request.method == "PUT":
            body = json_body(request)
            found["master"] |= body["master"]
            found["details"] = body["details"]
            return answer(204)
        return answer(200, found)

    def _create(self, resource: str, doc_type: DocType, body: dict[str, Any]) -> httpx.Response:
        for detail in body["details"]:
            if any(isinstance(detail.get(k), str) for k in ("qty", "unitPrice")):
                return answer(400, {"message": "Error converting value to type 'System.Decimal'."})
        master = dict(body["master"])
        if master.get("docNo") is None:
            self.book.counters[doc_type] = self.book.counters.get(doc_type, 0) + 1
            master["docNo"] = f"I-{self.book.counters[doc_type]:06d}"
        elif self._find(doc_type, master["docNo"]) is not None:
            return answer(409, {"message": f"DocNo {master['docNo']} already exists."})
        master |= {"docKey": self.book.allocate_key(), "cancelled": False}
        self.book.of(doc_type).append({"master": master, "details": body["details"]})
        location = (f"https://accounting-api.autocountcloud.com/{BOOK}/{resource}"
                    f"?docNo={master['docNo']}")
        return httpx.Response(201, headers={"location": location})

    def _find(self, doc_type: DocType, doc_no: str | None) -> Any:
        return next((d for d in self.book.of(doc_type) if d["master"]["docNo"] == doc_no), None)

    def _listing(self, doc_type: DocType, body: dict[str, Any]) -> httpx.Response:
        window = body["filter"]["date"]
        party = body["filter"].get("debtorCode", {}).get("multiSelect")
        rows = [d for d in self.book.of(doc_type)
                if window["from"] <= d["master"]["docDate"][:10] <= window["to"]
                and (party is None or d["master"]["debtorCode"] in party)]
        return answer(200, self.book.page(rows, body["page"]))

    def add(self, doc_type: DocType, doc_no: str, day: dt.date, remark4: str | None = None,
            debtor: str = "300-A001") -> None:
        """A document someone else (or acgate, earlier) wrote to the book."""
        self.book.of(doc_type).append({"master": {
            "docKey": self.book.allocate_key(), "docNo": doc_no,
            "docDate": f"{day.isoformat()}T00:00:00", "debtorCode": debtor,
            "remark4": remark4, "cancelled": False, "total": Decimal("10.00"),
        }})


class FakeBridge:
    """The bridge profile: `/api/{DocType}`, the SDK's names, `{"ok": false, "error"}`."""

    TYPES: ClassVar[dict[str, DocType]] = {
        "Invoice": DocType.SALES_INVOICE, "DeliveryOrder": DocType.DELIVERY_ORDER,
        "SalesOrder": DocType.SALES_ORDER, "PurchaseOrder": DocType.PURCHASE_ORDER,
    }

    def __init__(self) -> None:
        self.book = FakeBook()
        self.requests: list[httpx.Request] = []
        self.masters: dict[str, Any] = {}
        self.fail: Handler | None = None

    def client(self, **settings: Any) -> BridgeClient:
        config = BridgeSettings(base_url="http://bridge.local:8080", api_key="secret",
                                **settings)
        return BridgeClient(config, transport=httpx.MockTransport(self.handle),
                            budget=RateBudget(clock=lambda: 0.0), clock=lambda: NOW)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail is not None:
            return self.fail(request)
        if request.headers.get("X-API-KEY") != "secret":
            return answer(401, {"ok": False, "error": "bad X-API-KEY"})
        parts = request.url.path.strip("/").split("/")
        if parts[1] in self.masters:
            return answer(200, self.masters[parts[1]])
        doc_type, action = self.TYPES[parts[1]], parts[2] if len(parts) > 2 else ""
        doc_no = request.url.params.get("DocNo")
        if action == "list":
            return self._listing(doc_type, request.url.params)
        if action == "cancel":
            self._find(doc_type, doc_no)["Cancelled"] = True
            return answer(200, {"ok": True})
        if request.method == "POST":
            return self._create(doc_type, json_body(request))
        found = self._find(doc_type, doc_no)
        if found is None:
            return answer(404, {"ok": False, "error": f"{doc_no} not found"})
        if request.method == "PUT":
            found.clear()
            found.update(json_body(request))
            return answer(200, {"ok": True})
        return answer(200, found)

    def _create(self, doc_type: DocType, body: dict[str, Any]) -> httpx.Response:
        if body["DocNo"] == "<<New>>":
            self.book.counters[doc_type] = self.book.counters.get(doc_type, 0) + 1
            body["DocNo"] = f"INV-2611-{self.book.counters[doc_type]:04d}"
        elif self._find(doc_type, body["DocNo"]) is not None:
            return answer(409, {"ok": False, "error": f"DocNo {body['DocNo']} already exists"})
        body |= {"DocKey": self.book.allocate_key(), "Cancelled": False}
        self.book.of(doc_type).append(body)
        return answer(201, {"DocNo": body["DocNo"], "DocKey": body["DocKey"]})

    def _find(self, doc_type: DocType, doc_no: str | None) -> Any:
        return next((d for d in self.book.of(doc_type) if d["DocNo"] == doc_no), None)

    def _listing(self, doc_type: DocType, params: httpx.QueryParams) -> httpx.Response:
        rows = [d for d in self.book.of(doc_type)
                if params["from"] <= d["DocDate"][:10] <= params["to"]]
        return answer(200, self.book.page(rows, int(params["page"])))

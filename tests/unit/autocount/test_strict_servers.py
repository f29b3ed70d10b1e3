"""Our clients against AutoCount servers that keep to the contract but answer unlike the sandbox.

Each fake here is what an independent implementer of autocount-api.md may well have written:
.NET-style models that refuse `null` for a decimal, listing rows that are summaries without the
remark fields, the bridge's listing in another envelope (the contract leaves it open), a
duplicate number refused with 400, errors without bodies, and a proxy's HTML pages.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from acgate.autocount.bridge import BridgeClient, BridgeSettings
from acgate.autocount.cloud import CloudClient, CloudSettings
from acgate.autocount.errors import Duplicate, InDoubt, Rejected, Unavailable
from acgate.autocount.ratelimit import RateBudget
from acgate.autocount.target import Accepted
from acgate.domain.documents import DocType
from acgate.domain.posting import PostingLine

from .fakes import BOOK, DAY, NOW, json_body, posting

DECIMALS = {"currencyrate", "qty", "unitprice"}


def _null_decimal(body: Any, path: str = "$") -> str | None:
    """The path of a `null` sent for a decimal field, as System.Text.Json refuses it."""
    if isinstance(body, dict):
        for name, value in body.items():
            if value is None and name.casefold() in DECIMALS:
                return f"{path}.{name}"
            found = _null_decimal(value, f"{path}.{name}")
            if found:
                return found
    if isinstance(body, list):
        for n, row in enumerate(body):
            found = _null_decimal(row, f"{path}[{n}]")
            if found:
                return found
    return None


class StrictCloud:
    """The Cloud profile as the contract allows it: refusals as plain text with 400 (a number
    already taken too), 404 without a body, listing rows as summaries (no remarks)."""

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []

    def client(self) -> CloudClient:
        return CloudClient(CloudSettings(book_id=BOOK, key_id="kid", api_key="secret"),
                           transport=httpx.MockTransport(self.handle),
                           budget=RateBudget(clock=lambda: 0.0), clock=lambda: NOW)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix(f"/{BOOK}/")
        if path == "invoice" and request.method == "POST":
            body = json_body(request)
            if (null := _null_decimal(body)) is not None:
                return httpx.Response(400, text="The JSON value could not be converted to "
                                                f"System.Decimal. Path: {null}")
            master = body["master"]
            if master.get("docNo") is None:
                master["docNo"] = f"I-{len(self.documents) + 1:06d}"
            elif self._find(master["docNo"]) is not None:
                return httpx.Response(400, text=f"Document number {master['docNo']} already "
                                                "exists.")
            self.documents.append({"details": body["details"], "master": {
                **master, "docKey": 500 + len(self.documents), "cancelled": False}})
            return httpx.Response(201, headers={
                "location": f"/{BOOK}/invoice?docNo={master['docNo']}"})
        if path == "invoice" and request.method == "GET":
            found = self._find(request.url.params["docNo"])
            return httpx.Response(404) if found is None else httpx.Response(
                200, content=json.dumps(found, default=str))
        if path == "invoice" and request.method == "PUT":
            found = self._find(request.url.params["docNo"])
            if found is None:
                return httpx.Response(404)
            # What an update is not sent is kept: the master's fields and a row of `{}`.
            body = json_body(request)
            found["master"].update(body["master"])
            found["details"] = [{**(found["details"][index] if index < len(found["details"])
                                   else {}), **row} for index, row in enumerate(body["details"])]
            return httpx.Response(204)
        if path == "invoice/listing":
            page = json_body(request)["page"]
            # A summary row, extra fields first, and no remark or date.
            rows = [{"total": "0", "docNo": d["master"]["docNo"],
                     "debtorCode": d["master"]["debtorCode"], "docKey": d["master"]["docKey"]}
                    for d in self.documents]
            return httpx.Response(200, json={"totalCount": len(rows), "pageSize": 100,
                                             "data": rows[(page - 1) * 100:page * 100]})
        return httpx.Response(404)

    def _find(self, doc_no: str) -> dict[str, Any] | None:
        return next((d for d in self.documents if d["master"]["docNo"] == doc_no), None)


class StrictBridge:
    """The bridge profile with its listing's envelope chosen otherwise than the sandbox's:
    `bare` pages as bare lists of 100, `uncounted` as `{"data", "page"}` without a count,
    `whole` answers every document whatever the page."""

    def __init__(self, listing: str = "bare") -> None:
        self.listing = listing
        self.documents: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []

    def client(self) -> BridgeClient:
        return BridgeClient(BridgeSettings(base_url="http://bridge.local", api_key="secret"),
                            transport=httpx.MockTransport(self.handle),
                            budget=RateBudget(clock=lambda: 0.0), clock=lambda: NOW)

    def add(self, count: int) -> None:
        for n in range(count):
            self.documents.append({"DocKey": n + 1, "DocNo": f"DO-{n + 1:04d}",
                                   "DocDate": DAY.isoformat(), "DebtorCode": "300-A001",
                                   "Remark4": f"acg:key-{n + 1}"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/list"):
            page = int(request.url.params["page"])
            rows = self.documents[(page - 1) * 100:page * 100]
            if self.listing == "whole":
                return httpx.Response(200, json=self.documents)
            if self.listing == "uncounted":
                return httpx.Response(200, json={"page": page, "data": rows})
            return httpx.Response(200, json=rows)
        if request.method == "POST":
            body = json_body(request)
            if (null := _null_decimal(body)) is not None:
                return httpx.Response(400, json={
                    "ok": False, "error": "The JSON value could not be converted to "
                                          f"System.Decimal. Path: {null}"})
            return httpx.Response(201, json={"DocNo": "DO-0001", "DocKey": 1})
        return httpx.Response(404)


def test_a_strict_cloud_takes_an_invoice_in_the_home_currency_at_rate_1() -> None:
    # A ringgit invoice gives no rate: `"currencyRate": null` is refused by a decimal model, and
    # left out, an update would keep the rate of a foreign version before it.
    cloud = StrictCloud()
    client = cloud.client()
    assert client.post(posting()) == Accepted("I-000001")
    client.update(posting(currency="USD", currency_rate=Decimal("4.4")), "I-000001")
    client.update(posting(), "I-000001")
    assert [json_body(request)["master"]["currencyRate"] for request in cloud.requests] == [
        1, Decimal("4.4"), 1]
    found = client.find(DocType.SALES_INVOICE, "I-000001")
    assert found is not None and found.currency_rate == 1


def test_a_strict_bridge_takes_a_delivery_without_prices() -> None:
    line = PostingLine(1, "A100", "PCS", Decimal(2), None, location="HQ")
    bridge = StrictBridge()
    delivery = posting(doc_type=DocType.DELIVERY_ORDER, lines=(line,))
    assert bridge.client().post(delivery) == Accepted("DO-0001", 1)


def test_find_by_key_reads_listing_rows_without_remarks_whole() -> None:
    # The contract names no listing row's fields: a summary row's missing remark is unknown,
    # not "no key", or an in-doubt invoice would be posted a second time.
    cloud = StrictCloud()
    client = cloud.client()
    for key in ("a", "b", "c"):
        client.post(posting(key=key))
    found = client.find_by_key(DocType.SALES_INVOICE, "b", "300-A001", DAY)
    assert found is not None and found.doc_no == "I-000002" and found.doc_key == 501
    assert client.find_by_key(DocType.SALES_INVOICE, "zzz", "300-A001", DAY) is None
    listed = list(client.list_documents(DocType.SALES_INVOICE, DAY, DAY))
    assert {d.acgate_key for d in listed} == {"a", "b", "c"} and all(d.date == DAY
                                                                     for d in listed)


def test_a_refusal_of_acgates_own_number_is_checked_as_a_duplicate_on_cloud() -> None:
    # The Cloud API publishes no status for a number already taken; a 400 is AutoCount's usual.
    client = StrictCloud().client()
    client.post(posting(doc_no="I-9"))
    with pytest.raises(Duplicate) as caught:
        client.post(posting(doc_no="I-9"))
    assert (caught.value.doc_no, caught.value.status) == ("I-9", 400)
    assert caught.value.message == "Document number I-9 already exists."
    # Without a number of acgate's, or from the bridge (whose contract gives 409 for a taken
    # number), a 400 is a plain refusal.
    refuse = httpx.MockTransport(lambda request: httpx.Response(400, text="AccNo is required."))
    cloud = CloudClient(CloudSettings(book_id=BOOK, key_id="kid", api_key="secret"),
                        transport=refuse)
    bridge = BridgeClient(BridgeSettings(base_url="http://bridge.local", api_key="secret"),
                          transport=refuse)
    for refused in (lambda: cloud.post(posting()), lambda: bridge.post(posting(doc_no="I-9"))):
        with pytest.raises(Rejected) as plain:
            refused()
        assert type(plain.value) is Rejected


@pytest.mark.parametrize("listing", ["bare", "uncounted"])
def test_a_bridge_listing_without_a_count_is_read_to_its_end(listing: str) -> None:
    bridge = StrictBridge(listing)
    bridge.add(230)
    client = bridge.client()
    found = client.find_by_key(DocType.DELIVERY_ORDER, "key-201", "300-A001", DAY)
    assert found is not None and found.doc_no == "DO-0201"
    listed = list(client.list_documents(DocType.DELIVERY_ORDER, DAY, DAY))
    assert len(listed) == 230
    bridge.requests.clear()
    assert client.find_by_key(DocType.DELIVERY_ORDER, "key-none", "300-A001", DAY) is None
    assert [r.url.params["page"] for r in bridge.requests] == ["1", "2", "3", "4"]


def test_a_bridge_that_ignores_the_page_is_read_once_more_not_forever() -> None:
    bridge = StrictBridge("whole")
    bridge.add(130)
    listed = list(bridge.client().list_documents(DocType.DELIVERY_ORDER, DAY, DAY))
    assert len(listed) == 130 and len(bridge.requests) == 2


PROXY_404 = ("<!DOCTYPE html><html><head><title>404 - File or directory not found.</title>"
             "</head><body><h1>Server Error</h1><p>The resource you are looking for has been "
             "removed.</p></body></html>")
PROXY_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
             "502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>")


def test_a_web_servers_404_page_is_not_a_confirmed_absence() -> None:
    # IIS answering for a bridge that is restarting: the document may well be there.
    client = BridgeClient(BridgeSettings(base_url="http://bridge.local", api_key="secret"),
                          transport=httpx.MockTransport(lambda request: httpx.Response(
                              404, text=PROXY_404, headers={"content-type": "text/html"})))
    with pytest.raises(Unavailable, match="404 - File or directory not found"):
        client.find_by_key(DocType.SALES_INVOICE, "k", None, DAY, "INV-1")
    # A 404 without a body, or in the bridge's envelope, is AutoCount saying "no such number".
    for answer in (httpx.Response(404), httpx.Response(404, json={"ok": False,
                                                                  "error": "not found"})):
        absent = BridgeClient(BridgeSettings(base_url="http://bridge.local", api_key="s"),
                              transport=httpx.MockTransport(lambda request, a=answer: a))
        assert absent.find(DocType.SALES_INVOICE, "INV-1") is None


def test_a_proxys_error_page_is_told_in_one_line() -> None:
    client = CloudClient(CloudSettings(book_id=BOOK, key_id="kid", api_key="secret"),
                         transport=httpx.MockTransport(
                             lambda request: httpx.Response(502, text=PROXY_502)))
    with pytest.raises(InDoubt) as caught:
        client.post(posting())
    assert caught.value.message.endswith(
        "answered 502 after the request was sent: 502 Bad Gateway (a web page answered, not "
        "AutoCount's API)")
    # A web page refusing the post kept it from the API: nothing written, tried again later
    # rather than held as AutoCount's refusal.
    refused = CloudClient(CloudSettings(book_id=BOOK, key_id="kid", api_key="secret"),
                          transport=httpx.MockTransport(lambda request: httpx.Response(
                              404, text=PROXY_404, headers={"content-type": "text/html"})))
    with pytest.raises(Unavailable, match="404 - File or directory not found"):
        refused.post(posting())

"""The Cloud API client against a fake book: one call per post, exact amounts, complete listings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from acgate.autocount.cloud import RESOURCES, CloudClient, CloudSettings
from acgate.autocount.errors import (
    Duplicate,
    InDoubt,
    RateLimited,
    TargetPaused,
    Unavailable,
    Unsupported,
)
from acgate.autocount.http import READ_TRIES, Timeouts, doc_no_from_location
from acgate.autocount.target import Accepted, RemoteLine
from acgate.domain.documents import DocType
from acgate.domain.posting import CLOUD_TYPES, PostingLine, Transfer

from .fakes import BOOK, DAY, FakeCloud, answer, json_body, posting, scatter


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


def test_post_is_one_call_and_reads_the_number_from_location(cloud: FakeCloud) -> None:
    accepted = cloud.client().post(posting())
    assert accepted == Accepted("I-000001", None)
    [request] = cloud.requests
    assert request.method == "POST"
    assert request.url == f"https://accounting-api.autocountcloud.com/{BOOK}/invoice"
    assert request.headers["Key-ID"] == "kid" and request.headers["API-Key"] == "secret"
    assert request.headers["Content-Type"] == "application/json"
    assert b'"qty":0.2,' in request.content and b'"unitPrice":12.345678,' in request.content


def test_the_doc_key_costs_a_get_and_only_on_request(cloud: FakeCloud) -> None:
    accepted = cloud.client().post(posting(), need_key=True)
    assert accepted == Accepted("I-000001", 101)
    assert [r.method for r in cloud.requests] == ["POST", "GET"]
    assert cloud.requests[1].url.params["docNo"] == "I-000001"


def test_a_failed_key_lookup_does_not_undo_an_accepted_post(cloud: FakeCloud) -> None:
    def flaky(request: httpx.Request) -> httpx.Response:
        return cloud._route(request) if request.method == "POST" else answer(503)
    cloud.fail = flaky
    assert cloud.client().post(posting(), need_key=True) == Accepted("I-000001", None)


@pytest.mark.parametrize(("location", "doc_no"), [
    ("https://accounting-api.autocountcloud.com/7/invoice?docNo=I-000001", "I-000001"),
    ("/7/credit-note?docno=CN%2F2611%2F0001", "CN/2611/0001"),
    ("https://accounting-api.autocountcloud.com/7/invoice?page=1&docNo=INV%202611", "INV 2611"),
    ("https://accounting-api.autocountcloud.com/7/invoice", None),
    ("", None),
    (None, None),
])
def test_location_header_parsing(location: str | None, doc_no: str | None) -> None:
    assert doc_no_from_location(location) == doc_no


def test_created_without_location_is_in_doubt_unless_acgate_chose_the_number(
        cloud: FakeCloud) -> None:
    cloud.fail = lambda request: httpx.Response(201)
    with pytest.raises(InDoubt, match="location"):
        cloud.client().post(posting())
    assert cloud.client().post(posting(doc_no="I-777")) == Accepted("I-777")


def test_a_chosen_number_already_taken_is_a_duplicate(cloud: FakeCloud) -> None:
    client = cloud.client()
    client.post(posting(doc_no="I-500"))
    with pytest.raises(Duplicate) as caught:
        client.post(posting(doc_no="I-500", key="other"))
    assert caught.value.doc_no == "I-500"
    assert caught.value.message == "DocNo I-500 already exists."


def test_every_call_carries_the_configured_timeouts(cloud: FakeCloud) -> None:
    cloud.client(timeouts=Timeouts(connect=1.5, read=20, write=7, pool=0.5)).post(posting())
    assert cloud.requests[0].extensions["timeout"] == {
        "connect": 1.5, "read": 20, "write": 7, "pool": 0.5}


@pytest.mark.parametrize("doc_type", [
    DocType.SALES_ORDER, DocType.DELIVERY_ORDER, DocType.CASH_SALE, DocType.DEBIT_NOTE,
    DocType.GOODS_RECEIVED, DocType.PURCHASE_REQUEST,
])
def test_types_without_a_cloud_resource_are_refused_before_any_call(
        cloud: FakeCloud, doc_type: DocType) -> None:
    client = cloud.client()
    assert client.unsupported(posting(doc_type=doc_type)) is not None
    with pytest.raises(Unsupported) as caught:
        client.post(posting(doc_type=doc_type))
    assert caught.value.doc_type is doc_type
    with pytest.raises(Unsupported):
        client.find(doc_type, "X-1")
    with pytest.raises(Unsupported):
        client.list_documents(doc_type, DAY, DAY)
    with pytest.raises(Unsupported):
        client.find_by_key(doc_type, "k", "300-A001", DAY)
    with pytest.raises(Unsupported):
        client.void(doc_type, "X-1")
    assert cloud.requests == []


def test_transferred_lines_are_refused_before_any_call(cloud: FakeCloud) -> None:
    line = PostingLine(1, "A100", "PCS", Decimal(1), Decimal(1),
                       transfer=Transfer(DocType.SALES_ORDER, "SO-1", 1))
    with pytest.raises(Unsupported, match="transfer"):
        cloud.client().post(posting(lines=(line,)))
    assert cloud.requests == []


def test_find_normalises_the_document(cloud: FakeCloud) -> None:
    client = cloud.client()
    client.post(posting(reference="PO-77"))
    found = client.find(DocType.SALES_INVOICE, "I-000001")
    assert found is not None
    assert (found.doc_no, found.doc_key, found.date) == ("I-000001", 101, DAY)
    assert found.party_code == "300-A001" and found.ref == "PO-77" and found.terms == "C.O.D."
    assert found.acgate_key == "acme-inv-0001"
    assert found.remarks == (None, None, None, "acg:acme-inv-0001")
    assert found.cancelled is False
    assert found.lines is not None and found.lines[1] == RemoteLine(
        item="A100", uom="CTN", qty=Decimal("0.2"), unit_price=Decimal("12.345678"),
        discount="5%", tax_code="SV-8")
    assert client.find(DocType.SALES_INVOICE, "I-404") is None


def test_update_replaces_master_and_all_details(cloud: FakeCloud) -> None:
    client = cloud.client()
    client.post(posting())
    client.update(posting(lines=posting().lines[:1], reference="PO-78"), "I-000001")
    put = cloud.requests[-1]
    assert put.method == "PUT" and put.url.params["docNo"] == "I-000001"
    body = json_body(put)
    assert body["master"]["docNo"] == "I-000001" and body["master"]["ref"] == "PO-78"
    assert len(body["details"]) == 1
    found = client.find(DocType.SALES_INVOICE, "I-000001")
    assert found is not None and found.lines is not None and len(found.lines) == 1


def test_void_sets_cancelled(cloud: FakeCloud) -> None:
    client = cloud.client()
    client.post(posting())
    client.void(DocType.SALES_INVOICE, "I-000001")
    assert cloud.requests[-1].url.path == f"/{BOOK}/invoice/void"
    found = client.find(DocType.SALES_INVOICE, "I-000001")
    assert found is not None and found.cancelled


def _fill(cloud: FakeCloud, count: int, day: dt.date = DAY) -> None:
    for n in range(count):
        cloud.add(DocType.SALES_INVOICE, f"I-{n:06d}", day, remark4=f"acg:key-{n}")
    cloud.book.documents[DocType.SALES_INVOICE] = scatter(
        cloud.book.of(DocType.SALES_INVOICE))


def test_listing_is_complete_though_a_write_moves_rows_between_pages(cloud: FakeCloud) -> None:
    _fill(cloud, 250)
    rows = cloud.book.of(DocType.SALES_INVOICE)

    def concurrent_write(page: int) -> None:
        if page == 1 and len(cloud.requests) == 1:
            # An edit moves a row AutoCount had on page 3 to the front: page 1 was read already,
            # so this pass misses it and sees the row at the page boundary twice.
            rows.insert(0, rows.pop(240))
    cloud.book.after_page = concurrent_write

    listed = list(cloud.client().list_documents(DocType.SALES_INVOICE, DAY, DAY))
    assert sorted(d.doc_no for d in listed) == [f"I-{n:06d}" for n in range(250)]
    assert len(cloud.requests) == 6  # a second pass was needed to find the moved row
    assert all(json_body(r)["filter"]["date"] == {"from": "2026-11-20", "to": "2026-11-20"}
               for r in cloud.requests)


def _hide_last_row(cloud: FakeCloud) -> None:
    """Keep moving the last row to page 1 while page 2 is read, and back before page 1 is."""
    rows = cloud.book.of(DocType.SALES_INVOICE)
    cloud.book.after_page = (
        lambda page: rows.insert(0, rows.pop()) if page == 1 else rows.append(rows.pop(0)))


def test_a_listing_that_never_settles_is_unavailable_not_short(cloud: FakeCloud) -> None:
    _fill(cloud, 150)
    _hide_last_row(cloud)
    with pytest.raises(Unavailable, match="kept shifting"):
        list(cloud.client(listing_passes=2).list_documents(DocType.SALES_INVOICE, DAY, DAY))


def test_find_by_key_matches_the_remark_over_shuffled_duplicated_pages(cloud: FakeCloud) -> None:
    _fill(cloud, 230)
    rows = cloud.book.of(DocType.SALES_INVOICE)
    target = next(i for i, d in enumerate(rows) if d["master"]["remark4"] == "acg:key-17")
    rows.insert(0, rows.pop(target))  # found on page 1, whatever follows
    # Pages that overlap: page 2 repeats page 1's tail.
    cloud.book.after_page = lambda page: rows.insert(100, rows[99]) if page == 1 else None

    found = cloud.client().find_by_key(DocType.SALES_INVOICE, "key-17", "300-A001", DAY)
    assert found is not None and found.doc_no == "I-000017"
    assert len(cloud.requests) == 1
    query = json_body(cloud.requests[0])
    assert query["filter"]["debtorCode"] == {"multiSelect": ["300-A001"]}
    assert query["filter"]["date"] == {"from": "2026-11-13", "to": "2026-11-27"}


def test_find_by_key_says_absent_only_after_a_complete_listing(cloud: FakeCloud) -> None:
    _fill(cloud, 120)
    client = cloud.client()
    assert client.find_by_key(DocType.SALES_INVOICE, "key-none", "300-A001", DAY) is None
    assert len(cloud.requests) == 2

    _hide_last_row(cloud)
    with pytest.raises(Unavailable):
        client.find_by_key(DocType.SALES_INVOICE, "key-none", "300-A001", DAY)


def test_find_by_key_with_acgates_number_is_one_get(cloud: FakeCloud) -> None:
    client = cloud.client()
    client.post(posting(doc_no="I-42"))
    cloud.requests.clear()
    found = client.find_by_key(DocType.SALES_INVOICE, "acme-inv-0001", "300-A001", DAY, "I-42")
    assert found is not None and found.doc_no == "I-42"
    # The number taken by a document without acgate's key: ours is confirmed absent.
    assert client.find_by_key(DocType.SALES_INVOICE, "other-key", None, DAY, "I-42") is None
    assert [r.method for r in cloud.requests] == ["GET", "GET"]


def test_master_data_from_the_cloud_listings(cloud: FakeCloud) -> None:
    cloud.masters = {
        "debtor": [{"accNo": "300-A001", "companyName": "Ah Seng", "currencyCode": "MYR",
                    "creditTerm": "C.O.D.", "isActive": True}],
        "creditor": [{"accNo": "400-B001", "companyName": "Bintang"}],
        "product": [{"product": {"productCode": "A100", "productName": "Widget",
                                 "unit": "PCS"},
                     "productMultiPacks": [{"multiPack": "CTN", "multiPackRate": 12}]}],
        "location": [{"location": "HQ"}], "sales-agent": [{"salesAgent": "BOB"}],
        "department": [{"deptNo": "D1"}],
    }
    data = cloud.client().master_data()
    assert data.debtors["300-A001"].terms == "C.O.D." and data.creditors["400-B001"].name
    item = data.items["A100"]
    assert item.base_uom == "PCS" and [(u.uom, u.rate) for u in item.uoms] == [
        ("PCS", Decimal(1)), ("CTN", Decimal(12))]
    assert (data.locations, data.agents, data.departments) == ({"HQ"}, {"BOB"}, {"D1"})
    assert data.tax_codes == {} and data.terms == set()  # the Cloud API lists neither
    assert all(r.url.params["activeOnly"] == "true" for r in cloud.requests)



def _summaries(cloud: FakeCloud, count: int) -> None:
    """Products listed as summary rows (no multi-packs); each one's own page has them."""
    cloud.masters = {resource: [] for resource in (
        "debtor", "creditor", "location", "sales-agent", "department")}
    cloud.masters["product"] = [{"productCode": f"P{n}", "productName": f"Item {n}",
                                 "unit": "PCS"} for n in range(count)]
    cloud.products = {f"P{n}": {"product": {"productCode": f"P{n}", "productName": f"Item {n}",
                                            "unit": "PCS"},
                                "productMultiPacks": [{"multiPack": "CTN", "multiPackRate": 24}]}
                      for n in range(count)}


def test_products_listed_without_their_multi_packs_are_read_from_their_own_pages(
        cloud: FakeCloud) -> None:
    _summaries(cloud, 3)
    del cloud.products["P2"]  # gone from AutoCount between the listing and its page

    items = cloud.client().master_data().items

    assert [(u.uom, u.rate) for u in items["P0"].uoms] == [("PCS", 1), ("CTN", 24)]
    assert [(u.uom, u.rate) for u in items["P1"].uoms] == [("PCS", 1), ("CTN", 24)]
    assert [u.uom for u in items["P2"].uoms] == ["PCS"]
    assert [r.url.params.get("code") for r in cloud.requests
            if r.url.path.endswith("/product")] == ["P0", "P1", "P2"]


def test_a_spent_call_budget_while_reading_products_waits_when_the_caller_can(
        cloud: FakeCloud) -> None:
    _summaries(cloud, 2)
    limited = iter([True])

    def budget_spent_once(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("code") == "P1" and next(limited, False):
            return answer(429, {"message": "Too many requests."}, headers={"Retry-After": "7"})
        return cloud._route(request)

    cloud.fail = budget_spent_once
    client = cloud.client()
    with client.pacing(cloud.wait):
        items = client.master_data().items

    assert [u.uom for u in items["P1"].uoms] == ["PCS", "CTN"]
    assert cloud.waited == [7.0]
    cloud.fail = lambda request: answer(429, {"message": "Too many requests."})
    with pytest.raises(RateLimited):
        cloud.client().master_data()  # nobody to wait: the pull says so instead


@pytest.mark.parametrize("resource", ["product", "creditor", "department"])
def test_every_listing_of_a_paced_pull_waits_for_the_call_budget(cloud: FakeCloud,
                                                                 resource: str) -> None:
    # 98 products' own pages spend the minute: the next listing, whichever it is, meets a 429.
    _summaries(cloud, 3)
    limited = iter([True])

    def spent_at_the_listing(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(f"/{resource}/listing") and next(limited, False):
            return answer(429, {"message": "Too many requests."},
                          headers={"x-rate-limit-reset": "31"})
        return cloud._route(request)

    cloud.fail = spent_at_the_listing
    client = cloud.client()
    with client.pacing(cloud.wait):
        master = client.master_data()

    assert sorted(master.items) == ["P0", "P1", "P2"]
    assert cloud.waited == [31.0]


def test_a_paced_read_gives_up_when_the_budget_stays_spent(cloud: FakeCloud) -> None:
    cloud.fail = lambda request: answer(429, {"message": "Too many requests."},
                                        headers={"Retry-After": "5"})
    client = cloud.client()

    with client.pacing(cloud.wait), pytest.raises(RateLimited):
        client.find(DocType.SALES_INVOICE, "I-1")
    assert cloud.waited == [5.0] * (READ_TRIES - 1)


def test_wrong_credentials_pause_the_target(cloud: FakeCloud) -> None:
    client = CloudClient(CloudSettings(book_id=BOOK, key_id="kid", api_key="wrong"),
                         transport=httpx.MockTransport(cloud.handle))
    with pytest.raises(TargetPaused, match="Invalid Key-ID"):
        client.post(posting())


def test_settings_hide_the_api_key() -> None:
    assert "secret" not in repr(CloudSettings(book_id=1, key_id="kid", api_key="secret"))




def test_the_cloud_resources_are_the_domains_cloud_types() -> None:
    assert set(RESOURCES) == CLOUD_TYPES

"""The Cloud profile: AutoCount Cloud Accounting's answers, refusals and listing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from acgate.sandbox import BookConfig, Period

from .conftest import Clock, Served, bridge_doc, invoice


def read(answer: httpx.Response) -> Any:
    return json.loads(answer.text, parse_float=Decimal)


def refusal(answer: httpx.Response, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    message: str = answer.json()["message"]
    return message


def test_a_created_invoice_answers_201_with_no_body_and_its_location(sandbox: Served) -> None:
    created = sandbox.cloud.post("/1/invoice", json=invoice())
    assert created.status_code == 201
    assert created.content == b""
    assert created.headers["location"] == f"{sandbox.base_url}/1/invoice?docNo=I-000001"


def test_a_read_invoice_has_exact_decimal_amounts(sandbox: Served) -> None:
    body = json.dumps(invoice()).replace('"unitPrice": 12.5', '"unitPrice": 12.35')
    sandbox.cloud.post("/1/invoice", content=body, headers={"content-type": "application/json"})
    answer = sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"})
    assert '"unitPrice":12.35' in answer.text  # a JSON number, never a string or a float
    doc = read(answer)
    assert doc["master"]["docKey"] == 1
    assert doc["master"]["docDate"] == "2026-11-20T00:00:00"
    assert doc["master"]["total"] == Decimal("27.17")
    assert doc["master"]["cancelled"] is False
    line = doc["details"][0]
    assert (line["seq"], line["subTotalExTax"], line["tax"], line["taxRate"]) == \
        (1, Decimal("24.70"), Decimal("2.47"), Decimal("10.0"))


@pytest.mark.parametrize(("body", "message"), [
    ({"details": []}, "The Master field is required."),
    (invoice(salesLocation=None), "The SalesLocation field is required."),
    (invoice(debtorName=""), "The DebtorName field is required."),
    (invoice(creditTerm="COD"), "CreditTerm (CreditTermKey = COD) not exists"),
    (invoice(debtorCode="300-X999"), "Debtor (DebtorCode = 300-X999) not exists"),
    (invoice(remark4="acg:" + "x" * 37),
     "The field Remark4 must be a string with a maximum length of 40."),
    (invoice(ref="R" * 41), "The field Ref must be a string with a maximum length of 40."),
    (invoice(docDate="2024-06-30"),
     "Transaction date 30/06/2024 is locked, you can unlock it from Tools..."),
    (invoice(docDate="30/06/2026"),
     "The JSON value could not be converted to System.DateTime. Path: $.master.docDate"),
])
def test_refusals_carry_autocounts_message(sandbox: Served, body: dict[str, Any],
                                           message: str) -> None:
    assert refusal(sandbox.cloud.post("/1/invoice", json=body)) == message
    assert sandbox.documents() == []


def detail(**fields: Any) -> dict[str, Any]:
    body = invoice()
    body["details"][0].update(fields)
    return body


@pytest.mark.parametrize(("body", "message"), [
    (detail(qty="2"),
     "The JSON value could not be converted to System.Decimal. Path: $.details[0].qty"),
    (detail(unitPrice="12.50"),
     "The JSON value could not be converted to System.Decimal. Path: $.details[0].unitPrice"),
    (detail(accNo=None), "AccNo is required."),
    (detail(unit="BOX"), "UOM (UOM = BOX) not exists for Item (ItemCode = WID-100)"),
    (detail(productCode="NOPE"), "Item (ItemCode = NOPE) not exists"),
    (detail(taxCode="SST"), "TaxCode (TaxCode = SST) not exists"),
    (detail(discount="30", unitPrice=10), "Net Total cannot be negative."),
    (detail(qty=-1), "Net Total cannot be negative."),
    (detail(discount="ten"), "Invalid discount formula: ten"),
])
def test_detail_refusals(sandbox: Served, body: dict[str, Any], message: str) -> None:
    assert refusal(sandbox.cloud.post("/1/invoice", json=body)) == message


def test_the_term_key_must_match_exactly_punctuation_included(sandbox: Served) -> None:
    assert sandbox.cloud.post("/1/invoice", json=invoice(creditTerm="C.O.D.")).status_code == 201


def test_uom_case_follows_autocounts_collation(sandbox: Served) -> None:
    assert sandbox.cloud.post("/1/invoice", json=detail(unit="ctn")).status_code == 201
    doc = sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}).json()
    assert doc["details"][0]["unit"] == "CTN"


def test_auto_fill_supplies_the_account_and_tax_code(sandbox: Served) -> None:
    body = detail(accNo=None, taxCode=None)
    body["autoFillOption"] = {"accNo": True, "taxCode": True}
    assert sandbox.cloud.post("/1/invoice", json=body).status_code == 201
    line = sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}).json()["details"][0]
    assert (line["accNo"], line["taxCode"]) == ("500-0000", "S-10")


def test_a_locked_period_refuses_new_documents_and_changes(
        serve: Callable[..., Served]) -> None:
    november = Period(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    locked = serve(book=BookConfig(locked_periods=(november,)))
    message = "Transaction date 20/11/2026 is locked, you can unlock it from Tools..."
    assert refusal(locked.cloud.post("/1/invoice", json=invoice())) == message
    assert locked.cloud.post("/1/invoice", json=invoice(docDate="2026-12-01")).status_code == 201
    moved = locked.cloud.put("/1/invoice", params={"docNo": "I-000001"},
                             json={"master": {"docDate": "2026-11-30"}})
    assert refusal(moved) == "Transaction date 30/11/2026 is locked, you can unlock it from " \
                             "Tools..."


def test_a_duplicate_doc_no_is_refused(sandbox: Served) -> None:
    assert sandbox.cloud.post("/1/invoice", json=invoice(docNo="INV-9")).status_code == 201
    again = sandbox.cloud.post("/1/invoice", json=invoice(docNo="INV-9"))
    assert refusal(again, 409) == "Invoice (DocNo = INV-9) already exists"


def three_rows() -> dict[str, Any]:
    body = invoice()
    body["details"] = [
        {"productCode": "WID-100", "accNo": "500-0000", "qty": 1, "unit": "PCS",
         "unitPrice": 12.5, "description": "first"},
        {"productCode": "WID-100", "accNo": "500-0000", "qty": 2, "unit": "CTN",
         "unitPrice": 140, "description": "second"},
        {"productCode": "GAD-200", "accNo": "500-0000", "qty": 3, "unit": "UNIT",
         "unitPrice": 30, "description": "third"},
    ]
    return body


def test_put_overwrites_rows_by_position_and_deletes_the_rest(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=three_rows())
    before = sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}).json()
    updated = sandbox.cloud.put("/1/invoice", params={"docNo": "I-000001"}, json={
        "master": {"remark1": "edited"}, "details": [{}, {"qty": 5}]})
    assert updated.status_code == 204
    assert updated.content == b""
    after = read(sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}))
    assert after["master"]["remark1"] == "edited"
    assert after["master"]["remark4"] == "acg:test-1"  # master fields not sent are kept
    assert [(d["description"], d["qty"], d["unit"]) for d in after["details"]] == \
        [("first", 1, "PCS"), ("second", 5, "CTN")]
    assert [d["dtlKey"] for d in after["details"]] == \
        [d["dtlKey"] for d in before["details"][:2]]
    assert after["master"]["total"] == Decimal("712.50")


def test_put_needs_the_master_and_a_known_number(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    assert refusal(sandbox.cloud.put("/1/invoice", params={"docNo": "I-000001"},
                                     json={"details": [{}]})) == "The Master field is required."
    missing = sandbox.cloud.put("/1/invoice", params={"docNo": "I-404"}, json={"master": {}})
    assert refusal(missing, 404) == "Invoice (DocNo = I-404) not exists"


def test_put_checks_the_merged_document(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    answer = sandbox.cloud.put("/1/invoice", params={"docNo": "I-000001"},
                               json={"master": {}, "details": [{"unit": "BOX"}]})
    assert refusal(answer) == "UOM (UOM = BOX) not exists for Item (ItemCode = WID-100)"


def test_void_cancels_and_delete_removes(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    sandbox.cloud.post("/1/invoice", json=invoice())
    assert sandbox.cloud.post("/1/invoice/void", params={"docNo": "I-000001"}).status_code == 204
    voided = sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}).json()
    assert voided["master"]["cancelled"] is True
    assert sandbox.cloud.post("/1/invoice/void", params={"docNo": "I-000001"}).status_code == 204
    edit = sandbox.cloud.put("/1/invoice", params={"docNo": "I-000001"}, json={"master": {}})
    assert refusal(edit) == "Invoice I-000001 is cancelled and cannot be edited"
    assert sandbox.cloud.delete("/1/invoice", params={"docNo": "I-000002"}).status_code == 204
    gone = sandbox.cloud.get("/1/invoice", params={"docNo": "I-000002"})
    assert refusal(gone, 404) == "Invoice (DocNo = I-000002) not exists"


def post_many(sandbox: Served, count: int) -> None:
    for n in range(count):
        debtor = "300-M001" if n % 2 else "300-K002"
        day = f"2026-11-{1 + n % 28:02d}"
        answer = sandbox.bridge.post("/api/Invoice", json=bridge_doc(
            DebtorCode=debtor, DocDate=day, Remark4=f"acg:{n}"))
        assert answer.status_code == 201


def listing(sandbox: Served, page: int, method: str = "GET", **filters: Any) -> Any:
    if method == "GET":
        return sandbox.cloud.get("/1/invoice/listing", params={"page": page}).json()
    return sandbox.cloud.post("/1/invoice/listing",
                              json={"page": page, "filter": filters}).json()


def test_listing_pages_are_complete_but_in_no_order(sandbox: Served) -> None:
    post_many(sandbox, 250)
    pages = [listing(sandbox, page) for page in (1, 2, 3, 4)]
    assert [len(page["data"]) for page in pages] == [100, 100, 50, 0]
    assert {page["totalCount"] for page in pages} == {250}
    keys = [row["docKey"] for page in pages for row in page["data"]]
    assert sorted(keys) == list(range(1, 251))
    assert keys != sorted(keys)
    numbers = [row["docNo"] for page in pages for row in page["data"]]
    assert numbers != sorted(numbers)
    assert listing(sandbox, 1) == pages[0]  # a quiet book keeps its order


def test_a_write_between_page_calls_moves_rows_across_pages(sandbox: Served) -> None:
    post_many(sandbox, 150)
    first = listing(sandbox, 1)["data"]
    sandbox.bridge.post("/api/Invoice", json=bridge_doc())
    second = listing(sandbox, 2)["data"]
    seen = {row["docKey"] for row in [*first, *second]}
    assert len(first) + len(second) == 151
    assert len(seen) < 151  # rows came twice, so others were never seen: de-duplicate, re-list


def test_listing_filters_by_date_and_debtor(sandbox: Served) -> None:
    post_many(sandbox, 40)
    answer = listing(sandbox, 1, "POST", date={"from": "2026-11-01", "to": "2026-11-10"},
                     debtorCode={"multiSelect": ["300-M001"]})
    rows = answer["data"]
    assert answer["totalCount"] == len(rows) > 0
    assert {row["debtorCode"] for row in rows} == {"300-M001"}
    assert all("2026-11-01" <= row["docDate"][:10] <= "2026-11-10" for row in rows)
    created = listing(sandbox, 1, "POST", createdDate={"from": "2026-11-21"})
    assert created["totalCount"] == 0


def test_master_reads(sandbox: Served) -> None:
    product = read(sandbox.cloud.get("/1/product", params={"code": "WID-100"}))
    assert product["product"]["productCode"] == "WID-100"
    assert product["product"]["unit"] == "PCS"
    assert product["productMultiPacks"] == [
        {"multiPack": "CTN", "multiPackRate": Decimal(12), "price": Decimal("140.00")}]
    debtor = sandbox.cloud.get("/1/debtor", params={"code": "300-M001"}).json()
    assert debtor["debtor"]["companyName"] == "Syarikat Maju Jaya Sdn Bhd"
    active = sandbox.cloud.get("/1/debtor/listing", params={"page": 1, "activeOnly": "true"})
    assert [row["debtorCode"] for row in active.json()["data"]] == ["300-M001"]
    everyone = sandbox.cloud.get("/1/debtor/listing", params={"page": 1}).json()
    assert everyone["totalCount"] == 2
    locations = sandbox.cloud.get("/1/location/listing").json()["data"]
    assert [row["location"] for row in locations] == ["HQ", "PENANG"]
    for resource in ("creditor", "sales-agent", "department", "tax-entity"):
        assert sandbox.cloud.get(f"/1/{resource}/listing").json()["totalCount"] == 1
    assert refusal(sandbox.cloud.get("/1/product", params={"code": "NOPE"}), 404)


@pytest.mark.parametrize("resource", ["sales-order", "delivery-order", "cash-sale",
                                      "debit-note", "goods-received", "project", "tax-code"])
def test_what_cloud_does_not_offer_is_not_found(sandbox: Served, resource: str) -> None:
    assert sandbox.cloud.post(f"/1/{resource}", json=invoice()).status_code == 404


def test_purchase_documents_take_a_creditor(sandbox: Served) -> None:
    body: dict[str, Any] = {"master": {"docDate": "2026-11-20", "creditorCode": "400-P001",
                       "creditorName": "Pembekal Utama", "creditTerm": "C.O.D."},
            "details": [{"productCode": "WID-100", "accNo": "610-0000", "qty": 1}]}
    created = sandbox.cloud.post("/1/purchase-invoice", json=body)
    assert created.headers["location"].endswith("/1/purchase-invoice?docNo=PI-000001")
    doc = read(sandbox.cloud.get("/1/purchase-invoice", params={"docNo": "PI-000001"}))
    assert doc["details"][0]["unitPrice"] == Decimal("7.20")  # the item's purchase price
    body["master"]["creditorCode"] = "300-M001"
    assert refusal(sandbox.cloud.post("/1/purchase-order", json=body)) == \
        "Creditor (CreditorCode = 300-M001) not exists"


def test_purchase_documents_keep_the_agent_and_location_acgate_sends(sandbox: Served) -> None:
    # The contract names only `salesLocation` and `salesAgent`; purchases use the same names.
    body = {"master": {"docDate": "2026-11-20", "creditorCode": "400-P001",
                       "creditorName": "Pembekal Utama", "creditTerm": "C.O.D.",
                       "salesLocation": "PENANG", "salesAgent": "MEI"},
            "details": [{"productCode": "WID-100", "accNo": "610-0000", "qty": 1}]}
    assert sandbox.cloud.post("/1/purchase-order", json=body).status_code == 201
    master = read(sandbox.cloud.get("/1/purchase-order", params={"docNo": "PO-000001"}))["master"]
    assert (master["salesLocation"], master["salesAgent"]) == ("PENANG", "MEI")


def test_keys_and_book_are_checked(sandbox: Served) -> None:
    wrong = sandbox.cloud.get("/1/invoice/listing", headers={"API-Key": "wrong"})
    assert refusal(wrong, 401) == "Invalid Key-ID or API-Key."
    assert refusal(sandbox.admin.get("/1/invoice/listing"), 401)
    assert refusal(sandbox.cloud.get("/2/invoice/listing"), 404) == "Account book 2 not found."


def test_rate_limit_headers_and_429(serve: Callable[..., Served]) -> None:
    clock = Clock()
    limited = serve(rate_limit=3, clock=clock)
    answers = [limited.cloud.get("/1/location/listing") for _ in range(3)]
    assert [a.headers["x-rate-limit-remaining"] for a in answers] == ["2", "1", "0"]
    assert {a.headers["x-rate-limit-limit"] for a in answers} == {"1m"}
    assert answers[0].headers["x-rate-limit-reset"] == "2026-11-20T09:01:00.0000000Z"
    over = limited.cloud.get("/1/location/listing")
    assert refusal(over, 429) == "API calls quota exceeded! maximum admitted 3 per 1m."
    assert over.headers["retry-after"] == "60"
    assert over.headers["x-rate-limit-remaining"] == "0"
    assert limited.bridge.get("/api/Location/list").status_code == 200  # the bridge has none
    clock.advance(seconds=60)
    again = limited.cloud.post("/1/invoice", json=invoice(creditTerm="COD"))
    assert again.status_code == 400  # refusals count and carry the headers too
    assert again.headers["x-rate-limit-remaining"] == "2"


def test_each_key_has_its_own_quota(serve: Callable[..., Served]) -> None:
    keys = {"first": "one", "second": "two"}
    limited = serve(rate_limit=1, book=BookConfig(cloud_keys=keys))
    first = {"Key-ID": "first", "API-Key": "one"}
    second = {"Key-ID": "second", "API-Key": "two"}
    assert limited.admin.get("/1/location/listing", headers=first).status_code == 200
    assert limited.admin.get("/1/location/listing", headers=first).status_code == 429
    assert limited.admin.get("/1/location/listing", headers=second).status_code == 200


def test_no_limit_when_turned_off(sandbox: Served) -> None:
    answer = sandbox.cloud.get("/1/location/listing")
    assert "x-rate-limit-remaining" not in answer.headers

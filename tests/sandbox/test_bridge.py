"""The bridge profile: SDK names, `<<New>>` numbers, 409 duplicates, and transfers with
outstanding quantities."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from .conftest import Served, bridge_doc


def read(sandbox: Served, doc_type: str, doc_no: str) -> Any:
    answer = sandbox.bridge.get(f"/api/{doc_type}", params={"DocNo": doc_no})
    assert answer.status_code == 200, answer.text
    return json.loads(answer.text, parse_float=Decimal)


def error(answer: httpx.Response, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["ok"] is False
    message: str = body["error"]
    return message


def post(sandbox: Served, doc_type: str, body: dict[str, Any]) -> httpx.Response:
    return sandbox.bridge.post(f"/api/{doc_type}", json=body)


def taking(doc_no: str, *lines: tuple[int, Any], code: str = "SO",
           **head: Any) -> dict[str, Any]:
    """A document whose lines are transferred from `doc_no`'s lines: (FromDtlSeq, Qty)."""
    return bridge_doc(Details=[{"FromDocType": code, "FromDocNo": doc_no, "FromDtlSeq": seq,
                                "Qty": qty} for seq, qty in lines], **head)


def transferred(sandbox: Served, doc_type: str, doc_no: str) -> list[Decimal]:
    return [line["TransferedQty"] for line in read(sandbox, doc_type, doc_no)["Details"]]


def test_a_new_document_answers_its_number_and_key(sandbox: Served) -> None:
    created = post(sandbox, "SalesOrder", bridge_doc())
    assert created.status_code == 201
    assert created.json() == {"DocNo": "SO-000001", "DocKey": 1}
    doc = read(sandbox, "SalesOrder", "SO-000001")
    assert (doc["DebtorName"], doc["DisplayTerm"], doc["CurrencyCode"]) == \
        ("Syarikat Maju Jaya Sdn Bhd", "30 Days", "MYR")  # filled from the debtor
    assert doc["Total"] == Decimal("257.50")  # 125 + 10% SST + 120
    assert [(d["Seq"], d["ItemCode"], d["Qty"], d["TaxCode"], d["AccNo"]) for d in
            doc["Details"]] == [(1, "WID-100", 10, "S-10", "500-0000"),
                                (2, "GAD-200", 4, None, "500-0000")]


def test_a_duplicate_doc_no_answers_409(sandbox: Served) -> None:
    assert post(sandbox, "Invoice", bridge_doc(DocNo="INV-1")).status_code == 201
    duplicate = post(sandbox, "Invoice", bridge_doc(DocNo="INV-1"))
    assert error(duplicate, 409) == "Invoice (DocNo = INV-1) already exists"
    assert post(sandbox, "CashSale", bridge_doc(DocNo="INV-1")).status_code == 201  # per type


@pytest.mark.parametrize(("body", "message"), [
    (bridge_doc(DocDate=None), "DocDate is required."),
    (bridge_doc(DebtorCode=None), "DebtorCode is required."),
    (bridge_doc(Details=[{"ItemCode": "WID-100", "Qty": "1"}]),
     "The JSON value could not be converted to System.Decimal. Path: $.Details[0].Qty"),
    (bridge_doc(DisplayTerm="COD"), "CreditTerm (CreditTermKey = COD) not exists"),
    (bridge_doc(RefNo2="R" * 31),
     "The field RefNo2 must be a string with a maximum length of 30."),
    (bridge_doc(DocNo="SO-" + "9" * 28),
     "The field DocNo must be a string with a maximum length of 30."),
    (bridge_doc(Details=[{"ItemCode": "WID-100", "FromDocNo": "SO-1"}]),
     "FromDocType, FromDocNo and FromDtlSeq are given together or not at all"),
])
def test_refusals(sandbox: Served, body: dict[str, Any], message: str) -> None:
    assert error(post(sandbox, "SalesOrder", body)) == message


def test_keys_and_types_are_checked(sandbox: Served) -> None:
    assert error(sandbox.admin.post("/api/SalesOrder", json=bridge_doc()), 401) == \
        "Invalid X-API-KEY"
    assert error(post(sandbox, "Quotation", bridge_doc()), 404) == \
        "Unknown document type Quotation"
    assert error(sandbox.bridge.get("/api/SalesOrder", params={"DocNo": "SO-9"}), 404) == \
        "SalesOrder (DocNo = SO-9) not exists"


def test_a_transfer_takes_from_the_outstanding_quantity(sandbox: Served) -> None:
    post(sandbox, "SalesOrder", bridge_doc())
    delivered = post(sandbox, "DeliveryOrder", taking("SO-000001", (1, 6)))
    assert delivered.status_code == 201, delivered.text
    assert transferred(sandbox, "SalesOrder", "SO-000001") == [6, 0]
    line = read(sandbox, "DeliveryOrder", "DO-000001")["Details"][0]
    assert (line["ItemCode"], line["UOM"], line["UnitPrice"], line["FromDtlSeq"]) == \
        ("WID-100", "PCS", Decimal("12.5"), 1)  # the rest comes from the source line
    over = post(sandbox, "DeliveryOrder", taking("SO-000001", (1, 5)))
    assert error(over) == "Transfer quantity 5 is more than the outstanding quantity 4 of " \
                          "SalesOrder SO-000001 Seq 1"
    assert post(sandbox, "DeliveryOrder", taking("SO-000001", (1, 4), (2, 4))).status_code \
        == 201
    assert transferred(sandbox, "SalesOrder", "SO-000001") == [10, 4]


def test_two_lines_from_one_source_line_count_together(sandbox: Served) -> None:
    post(sandbox, "SalesOrder", bridge_doc())
    over = post(sandbox, "Invoice", taking("SO-000001", (1, 6), (1, 5)))
    assert error(over).startswith("Transfer quantity 11 is more than the outstanding quantity 10")


def test_an_invoice_takes_from_a_delivery_order(sandbox: Served) -> None:
    post(sandbox, "SalesOrder", bridge_doc())
    post(sandbox, "DeliveryOrder", taking("SO-000001", (1, 6)))
    assert post(sandbox, "Invoice", taking("DO-000001", (1, 6), code="DO")).status_code == 201
    assert transferred(sandbox, "DeliveryOrder", "DO-000001") == [6]


def test_cancelling_a_source_transferred_onward_is_refused(sandbox: Served) -> None:
    post(sandbox, "SalesOrder", bridge_doc())
    post(sandbox, "DeliveryOrder", taking("SO-000001", (1, 6)))
    post(sandbox, "DeliveryOrder", taking("SO-000001", (2, 1)))
    refused = sandbox.bridge.post("/api/SalesOrder/cancel", params={"DocNo": "SO-000001"})
    assert error(refused) == "Cannot cancel SalesOrder SO-000001: it was transferred to " \
                             "DeliveryOrder DO-000001, DeliveryOrder DO-000002"
    cancelled = sandbox.bridge.post("/api/DeliveryOrder/cancel", params={"DocNo": "DO-000002"})
    assert cancelled.json() == {"DocNo": "DO-000002", "DocKey": 3, "Cancelled": True}
    assert transferred(sandbox, "SalesOrder", "SO-000001") == [6, 0]  # given back


def test_a_cancelled_or_draft_source_cannot_be_transferred(sandbox: Served) -> None:
    post(sandbox, "SalesOrder", bridge_doc())
    sandbox.bridge.post("/api/SalesOrder/cancel", params={"DocNo": "SO-000001"})
    assert error(post(sandbox, "DeliveryOrder", taking("SO-000001", (1, 1)))) == \
        "SalesOrder SO-000001 is cancelled and cannot be transferred"
    post(sandbox, "SalesOrder", bridge_doc(SaveAsDraft=True))
    assert error(post(sandbox, "DeliveryOrder", taking("SO-000002", (1, 1)))) == \
        "SalesOrder SO-000002 is a draft and cannot be transferred"


@pytest.mark.parametrize(("doc_type", "body", "message"), [
    ("DeliveryOrder", taking("SO-000001", (3, 1)), "SalesOrder SO-000001 has no line with Seq = 3"),
    ("DeliveryOrder", taking("SO-000404", (1, 1)), "SalesOrder (DocNo = SO-000404) not exists"),
    ("GoodsReceivedNote", taking("SO-000001", (1, 1), CreditorCode="400-P001"),
     "Cannot transfer from SalesOrder to GoodsReceivedNote"),
    ("DeliveryOrder", taking("SO-000001", (1, 1), code="XX"),
     "FromDocType XX is not one of SO, DO, PO, GR"),
    ("DeliveryOrder", bridge_doc(Details=[{"FromDocType": "SO", "FromDocNo": "SO-000001",
                                           "FromDtlSeq": 1, "UOM": "CTN", "Qty": 1}]),
     "UOM CTN differs from SO SO-000001 Seq 1 (PCS)"),
    ("DeliveryOrder", taking("SO-000001", (1, 1), DebtorCode="300-K002"),
     "SalesOrder SO-000001 belongs to 300-M001, not 300-K002"),
])
def test_transfer_refusals(sandbox: Served, doc_type: str, body: dict[str, Any],
                           message: str) -> None:
    post(sandbox, "SalesOrder", bridge_doc())
    assert error(post(sandbox, doc_type, body)) == message


def test_the_purchase_chain(sandbox: Served) -> None:
    order = bridge_doc(DebtorCode=None, CreditorCode="400-P001",
                       Details=[{"ItemCode": "WID-100", "UOM": "CTN", "Qty": 2}])
    assert post(sandbox, "PurchaseOrder", order).json()["DocNo"] == "PO-000001"
    received = taking("PO-000001", (1, 2), code="PO", DebtorCode=None, CreditorCode="400-P001")
    assert post(sandbox, "GoodsReceivedNote", received).json()["DocNo"] == "GR-000001"
    billed = taking("GR-000001", (1, 2), code="GR", DebtorCode=None, CreditorCode="400-P001")
    assert post(sandbox, "PurchaseInvoice", billed).json()["DocNo"] == "PI-000001"
    assert transferred(sandbox, "PurchaseOrder", "PO-000001") == [2]
    assert read(sandbox, "PurchaseInvoice", "PI-000001")["CreditorName"] == \
        "Pembekal Utama Sdn Bhd"


def test_a_purchase_document_takes_the_contracts_agent_and_location_fields(
        sandbox: Served) -> None:
    # The contract names `SalesAgent` and `SalesLocation` as header fields of every type.
    order = bridge_doc(DebtorCode=None, CreditorCode="400-P001", SalesLocation="PENANG",
                       SalesAgent="MEI")
    assert post(sandbox, "PurchaseOrder", order).status_code == 201
    doc = read(sandbox, "PurchaseOrder", "PO-000001")
    assert (doc["SalesLocation"], doc["SalesAgent"]) == ("PENANG", "MEI")


def test_put_replaces_the_whole_document_and_moves_the_transfer(sandbox: Served) -> None:
    post(sandbox, "SalesOrder", bridge_doc())
    post(sandbox, "DeliveryOrder", taking("SO-000001", (1, 6)))
    replaced = sandbox.bridge.put("/api/DeliveryOrder", params={"DocNo": "DO-000001"},
                                  json=taking("SO-000001", (1, 9), Remark1="more"))
    assert replaced.json() == {"DocNo": "DO-000001", "DocKey": 2}
    assert transferred(sandbox, "SalesOrder", "SO-000001") == [9, 0]
    assert read(sandbox, "DeliveryOrder", "DO-000001")["Remark1"] == "more"
    shrunk = sandbox.bridge.put("/api/SalesOrder", params={"DocNo": "SO-000001"},
                                json=bridge_doc(Details=[{"ItemCode": "WID-100", "Qty": 8}]))
    assert error(shrunk) == "Cannot change SalesOrder SO-000001 Seq 1: 9 was transferred to " \
                            "DeliveryOrder DO-000001"


def test_list_pages_by_key_within_dates(sandbox: Served) -> None:
    for day in ("2026-11-01", "2026-11-15", "2026-12-01"):
        post(sandbox, "SalesOrder", bridge_doc(DocDate=day))
    answer = sandbox.bridge.get("/api/SalesOrder/list",
                                params={"from": "2026-11-01", "to": "2026-11-30", "page": 1})
    body = answer.json()
    assert [row["DocNo"] for row in body["data"]] == ["SO-000001", "SO-000002"]
    assert (body["page"], body["totalCount"]) == (1, 2)
    assert body["data"][0]["Remark4"] == "acg:so-1"


def test_master_lists(sandbox: Served) -> None:
    items = sandbox.bridge.get("/api/Item/list").json()["data"]
    widget = next(item for item in items if item["ItemCode"] == "WID-100")
    assert [(u["UOM"], u["Rate"]) for u in widget["ItemUOM"]] == [("PCS", 1), ("CTN", 12)]
    taxes = json.loads(sandbox.bridge.get("/api/TaxCode/list").text, parse_float=Decimal)
    assert taxes["data"][0] == {"TaxCode": "S-10", "TaxRate": Decimal("10.0")}
    terms = sandbox.bridge.get("/api/Term/list").json()["data"]
    assert [t["DisplayTerm"] for t in terms] == ["30 Days", "C.O.D."]
    for name in ("Debtor", "Creditor", "Location", "Project", "Department", "SalesAgent"):
        assert sandbox.bridge.get(f"/api/{name}/list").json()["data"], name

"""A posting in each wire format, and JSON whose numbers are exactly the decimals acgate holds."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from acgate.autocount.payloads import (
    bridge_body,
    cloud_body,
    json_bytes,
    key_from_remark,
    key_remark,
    remark_field,
)
from acgate.domain.documents import DocType
from acgate.domain.posting import PostingLine, Transfer

from .fakes import posting


def test_decimals_are_bare_json_numbers_written_exactly() -> None:
    value = Decimal("0.1") + Decimal("0.2")
    text = json_bytes({"qty": value, "price": Decimal("12.345678"), "big": Decimal("1E+3"),
                       "tiny": Decimal("1E-7"), "neg": Decimal("-0.50")}).decode()
    assert text == '{"qty":0.3,"price":12.345678,"big":1000,"tiny":0.0000001,"neg":-0.50}'
    assert json.loads(text, parse_float=Decimal)["qty"] == Decimal("0.3")


def test_json_refuses_floats_and_non_finite_decimals() -> None:
    with pytest.raises(TypeError, match="not exact"):
        json_bytes({"qty": 0.1})
    with pytest.raises(ValueError):
        json_bytes([Decimal("NaN")])


def test_json_escapes_text_and_keeps_literals() -> None:
    text = json_bytes({"name": 'Kedai "Ah Seng"', "ok": True, "none": None, "n": 3, "l": [1]})
    assert json.loads(text) == {"name": 'Kedai "Ah Seng"', "ok": True, "none": None, "n": 3,
                                "l": [1]}


def test_cloud_body_in_the_published_shape() -> None:
    body = cloud_body(posting(reference="PO-77", currency_rate=Decimal("1.000000")),
                      "remark4", save_approve=False)
    assert body["master"] == {
        "docDate": "2026-11-20T00:00:00", "debtorCode": "300-A001",
        "debtorName": "Ah Seng Trading", "ref": "PO-77", "description": None,
        "creditTerm": "C.O.D.", "salesAgent": None, "salesLocation": "HQ",
        "currencyRate": Decimal("1.000000"), "remark4": "acg:acme-inv-0001",
    }
    assert body["details"][1] == {
        "productCode": "A100", "description": None, "qty": Decimal("0.2"), "unit": "CTN",
        "unitPrice": Decimal("12.345678"), "discount": "5%", "taxCode": "SV-8",
    }
    assert body["autoFillOption"] == {"accNo": True, "taxCode": False}
    assert body["saveApprove"] is False
    wire = json_bytes(body).decode()
    assert '"qty":0.2,' in wire and '"unitPrice":12.345678,' in wire
    assert '"currencyRate":1.000000,' in wire


def test_cloud_body_names_the_number_when_acgate_chose_it_and_creditors_for_purchases() -> None:
    body = cloud_body(posting(doc_no="I-9", doc_type=DocType.PURCHASE_INVOICE,
                              party_code="400-B001"), "Remark2", save_approve=True)
    assert body["master"]["docNo"] == "I-9"
    assert body["master"]["creditorCode"] == "400-B001" and "debtorCode" not in body["master"]
    assert body["master"]["remark2"] == "acg:acme-inv-0001"
    assert body["saveApprove"] is True


def test_cloud_line_sends_location_project_department_only_when_used() -> None:
    line = PostingLine(1, "A100", "PCS", Decimal(1), Decimal(2), location="KL", project="P1")
    detail = cloud_body(posting(lines=(line,)), "remark4", False)["details"][0]
    assert detail["location"] == "KL" and detail["projNo"] == "P1" and "deptNo" not in detail


def test_bridge_body_uses_the_sdk_names() -> None:
    line = PostingLine(1, "A100", "PCS", Decimal("4"), None, location="HQ",
                       transfer=Transfer(DocType.SALES_ORDER, "SO-2611-0003", 2))
    body = bridge_body(posting(doc_type=DocType.DELIVERY_ORDER, lines=(line,),
                               currency="MYR", agent="BOB"), "remark4")
    assert body["DocNo"] == "<<New>>"
    assert body["DocDate"] == "2026-11-20"
    assert body["DebtorCode"] == "300-A001" and body["DebtorName"] == "Ah Seng Trading"
    assert body["DisplayTerm"] == "C.O.D." and body["SalesLocation"] == "HQ"
    assert body["CurrencyCode"] == "MYR" and body["SalesAgent"] == "BOB"
    assert body["Remark4"] == "acg:acme-inv-0001" and body["SaveAsDraft"] is False
    # No rate and no price: left out, as `null` is no number for the SDK's decimal fields.
    assert "CurrencyRate" not in body
    assert body["Details"] == [{
        "ItemCode": "A100", "Location": "HQ", "Description": None, "UOM": "PCS",
        "Qty": Decimal("4"), "Discount": None, "TaxCode": None,
        "ProjNo": None, "DeptNo": None, "FromDocType": "SO", "FromDocNo": "SO-2611-0003",
        "FromDtlSeq": 2,
    }]


def test_bridge_body_for_a_purchase_names_the_creditor_and_keeps_a_chosen_number() -> None:
    body = bridge_body(posting(doc_type=DocType.PURCHASE_ORDER, party_code="400-B001",
                               doc_no="PO-1"), "remark1")
    assert body["CreditorCode"] == "400-B001" and "DebtorCode" not in body
    assert body["DocNo"] == "PO-1" and body["Remark1"] == "acg:acme-inv-0001"


def test_bridge_body_for_a_purchase_uses_the_contracts_agent_and_location_names() -> None:
    # The bridge contract's header fields are `SalesAgent` and `SalesLocation` for every type.
    body = bridge_body(posting(doc_type=DocType.PURCHASE_ORDER, party_code="400-B001",
                               agent="BOB"), "remark4")
    assert (body["SalesAgent"], body["SalesLocation"]) == ("BOB", "HQ")
    assert "PurchaseAgent" not in body and "PurchaseLocation" not in body


def test_the_key_fits_the_remark_field_or_is_refused() -> None:
    assert key_remark("x" * 36) == "acg:" + "x" * 36
    with pytest.raises(ValueError, match="36"):
        key_remark("x" * 37)
    with pytest.raises(ValueError, match="36"):
        cloud_body(dataclasses.replace(posting(), key="k" * 37), "remark4", False)
    assert key_from_remark("  acg:acme-1 ") == "acme-1"
    assert key_from_remark("customer note") is None
    assert key_from_remark(None) is None


def test_the_remark_field_is_one_of_four() -> None:
    assert remark_field(" Remark3 ") == "remark3"
    with pytest.raises(ValueError, match="remark1"):
        remark_field("ref")

"""Import workbooks: what acgate writes for a person to import, read back exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from acgate.autocount.errors import Duplicate, Rejected, Unsupported
from acgate.autocount.target import Accepted, RemoteLine
from acgate.autocount.xlsx import XlsxSettings, XlsxTarget
from acgate.domain.documents import DocType
from acgate.domain.posting import PostingLine, Transfer

from .fakes import DAY, posting


@pytest.fixture
def target(tmp_path: Path) -> XlsxTarget:
    return XlsxTarget(XlsxSettings(folder=tmp_path / "imports"))


def test_post_allocates_numbers_per_type_and_month(target: XlsxTarget) -> None:
    assert target.post(posting()) == Accepted("I-2611-0001")
    assert target.post(posting(key="k2")) == Accepted("I-2611-0002")
    assert target.post(posting(key="k3", date=dt.date(2026, 12, 1))) == Accepted("I-2612-0001")
    assert target.post(posting(key="k4", doc_no="INV-MANUAL")) == Accepted("INV-MANUAL")
    assert target.post(posting(key="k5", doc_type=DocType.CREDIT_NOTE)) == Accepted(
        "CN-2611-0001")
    with pytest.raises(Duplicate) as caught:
        target.post(posting(key="k6", doc_no="INV-MANUAL"))
    assert caught.value.doc_no == "INV-MANUAL"


def test_the_sheet_has_a_header_block_per_document_and_detail_rows(target: XlsxTarget) -> None:
    target.post(posting(reference="PO-77"))
    sheet = openpyxl.load_workbook(target.path)["Invoice"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    for column in ("DocNo", "DocDate", "DebtorCode", "DebtorName", "Ref", "DisplayTerm",
                   "SalesLocation", "Remark4", "ItemCode", "UOM", "Qty", "UnitPrice",
                   "Discount", "TaxCode"):
        assert column in header
    first = dict(zip(header, rows[1], strict=True))
    second = dict(zip(header, rows[2], strict=True))
    assert first["DocNo"] == second["DocNo"] == "I-2611-0001"
    assert first["DocDate"] == dt.datetime(2026, 11, 20) and first["Ref"] == "PO-77"
    assert first["Remark4"] == "acg:acme-inv-0001" and first["ItemCode"] == "A100"
    assert second["DocDate"] is None and second["DebtorCode"] is None
    assert (second["UOM"], second["Discount"]) == ("CTN", "5%")


def test_decimals_are_exact_numbers_or_text_never_float_noise(target: XlsxTarget) -> None:
    lines = (
        PostingLine(1, "A100", "PCS", Decimal("0.1") + Decimal("0.2"), Decimal("19.99")),
        PostingLine(2, "A100", "PCS", Decimal("1"), Decimal("1234567890.123456789")),
    )
    target.post(posting(lines=lines, currency_rate=Decimal("4.123456")))
    sheet = openpyxl.load_workbook(target.path)["Invoice"]
    header = [cell.value for cell in sheet[1]]
    qty, price = header.index("Qty") + 1, header.index("UnitPrice") + 1
    assert sheet.cell(2, qty).value == 0.3 and sheet.cell(2, qty).data_type == "n"
    assert sheet.cell(3, price).value == "1234567890.123456789"  # 19 digits: kept as text
    found = target.find(DocType.SALES_INVOICE, "I-2611-0001")
    assert found is not None and found.lines is not None
    assert [(line.qty, line.unit_price) for line in found.lines] == [
        (Decimal("0.3"), Decimal("19.99")), (Decimal("1"), Decimal("1234567890.123456789"))]
    assert found.currency_rate == Decimal("4.123456")


def test_find_reads_back_what_it_wrote(target: XlsxTarget) -> None:
    line = PostingLine(1, "A100", "PCS", Decimal("2"), location="HQ", project="P1",
                       transfer=Transfer(DocType.SALES_ORDER, "SO-2611-0001", 1))
    target.post(posting(doc_type=DocType.DELIVERY_ORDER, lines=(line,), currency="MYR"))
    found = target.find(DocType.DELIVERY_ORDER, "DO-2611-0001")
    assert found is not None
    assert (found.doc_no, found.doc_key, found.date) == ("DO-2611-0001", None, DAY)
    assert (found.party_code, found.party_name, found.terms, found.currency) == (
        "300-A001", "Ah Seng Trading", "C.O.D.", "MYR")
    assert found.acgate_key == "acme-inv-0001"
    assert found.lines == (RemoteLine(
        item="A100", uom="PCS", qty=Decimal(2), location="HQ", project="P1",
        transfer=Transfer(DocType.SALES_ORDER, "SO-2611-0001", 1)),)
    assert target.find(DocType.DELIVERY_ORDER, "DO-404") is None
    assert target.find(DocType.SALES_INVOICE, "I-2611-0001") is None


def test_update_rewrites_only_that_document(target: XlsxTarget) -> None:
    target.post(posting())
    target.post(posting(key="k2"))
    target.update(posting(lines=posting().lines[:1], reference="PO-9"), "I-2611-0001")
    first = target.find(DocType.SALES_INVOICE, "I-2611-0001")
    second = target.find(DocType.SALES_INVOICE, "I-2611-0002")
    assert first is not None and first.ref == "PO-9" and first.lines is not None
    assert len(first.lines) == 1
    assert second is not None and second.lines is not None and len(second.lines) == 2
    with pytest.raises(Rejected):
        target.update(posting(), "I-404")


def test_key_look_up_and_listing(target: XlsxTarget) -> None:
    target.post(posting())
    target.post(posting(key="k2", date=dt.date(2026, 11, 25)))
    found = target.find_by_key(DocType.SALES_INVOICE, "k2", "300-A001", DAY)
    assert found is not None and found.doc_no == "I-2611-0002"
    assert target.find_by_key(DocType.SALES_INVOICE, "k2", None, DAY, "I-2611-0001") is None
    listed = target.list_documents(DocType.SALES_INVOICE, DAY, DAY)
    assert [d.doc_no for d in listed] == ["I-2611-0001"]


def test_what_a_workbook_cannot_do(target: XlsxTarget) -> None:
    with pytest.raises(Unsupported):
        target.void(DocType.SALES_INVOICE, "I-1")
    with pytest.raises(Unsupported):
        target.master_data()
    with pytest.raises(Unsupported):
        target.post(posting(doc_type=DocType.PURCHASE_REQUEST))
    assert target.rate_limit is None and not target.path.exists()

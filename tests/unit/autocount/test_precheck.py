"""Refusals AutoCount would make, found from master data before anything is sent."""

from __future__ import annotations

from decimal import Decimal

from acgate.autocount.precheck import precheck
from acgate.domain.documents import DocType
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import PostingLine

from .fakes import master, posting


def test_a_posting_autocount_takes_has_no_problems() -> None:
    assert precheck(posting(), master()) == []


def test_party_problems() -> None:
    assert precheck(posting(party_code="300-X"), master()) == [
        "debtor 300-X does not exist in AutoCount"]
    assert precheck(posting(party_code=None), master()) == ["the debtor code is missing"]
    assert precheck(posting(doc_type=DocType.PURCHASE_ORDER), master()) == [
        "creditor 300-A001 does not exist in AutoCount"]
    assert precheck(posting(currency="SGD"), master()) == [
        "the document is in SGD but debtor 300-A001 trades in MYR"]


def test_the_term_key_must_match_exactly() -> None:
    assert precheck(posting(terms="COD"), master()) == [
        "credit term 'COD' is not a term key in AutoCount; AutoCount's key is C.O.D."]
    assert precheck(posting(terms="60 DAYS"), master()) == [
        "credit term '60 DAYS' is not a term key in AutoCount"]


def test_line_problems() -> None:
    lines = (
        PostingLine(1, "A999", "PCS", Decimal(1), Decimal(1)),
        PostingLine(2, "A100", "BOX", Decimal(1), Decimal(1), tax_code="SR"),
        PostingLine(3, "A100", "CARTON-12", Decimal(1), Decimal(1), location="JB"),
        PostingLine(4, "A100", "ctn", Decimal(1), Decimal(1), discount="a lot"),
    )
    assert precheck(posting(lines=lines), master()) == [
        "line 1: item A999 does not exist in AutoCount",
        "line 2: item A100 has no UOM BOX (its UOMs: PCS, CTN)",
        "line 2: tax code SR does not exist in AutoCount",
        "line 3: UOM CARTON-12 is longer than AutoCount's 8 characters",
        "line 3: location JB does not exist in AutoCount",
        "line 4: discount 'a lot' is neither an amount nor a percent such as 5%",
    ]


def test_field_lengths() -> None:
    problems = precheck(posting(reference="R" * 41, key="k" * 37), master())
    assert problems == [
        f"the reference {'R' * 41!r} is longer than AutoCount's 40 characters for Ref",
        f"acgate's key {'k' * 37!r} does not fit a remark field as acg:<key> "
        "(at most 36 characters)",
    ]


def test_net_total_must_not_be_negative() -> None:
    lines = (PostingLine(1, "A100", "PCS", Decimal(2), Decimal("5.00"), discount="10.01"),
             PostingLine(2, "A100", "PCS", Decimal(1), Decimal("1.00"), discount="100%"))
    assert precheck(posting(lines=lines), master()) == [
        "the net total -0.01 is negative; AutoCount refuses a document whose net total is "
        "below 0"]


def test_tables_a_target_cannot_list_are_not_checked() -> None:
    cloud_master = master()
    cloud_master.tax_codes, cloud_master.terms, cloud_master.locations = {}, set(), set()
    assert precheck(posting(terms="COD", location="JB"), cloud_master) == []
    assert precheck(posting(), MasterData()) == [
        "debtor 300-A001 does not exist in AutoCount",
        "line 1: item A100 does not exist in AutoCount",
        "line 2: item A100 does not exist in AutoCount",
    ]

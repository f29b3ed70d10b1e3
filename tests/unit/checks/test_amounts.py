"""Prices against AutoCount's price levels, and the source's totals against its own lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from acgate.domain.codes import Code, Outcome

from .builders import check, codes, company_rules, line, only, trade

PRICED = company_rules(types={"sales_invoice": {"price_check": True},
                              "purchase_invoice": {"price_check": True}})


def priced(unit_price: str, **line_fields: Any) -> list[Code]:
    return codes(check(trade(lines=[line(unit_price=unit_price, **line_fields)]), rules=PRICED))


# --- price tolerance (AutoCount: CTN 120.00, PCS 10.00; default tolerance 5%) --------------------


@pytest.mark.parametrize("price", ["114.00", "120", "126.00"])
def test_a_price_within_the_tolerance_passes_and_exactly_the_tolerance_is_within(
        price: str) -> None:
    assert priced(price) == []


@pytest.mark.parametrize("price", ["113.99", "126.01", "0"])
def test_a_price_beyond_the_tolerance_is_held_for_accounts(price: str) -> None:
    result = check(trade(lines=[line(unit_price=price)]), rules=PRICED)

    finding = only(result, Code.PRICE_OUT_OF_TOLERANCE)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "lines[0].unit_price")
    assert finding.expected is not None and finding.expected.startswith("120")


def test_the_price_is_compared_for_the_uom_after_aliases() -> None:
    # 10.00 per piece is AutoCount's PCS price, but the line is in cartons.
    assert priced("10.00") == [Code.PRICE_OUT_OF_TOLERANCE]
    assert priced("10.00", uom="pcs") == []


def test_the_price_before_discount_is_compared() -> None:
    assert priced("120.00", discount="20%") == []


def test_a_foreign_price_is_converted_at_the_currency_rate() -> None:
    usd: dict[str, Any] = {"party": {"code": "C-USD"}, "currency": "USD", "currency_rate": "4.00"}

    assert codes(check(trade(**usd, lines=[line(unit_price="30.00")]), rules=PRICED)) == []
    assert codes(check(trade(**usd, lines=[line(unit_price="120.00")]), rules=PRICED)) == [
        Code.PRICE_OUT_OF_TOLERANCE]


def test_a_foreign_price_without_a_rate_is_not_compared_unconverted() -> None:
    # 30 USD is not 30 MYR; without the rate only the missing rate is the finding.
    doc = trade(party={"code": "C-USD"}, currency="USD", lines=[line(unit_price="30.00")])

    assert codes(check(doc, rules=PRICED)) == [Code.CURRENCY_MISMATCH]


def test_purchase_documents_compare_with_the_purchase_price() -> None:
    doc = trade("purchase_invoice", lines=[line(unit_price="96.00")])

    assert codes(check(doc, rules=PRICED)) == []
    assert codes(check(trade("purchase_invoice"), rules=PRICED)) == [
        Code.PRICE_OUT_OF_TOLERANCE]


def test_the_company_tolerance_applies() -> None:
    strict = company_rules(price_tolerance="0.01", types={"sales_invoice": {"price_check": True}})

    assert codes(check(trade(lines=[line(unit_price="121.20")]), rules=strict)) == []
    assert codes(check(trade(lines=[line(unit_price="121.21")]), rules=strict)) == [
        Code.PRICE_OUT_OF_TOLERANCE]


def test_types_the_rules_do_not_price_check_are_not_compared() -> None:
    assert codes(check(trade(lines=[line(unit_price="500.00")]))) == []


# --- totals (2 x 120.00 = 240.00, SST 10% = 24.00, total 264.00) --------------------------------


def totals(subtotal: str, tax: str, total: str) -> dict[str, str]:
    return {"subtotal": subtotal, "tax": tax, "total": total}


def test_totals_that_match_the_lines_pass() -> None:
    result = check(trade(totals=totals("240.00", "24.00", "264.00")))

    assert codes(result) == []
    assert result.totals == {"subtotal": 240, "tax": 24, "total": 264}


def test_a_difference_of_one_cent_is_rounding() -> None:
    assert codes(check(trade(totals=totals("240.01", "23.99", "264.01")))) == []


def test_totals_that_differ_from_the_lines_are_held_on_the_field_that_differs() -> None:
    result = check(trade(totals=totals("240.00", "24.00", "264.02")))

    finding = only(result, Code.TOTALS_MISMATCH)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "totals.total")
    assert (finding.source_value, finding.expected) == ("264.02", "264.00")


def test_without_totals_there_is_no_totals_check() -> None:
    assert Code.TOTALS_MISMATCH not in codes(check(trade(totals=None)))


def test_line_discounts_come_off_the_line_net_as_amounts_or_percent() -> None:
    doc = trade(lines=[line(1, discount="10%"), line(2, discount="4.50")],
                totals=totals("451.50", "45.15", "496.65"))

    assert codes(check(doc)) == []


def test_nets_are_rounded_half_up_per_line_before_they_are_summed() -> None:
    # 3 x 0.335 = 1.005 -> 1.01 per line, so two lines are 2.02 (not 2.01).
    lines = [line(n, uom="pcs", qty="3", unit_price="0.335", tax_code=None) for n in (1, 2)]

    assert codes(check(trade(lines=lines, totals=totals("2.02", "0", "2.02")))) == []
    assert codes(check(trade(lines=lines, totals=totals("2.00", "0", "2.00")))) == [
        Code.TOTALS_MISMATCH, Code.TOTALS_MISMATCH]


def test_tax_is_rounded_per_line() -> None:
    # Each line: net 0.05, tax 0.005 -> 0.01; three lines make 0.03 of tax, not 0.015 -> 0.02.
    lines = [line(n, uom="pcs", qty="1", unit_price="0.05") for n in (1, 2, 3)]

    assert check(trade(lines=lines)).totals["tax"] == Decimal("0.03")
    assert codes(check(trade(lines=lines, totals=totals("0.15", "0.03", "0.18")))) == []


def test_tax_and_total_are_not_compared_while_a_tax_rate_is_unknown() -> None:
    doc = trade(lines=[line(tax_code="SST8")], totals=totals("240.00", "99.00", "339.00"))

    assert codes(check(doc)) == [Code.TAX_CODE_UNMAPPED]
    wrong_subtotal = trade(lines=[line(tax_code="SST8")], totals=totals("200.00", "0", "200"))
    assert Code.TOTALS_MISMATCH in codes(check(wrong_subtotal))

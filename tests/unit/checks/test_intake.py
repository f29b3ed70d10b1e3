"""Intake: a payload that breaks the canonical contract never reaches the checks; parsing names
the field path and what was expected (it becomes INVALID_DOCUMENT)."""

from __future__ import annotations

from typing import Any

import pytest

from acgate.domain.documents import (
    FieldProblem,
    ItemDocument,
    PartyDocument,
    TradeDocument,
    parse_document,
)
from acgate.domain.values import JsonNumber

from .builders import item_doc, line, party_doc, payload


def problems(data: Any) -> list[FieldProblem]:
    result = parse_document(data)
    assert isinstance(result, list), "expected the payload to be refused"
    return result


def paths(data: Any) -> list[str]:
    return [p.path for p in problems(data)]


@pytest.mark.parametrize(("data", "path"), [
    (payload(source=None), "source"),
    (payload(party=None), "party"),
    (payload(lines=[]), "lines"),
    (payload(lines=[line(1), line(2, qty="-1")]), "lines[1].qty"),
    (payload(lines=[line(qty="0")]), "lines[0].qty"),
    (payload(lines=[line(qty=True)]), "lines[0].qty"),
    (payload(lines=[line(unit_price="-0.01")]), "lines[0].unit_price"),
    (payload(lines=[line(discount="120%")]), "lines[0].discount"),
    (payload(lines=[line(uom_rate="0")]), "lines[0].uom_rate"),
    (payload(date="2026-02-30"), "date"),
    (payload(date="2026-11-20T10:00:00+08:00"), "date"),
    (payload(version=None, updated_at="2026-11-20T10:00:00"), "updated_at"),
    (payload(version=None, updated_at="2026-11-20T10:00+08:00"), "updated_at"),
    (payload(version=None, updated_at="20261120T100000+0800"), "updated_at"),
    (payload(version=True), "version"),
    (payload(lines=[line(True)]), "lines[0].line"),
    (payload(lines=[line(2**31)]), "lines[0].line"),
    (payload(version=2**31), "version"),
    (payload(lines=[line(qty="1e999999")]), "lines[0].qty"),
    (payload(lines=[line(unit_price="1000000000000")]), "lines[0].unit_price"),
    (payload(totals={"total": JsonNumber("-1E+40")}), "totals.total"),
    (payload(currency="usd"), "currency"),
    (payload(currency="RM"), "currency"),
    (payload(currency="XYZ"), "currency"),
    (payload(currency="USD", currency_rate="0"), "currency_rate"),
    (payload(approval={"by": "mei.ling", "at": "2026-11-20T10:00:00+08:00", "version": 0}),
     "approval.version"),
])
def test_a_broken_trade_document_is_refused_at_the_field_that_breaks(data: dict[str, Any],
                                                                     path: str) -> None:
    assert paths(data) == [path]


def test_a_currency_is_an_iso_4217_code_and_a_made_up_one_says_so() -> None:
    [problem] = problems(payload(currency="XYZ", currency_rate="4.4"))
    assert (problem.path, problem.value) == ("currency", "XYZ")
    assert "ISO 4217" in problem.problem and "MYR" in problem.fix
    [party_problem] = problems({"source": "crm", "type": "customer", "id": "P-1", "version": 1,
                                "status": "ready", "code": "C-0100", "currency": "ABC"})
    assert party_problem.path == "currency"

    for code in ("SGD", "USD", "XAU", "MYR"):
        assert isinstance(parse_document(payload(currency=code, currency_rate="1")),
                          TradeDocument)


def test_a_price_is_required_except_where_the_contract_makes_it_optional() -> None:
    [problem] = problems(payload("sales_invoice", lines=[line(unit_price=None)]))
    assert problem.path == "lines[0].unit_price"
    assert "sales_invoice" in problem.problem

    for optional in ("delivery_order", "goods_received", "purchase_request"):
        assert isinstance(parse_document(payload(optional, lines=[line(unit_price=None)])),
                          TradeDocument)


def test_a_line_number_used_twice_is_refused_on_the_second_line() -> None:
    [problem] = problems(payload(lines=[line(1), line(1)]))

    assert problem.path == "lines[1].line"


def test_an_unknown_type_lists_the_known_ones() -> None:
    [problem] = problems({**payload(), "type": "quotation"})

    assert problem.path == "type"
    assert "sales_invoice" in problem.fix


def test_every_problem_of_a_payload_is_reported() -> None:
    assert paths(payload(source=None, lines=[line(qty="abc")])) == ["source", "lines[0].qty"]


def test_a_json_number_must_be_an_exact_decimal_of_at_most_six_places() -> None:
    refused = payload(lines=[line(unit_price=JsonNumber("1.1234567"))])
    accepted = parse_document(payload(lines=[line(unit_price=JsonNumber("148.00"))]))

    assert paths(refused) == ["lines[0].unit_price"]
    assert isinstance(accepted, TradeDocument)
    assert accepted.lines[0].unit_price == 148


def test_a_json_number_with_zeros_past_six_places_is_still_exact() -> None:
    # What a DECIMAL(18,8) column serialises as a number: 12.5 exactly.
    accepted = parse_document(payload(lines=[line(qty=JsonNumber("12.50000000"))]))

    assert isinstance(accepted, TradeDocument)
    assert accepted.lines[0].qty == 12.5


def test_too_large_a_number_names_the_field_and_the_limit() -> None:
    [problem] = problems(payload(lines=[line(qty="1e999999")]))

    assert problem.problem == (
        "1E+999999 is too large; expected a decimal of at most 12 digits before the point")


def test_rfc_3339_timestamps_may_spell_t_and_z_in_lower_case() -> None:
    lower = parse_document(payload(version=None, updated_at="2026-11-20t02:00:00z"))
    upper = parse_document(payload(version=None, updated_at="2026-11-20T10:00:00+08:00"))

    assert isinstance(lower, TradeDocument) and isinstance(upper, TradeDocument)
    assert lower.updated_at == upper.updated_at


def test_a_leap_second_is_rfc_3339_and_orders_after_the_rest_of_its_minute() -> None:
    leap = parse_document(payload(version=None, updated_at="2016-12-31T23:59:60Z"))
    before = parse_document(payload(version=None, updated_at="2016-12-31T23:59:59.5Z"))
    after = parse_document(payload(version=None, updated_at="2017-01-01T00:00:00Z"))

    assert isinstance(leap, TradeDocument) and isinstance(before, TradeDocument)
    assert isinstance(after, TradeDocument)
    assert before.updated_at < leap.updated_at < after.updated_at
    assert paths(payload(version=None, updated_at="2016-12-31T23:59:61Z")) == ["updated_at"]


def test_master_documents_are_refused_at_their_own_fields() -> None:
    customer = {"source": "crm", "type": "customer", "id": "P-1", "version": 1,
                "status": "ready"}
    item = {"source": "pim", "type": "item", "id": "I-1", "version": 1, "status": "ready",
            "code": "SKU-1", "uoms": [{"uom": "CTN", "rate": "0"}]}

    assert paths(customer) == ["code"]
    assert paths(item) == ["uoms[0].rate"]
    assert isinstance(party_doc(), PartyDocument)
    assert isinstance(item_doc(), ItemDocument)


def test_something_that_is_not_an_object_is_refused_whole() -> None:
    assert paths([payload()]) == [""]


def test_codes_that_arrive_as_numbers_are_text_and_spacing_is_trimmed() -> None:
    doc = parse_document(payload(lines=[line(item=1001, uom=" CTN ")]))

    assert isinstance(doc, TradeDocument)
    assert (doc.lines[0].item, doc.lines[0].uom) == ("1001", "CTN")

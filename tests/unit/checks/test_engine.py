"""The engine: every check runs, and the document's one outcome follows from its findings."""

from __future__ import annotations

import datetime as dt

from acgate.domain.codes import Code, Gap, Outcome

from .builders import (
    NOW,
    Gate,
    check,
    codes,
    company_rules,
    history,
    line,
    only,
    trade,
)


def test_a_held_finding_outweighs_a_waiting_one_and_both_are_reported() -> None:
    result = check(trade(status="draft", lines=[line(item="SKU-999")]))

    assert result.outcome is Outcome.HELD
    assert codes(result) == [Code.STATUS_NOT_READY, Code.ITEM_UNMAPPED]


def test_a_waiting_finding_outweighs_a_ready_note() -> None:
    gate = Gate()
    gate.receive(trade("sales_order"))
    delivery = trade("delivery_order", status="draft", lines=[
        line(qty="1", based_on_line={"type": "sales_order", "id": "SO-1", "line": 1})])

    result = gate.receive(delivery)

    assert result.outcome is Outcome.WAITING
    assert sorted(codes(result)) == [Code.PARTIAL_DELIVERY, Code.STATUS_NOT_READY]


def test_every_check_reports_on_the_same_version() -> None:
    rules = company_rules(types={"sales_invoice": {"approval_required": True,
                                                   "price_check": True}})
    doc = trade(status="on_hold", date="2026-12-01", agent="ali", currency="USD", currency_rate="1",
                lines=[line(1, item="SKU-OLD", uom="box", tax_code="SST8"),
                       line(2, unit_price="200.00", location="Ipoh")],
                totals={"subtotal": "1.00"})

    result = check(doc, rules=rules)

    assert set(codes(result)) == {
        Code.SOURCE_EXCEPTION, Code.CODE_UNMAPPED, Code.CURRENCY_MISMATCH, Code.ITEM_INACTIVE,
        Code.UOM_UNKNOWN, Code.TAX_CODE_UNMAPPED, Code.LOCATION_UNMAPPED,
        Code.PRICE_OUT_OF_TOLERANCE, Code.TOTALS_MISMATCH, Code.DATE_OUT_OF_RANGE,
        Code.APPROVAL_MISSING}
    assert result.outcome is Outcome.HELD


def test_each_finding_carries_its_gap() -> None:
    finding = only(check(trade(lines=[line(uom="box")])), Code.UOM_UNKNOWN)

    assert finding.gap is Gap.MAPPING
    assert finding.as_dict()["gap"] == "mapping"
    assert finding.as_dict()["field"] == "lines[0].uom"


def test_a_type_the_rules_do_not_sync_is_tracked_once_it_passes() -> None:
    rules = company_rules(types={"delivery_order": {"sync": False}})

    assert check(trade("delivery_order"), rules=rules).outcome is Outcome.TRACKED
    assert check(trade("delivery_order", branch="Ipoh"), rules=rules).outcome is Outcome.HELD


def test_a_synced_document_whose_new_version_changes_nothing_stays_synced() -> None:
    result = check(trade(version=2), history=history(synced=trade(), synced_doc_no="IV-1"))

    assert result.outcome is Outcome.SYNCED


# --- a company's overrides and people's releases ------------------------------------------------


def test_a_company_may_change_a_code_outcome_and_owner() -> None:
    rules = company_rules(codes={"DATE_OUT_OF_RANGE": {"outcome": "ready", "owner": "finance"}})

    result = check(trade(date="2026-11-21"), rules=rules)

    finding = only(result, Code.DATE_OUT_OF_RANGE)
    assert (finding.outcome, finding.owner) == (Outcome.READY, "finance")
    assert result.outcome is Outcome.READY
    assert only(check(trade(date="2026-11-21")), Code.DATE_OUT_OF_RANGE).owner == "accounts"


def test_a_company_may_hold_what_would_wait() -> None:
    rules = company_rules(codes={"STATUS_NOT_READY": {"outcome": "held"}})

    result = check(trade(status="draft"), rules=rules)

    assert result.outcome is Outcome.HELD
    assert only(result, Code.STATUS_NOT_READY).owner == "operations"


def test_a_company_may_change_only_the_owner() -> None:
    rules = company_rules(codes={"ITEM_INACTIVE": {"owner": "purchasing"}})

    finding = only(check(trade(lines=[line(item="SKU-OLD")]), rules=rules), Code.ITEM_INACTIVE)
    assert (finding.outcome, finding.owner) == (Outcome.HELD, "purchasing")


def test_a_released_code_becomes_a_ready_finding_that_names_who_released_it() -> None:
    result = check(trade(lines=[line(item="SKU-OLD")]),
                   history=history(released={Code.ITEM_INACTIVE: "mei.ling"}))

    finding = only(result, Code.ITEM_INACTIVE)
    assert (finding.outcome, finding.released_by) == (Outcome.READY, "mei.ling")
    assert finding.as_dict()["released_by"] == "mei.ling"
    assert result.outcome is Outcome.READY


def test_a_release_covers_only_its_own_code() -> None:
    result = check(trade(lines=[line(item="SKU-OLD", tax_code="SST8")]),
                   history=history(released={Code.ITEM_INACTIVE: "mei.ling"}))

    assert result.outcome is Outcome.HELD
    assert only(result, Code.TAX_CODE_UNMAPPED).released_by is None


def test_a_released_wait_does_not_expire() -> None:
    rules = company_rules(types={"sales_invoice": {"approval_required": True}})
    long_ago = NOW - dt.timedelta(days=10)

    result = check(trade(), rules=rules, history=history(
        first_received_at=long_ago, released={Code.APPROVAL_MISSING: "mei.ling"}))

    assert codes(result) == [Code.APPROVAL_MISSING]
    assert result.outcome is Outcome.READY


def test_an_expired_wait_can_itself_be_released() -> None:
    result = check(trade(status="draft"), history=history(
        first_received_at=NOW - dt.timedelta(days=10), released={Code.WAIT_EXPIRED: "ops.lead"}))

    assert only(result, Code.WAIT_EXPIRED).released_by == "ops.lead"
    assert result.outcome is Outcome.WAITING

"""Rule gap 4, timing: at once, after what it depends on, in a batch window, on release, and
how long a record may wait."""

from __future__ import annotations

import datetime as dt

import pytest

from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import TradeDocument

from .builders import (
    KL,
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

AFTER_DELIVERY = company_rules(types={"sales_invoice": {"timing": "after_dependency"}})


def invoice_on(*delivery_ids: str) -> TradeDocument:
    return trade(based_on=[{"type": "delivery_order", "id": d} for d in delivery_ids])


def test_a_follower_waits_for_a_document_that_has_not_arrived() -> None:
    result = Gate(rules=AFTER_DELIVERY).receive(invoice_on("DO-1"))

    finding = only(result, Code.DEPENDENCY_PENDING)
    assert result.outcome is Outcome.WAITING
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.WAITING, "operations",
                                                               "based_on")
    assert finding.source_value == "shopfront/delivery_order/DO-1"
    assert "has not arrived" in finding.message
    assert finding.blocker == ("document", "shopfront/delivery_order/DO-1")


def test_a_follower_waits_while_its_dependency_is_ready_but_not_synced() -> None:
    gate = Gate(rules=AFTER_DELIVERY)
    gate.receive(trade("delivery_order"))

    finding = only(gate.receive(invoice_on("DO-1")), Code.DEPENDENCY_PENDING)
    assert "is ready" in finding.message


def test_a_synced_dependency_lets_the_follower_go() -> None:
    gate = Gate(rules=AFTER_DELIVERY)
    delivery = trade("delivery_order")
    gate.receive(delivery)
    gate.settle(delivery, Outcome.SYNCED)

    result = gate.receive(invoice_on("DO-1"))
    assert result.outcome is Outcome.READY
    assert codes(result) == []


def test_a_synced_dependency_still_lets_the_follower_go_while_its_newer_version_is_held(
) -> None:
    gate = Gate(rules=AFTER_DELIVERY)
    delivery = trade("delivery_order")
    gate.receive(delivery)
    gate.settle(delivery, Outcome.SYNCED)
    changed = trade("delivery_order", version=2, lines=[line(qty="3")])
    assert gate.receive(changed, synced=delivery).outcome is Outcome.HELD  # policy: review

    result = gate.receive(invoice_on("DO-1"))

    assert codes(result) == []
    assert result.outcome is Outcome.READY


def test_a_tracked_dependency_of_a_type_that_never_syncs_lets_the_follower_go() -> None:
    rules = company_rules(types={"sales_invoice": {"timing": "after_dependency"},
                                 "delivery_order": {"sync": False}})
    gate = Gate(rules=rules)
    assert gate.receive(trade("delivery_order")).outcome is Outcome.TRACKED

    assert gate.receive(invoice_on("DO-1")).outcome is Outcome.READY


def test_every_unsynced_dependency_is_named_once() -> None:
    gate = Gate(rules=AFTER_DELIVERY)
    first = trade("delivery_order")
    gate.receive(first)
    gate.settle(first, Outcome.SYNCED)
    doc = trade(based_on=[{"type": "delivery_order", "id": "DO-1"},
                          {"type": "delivery_order", "id": "DO-2"}],
                lines=[line(based_on_line={"type": "delivery_order", "id": "DO-2", "line": 1})])

    result = gate.receive(doc)

    assert [f.source_value for f in result.findings] == ["shopfront/delivery_order/DO-2"]


def test_a_line_reference_alone_is_a_dependency() -> None:
    doc = trade(lines=[line(based_on_line={"type": "delivery_order", "id": "DO-9", "line": 1})])

    finding = only(Gate(rules=AFTER_DELIVERY).receive(doc), Code.DEPENDENCY_PENDING)
    assert finding.field == "lines[0].based_on_line"


def test_a_dependency_of_another_source_is_found_there() -> None:
    gate = Gate(rules=AFTER_DELIVERY)
    delivery = trade("delivery_order", source="wms")
    gate.receive(delivery)
    gate.settle(delivery, Outcome.SYNCED)

    assert gate.receive(invoice_on("DO-1")).outcome is Outcome.READY


def test_a_type_that_syncs_after_its_dependencies_and_names_none_syncs_at_once() -> None:
    assert codes(check(trade(), rules=AFTER_DELIVERY)) == []


def test_types_that_sync_at_once_do_not_wait_for_what_they_name() -> None:
    assert codes(Gate().receive(invoice_on("DO-1"))) == []


# --- batch windows and manual release -----------------------------------------------------------

EVENING_BATCH = company_rules(types={"sales_invoice": {"timing": "batch",
                                                       "schedule": "0 18 * * *"}})
SIX_PM = dt.datetime(2026, 11, 20, 18, 0, tzinfo=KL)


def test_a_batch_type_waits_for_its_window_in_the_company_time_zone() -> None:
    result = check(trade(), rules=EVENING_BATCH)

    finding = only(result, Code.SCHEDULED_BATCH)
    assert result.outcome is Outcome.WAITING
    assert (finding.outcome, finding.owner) == (Outcome.WAITING, "-")
    assert result.scheduled_for == SIX_PM


def test_once_the_window_opens_the_batch_type_is_ready_for_it() -> None:
    result = check(trade(), rules=EVENING_BATCH, now=SIX_PM)

    assert result.outcome is Outcome.READY
    assert result.scheduled_for == SIX_PM


@pytest.mark.parametrize("received", [SIX_PM, SIX_PM + dt.timedelta(seconds=59)])
def test_a_document_received_in_the_minute_its_window_opens_goes_in_that_window(
        received: dt.datetime) -> None:
    result = check(trade(), rules=EVENING_BATCH, now=received,
                   history=history(first_received_at=received))

    assert result.outcome is Outcome.READY
    assert result.scheduled_for == SIX_PM


def test_a_document_received_after_the_window_minute_waits_for_the_next_window() -> None:
    received = SIX_PM + dt.timedelta(minutes=1)
    result = check(trade(), rules=EVENING_BATCH, now=received,
                   history=history(first_received_at=received))

    assert Code.SCHEDULED_BATCH in codes(result)
    assert result.scheduled_for == SIX_PM + dt.timedelta(days=1)


def test_a_monthly_window_at_midnight_is_read_in_the_company_time_zone_across_a_month_end(
) -> None:
    rules = company_rules(types={"sales_invoice": {"timing": "batch",
                                                   "schedule": "0 0 1 * *"}})
    # 16:00 UTC on 31 January is midnight on 1 February in Kuala Lumpur: the window is open.
    midnight = dt.datetime(2026, 1, 31, 16, 0, tzinfo=dt.UTC)
    a_second_before = midnight - dt.timedelta(seconds=1)

    opened = check(trade(date="2026-01-31"), rules=rules, now=midnight,
                   history=history(first_received_at=midnight))
    before = check(trade(date="2026-01-31"), rules=rules, now=a_second_before,
                   history=history(first_received_at=a_second_before))

    assert opened.outcome is Outcome.READY
    assert opened.scheduled_for == dt.datetime(2026, 2, 1, tzinfo=KL)
    assert Code.SCHEDULED_BATCH in codes(before)
    assert before.scheduled_for == dt.datetime(2026, 2, 1, tzinfo=KL)


def test_a_manual_type_waits_for_a_person_to_release_it() -> None:
    rules = company_rules(types={"sales_invoice": {"timing": "manual"}})

    finding = only(check(trade(), rules=rules), Code.MANUAL_RELEASE)
    assert (finding.outcome, finding.owner) == (Outcome.WAITING, "operations")
    released = check(trade(), rules=rules, history=history(manual_release_by="mei.ling"))
    assert released.outcome is Outcome.READY


# --- maximum wait (default 72h, measured from first receipt) ------------------------------------


def test_waiting_exactly_the_maximum_is_not_expired() -> None:
    result = check(trade(status="draft"),
                   history=history(first_received_at=NOW - dt.timedelta(hours=72)))

    assert result.outcome is Outcome.WAITING
    assert codes(result) == [Code.STATUS_NOT_READY]


def test_waiting_past_the_maximum_is_held_for_operations() -> None:
    result = check(trade(status="draft"),
                   history=history(first_received_at=NOW - dt.timedelta(hours=72, seconds=1)))

    finding = only(result, Code.WAIT_EXPIRED)
    assert result.outcome is Outcome.HELD
    assert (finding.outcome, finding.owner) == (Outcome.HELD, "operations")
    assert Code.STATUS_NOT_READY in codes(result)


def test_the_maximum_wait_of_the_type_overrides_the_company_one() -> None:
    rules = company_rules(types={"sales_invoice": {"max_wait": "2h"}})
    three_hours = history(first_received_at=NOW - dt.timedelta(hours=3))

    assert Code.WAIT_EXPIRED in codes(check(trade(status="draft"), rules=rules,
                                            history=three_hours))
    assert Code.WAIT_EXPIRED not in codes(check(trade("sales_order", status="draft"),
                                                rules=rules, history=three_hours))


def test_a_record_that_is_not_waiting_never_expires() -> None:
    long_ago = history(first_received_at=NOW - dt.timedelta(days=30))

    assert codes(check(trade(status="on_hold"), history=long_ago)) == [Code.SOURCE_EXCEPTION]
    assert check(trade(), history=long_ago).outcome is Outcome.READY

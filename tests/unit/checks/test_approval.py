"""Rule gap 3, approval and versioning: which version may reach AutoCount, and what a change
after sync does."""

from __future__ import annotations

from typing import Any

import pytest

from acgate.checks.context import Assessment
from acgate.domain.codes import Code, Outcome
from acgate.domain.rules import CancelPolicy, VersionPolicy

from .builders import check, codes, company_rules, history, line, only, trade

NEEDS_APPROVAL = company_rules(types={"sales_invoice": {"approval_required": True}})


def approval(version: int) -> dict[str, Any]:
    return {"by": "mei.ling", "at": "2026-11-19T10:15:00+08:00", "version": version}


def test_a_type_that_requires_approval_waits_for_one() -> None:
    result = check(trade(), rules=NEEDS_APPROVAL)

    finding = only(result, Code.APPROVAL_MISSING)
    assert result.outcome is Outcome.WAITING
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.WAITING, "operations",
                                                               "approval")


def test_an_approval_of_the_current_version_counts() -> None:
    result = check(trade(version=3, approval=approval(3)), rules=NEEDS_APPROVAL)

    assert result.outcome is Outcome.READY
    assert codes(result) == []


def test_a_type_without_approval_rules_needs_none() -> None:
    assert codes(check(trade())) == []


def test_an_approval_of_an_older_version_is_stale_and_held() -> None:
    result = check(trade(version=2, approval=approval(1)), rules=NEEDS_APPROVAL)

    finding = only(result, Code.APPROVAL_STALE)
    assert result.outcome is Outcome.HELD
    assert Code.APPROVAL_MISSING not in codes(result)
    assert (finding.owner, finding.field) == ("operations", "approval.version")
    assert (finding.source_value, finding.expected) == ("1", "2")


def test_a_price_changed_since_the_approved_version_is_held_beside_the_stale_approval() -> None:
    approved = trade(version=1, approval=approval(1))
    current = trade(version=2, approval=approval(1), lines=[line(unit_price="125.00")])

    result = check(current, rules=NEEDS_APPROVAL, history=history(approved=approved))

    assert sorted(codes(result)) == [Code.APPROVAL_STALE, Code.PRICE_CHANGED]
    finding = only(result, Code.PRICE_CHANGED)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "lines[0].unit_price")
    assert (finding.source_value, finding.expected) == ("125", "120")


def test_the_same_price_spelled_differently_is_not_a_price_change() -> None:
    approved = trade(version=1, approval=approval(1), lines=[line(unit_price="148")])
    current = trade(version=2, approval=approval(1), lines=[line(unit_price="148.00")])

    result = check(current, rules=NEEDS_APPROVAL, history=history(approved=approved))

    assert codes(result) == [Code.APPROVAL_STALE]


def test_a_new_approval_covers_a_changed_price() -> None:
    approved = trade(version=1, approval=approval(1))
    current = trade(version=2, approval=approval(2), lines=[line(unit_price="125.00")])

    assert codes(check(current, rules=NEEDS_APPROVAL, history=history(approved=approved))) == []


def test_a_line_added_in_a_new_version_has_no_earlier_price_to_differ_from() -> None:
    approved = trade(version=1, approval=approval(1))
    current = trade(version=2, approval=approval(1),
                    lines=[line(1), line(2, unit_price="999.00")])

    result = check(current, rules=NEEDS_APPROVAL, history=history(approved=approved))

    assert Code.PRICE_CHANGED not in codes(result)


def test_a_price_changed_after_sync_without_a_new_approval_is_held() -> None:
    synced = trade(version=1)
    current = trade(version=2, lines=[line(unit_price="130.00")])

    result = check(current, history=history(synced=synced, synced_doc_no="IV-00012"))

    assert only(result, Code.PRICE_CHANGED).expected == "120"
    assert result.outcome is Outcome.HELD


# --- a newer version of a synced document -------------------------------------------------------


def after_sync(policy: VersionPolicy, **changes: Any) -> Assessment:
    rules = company_rules(types={"sales_invoice": {"version_policy": policy.value}})
    return check(trade(version=2, **changes), rules=rules,
                 history=history(synced=trade(version=1), synced_doc_no="IV-00012"))


@pytest.mark.parametrize(("policy", "outcome"), [
    (VersionPolicy.UPDATE, Outcome.READY),
    (VersionPolicy.NEW_DOCUMENT, Outcome.READY),
    (VersionPolicy.REVERSE, Outcome.READY),
    (VersionPolicy.BLOCK, Outcome.HELD),
    (VersionPolicy.REVIEW, Outcome.HELD),
])
def test_a_change_after_sync_follows_the_version_policy(policy: VersionPolicy,
                                                        outcome: Outcome) -> None:
    result = after_sync(policy, reference="PO-7781-B")

    finding = only(result, Code.CHANGED_AFTER_SYNC)
    assert (finding.outcome, finding.owner, finding.field) == (outcome, "accounts", "reference")
    assert finding.source_value == "PO-7781-B"
    assert policy.value in finding.message and "IV-00012" in finding.message
    assert result.outcome is outcome  # never `synced`: the change still has to reach AutoCount


def test_a_new_version_that_changes_only_its_status_and_number_stays_synced() -> None:
    result = after_sync(VersionPolicy.BLOCK, status="READY")

    assert codes(result) == []
    assert result.outcome is Outcome.SYNCED


def test_number_spelling_is_not_a_change_after_sync() -> None:
    result = after_sync(VersionPolicy.BLOCK, lines=[line(qty="2.000", unit_price="120")])

    assert result.outcome is Outcome.SYNCED


# --- a synced document cancelled at the source --------------------------------------------------


@pytest.mark.parametrize(("policy", "outcome"), [
    (CancelPolicy.REVERSE, Outcome.READY),
    (CancelPolicy.BLOCK, Outcome.HELD),
    (CancelPolicy.REVIEW, Outcome.HELD),
])
def test_a_cancellation_after_sync_follows_the_cancel_policy(policy: CancelPolicy,
                                                             outcome: Outcome) -> None:
    rules = company_rules(types={"sales_invoice": {"cancel_policy": policy.value}})

    result = check(trade(version=2, status="cancelled"), rules=rules,
                   history=history(synced=trade(version=1), synced_doc_no="IV-00012"))

    finding = only(result, Code.CANCELLED_AFTER_SYNC)
    assert (finding.outcome, finding.owner, finding.field) == (outcome, "accounts", "status")
    assert "IV-00012" in finding.message
    assert result.outcome is outcome
    assert Code.CHANGED_AFTER_SYNC not in codes(result)


def test_a_cancellation_before_sync_is_a_rejection_not_a_cancellation_after_sync() -> None:
    result = check(trade(version=2, status="cancelled"))

    assert result.outcome is Outcome.REJECTED
    assert codes(result) == []


def test_a_line_changed_after_sync_is_named_by_its_path_in_the_document() -> None:
    synced = trade(lines=[line(1), line(7)])

    changed = check(trade(version=2, lines=[line(1), line(7, qty="5")]),
                    history=history(synced=synced))
    removed = check(trade(version=2, lines=[line(7)]), history=history(synced=synced))

    assert only(changed, Code.CHANGED_AFTER_SYNC).field == "lines[1].qty"
    assert "lines[line=7].qty: 2 -> 5" in only(changed, Code.CHANGED_AFTER_SYNC).message
    assert only(removed, Code.CHANGED_AFTER_SYNC).field == "lines"

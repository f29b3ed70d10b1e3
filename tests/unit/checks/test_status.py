"""Rule gap 1, status: which source status words may reach AutoCount."""

from __future__ import annotations

from acgate.domain.codes import Code, Outcome

from .builders import check, codes, company_rules, history, only, trade


def test_a_status_waiting_by_rule_makes_the_document_wait_for_operations() -> None:
    result = check(trade(status="draft"))

    finding = only(result, Code.STATUS_NOT_READY)
    assert result.outcome is Outcome.WAITING
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.WAITING, "operations",
                                                               "status")
    assert finding.source_value == "draft"
    assert finding.expected == "ready"


def test_status_words_are_compared_trimmed_and_case_insensitively() -> None:
    result = check(trade(status="  Ready "))

    assert result.outcome is Outcome.READY
    assert codes(result) == []


def test_a_word_no_list_knows_is_held_for_integration() -> None:
    result = check(trade(status="shipped"))

    finding = only(result, Code.STATUS_UNKNOWN)
    assert result.outcome is Outcome.HELD
    assert (finding.owner, finding.field, finding.source_value) == ("integration", "status",
                                                                    "shipped")


def test_a_word_another_type_knows_is_still_unknown_for_this_type() -> None:
    rules = company_rules(types={"delivery_order": {"statuses": {"ready": ["ready", "shipped"]}}})

    assert check(trade("delivery_order", status="shipped"), rules=rules).outcome is Outcome.READY
    invoice = check(trade("sales_invoice", status="shipped"), rules=rules)
    assert codes(invoice) == [Code.STATUS_UNKNOWN]


def test_a_type_without_status_lists_knows_no_word() -> None:
    rules = company_rules(types={"credit_note": None})

    assert codes(check(trade("credit_note"), rules=rules)) == [Code.STATUS_UNKNOWN]


def test_the_source_marking_a_record_as_an_exception_holds_it_for_operations() -> None:
    result = check(trade(status="ON_HOLD"))

    finding = only(result, Code.SOURCE_EXCEPTION)
    assert result.outcome is Outcome.HELD
    assert (finding.owner, finding.field) == ("operations", "status")
    assert [s.action for s in finding.suggestions] == ["fix_source"]


def test_cancelled_before_it_ever_synced_is_rejected_without_a_finding_to_fix() -> None:
    result = check(trade(status="Cancelled"))

    assert result.outcome is Outcome.REJECTED
    assert Code.CANCELLED_AFTER_SYNC not in codes(result)


def test_cancelled_before_sync_is_rejected_even_when_other_checks_would_hold_it() -> None:
    result = check(trade(status="cancelled", lines=[{"line": 1, "item": "SKU-999", "uom": "pcs",
                                                    "qty": "1", "unit_price": "1"}]))

    assert result.outcome is Outcome.REJECTED
    assert Code.ITEM_UNMAPPED in codes(result)


def test_a_cancelled_word_on_a_synced_document_is_not_a_plain_rejection() -> None:
    synced = trade()
    result = check(trade(version=2, status="cancelled"),
                   history=history(synced=synced, synced_doc_no="IV-00012"))

    assert result.outcome is not Outcome.REJECTED
    assert codes(result) == [Code.CANCELLED_AFTER_SYNC]

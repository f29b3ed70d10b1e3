"""Rule gap 5, duplicates: a party AutoCount already has, a document already synced or queued."""

from __future__ import annotations

from typing import Any

import pytest

from acgate.domain.codes import Code, Outcome

from .builders import Gate, check, codes, company_rules, line, only, party_doc, targets, trade

# --- parties (AutoCount has debtor 300-M001 Syarikat Maju Jaya Sdn Bhd) -------------------------


@pytest.mark.parametrize("looks_alike", [
    {"tin": "C20880011020"},
    {"brn": "2019-0100-0123"},
    {"email": "Accounts@MajuJaya.my"},
    {"phone": "04-222 1234"},
    {"name": "Maju-Jaya S/B"},
])
def test_a_new_customer_like_an_existing_debtor_is_held_for_accounts(
        looks_alike: dict[str, str]) -> None:
    result = check(party_doc(**{"name": "MJ Holdings", **looks_alike}))

    finding = only(result, Code.DUPLICATE_PARTY)
    assert result.outcome is Outcome.HELD
    assert (finding.owner, finding.field) == ("accounts", "name")
    assert targets(finding) == ["300-M001", None]
    assert [s.action for s in finding.suggestions] == ["map", "release"]
    assert finding.blocker == ("customer", "C-0100")


def test_an_unrelated_new_customer_is_not_a_duplicate() -> None:
    result = check(party_doc(name="Kedai Runcit Ah Seng", phone="05-555 0000",
                             email="ahseng@example.my"))

    assert codes(result) == []
    assert [(c.kind, c.found) for c in result.duplicate_checks] == [("party", ())]


def test_a_customer_already_mapped_is_an_update_not_a_new_party() -> None:
    assert codes(check(party_doc(code="C-0042", name="Syarikat Maju Jaya Sdn Bhd"))) == []


def test_a_new_supplier_is_compared_with_creditors_not_debtors() -> None:
    assert codes(check(party_doc("supplier", code="S-99", tin="C20880011020"))) == []
    assert codes(check(party_doc("supplier", code="S-99", name="Bekalan Timur S/B"))) == [
        Code.DUPLICATE_PARTY]


# --- documents ----------------------------------------------------------------------------------

UNIQUE_PO = company_rules(types={"sales_order": {"unique_reference": True}})


def test_a_reused_unique_reference_is_held_and_the_first_arrival_keeps_its_place() -> None:
    gate = Gate(rules=UNIQUE_PO)
    first = trade("sales_order", id="SO-1", reference="PO-7781")
    gate.receive(first)

    second = gate.receive(trade("sales_order", id="SO-2", reference="PO-7781",
                                lines=[line(qty="5")]))

    finding = only(second, Code.DUPLICATE_DOCUMENT)
    assert second.outcome is Outcome.HELD
    assert (finding.owner, finding.field, finding.source_value) == ("accounts", "reference",
                                                                    "PO-7781")
    assert "shopfront/sales_order/SO-1" in finding.message
    assert codes(gate.receive(first)) == []  # re-checked later, the first is still not flagged


def test_a_unique_reference_is_unique_per_party() -> None:
    gate = Gate(rules=UNIQUE_PO)
    gate.receive(trade("sales_order", id="SO-1", reference="PO-7781"))

    other_party = trade("sales_order", id="SO-2", reference="PO-7781",
                        party={"code": "C-USD"}, currency="USD", currency_rate="4.40")
    assert codes(gate.receive(other_party)) == []


def test_a_reference_is_not_unique_where_the_rules_do_not_say_so() -> None:
    gate = Gate()
    gate.receive(trade("sales_order", id="SO-1", reference="PO-7781"))

    assert codes(gate.receive(trade("sales_order", id="SO-2", reference="PO-7781",
                                    lines=[line(qty="5")]))) == []


def test_a_rejected_earlier_document_does_not_count() -> None:
    gate = Gate(rules=UNIQUE_PO)
    first = trade("sales_order", id="SO-1", reference="PO-7781")
    gate.receive(first)
    gate.settle(first, Outcome.REJECTED)

    assert codes(gate.receive(trade("sales_order", id="SO-2", reference="PO-7781"))) == []


def test_the_same_party_date_reference_and_total_is_a_duplicate_of_any_trade_type() -> None:
    gate = Gate()
    gate.receive(trade(id="INV-1", reference="PO-7781"))

    second = gate.receive(trade(id="INV-2", reference="PO-7781"))

    assert codes(second) == [Code.DUPLICATE_DOCUMENT]
    assert "natural key" in only(second, Code.DUPLICATE_DOCUMENT).message


@pytest.mark.parametrize("differs", [
    {"date": "2026-11-18"},
    {"reference": "PO-7782"},
    {"lines": [line(qty="3")]},
    {"party": {"code": "C-USD"}, "currency": "USD", "currency_rate": "4.40"},
])
def test_a_natural_key_that_differs_in_one_part_is_not_a_duplicate(
        differs: dict[str, Any]) -> None:
    gate = Gate()
    gate.receive(trade(id="INV-1", reference="PO-7781"))

    assert codes(gate.receive(trade(**{"id": "INV-2", "reference": "PO-7781", **differs}))) == []


def test_without_a_reference_there_is_no_natural_key() -> None:
    gate = Gate()
    gate.receive(trade(id="INV-1"))

    assert codes(gate.receive(trade(id="INV-2"))) == []


def test_duplicates_are_looked_for_within_the_same_type_only() -> None:
    gate = Gate()
    gate.receive(trade("sales_order", id="SO-1", reference="PO-7781"))

    assert codes(gate.receive(trade("sales_invoice", id="INV-1", reference="PO-7781"))) == []

"""Rule gap 2, mapping and UOM: every source code must become an AutoCount code that exists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest

from acgate.checks.context import Assessment
from acgate.domain.codes import Code, Outcome
from acgate.service.records import assessment_json, expand_mapping

from .builders import (
    NOW,
    check,
    codes,
    company_rules,
    item_doc,
    line,
    only,
    party_doc,
    targets,
    trade,
)

# --- parties ------------------------------------------------------------------------------------


def test_a_customer_without_a_debtor_code_is_held_for_accounts() -> None:
    result = check(trade(party={"code": "C-0999", "name": "Kedai Runcit Ah Seng"}))

    finding = only(result, Code.PARTY_UNMAPPED)
    assert result.outcome is Outcome.HELD
    assert (finding.owner, finding.field, finding.source_value) == ("accounts", "party.code",
                                                                    "C-0999")
    assert finding.blocker == ("customer", "C-0999")


def test_an_unmapped_party_is_offered_the_debtor_with_the_same_tin() -> None:
    result = check(trade(party={"code": "C-0999", "name": "MJ Trading", "tin": "C2088-0011020"}))

    finding = only(result, Code.PARTY_UNMAPPED)
    assert targets(finding) == ["300-M001"]
    assert finding.suggestions[0].table == "customer"
    assert finding.suggestions[0].source_code == "C-0999"


def test_a_purchase_party_is_looked_up_among_the_suppliers() -> None:
    # C-0042 is a mapped customer, but a purchase order's party is a supplier.
    result = check(trade("purchase_order", party={"code": "C-0042"}))

    assert only(result, Code.PARTY_UNMAPPED).blocker == ("supplier", "C-0042")
    assert codes(check(trade("purchase_order"))) == []


def test_mappings_are_case_sensitive() -> None:
    assert Code.PARTY_UNMAPPED in codes(check(trade(party={"code": "c-0042"})))


def test_a_code_equal_to_an_autocount_code_needs_the_rules_to_allow_identity_mapping() -> None:
    doc = trade(party={"code": "300-M001"})

    finding = only(check(doc), Code.PARTY_UNMAPPED)
    assert targets(finding) == ["300-M001"]  # offered, never applied silently
    allowed = company_rules(mappings={"identity": ["customer"]})
    assert codes(check(doc, rules=allowed)) == []


def test_identity_mapping_for_one_table_does_not_open_another() -> None:
    rules = company_rules(mappings={"identity": ["item"]})

    result = check(trade(party={"code": "300-M001"}, lines=[line(item="WIDGET")]), rules=rules)

    assert codes(result) == [Code.PARTY_UNMAPPED]


def test_a_party_document_describes_the_party_and_needs_no_party_mapping() -> None:
    assert Code.PARTY_UNMAPPED not in codes(check(party_doc(code="C-0999")))


# --- items --------------------------------------------------------------------------------------


def test_an_item_without_an_autocount_item_is_held_on_its_line() -> None:
    result = check(trade(lines=[line(1), line(2, item="SKU-999")]))

    finding = only(result, Code.ITEM_UNMAPPED)
    assert result.outcome is Outcome.HELD
    assert (finding.owner, finding.field, finding.source_value) == ("accounts", "lines[1].item",
                                                                    "SKU-999")
    assert finding.blocker == ("item", "SKU-999")


def test_an_item_mapped_to_a_code_autocount_lacks_is_unmapped() -> None:
    rules = company_rules(mappings={"item": {"SKU-100": "GONE"}})

    assert codes(check(trade(), rules=rules)) == [Code.ITEM_UNMAPPED]


def test_an_unmapped_item_is_offered_the_identical_autocount_code() -> None:
    finding = only(check(trade(lines=[line(item="WIDGET")])), Code.ITEM_UNMAPPED)

    assert targets(finding) == ["WIDGET"]
    assert codes(check(trade(lines=[line(item="WIDGET")]),
                       rules=company_rules(mappings={"identity": ["item"]}))) == []


def test_an_inactive_autocount_item_is_held_for_accounts() -> None:
    result = check(trade(lines=[line(item="SKU-OLD")]))

    finding = only(result, Code.ITEM_INACTIVE)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "lines[0].item")


def test_an_active_item_is_not_inactive() -> None:
    assert Code.ITEM_INACTIVE not in codes(check(trade()))


# --- locations ----------------------------------------------------------------------------------


def test_an_unmapped_branch_is_held_for_operations() -> None:
    result = check(trade(branch="Ipoh"))

    finding = only(result, Code.LOCATION_UNMAPPED)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "operations",
                                                               "branch")
    assert finding.source_value == "Ipoh"


def test_an_unmapped_branch_is_one_finding_however_many_lines_use_it() -> None:
    result = check(trade(branch="Ipoh", lines=[line(1), line(2, location="HQ"), line(3)]))

    assert [f.field for f in result.findings] == ["branch"]
    assert [f.field for f in check(trade(branch=None, lines=[line(1), line(2)])).findings] == [
        "branch"]


def test_a_line_location_overrides_the_branch() -> None:
    unmapped_line = check(trade(lines=[line(location="Ipoh")]))
    assert only(unmapped_line, Code.LOCATION_UNMAPPED).field == "lines[0].location"

    # The branch is unknown, but no line falls back to it.
    assert codes(check(trade(branch="Ipoh", lines=[line(location="HQ")]))) == []


def test_without_branch_or_line_location_the_default_location_applies() -> None:
    doc = trade(branch=None)

    assert codes(check(doc, rules=company_rules(default_location="HQ"))) == []
    assert codes(check(doc)) == [Code.LOCATION_UNMAPPED]
    assert codes(check(doc, rules=company_rules(default_location="NOWHERE"))) == [
        Code.LOCATION_UNMAPPED]


# --- UOMs ---------------------------------------------------------------------------------------


def test_a_uom_the_item_does_not_have_is_held_with_the_item_uoms_as_suggestions() -> None:
    result = check(trade(lines=[line(uom="box")]))

    finding = only(result, Code.UOM_UNKNOWN)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "lines[0].uom")
    assert targets(finding) == ["PCS", "CTN"]
    assert {s.table for s in finding.suggestions} == {"uom"}
    assert {s.source_code for s in finding.suggestions} == {"box"}


@pytest.mark.parametrize(("word", "autocount_uom", "base_qty"), [
    ("carton", "CTN", "24"), (" Carton ", "CTN", "24"), ("CARTON", "CTN", "24"),
    ("ctn", "CTN", "24"), ("Ctn ", "CTN", "24"), ("PCS", "PCS", "2"),
])
def test_uom_words_go_through_aliases_trimmed_and_case_insensitively(
        word: str, autocount_uom: str, base_qty: str) -> None:
    result = check(trade(lines=[line(uom=word)]))

    assert codes(result) == []
    [conversion] = result.conversions
    assert (conversion.autocount_uom, conversion.base_qty) == (autocount_uom, Decimal(base_qty))


def test_an_alias_to_a_uom_the_item_lacks_is_unknown() -> None:
    rules = company_rules(mappings={"uom": {"box": "BOX"}})

    assert codes(check(trade(lines=[line(uom="box")]), rules=rules)) == [Code.UOM_UNKNOWN]


def test_a_stated_uom_rate_that_disagrees_with_autocount_is_held() -> None:
    result = check(trade(lines=[line(uom="carton", uom_rate="10")]))

    finding = only(result, Code.UOM_RATE_MISMATCH)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "lines[0].uom_rate")
    assert (finding.source_value, finding.expected) == ("10", "12")


def test_a_stated_uom_rate_equal_as_a_decimal_is_accepted() -> None:
    assert codes(check(trade(lines=[line(uom="Carton", uom_rate="12.000")]))) == []


def test_an_item_document_whose_uom_rates_disagree_with_autocount_is_held() -> None:
    result = check(item_doc(uoms=[{"uom": "pcs", "rate": "1"}, {"uom": "carton", "rate": "10"}]))

    finding = only(result, Code.UOM_RATE_MISMATCH)
    assert finding.field == "uoms[1].rate"
    assert finding.expected == "12"
    assert [s.action for s in finding.suggestions] == ["fix_source"]  # its way out
    assert codes(check(item_doc(uoms=[{"uom": "carton", "rate": "12.0"}]))) == []
    # The trace shows what the source stated against AutoCount's setup, as for a line.
    carton = result.conversions[1]
    assert (carton.field, carton.source_uom, carton.alias, carton.autocount_uom) == (
        "uoms[1].uom", "carton", "CTN", "CTN")
    assert (carton.autocount_rate, carton.source_rate, carton.base_uom) == (12, 10, "PCS")


def test_a_new_item_document_has_nothing_in_autocount_to_disagree_with() -> None:
    assert codes(check(item_doc(code="SKU-NEW", uoms=[{"uom": "CTN", "rate": "10"}]))) == []


# --- tax and other codes ------------------------------------------------------------------------


def test_an_unmapped_tax_code_is_held_on_its_line() -> None:
    result = check(trade(lines=[line(tax_code="SST8")]))

    finding = only(result, Code.TAX_CODE_UNMAPPED)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "lines[0].tax_code")
    assert finding.blocker == ("tax", "SST8")


def test_a_line_without_tax_code_needs_no_tax_mapping() -> None:
    assert codes(check(trade(lines=[line(tax_code=None)]))) == []


def test_a_tax_code_equal_to_an_autocount_code_is_accepted_only_with_identity_mapping() -> None:
    doc = trade(lines=[line(tax_code="S-10")])

    assert targets(only(check(doc), Code.TAX_CODE_UNMAPPED)) == ["S-10"]
    assert codes(check(doc, rules=company_rules(mappings={"identity": ["tax"]}))) == []


@pytest.mark.parametrize(("field", "value"), [
    ("agent", "ali"), ("project", "reno"), ("department", "ops"), ("terms", "60 days"),
])
def test_an_unmapped_agent_project_department_or_terms_word_is_held(field: str,
                                                                    value: str) -> None:
    finding = only(check(trade(**{field: value})), Code.CODE_UNMAPPED)

    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts", field)
    assert finding.source_value == value


def test_mapped_agent_project_department_and_terms_pass() -> None:
    doc = trade(agent="mei", project="fitout", department="sales", terms="30 days")

    assert codes(check(doc)) == []
    assert [(m.field, m.autocount_value) for m in check(doc).mapped
            if m.field in {"agent", "project", "department", "terms"}] == [
        ("agent", "AG-MEI"), ("project", "P-FIT"), ("department", "D-SALES"), ("terms", "C30")]


def test_a_party_document_with_unmapped_terms_or_tax_code_is_held() -> None:
    result = check(party_doc(terms="90 days", tax_code="SST8"))

    assert codes(result) == [Code.CODE_UNMAPPED, Code.TAX_CODE_UNMAPPED]
    assert [f.field for f in result.findings] == ["terms", "tax_code"]


# --- currency -----------------------------------------------------------------------------------


def test_a_foreign_currency_without_a_rate_is_held() -> None:
    result = check(trade(party={"code": "C-USD"}, currency="USD"))

    finding = only(result, Code.CURRENCY_MISMATCH)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts",
                                                               "currency_rate")


def test_a_currency_other_than_the_party_currency_is_held() -> None:
    result = check(trade(currency="USD", currency_rate="4.40"))

    finding = only(result, Code.CURRENCY_MISMATCH)
    assert (finding.field, finding.source_value, finding.expected) == ("currency", "USD", "MYR")


def test_a_foreign_currency_with_its_rate_for_a_party_kept_in_it_passes() -> None:
    doc = trade(party={"code": "C-USD"}, currency="USD", currency_rate="4.40")

    assert codes(check(doc)) == []


def test_an_absent_currency_is_the_home_currency_never_the_party_currency() -> None:
    finding = only(check(trade(party={"code": "C-USD"})), Code.CURRENCY_MISMATCH)

    assert (finding.source_value, finding.expected) == ("MYR", "USD")
    assert codes(check(trade(currency="MYR"))) == []


# --- the trace of what was mapped -----------------------------------------------------------------


def _named(result: Assessment) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The mappings and conversions as the trace shows them: named fields, decimals as text."""
    return ([m._asdict() for m in result.mapped],
            [{k: str(v) if isinstance(v, Decimal) else v for k, v in c._asdict().items()}
             for c in result.conversions])


def test_what_a_check_mapped_reads_back_whole_from_the_holding_area() -> None:
    # Clean lines (the same codes twice) are stored by reference to their shared rows; a held
    # line, an unknown item and the header's codes as rows of their own.
    result = check(trade(branch="Penang", lines=[
        line(1, qty="2"), line(2, qty="1", uom_rate="10"), line(3, qty="5"),
        line(4, item="NO-SUCH-ITEM"), line(5, uom="pcs", tax_code=None, qty="7")]))
    assert {Code.UOM_RATE_MISMATCH, Code.ITEM_UNMAPPED} <= set(codes(result))

    stored = orjson.loads(orjson.dumps(assessment_json(result, NOW)))

    assert expand_mapping(stored) == _named(result)
    mapped, conversions = expand_mapping(stored)
    assert [c["field"] for c in conversions] == [
        "lines[0].uom", "lines[1].uom", "lines[2].uom", "lines[4].uom"]
    assert [(c["qty"], c["base_qty"]) for c in conversions] == [
        ("2", "24"), ("1", "12"), ("5", "60"), ("7", "7")]
    assert {m["field"] for m in mapped} >= {"lines[0].tax_code", "lines[2].item", "branch"}


def test_mappings_stored_as_objects_or_rows_by_earlier_versions_still_read() -> None:
    result = check(trade(lines=[line(1), line(2, uom_rate="10")]))
    mapped, conversions = _named(result)
    as_rows = {"mapped": [list(m.values()) for m in mapped],
               "conversions": [list(c.values()) for c in conversions]}

    assert expand_mapping({"mapped": mapped, "conversions": conversions}) == (mapped, conversions)
    assert expand_mapping(as_rows) == (mapped, conversions)
    assert expand_mapping({}) == ([], [])

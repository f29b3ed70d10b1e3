"""Explaining the effective rules of a company, defaults and overrides included."""

from __future__ import annotations

import json
from pathlib import Path

from acgate.domain.codes import Code
from acgate.domain.documents import DocType
from acgate.domain.rules import CompanyRules, Table
from acgate.sources.rules_file import (
    explain_rules,
    load_rules,
    rules_as_dict,
    sample_rules_text,
)


def sample(tmp_path: Path) -> CompanyRules:
    path = tmp_path / "demo.yaml"
    path.write_text(sample_rules_text(), encoding="utf-8")
    return load_rules(path)


def code_line(text: str, code: Code) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(f"{code.value} "))


def test_every_document_type_is_explained(tmp_path: Path) -> None:
    text = explain_rules(sample(tmp_path))

    for doc_type in DocType:
        assert f"\n  {doc_type.value}" in text
    assert "cash_sale  (not in the file: defaults)" in text
    assert "none listed: every status is STATUS_UNKNOWN" in text
    assert "batch at '0 18 * * *'" in text


def test_overrides_are_marked_with_their_default(tmp_path: Path) -> None:
    text = explain_rules(sample(tmp_path))

    assert "warehouse*" in code_line(text, Code.PARTIAL_DELIVERY)
    assert "owner operations" in code_line(text, Code.PARTIAL_DELIVERY)
    assert "*" not in code_line(text, Code.ITEM_UNMAPPED)
    assert "per version policy" in code_line(text, Code.CHANGED_AFTER_SYNC)


def test_an_outcome_override_is_marked() -> None:
    rules = CompanyRules.model_validate(
        {"company": "acme", "codes": {"PRICE_OUT_OF_TOLERANCE": {"outcome": "ready"}}}
    )
    line = code_line(explain_rules(rules), Code.PRICE_OUT_OF_TOLERANCE)

    assert "ready*" in line
    assert "outcome held" in line


def test_inherited_values_say_where_they_come_from(tmp_path: Path) -> None:
    as_dict = rules_as_dict(sample(tmp_path))
    types = as_dict["types"]

    assert types["sales_order"]["max_wait"] == "2d"
    assert types["sales_order"]["max_wait_from"] == "type"
    assert types["sales_invoice"]["max_wait"] == "3d"
    assert types["sales_invoice"]["max_wait_from"] == "company"
    assert (types["credit_note"]["max_age_days"], types["credit_note"]["max_age_from"]) == (
        365,
        "type",
    )
    assert types["sales_order"]["max_age_from"] == "company"
    assert types["customer"]["max_age_days"] is None


def test_the_dict_is_json_and_complete(tmp_path: Path) -> None:
    as_dict = json.loads(json.dumps(rules_as_dict(sample(tmp_path))))

    assert set(as_dict["types"]) == {t.value for t in DocType}
    assert set(as_dict["codes"]) == {c.value for c in Code}
    assert set(as_dict["mappings"]) == {t.value for t in Table}
    assert as_dict["mappings"]["tax"] == {"entries": 4, "identity": False, "codes": {
        "SST10": "S-10", "SST5": "S-5", "SV6": "SV-6", "SV8": "SV-8"}}
    assert as_dict["codes"]["PARTIAL_DELIVERY"]["owner"] == "warehouse"
    assert as_dict["codes"]["PARTIAL_DELIVERY"]["overridden"] == ["owner"]
    assert as_dict["codes"]["CANCELLED_AFTER_SYNC"]["policy"] == "cancel_policy"
    assert as_dict["price_tolerance"] == "0.05"
    assert as_dict["dates"]["locked_periods"] == [{"from": "2026-01-01", "to": "2026-06-30"}]


def test_every_mapping_entry_is_shown_not_only_how_many() -> None:
    rules = CompanyRules.model_validate({"company": "acme", "mappings": {
        "uom": {"carton": "CTN", "ctn24": "CTN"}, "customer": {"C-0042": "300-M001"}}})

    text = explain_rules(rules)
    mappings = rules_as_dict(rules)["mappings"]

    rows = [line.split() for line in text.splitlines()]
    assert ["uom", "ctn24", "CTN"] in rows and ["customer", "C-0042", "300-M001"] in rows
    assert mappings["uom"]["codes"] == {"carton": "CTN", "ctn24": "CTN"}
    assert mappings["tax"] == {"entries": 0, "identity": False, "codes": {}}

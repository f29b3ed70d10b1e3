"""Loading company rules files: every problem names its file, line and key path."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from acgate.domain.codes import Code
from acgate.domain.documents import DocType
from acgate.domain.rules import Table, Timing
from acgate.sources.rules_file import (
    RulesFileError,
    RulesProblem,
    load_rules,
    load_rules_dir,
    sample_rules_text,
)


def write(folder: Path, text: str, name: str = "acme.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path) -> tuple[RulesProblem, ...]:
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)
    return caught.value.errors


def only_problem(path: Path) -> RulesProblem:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


def test_the_sample_loads(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, sample_rules_text(), "demo.yaml"))

    assert rules.company == "demo"
    assert rules.home_currency == "MYR"
    assert rules.default_location == "HQ"
    assert rules.mappings.tax["SST10"] == "S-10"
    assert rules.mappings.uom["carton"] == "CTN"
    assert rules.mappings.location["Kuala Lumpur"] == "KL"
    assert Table.ITEM in rules.mappings.identity
    assert rules.for_type(DocType.PURCHASE_INVOICE).timing is Timing.BATCH
    assert rules.for_type(DocType.SALES_ORDER).statuses.meaning("ready_to_pick") == "ready"
    assert rules.for_type(DocType.DELIVERY_ORDER).statuses.meaning("ready_to_pick") == "waiting"
    assert rules.owner_of(Code.PARTIAL_DELIVERY) == "warehouse"
    assert rules.ownership.autocount == ["description", "agent", "lines.description"]


def test_company_defaults_to_the_file_name(tmp_path: Path) -> None:
    assert load_rules(write(tmp_path, "name: Acme Sdn Bhd\n")).company == "acme"
    assert load_rules(write(tmp_path, "", "empty.yaml")).company == "empty"


def test_a_typo_in_a_key_is_refused_with_its_line_and_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        company: acme
        types:
          sales_order:
            timming: immediate
        """,
    )
    problem = only_problem(path)

    assert (problem.file, problem.line, problem.key) == (path, 4, "types.sales_order.timming")
    assert "did you mean timing?" in problem.message
    with pytest.raises(RulesFileError, match=r"line 4, types\.sales_order\.timming: unknown key"):
        load_rules(path)


def test_a_wrong_choice_lists_the_allowed_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          sales_order:
            approval_required: true
            timing: asap
        """,
    )
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)

    assert str(caught.value) == (
        f"{path} line 4, types.sales_order.timing: "
        "'asap' is not one of immediate, after_dependency, batch, manual"
    )


def test_an_unknown_document_type_points_at_its_key(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "types:\n  salse_order: {}\n"))

    assert (problem.line, problem.key) == (2, "types.salse_order")
    assert "did you mean sales_order?" in problem.message


def test_batch_timing_without_schedule_points_at_timing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          purchase_invoice:
            sync: true
            timing: batch
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (4, "types.purchase_invoice.timing")
    assert "needs `schedule`" in problem.message


def test_a_bad_cron_schedule_points_at_schedule(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          purchase_invoice:
            timing: batch
            schedule: "every evening"
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (4, "types.purchase_invoice.schedule")
    assert "not a valid cron line" in problem.message


def test_an_unknown_finding_code_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        codes:
          PARTIAL_DELIVERY: {owner: warehouse}
          PARTIAL_DELIVRY: {owner: warehouse}
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (3, "codes.PARTIAL_DELIVRY")
    assert "did you mean PARTIAL_DELIVERY?" in problem.message


def test_an_override_may_not_waive_a_firm_code(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        codes:
          PARTIAL_DELIVERY: {owner: warehouse}
          ITEM_UNMAPPED:
            outcome: ready
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (3, "codes.ITEM_UNMAPPED")
    assert "must be fixed, not waived" in problem.message


def test_a_bad_duration_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        company: acme
        types:
          sales_order:
            max_wait: 3 days
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (4, "types.sales_order.max_wait")
    assert "30m, 72h, 3d or 2w" in problem.message


def test_a_bad_time_zone_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "company: acme\ntimezone: Malaysia/Penang\n"))

    assert (problem.line, problem.key) == (2, "timezone")
    assert "IANA" in problem.message


def test_a_home_currency_that_is_no_currency_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "company: acme\nhome_currency: XYZ\n"))

    assert (problem.line, problem.key) == (2, "home_currency")
    assert "ISO 4217" in problem.message


def test_a_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        dates:
          locked_periods:
            - from: 2026-01-01
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (3, "dates.locked_periods[0].to")


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        company: acme
        types:
          sales_order:
            timing: immediate
           approval_required: true
        """,
    )
    problem = only_problem(path)

    assert problem.line == 5
    assert problem.message.startswith("YAML syntax:")
    assert str(problem).startswith(f"{path} line 5: YAML syntax:")


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          sales_order: {timing: immediate}
          sales_order: {timing: manual}
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (3, "types.sales_order")
    assert "first on line 2" in problem.message


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "- company: acme\n"))

    assert problem.line == 1
    assert "key: value" in problem.message


def test_an_unreadable_file_is_a_rules_file_error(tmp_path: Path) -> None:
    problem = only_problem(tmp_path / "absent.yaml")

    assert problem.line is None
    assert "cannot be read" in problem.message


def test_every_problem_is_listed_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        timezone: Nowhere/Town
        max_wait: soon
        types:
          sales_order: {timing: asap}
        """,
    )
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)

    assert [p.line for p in caught.value.errors] == [1, 2, 4]
    assert str(caught.value).endswith("(and 2 more problems)")


def test_status_words_stay_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          sales_order:
            statuses:
              ready: [yes, on]
              waiting: [no, off]
              cancelled: [2026-01-01]
        """,
    )
    statuses = load_rules(path).for_type(DocType.SALES_ORDER).statuses

    assert statuses.waiting == ["no", "off"]
    assert statuses.meaning("OFF") == "waiting"
    assert statuses.ready == ["yes", "on"]
    assert statuses.cancelled == ["2026-01-01"]


def test_settings_still_read_numbers_dates_and_booleans(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        price_tolerance: 0.1
        dates:
          fiscal_year_start: 2026-01-01
          max_age_days: 90
          allow_future: true
        types:
          sales_order: {approval_required: false}
        """,
    )
    rules = load_rules(path)

    assert str(rules.price_tolerance) == "0.1"
    assert rules.dates.fiscal_year_start is not None
    assert rules.dates.fiscal_year_start.isoformat() == "2026-01-01"
    assert rules.dates.max_age_days == 90
    assert rules.dates.allow_future is True


def test_mapping_codes_keep_their_spelling(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        mappings:
          item:
            1001: 300-1001
            007: 1.50
            2026-01-01: DATED
            on: ON-1
        """,
    )
    item = load_rules(path).mappings.item

    assert item == {"1001": "300-1001", "007": "1.50", "2026-01-01": "DATED", "on": "ON-1"}


def test_merge_keys_share_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          sales_order: &approved
            approval_required: true
            timing: immediate
          purchase_order:
            <<: *approved
            timing: manual
        """,
    )
    purchase = load_rules(path).for_type(DocType.PURCHASE_ORDER)

    assert purchase.approval_required is True
    assert purchase.timing is Timing.MANUAL


def test_a_folder_loads_every_company(tmp_path: Path) -> None:
    write(tmp_path, "name: Acme\n", "acme.yaml")
    write(tmp_path, "company: beta\n", "beta-trading.yml")
    write(tmp_path, "not rules\n", "notes.txt")
    write(tmp_path, "company: [broken\n", ".#acme.yaml")

    assert sorted(load_rules_dir(tmp_path)) == ["acme", "beta"]


def test_two_files_for_one_company_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "name: Acme\n", "acme.yaml")
    second = write(tmp_path, "name: Acme again\ncompany: acme\n", "old-acme.yaml")

    with pytest.raises(RulesFileError) as caught:
        load_rules_dir(tmp_path)

    (problem,) = caught.value.errors
    assert (problem.file, problem.line, problem.key) == (second, 2, "company")
    assert "already declared by" in problem.message
    assert "acme.yaml" in problem.message


def test_a_folder_reports_every_bad_file(tmp_path: Path) -> None:
    write(tmp_path, "timezone: Nowhere\n", "a.yaml")
    write(tmp_path, "max_wait: soon\n", "b.yaml")

    with pytest.raises(RulesFileError) as caught:
        load_rules_dir(tmp_path)

    assert [p.file.name for p in caught.value.errors] == ["a.yaml", "b.yaml"]


def test_a_tolerance_reads_as_a_percentage_or_a_fraction(tmp_path: Path) -> None:
    percent = load_rules(write(tmp_path, "price_tolerance: 2%\n", "a.yaml")).price_tolerance
    fraction = load_rules(write(tmp_path, "price_tolerance: 0.02\n", "b.yaml")).price_tolerance

    assert percent == fraction == Decimal("0.02")


def test_a_tolerance_above_one_is_refused_not_read_as_hundreds_of_percent(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "price_tolerance: 5\n"))

    assert (problem.line, problem.key) == (1, "price_tolerance")
    assert "percentage such as 5%" in problem.message


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        # Quartz puts seconds first, croniter last: which 18 is meant cannot be known.
        ("0 0 18 * * *", "has 6 fields"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_a_schedule_that_would_misfire_is_refused(
    tmp_path: Path, schedule: str, expected: str
) -> None:
    path = write(
        tmp_path,
        f"""
        types:
          purchase_invoice:
            timing: batch
            schedule: "{schedule}"
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (4, "types.purchase_invoice.schedule")
    assert expected in problem.message


def test_cron_ranges_steps_and_names_are_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          purchase_invoice:
            timing: batch
            schedule: "*/30 9-17 1-31/2 JAN-DEC mon-fri"
        """,
    )

    assert load_rules(path).for_type(DocType.PURCHASE_INVOICE).schedule is not None


def test_a_schedule_without_batch_timing_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          purchase_invoice:
            schedule: "0 18 * * *"
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (3, "types.purchase_invoice.schedule")
    assert "only to timing `batch`" in problem.message


def test_a_locked_period_may_cross_the_year(tmp_path: Path) -> None:
    path = write(tmp_path, "dates:\n  locked_periods:\n    - {from: 2025-12-01, to: 2026-01-31}\n")
    (period,) = load_rules(path).dates.locked_periods

    assert period.covers(dt.date(2025, 12, 31)) and period.covers(dt.date(2026, 1, 1))


def test_a_reversed_locked_period_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        dates:
          locked_periods:
            - {from: 2026-01-01, to: 2026-01-31}
            - {from: 2026-06-30, to: 2026-04-01}
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (4, "dates.locked_periods[1].from")
    assert "is after to" in problem.message


def test_overlapping_locked_periods_load_and_lock_every_day_of_each(tmp_path: Path) -> None:
    # A year locked and a month in it locked again is redundant, not wrong: the company loads.
    rules = load_rules(write(
        tmp_path,
        """
        dates:
          locked_periods:
            - {from: 2026-01-01, to: 2026-06-30}
            - {from: 2026-06-01, to: 2026-07-31}
        """,
    ))

    def locked(day: dt.date) -> bool:
        return any(period.covers(day) for period in rules.dates.locked_periods)

    assert [locked(dt.date(2026, m, d)) for m, d in ((1, 1), (6, 15), (7, 31), (8, 1))] == [
        True, True, True, False]


def test_a_field_autocount_may_own_must_be_one_reconciliation_compares(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        ownership:
          autocount: [description, lines.descripton]
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (2, "ownership.autocount[1]")
    assert "'lines.descripton' is not a field reconciliation compares" in problem.message
    assert "lines.description" in problem.message


def test_a_fiscal_year_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        dates:
          fiscal_year_start: 2026-07-01
          fiscal_year_end: 2026-06-30
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (3, "dates.fiscal_year_end")


@pytest.mark.parametrize("value", ["", "true", "{x: 1}", "''"])
def test_a_mapping_to_no_code_is_refused(tmp_path: Path, value: str) -> None:
    problem = only_problem(write(tmp_path, f"mappings:\n  item:\n    A-1: {value}\n"))

    assert (problem.line, problem.key) == (3, "mappings.item.A-1")


def test_uom_aliases_differing_in_case_must_agree(tmp_path: Path) -> None:
    agreeing = write(tmp_path, "mappings:\n  uom:\n    Carton: CTN\n    ' carton ': CTN\n", "a.yml")
    clashing = write(tmp_path, "mappings:\n  uom:\n    Carton: CTN\n    carton: BOX\n", "b.yml")

    assert load_rules(agreeing).mappings.uom == {"Carton": "CTN", " carton ": "CTN"}
    problem = only_problem(clashing)
    assert (problem.line, problem.key) == (2, "mappings.uom")
    assert "'Carton' and 'carton'" in problem.message


def test_an_empty_status_word_or_owner_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        types:
          sales_order:
            statuses:
              ready: [approved, " "]
        codes:
          PARTIAL_DELIVERY: {owner: ""}
        """,
    )

    assert [(p.line, p.key) for p in problems(path)] == [
        (4, "types.sales_order.statuses.ready[1]"),
        (6, "codes.PARTIAL_DELIVERY.owner"),
    ]


def test_a_tab_in_the_indentation_says_to_use_spaces(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text("types:\n\tsales_order: {}\n", encoding="utf-8")
    problem = only_problem(path)

    assert problem.line == 2
    assert "indents with spaces" in problem.message

"""Rules files written in TOML: the same rules, refused with the same file, line and key."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from acgate.domain.documents import DocType
from acgate.domain.rules import Timing
from acgate.sources.rules_file import RulesFileError, RulesProblem, load_rules, load_rules_dir


def write(folder: Path, text: str, name: str = "acme.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def only_problem(path: Path) -> RulesProblem:
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)
    (problem,) = caught.value.errors
    return problem


def test_a_toml_file_loads_like_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        price_tolerance = "2%"
        timezone = "Asia/Singapore"

        [[dates.locked_periods]]
        from = 2025-12-01
        to = 2026-01-31

        [types.purchase_invoice]
        timing = "batch"
        schedule = "0 18 * * MON-FRI"
        statuses.ready = ["Matched"]

        [mappings.item]
        001 = "300-001"
        "A 1" = 1001
        """,
    )
    rules = load_rules(path)

    assert rules.company == "acme"
    assert rules.price_tolerance == Decimal("0.02")
    assert rules.dates.locked_periods[0].end.isoformat() == "2026-01-31"
    assert rules.for_type(DocType.PURCHASE_INVOICE).timing is Timing.BATCH
    assert rules.for_type(DocType.PURCHASE_INVOICE).statuses.meaning("matched") == "ready"
    assert rules.mappings.item == {"001": "300-001", "A 1": "1001"}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[types.sales_order]\napproval_required = true\ntimming = 'manual'\n", 3),
        ("[types]\nsales_order.timming = 'manual'\n", 2),
        ("types = { sales_order = { timming = 'manual' } }\n", 1),
    ],
)
def test_a_typo_in_a_toml_key_names_its_line(tmp_path: Path, text: str, line: int) -> None:
    problem = only_problem(write(tmp_path, text))

    assert (problem.line, problem.key) == (line, "types.sales_order.timming")
    assert "did you mean timing?" in problem.message


def test_an_array_of_tables_entry_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [[dates.locked_periods]]
        from = 2026-01-01
        to = 2026-01-31
        [[dates.locked_periods]]
        from = 2026-03-31
        to = 2026-03-01
        """,
    )
    problem = only_problem(path)

    assert (problem.line, problem.key) == (5, "dates.locked_periods[1].from")


def test_a_toml_key_given_twice_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "price_tolerance = 0.05\nmax_wait = '3d'\nprice_tolerance = 0.02\n")
    problem = only_problem(path)

    assert (problem.line, problem.key) == (3, "price_tolerance")
    assert "first on line 1" in problem.message


def test_unquoted_toml_text_says_to_quote_it(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, "timezone = Asia/Singapore\n"))

    assert (problem.line, problem.key) == (1, "timezone")
    assert "quotes" in problem.message


def test_a_folder_loads_toml_and_yaml_companies(tmp_path: Path) -> None:
    write(tmp_path, "name = 'Acme'\n", "acme.toml")
    write(tmp_path, "company: beta\n", "beta.yaml")

    assert sorted(load_rules_dir(tmp_path)) == ["acme", "beta"]


def test_a_broken_toml_file_in_a_folder_is_not_skipped(tmp_path: Path) -> None:
    write(tmp_path, "[types.sales_order]\ntimming = 'manual'\n", "acme.toml")

    with pytest.raises(RulesFileError, match=r"acme\.toml line 2, types\.sales_order\.timming"):
        load_rules_dir(tmp_path)

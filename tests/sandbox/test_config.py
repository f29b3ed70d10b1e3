"""Book configs from files, and the `acgate sandbox` command's refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from acgate.cli.app import app
from acgate.cli.sandbox import sandbox as sandbox_command
from acgate.sandbox import DocKind, Period, load_book_config

BOOK_YAML = """\
book_id: 7
cloud_keys: {acgate: secret}
bridge_keys: [bridge-secret]
numbering:
  Invoice: "INV-{@yyMM}-<0000>"
fiscal_years:
  - {start: 2026-04-01, end: 2027-03-31}
locked_periods:
  - {start: 2026-04-01, end: 2026-10-31}
"""


def test_a_book_config_file_overrides_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(BOOK_YAML)
    book = load_book_config(path)
    assert book.book_id == 7
    assert book.cloud_keys == {"acgate": "secret"}
    assert book.bridge_keys == frozenset({"bridge-secret"})
    assert book.numbering[DocKind.INVOICE] == "INV-{@yyMM}-<0000>"
    assert book.numbering[DocKind.SALES_ORDER] == "SO-<000000>"
    assert dt.date(2027, 3, 31) in book.fiscal_years[0]
    assert dt.date(2026, 10, 31) in book.locked_periods[0]


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="ends"):
        Period(start=dt.date(2026, 12, 1), end=dt.date(2026, 11, 1))


def test_the_command_refuses_bad_master_data_and_book_files(tmp_path: Path) -> None:
    assert sandbox_command is not None  # importing the module registers the command
    master = tmp_path / "master.json"
    master.write_text('{"debtors": [{"name": "no code"}]}')
    refused = CliRunner().invoke(app, ["sandbox", "--master", str(master)])
    assert refused.exit_code == 1
    assert "debtor code" in refused.output
    master.write_text("{}")
    book = tmp_path / "book.yaml"
    book.write_text("numbering: {Invoice: I-nonumber}\n")
    refused = CliRunner().invoke(app, ["sandbox", "--master", str(master), "--book", str(book)])
    assert refused.exit_code == 1
    assert "exactly one running number" in refused.output

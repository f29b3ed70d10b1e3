"""The `acgate` command when a person or a source gets something wrong: a folder where a file
belongs, a typo in a name, text that looks like markup, a blank where a word belongs. Each answer
is an error that names the thing and the fix, with a non-zero exit and no traceback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from acgate.bootstrap import App
from acgate.domain.access import Role

from .support import (
    Cli,
    Clock,
    Files,
    configure,
    events,
    ingest,
    line,
    no_traceback,
    order,
    outcome,
)


def refused(result: object, *words: str) -> None:
    """A clear refusal: non-zero, no traceback, and the words that name the mistake."""
    exit_code, output, stderr = (getattr(result, name) for name in
                                 ("exit_code", "output", "stderr"))
    assert exit_code != 0, output
    no_traceback(output)
    for word in words:
        assert word in stderr, stderr


# ---- text from sources and people is shown as written ------------------------------------------

def test_square_brackets_in_ids_and_reasons_are_text_not_markup(cli: Cli, app: App,
                                                                files: Files) -> None:
    ingest(app, files, order("SO-[/b]-1", lines=[line(item="NOPE-[/i]")]))
    commented = cli("comment", "SO-[/b]-1", "see [/bold] note [red]x")
    assert commented.exit_code == 0, commented.output

    queue = cli("queue")
    trace = cli("trace", "SO-[/b]-1")

    for result in (queue, trace):
        assert result.exit_code == 0, result.output
        no_traceback(result.output)
        assert "shop/sales_order/SO-[/b]-1" in result.stdout
    assert "NOPE-[/i]" in trace.stdout
    assert "see [/bold] note [red]x" in trace.stdout
    unknown = cli("trace", "SO-[/x]")
    refused(unknown, "no document 'SO-[/x]'")


def test_the_trace_timeline_shows_how_the_outcome_moved(cli: Cli, app: App,
                                                       files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))
    assert cli("reject", "SO-1", "-r", "test order").exit_code == 0

    timeline = cli("trace", "SO-1").stdout.split("Timeline", 1)[1]

    assert "[new -> held]" in timeline
    assert "[held -> rejected]" in timeline


def test_a_finding_without_a_source_or_expected_value_prints_no_none(cli: Cli, app: App,
                                                                     files: Files) -> None:
    ingest(app, files, order("SO-1", date="2026-11-31"))

    human = cli("trace", "SO-1")

    assert human.exit_code == 0, human.output
    assert "INVALID_DOCUMENT" in human.stdout
    assert "None" not in human.stdout


def test_queue_references_are_never_broken_over_lines(cli: Cli, app: App, files: Files) -> None:
    ingest(app, files, order("SO-2026-000000001", lines=[line(item="NOPE-1")]))

    result = cli("queue", env={"COLUMNS": "80"})

    assert result.exit_code == 0, result.output
    assert "shop/sales_order/SO-2026-000000001" in result.stdout
    # Nor are the codes, in a terminal of 80 columns (many terminals' default).
    assert "ITEM_UNMAPPED" in result.stdout


# ---- files that are not there, or are folders ----------------------------------------------------

@pytest.mark.parametrize("command", [["ingest"], ["check"], ["master", "load"]])
def test_a_folder_or_a_missing_file_is_named_not_raised(cli: Cli, files: Files,
                                                        command: list[str]) -> None:
    folder = files.folder / "orders.jsonl"
    folder.mkdir()

    refused(cli(*command, str(folder)), f"{folder} is a folder")
    refused(cli(*command, str(files.folder / "typo.json")), "typo.json: no such file")


def test_ingest_of_several_files_with_one_missing_takes_in_none(cli: Cli, app: App,
                                                                files: Files) -> None:
    good = files.jsonl("orders.jsonl", [order("SO-1")])

    result = cli("ingest", str(good), str(files.folder / "typo.jsonl"))

    refused(result, "typo.jsonl: no such file")
    assert cli.json("queue", "--all") == []


def test_init_on_a_file_is_a_clear_error(cli: Cli, files: Files) -> None:
    path = files.text("notes.txt", "hello")

    refused(cli("init", "--workspace", str(path), workspace=False), f"{path} is a file")


# ---- the workspace, as git finds its repository -------------------------------------------------

def test_a_command_in_a_folder_of_the_workspace_finds_the_workspace(
        cli: Cli, app: App, files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))
    monkeypatch.chdir(cli.workspace / "rules")

    result = cli("queue", "--json", workspace=False)

    assert result.exit_code == 0, result.output
    assert [row["identity"] for row in json.loads(result.stdout)] == ["shop/sales_order/SO-1"]
    # `init` makes a new workspace where it is run, as `git init` does, even inside another.
    inner = cli.workspace / "branch-books"
    inner.mkdir()
    monkeypatch.chdir(inner)
    assert cli("init", workspace=False).exit_code == 0
    assert (inner / "rules").is_dir()


def test_a_database_url_that_cannot_be_opened_is_named_without_its_password(cli: Cli) -> None:
    result = cli("queue", env={"ACGATE_DATABASE_URL": "nosuchdb://ops:s3cret@db.example/acgate"})

    refused(result, "ACGATE_DATABASE_URL", "nosuchdb://ops:***@db.example/acgate")
    assert "s3cret" not in result.output


# ---- the queue's filters ------------------------------------------------------------------------

def test_queue_refuses_a_code_that_does_not_exist(cli: Cli, app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(uom="ctn", qty="2", unit_price="140.00",
                                                 uom_rate="10")]))

    refused(cli("queue", "--code", "UOM_RATE_MISMATCHES"), "'UOM_RATE_MISMATCHES' is not a "
            "finding code", "UOM_RATE_MISMATCH")
    assert [row["identity"] for row in cli.json("queue", "--code", " uom_rate_mismatch")] == [
        "shop/sales_order/SO-1"]


def test_queue_older_than_beyond_the_calendar_is_a_clear_error(cli: Cli) -> None:
    refused(cli("queue", "--older-than", "99999999d"), "--older-than", "99999999d")


def test_a_duration_longer_than_acgate_can_count_is_a_clear_error(cli: Cli,
                                                                   tmp_path: Path) -> None:
    refused(cli("queue", "--older-than", "99999999999d"), "--older-than",
            "longer than acgate can count")
    rules = tmp_path / "acme.yaml"
    rules.write_text("company: acme\nmax_wait: 99999999999d\n")
    refused(cli("rules", "check", str(rules), workspace=False), "line 2", "max_wait",
            "longer than acgate can count")


def test_a_blank_name_is_nobody_so_the_trace_names_who_is_signed_in(
        cli: Cli, app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="WID-100", uom="ctn", qty="1",
                                                 unit_price="140.00", uom_rate="10")]))

    released = cli("release", "SO-1", "-r", "rate agreed by phone", "--as", "   ")

    assert released.exit_code == 0, released.output
    assert events(app, "SO-1")[-1]["actor"] == "tester"


def test_queue_refuses_a_negative_limit(cli: Cli) -> None:
    result = cli("queue", "--limit", "-1")

    assert result.exit_code != 0
    no_traceback(result.output)


# ---- decisions with a blank where a word belongs ------------------------------------------------

def test_a_blank_mapping_or_assignee_is_refused(cli: Cli, app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))

    refused(cli("map", "item", "  ", "WID-100"), "item mapping needs the source's code")
    assert "  " not in cli.json("rules", "explain")["mappings"]["item"]
    refused(cli("assign", "SO-1", "--to", " "), "name the person")
    assert [e["kind"] for e in events(app, "SO-1")] == ["received"]
    refused(cli("comment", "SO-1", ""), "a comment needs its text")


def test_once_people_sign_in_a_record_is_assigned_only_to_someone_who_can_work_it(
        cli: Cli, app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))
    app.people.add_user("victor", Role.VIEWER, "a long enough password", "setup")
    app.people.add_user("mei.ling", Role.ACCOUNTS, "a long enough password", "setup")

    refused(cli("assign", "SO-1", "--to", "victor"), "victor is a viewer")
    refused(cli("assign", "SO-1", "--to", "mei"), "no user 'mei'")
    assert cli("assign", "SO-1", "--to", "Mei.Ling").exit_code == 0
    assert [e["data"]["assignee"] for e in events(app, "SO-1") if e["kind"] == "assigned"] == [
        "mei.ling"]


def test_a_mapping_that_replaces_another_says_so(cli: Cli, app: App) -> None:
    first = cli("map", "uom", "box", "CTN")
    again = cli("map", "uom", "box", "PCS")

    assert first.exit_code == 0, first.output
    assert "was ->" not in first.stdout
    assert again.exit_code == 0, again.output
    assert "mapping uom box -> PCS added (was -> CTN)" in again.stdout


# ---- rules and master data ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["acme.json", "acme.txt"])
def test_rules_check_of_a_file_the_workspace_would_not_read(cli: Cli, files: Files,
                                                          name: str) -> None:
    path = files.text(name, "company: acme\n")

    refused(cli("rules", "check", str(path), workspace=False), ".yaml", "acme.yaml")


def test_rules_explain_does_not_break_its_lines(cli: Cli, app: App) -> None:
    configure(app, {"codes": {"PARTIAL_DELIVERY": {"owner": "warehouse"}}})

    result = cli("rules", "explain", env={"COLUMNS": "80"})

    assert result.exit_code == 0, result.output
    [row] = [row for row in result.stdout.splitlines() if "PARTIAL_DELIVERY" in row]
    assert row.split()[-2:] == ["owner", "operations"]  # the default, on the code's own line


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def test_master_load_takes_the_csv_files_of_one_export_together(cli: Cli, app: App,
                                                                files: Files) -> None:
    ingest(app, files, order("SO-1", party="300-N001",
                             lines=[line(item="NEW-1", uom="PCS", unit_price="9.00")]))
    debtors = _csv(files.folder / "debtors.csv", [["AccNo", "CompanyName", "CurrencyCode"],
                                                   ["300-N001", "Niaga Baru", "MYR"]])
    items = _csv(files.folder / "items.csv", [["ItemCode", "Description", "BaseUOM", "TaxCode"],
                                               ["NEW-1", "New thing", "PCS", "S-10"]])
    uoms = _csv(files.folder / "item_uoms.csv", [["ItemCode", "UOM", "Rate", "Price"],
                                                  ["NEW-1", "PCS", "1", "9.00"]])
    taxes = _csv(files.folder / "tax_codes.csv", [["TaxCode", "TaxRate"], ["S-10", "10"]])
    locations = _csv(files.folder / "locations.csv", [["Location"], ["HQ"], ["PG"]])

    result = cli("master", "load", str(debtors), str(items), str(uoms), str(taxes),
                 str(locations))

    assert result.exit_code == 0, result.output
    assert "1 debtors" in result.stdout and "1 items" in result.stdout
    assert outcome(app, "SO-1").value == "ready", cli.json("trace", "SO-1")["findings"]
    one_table = cli("master", "load", str(debtors))
    assert one_table.exit_code == 0, one_table.output
    assert "master data is replaced as a whole" in one_table.stderr
    assert "items" in one_table.stderr
    refused(cli("master", "load", str(debtors), str(items), "--table", "debtors"), "--table")


# ---- the demo never takes over a company's workspace --------------------------------------------

def test_the_demo_refuses_a_company_workspace_and_keeps_its_database(cli: Cli, app: App,
                                                                     files: Files) -> None:
    ingest(app, files, order("SO-1"))

    for options in ([], ["--force"]):
        refused(cli("demo", *options), "company's workspace", "acme.yaml")
    assert not (cli.workspace / "rules" / "demo.yaml").exists()
    assert [row["identity"] for row in cli.json("queue", "--all")] == ["shop/sales_order/SO-1"]


def test_the_demo_refuses_a_file_for_its_folder(cli: Cli, files: Files) -> None:
    path = files.text("notes.txt", "hello")

    refused(cli("demo", "--workspace", str(path), workspace=False), f"{path} is a file")


def test_the_demo_refuses_to_write_into_a_configured_database(tmp_path: Path,
                                                            clock: Clock) -> None:
    empty = tmp_path / "demo-here"
    result = Cli(empty, clock)("demo", env={"ACGATE_DATABASE_URL": "sqlite:///elsewhere.db"})

    refused(result, "ACGATE_DATABASE_URL")
    assert not (empty / "rules").exists()

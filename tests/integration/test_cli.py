"""The `acgate` command end to end, as a person at a terminal uses it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from acgate.autocount.memory import MemoryTarget
from acgate.bootstrap import App
from acgate.domain.codes import SPECS, Gap
from acgate.service.dispatch import Dispatcher

from .support import (
    START,
    Cli,
    Clock,
    Files,
    all_counts,
    codes,
    events,
    ingest,
    line,
    no_traceback,
    order,
    outcome,
    stored,
    trace_of,
)

RATE_MISMATCH = [line(uom="ctn", qty="2", unit_price="140.00", uom_rate="10")]


# ---- workspaces ---------------------------------------------------------------------------------

def test_init_makes_a_usable_workspace_in_an_empty_folder(tmp_path: Path, clock: Clock,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    monkeypatch.chdir(folder)
    cli = Cli(folder, clock)

    result = cli("init", workspace=False)

    assert result.exit_code == 0, result.output
    assert (folder / "rules" / "demo.yaml").is_file()
    assert (folder / "acgate.db").is_file()
    assert "workspace ready" in result.stdout
    queue = cli("queue", "--json", workspace=False)
    assert queue.exit_code == 0, queue.output
    assert json.loads(queue.stdout) == []
    explained = cli("rules", "explain", workspace=False)
    assert explained.exit_code == 0, explained.output
    # Running init again keeps the rules a person may have edited.
    (folder / "rules" / "demo.yaml").write_text(
        (folder / "rules" / "demo.yaml").read_text() + "\n# edited\n")
    assert cli("init", workspace=False).exit_code == 0
    assert (folder / "rules" / "demo.yaml").read_text().endswith("# edited\n")


@pytest.mark.parametrize("command", [["queue"], ["trace", "SO-1"], ["ingest", "x.jsonl"],
                                     ["release", "SO-1", "-r", "why"]])
def test_commands_outside_a_workspace_say_how_to_get_one(tmp_path: Path, clock: Clock,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)

    result = Cli(tmp_path, clock)(*command, workspace=False)

    assert result.exit_code != 0
    no_traceback(result.output)
    assert "not an acgate workspace" in result.stderr
    for hint in ("acgate init", "--workspace", "ACGATE_HOME"):
        assert hint in result.stderr
    assert not (tmp_path / "acgate.db").exists()


def test_acgate_home_names_the_workspace(cli: Cli, app: App, files: Files, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = cli("queue", "--json", workspace=False, env={"ACGATE_HOME": str(cli.workspace)})

    assert result.exit_code == 0, result.output
    assert [row["identity"] for row in json.loads(result.stdout)] == ["shop/sales_order/SO-1"]


# ---- intake -----------------------------------------------------------------------------------

def test_ingest_stores_the_good_rows_and_fails_for_the_bad_ones(cli: Cli, app: App,
                                                                files: Files) -> None:
    path = files.jsonl("orders.jsonl", [order("SO-1"), order("SO-2", lines=[line(qty="-2")]),
                                        "{broken", order("SO-3")])

    result = cli("ingest", str(path))

    assert result.exit_code != 0
    no_traceback(result.output)
    assert "4 received" in result.stdout
    assert "orders.jsonl line 2 (shop/sales_order/SO-2)" in result.stdout
    assert "lines[0].qty" in result.stdout
    assert "orders.jsonl line 3" in result.stdout
    assert outcome(app, "SO-1").value == "ready"
    assert outcome(app, "SO-3").value == "ready"
    assert codes(app, "SO-2") == ["INVALID_DOCUMENT"]


def test_ingest_json_reports_each_problem_with_origin_identity_and_field(cli: Cli,
                                                                         files: Files) -> None:
    path = files.jsonl("orders.jsonl", [order("SO-1"), order("SO-2", lines=[line(qty="abc")])])

    result = cli("ingest", str(path), "--json")

    assert result.exit_code != 0  # a script sees the failure without reading the report
    report = json.loads(result.stdout)[str(path)]
    assert report["new_documents"] == 2
    [problem] = report["problems"]
    assert (problem["origin"], problem["identity"], problem["code"]) == (
        "orders.jsonl line 2", "shop/sales_order/SO-2", "INVALID_DOCUMENT")
    assert [p["field"] for p in problem["problems"]] == ["lines[0].qty"]


def test_ingest_with_workers_checks_batches_in_several_processes(cli: Cli, app: App,
                                                                  files: Files) -> None:
    # Over one batch (1,000), with a duplicate in the second batch of the first's reference.
    orders = [order(f"SO-{n}", reference=f"PO-{n}") for n in range(1, 1101)]
    orders.append(order("SO-COPY", reference="PO-1"))
    path = files.jsonl("orders.jsonl", [*orders, "{broken"])

    result = cli("ingest", str(path), "--workers", "2", "--json")

    assert result.exit_code == 2, result.output  # the broken line
    report = json.loads(result.stdout)[str(path)]
    assert (report["received"], report["new_documents"]) == (1102, 1101)
    assert report["outcomes"] == {"ready": 1100, "held": 1}
    assert [p["origin"] for p in report["problems"]] == ["orders.jsonl line 1102"]
    assert codes(app, "SO-COPY") == ["DUPLICATE_DOCUMENT"]
    assert outcome(app, "SO-1100").value == "ready"


def test_check_is_a_dry_run_that_stores_nothing(cli: Cli, app: App, files: Files) -> None:
    path = files.jsonl("orders.jsonl", [order("SO-1"), order("SO-2", lines=RATE_MISMATCH)])
    before = all_counts(app)

    result = cli("check", str(path), "--json")

    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)[str(path)]["documents"]
    assert {d["identity"]: d["outcome"] for d in documents} == {
        "shop/sales_order/SO-1": "ready", "shop/sales_order/SO-2": "held"}
    assert all_counts(app) == before
    human = cli("check", str(path))
    assert "dry run, nothing stored" in human.stdout
    assert "shop/sales_order/SO-2: held (UOM_RATE_MISMATCH)" in human.stdout


def test_acgate_now_changes_time_dependent_outcomes(cli: Cli, files: Files) -> None:
    path = files.jsonl("tomorrow.jsonl", [order("SO-1", date="2026-11-21")])

    def as_of(moment: dt.datetime) -> dict[str, Any]:
        result = cli("check", str(path), "--json", env={"ACGATE_NOW": moment.isoformat()})
        [document] = json.loads(result.stdout)[str(path)]["documents"]
        assert isinstance(document, dict)
        return document

    today = as_of(START)
    assert today["outcome"] == "held"
    assert [f["code"] for f in today["findings"]] == ["DATE_OUT_OF_RANGE"]
    assert as_of(START + dt.timedelta(days=1))["outcome"] == "ready"


# RFC 3339 lets the T and the Z be written in lower case.
@pytest.mark.parametrize("moment", ["2026-11-20T16:30:00Z", "2026-11-20t16:30:00z"])
def test_acgate_now_in_utc_sets_today_in_the_company_time_zone(cli: Cli, files: Files,
                                                               moment: str) -> None:
    # Half past four in the afternoon UTC is half past midnight, 21 November, in Kuala Lumpur.
    path = files.jsonl("today.jsonl", [order("SO-1", date="2026-11-21")])

    result = cli("check", str(path), "--json", env={"ACGATE_NOW": moment})

    assert result.exit_code == 0, result.output
    [document] = json.loads(result.stdout)[str(path)]["documents"]
    assert (document["outcome"], document["findings"]) == ("ready", [])


@pytest.mark.parametrize("moment", ["2026-11-20T10:00:00", "tomorrow"])
def test_a_bad_acgate_now_is_a_clear_error(cli: Cli, moment: str) -> None:
    result = cli("queue", env={"ACGATE_NOW": moment})

    assert result.exit_code != 0
    no_traceback(result.output)
    assert f"ACGATE_NOW={moment!r}" in result.stderr


def test_ingest_of_a_file_acgate_cannot_read_is_a_clear_error(cli: Cli, files: Files) -> None:
    result = cli("ingest", str(files.text("orders.txt", "hello")))

    assert result.exit_code != 0
    no_traceback(result.output)
    assert "orders.txt" in result.stderr and ".jsonl" in result.stderr


def test_recheck_as_of_a_later_moment_expires_waits(cli: Cli, app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", status="draft"))
    later = (START + dt.timedelta(hours=49)).isoformat()

    result = cli("recheck", env={"ACGATE_NOW": later})

    assert result.exit_code == 0, result.output
    assert "held 1" in result.stdout
    assert "WAIT_EXPIRED" in codes(app, "SO-1")


# ---- the queue --------------------------------------------------------------------------------

@pytest.fixture
def populated(app: App, files: Files, clock: Clock) -> App:
    """Records of several ages, owners, outcomes and types."""
    ingest(app, files, order("SO-OLD", lines=[line(item="NOPE-1")]), name="old.jsonl")
    clock.advance(dt.timedelta(hours=30))
    ingest(app, files,
           order("SO-RATE", lines=RATE_MISMATCH),
           order("SO-DRAFT", status="draft"),
           order("SO-OK"),
           order("SO-GONE", lines=[line(item="NOPE-2")]),
           {"source": "shop", "type": "delivery_order", "id": "DO-1", "status": "picking",
            "version": 1, "date": "2026-11-20", "party": {"code": "C-0042"},
            "based_on": [{"type": "sales_order", "id": "SO-OK"}],
            "lines": [line(unit_price=None)]},
           name="new.jsonl")
    app.review.reject("SO-GONE", "alice", "test order")
    clock.advance(dt.timedelta(hours=1))
    return app


def identities(rows: list[dict[str, Any]]) -> list[str]:
    return [row["identity"].split("/")[-1] for row in rows]


def test_queue_json_lists_held_and_waiting_records_oldest_first(cli: Cli,
                                                                populated: App) -> None:
    rows = cli.json("queue")

    assert identities(rows) == ["SO-OLD", "SO-RATE", "SO-DRAFT", "DO-1"]
    first = rows[0]
    assert first["identity"] == "shop/sales_order/SO-OLD"
    assert (first["version"], first["outcome"], first["owner"]) == (1, "held", "accounts")
    [finding] = first["findings"]
    assert (finding["code"], finding["field"], finding["owner"]) == (
        "ITEM_UNMAPPED", "lines[0].item", "accounts")
    assert first["age_hours"] == 31.0
    waiting = rows[2]
    assert (waiting["outcome"], waiting["owner"]) == ("waiting", "operations")
    assert [f["code"] for f in waiting["findings"]] == ["STATUS_NOT_READY"]


@pytest.mark.parametrize(("options", "expected"), [
    (["--code", "UOM_RATE_MISMATCH"], ["SO-RATE"]),
    (["--code", "uom_rate_mismatch"], ["SO-RATE"]),
    (["--owner", "operations"], ["SO-DRAFT", "DO-1"]),
    (["--outcome", "held"], ["SO-OLD", "SO-RATE"]),
    (["--outcome", "ready"], ["SO-OK"]),
    (["--outcome", "rejected", "--outcome", "ready"], ["SO-OK", "SO-GONE"]),
    (["--all"], ["SO-OLD", "SO-RATE", "SO-DRAFT", "SO-OK", "SO-GONE", "DO-1"]),
    (["--older-than", "24h"], ["SO-OLD"]),
    (["--older-than", "2d"], []),
    (["--type", "delivery_order"], ["DO-1"]),
    (["--type", "sales_order", "--owner", "accounts"], ["SO-OLD", "SO-RATE"]),
])
def test_queue_filters(cli: Cli, populated: App, options: list[str],
                       expected: list[str]) -> None:
    assert identities(cli.json("queue", *options)) == expected


def test_queue_json_cut_by_the_limit_says_so_beside_the_list(cli: Cli, populated: App) -> None:
    result = cli("queue", "--all", "--json", "--limit", "2")

    assert result.exit_code == 0, result.output
    assert identities(json.loads(result.stdout)) == ["SO-OLD", "SO-RATE"]
    assert "showing 2 of 6 records; --limit 0 lists them all" in result.stderr
    assert "showing" not in cli("queue", "--all", "--json", "--limit", "0").stderr


def test_queue_refuses_a_bad_duration(cli: Cli, populated: App) -> None:
    result = cli("queue", "--older-than", "soon")

    assert result.exit_code != 0
    no_traceback(result.output)
    assert "--older-than" in result.stderr


def test_queue_table_for_people(cli: Cli, populated: App) -> None:
    result = cli("queue")

    assert result.exit_code == 0, result.output
    assert "shop/sales_order/SO-OLD" in result.stdout
    assert "ITEM_UNMAPPED" in result.stdout
    assert "4 of 4 records" in result.stdout


# ---- trace --------------------------------------------------------------------------------------

def test_trace_finds_a_record_by_identity_by_id_and_by_autocount_number(
        cli: Cli, app: App, files: Files, clock: Clock) -> None:
    ingest(app, files, order("SO-1"))
    book = MemoryTarget()
    Dispatcher(app.store, app.directory, lambda company: book, clock).run_once()
    number = stored(app, "SO-1").autocount_doc_no
    assert number

    for ref in ("shop/sales_order/SO-1", "SO-1", number):
        found = cli.json("trace", ref)
        assert found["identity"] == "shop/sales_order/SO-1"
        assert found["autocount_doc_no"] == number
        assert found["outcome"] == "synced"
    [attempt] = found["sync_attempts"]
    assert (attempt["result"], attempt["doc_no"]) == ("accepted", number)
    human = cli("trace", number)
    assert human.exit_code == 0, human.output
    assert "shop/sales_order/SO-1" in human.stdout
    assert number in human.stdout


@pytest.mark.parametrize("ref", ["SO-404", "shop/sales_order/SO-404", "shop/quotation/Q-1"])
def test_trace_of_an_unknown_reference_is_a_clear_error(cli: Cli, ref: str) -> None:
    result = cli("trace", ref)

    assert result.exit_code != 0
    no_traceback(result.output)
    assert f"no document {ref!r}" in result.stderr
    assert "source/type/id" in result.stderr


def test_trace_of_a_rate_mismatch_shows_the_conversion(cli: Cli, app: App,
                                                       files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH))

    found = cli.json("trace", "SO-1")
    [conversion] = found["conversions"]
    assert {k: conversion[k] for k in ("source_uom", "alias", "autocount_uom",
                                       "autocount_rate", "source_rate")} == {
        "source_uom": "ctn", "alias": "CTN", "autocount_uom": "CTN", "autocount_rate": "12",
        "source_rate": "10"}
    assert [f["code"] for f in found["findings"]] == ["UOM_RATE_MISMATCH"]

    human = cli("trace", "SO-1")
    assert human.exit_code == 0, human.output
    assert "UOM_RATE_MISMATCH" in human.stdout
    conversion_row = next(row for row in human.stdout.splitlines()
                          if "lines[0].uom" in row and "WID-100" in row)
    cells = [cell.strip() for cell in conversion_row.split("│") if cell.strip()]
    # field, item, source UOM, alias, AutoCount UOM, AutoCount rate, source rate, qty, base qty
    assert cells[2:7] == ["ctn", "CTN", "CTN", "12", "10"]
    assert "source 10 expected 12" in human.stdout


# ---- rules --------------------------------------------------------------------------------------

def test_rules_check_names_the_file_line_and_key_of_a_mistake(cli: Cli, files: Files) -> None:
    bad = files.text("bad.yaml", "company: acme\ntypes:\n  sales_order:\n    timing: soon\n")

    result = cli("rules", "check", str(bad), workspace=False)

    assert result.exit_code != 0
    no_traceback(result.output)
    assert f"{bad} line 4" in result.stderr
    assert "types.sales_order.timing" in result.stderr
    good = cli("rules", "check", str(cli.workspace / "rules" / "acme.yaml"), workspace=False)
    assert good.exit_code == 0, good.output
    assert "valid" in good.stdout


def test_a_broken_rules_file_in_the_workspace_is_reported_not_raised(cli: Cli) -> None:
    (cli.workspace / "rules" / "acme.yaml").write_text("company: acme\nmax_wait: forever\n")

    result = cli("queue")

    assert result.exit_code != 0
    no_traceback(result.output)
    assert "max_wait" in result.stderr


# ---- decisions ----------------------------------------------------------------------------------

def test_map_moves_held_records_on_and_names_them(cli: Cli, app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(uom="carton", unit_price="140.00")]),
           order("SO-2", lines=[line(uom="carton", unit_price="140.00"), line(2, item="NOPE")]))

    result = cli("map", "uom", "carton", "CTN", "-r", "carton of 12")

    assert result.exit_code == 0, result.output
    assert "2 records re-checked, 1 moved on" in result.stdout
    assert "shop/sales_order/SO-1" in result.stdout
    assert outcome(app, "SO-1").value == "ready"
    last = events(app, "SO-1")[-1]
    assert (last["kind"], last["actor"], last["reason"]) == (
        "mapping_added", "tester", "mapping uom carton -> CTN added")
    refused = cli("map", "location", "Ipoh", "NOWHERE")
    assert refused.exit_code != 0
    no_traceback(refused.output)
    assert "'NOWHERE' is not among AutoCount's location codes" in refused.stderr
    unknown = cli("map", "uom", "carton", "CTN", "--company", "globex")
    assert unknown.exit_code != 0
    assert "globex" in unknown.stderr


def test_release_reject_and_assign_from_the_terminal(cli: Cli, app: App,
                                                     files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH), order("SO-2", lines=RATE_MISMATCH),
           order("SO-3", lines=[line(item="NOPE-1")]))

    released = cli("release", "shop/sales_order/SO-1", "-r", "rate agreed", "--as", "alice")
    assert released.exit_code == 0, released.output
    assert "shop/sales_order/SO-1: ready" in released.stdout
    [finding] = cli.json("trace", "SO-1")["findings"]
    assert finding["released_by"] == "alice: rate agreed"

    blocked = cli("release", "SO-3", "-r", "just send it")
    assert blocked.exit_code != 0
    no_traceback(blocked.output)
    assert "ITEM_UNMAPPED" in blocked.stderr
    no_reason = cli("release", "SO-2", "-r", "")
    assert no_reason.exit_code != 0
    assert "needs a reason" in no_reason.stderr

    rejected = cli("reject", "SO-2", "-r", "duplicate of SO-1")
    assert rejected.exit_code == 0, rejected.output
    assert outcome(app, "SO-2").value == "rejected"
    assert events(app, "SO-2")[-1]["actor"] == "tester"

    assigned = cli("assign", "SO-3", "--to", "mei.ling")
    assert assigned.exit_code == 0, assigned.output
    assert identities(cli.json("queue", "--assignee", "mei.ling")) == ["SO-3"]
    human = cli("queue", "--assignee", "mei.ling")
    assert "accounts (mei.ling)" in human.stdout

    commented = cli("comment", "SO-3", "waiting for the item code from purchasing")
    assert commented.exit_code == 0, commented.output
    assert trace_of(app, "SO-3").events[-1]["reason"] == \
        "waiting for the item code from purchasing"
    human_trace = cli("trace", "SO-3")
    assert "waiting for the item code from purchasing" in human_trace.stdout


def test_master_load_from_the_terminal_rechecks_open_records(cli: Cli, app: App, files: Files,
                                                             workspace: Path) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NEW-300", unit_price="9.00")]))
    master = json.loads((workspace / "master.json").read_text())
    master["items"].append({"code": "NEW-300", "description": "New", "base_uom": "PCS",
                            "uoms": [{"uom": "PCS", "rate": "1"}]})
    path = files.json("master.json", master)

    result = cli("master", "load", str(path))

    assert result.exit_code == 0, result.output
    assert "1 open records re-checked" in result.stdout
    assert outcome(app, "SO-1").value == "ready"
    missing = cli("master", "load", str(files.folder / "nope.json"))
    assert missing.exit_code != 0
    no_traceback(missing.output)


# ---- the demo ---------------------------------------------------------------------------------

def test_the_demo_raises_every_code_of_the_readiness_gaps_and_leaves_a_traceable_queue(
        tmp_path: Path, clock: Clock) -> None:
    folder = tmp_path / "acgate-demo"
    demo = Cli(folder, clock)("demo", "--workspace", str(folder), workspace=False,
                              env={"ACGATE_NOW": ""})
    assert demo.exit_code == 0, demo.output
    no_traceback(demo.output)

    now = Cli(folder, clock)
    everything = now.json("queue", "--all", "--limit", "0")
    raised = {f["code"] for record in everything for f in record["findings"]}
    gaps = {Gap.INTAKE, Gap.STATUS, Gap.MAPPING, Gap.APPROVAL, Gap.TIMING, Gap.DUPLICATES}
    wanted = {code.value for code, spec in SPECS.items() if spec.gap in gaps}
    assert wanted - raised == set()
    # `acgate queue` and `acgate trace` run right after it show the demo's records.
    held = now.json("queue", "--code", "UOM_RATE_MISMATCH")
    assert held
    trace = now.json("trace", held[0]["identity"])
    assert any(c["source_rate"] for c in trace["conversions"])

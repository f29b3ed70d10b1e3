"""Intake through the service layer: each delivery is a new version, a redelivery, a refused
conflict, a stale version or an invalid document, and what a source must fix is reported."""

from __future__ import annotations

import gc
import json
import weakref

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from acgate.bootstrap import App
from acgate.domain.codes import Outcome
from acgate.domain.documents import content_hash, parse_document
from acgate.sources.readers import read_documents
from acgate.storage import tables
from acgate.storage.tables import versions

from .support import (
    Files,
    all_counts,
    codes,
    count_rows,
    events,
    ingest,
    line,
    order,
    outcome,
    stored,
    trace_of,
)


def kinds(app: App, ref: str) -> list[str]:
    return [e["kind"] for e in events(app, ref)]


def test_a_new_document_is_stored_as_a_version_and_checked_at_once(app: App,
                                                                   files: Files) -> None:
    report = ingest(app, files, order("SO-1"))

    assert (report.received, report.new_documents, report.new_versions) == (1, 1, 1)
    assert report.outcomes == {"ready": 1}
    found = trace_of(app, "shop/sales_order/SO-1").as_dict()
    assert found["outcome"] == "ready"
    [version] = found["versions"]
    assert (version["version"], version["state"], version["outcome"]) == (1, "current", "ready")
    assert version["origin"] == "batch.jsonl line 1"
    assert found["findings"] == []
    [event] = found["events"]
    assert event["kind"] == "received"
    assert event["data"]["outcome"] == "ready"


def test_a_redelivery_with_other_spelling_is_recognised_and_not_processed_again(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(qty="2")]))
    before = trace_of(app, "shop/sales_order/SO-1")
    # Same content: other key order, other spacing, "2.00" for "2", 12.5 for "12.50".
    again = ('{ "lines": [ {"unit_price": "12.5", "qty": "2.00", "uom": "pcs", '
             '"item": "WID-100", "line": 1} ],  "party": {"code": "C-0042"}, '
             '"date": "2026-11-20", "status": "approved", "version": 1, '
             '"id": "SO-1", "type": "sales_order",   "source": "shop"}')

    report = ingest(app, files, again, name="again.jsonl")

    assert (report.redeliveries, report.new_versions, report.refused) == (1, 0, 0)
    assert report.problems == []
    after = trace_of(app, "shop/sales_order/SO-1")
    assert len(after.versions) == len(before.versions) == 1
    assert [e["kind"] for e in after.events] == ["received", "redelivered"]
    assert after.events[-1]["data"]["origin"] == "again.jsonl line 1"
    assert after.document.outcome is Outcome.READY


def test_a_versions_content_hash_is_the_same_whether_stored_or_worked_out_when_asked(
        app: App, files: Files) -> None:
    # Intake no longer works out every version's hash; a version stored by an earlier acgate
    # carries its own, and both must agree for its redeliveries, its trace and its sync key.
    ingest(app, files, order("SO-1", lines=[line(qty="2")]), order("SO-2"))
    expected = content_hash(parse_document(order("SO-1", lines=[line(qty="2")])))
    shown = trace_of(app, "shop/sales_order/SO-1").as_dict()["versions"][0]["content_hash"]
    assert shown == expected
    old = stored(app, "shop/sales_order/SO-2").id
    with app.store.transaction() as repo:  # as an earlier acgate stored it
        repo.connection.execute(update(versions).where(versions.c.document_id == old)
                                .values(content_hash="0" * 64))

    respelled = order("SO-1", lines=[line(qty="2.00", unit_price="12.5")])
    assert ingest(app, files, respelled, name="again.jsonl").redeliveries == 1
    # The stored hash stands for that version: the same text is the same content, and other
    # text is compared with the hash stored, not one worked out again.
    assert ingest(app, files, order("SO-2"), name="same.jsonl").redeliveries == 1
    respelled_old = order("SO-2", lines=[line(unit_price="12.5")])
    assert ingest(app, files, respelled_old, name="old.jsonl").refused == 1
    assert trace_of(app, "shop/sales_order/SO-2").as_dict()["versions"][0]["content_hash"] \
        == "0" * 64


def test_the_same_version_with_other_content_is_refused_and_the_stored_one_stands(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(qty="2")]))
    changed = order("SO-1", lines=[line(qty="3")])

    report = ingest(app, files, changed, name="conflict.jsonl")

    assert (report.refused, report.new_versions, report.redeliveries) == (1, 0, 0)
    [problem] = report.problems
    assert problem.kind == "conflict"
    assert problem.identity == "shop/sales_order/SO-1"
    assert problem.origin == "conflict.jsonl line 1"
    assert "INVALID_DOCUMENT" in str(problem)
    assert problem.problems[0].path == "version"
    found = trace_of(app, "shop/sales_order/SO-1")
    assert len(found.versions) == 1
    assert json.loads(stored(app, "SO-1").raw or "{}")["lines"][0]["qty"] == "2"
    refused = found.events[-1]
    assert refused["kind"] == "refused"
    assert refused["data"]["code"] == "INVALID_DOCUMENT"
    assert json.loads(refused["data"]["raw"])["lines"][0]["qty"] == "3"
    assert found.document.outcome is Outcome.READY


def test_a_broken_copy_of_a_stored_version_is_refused_and_the_stored_one_stands(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="2")]))

    report = ingest(app, files, order("SO-1", version=2, lines=[line(qty="-2")]),
                    name="broken.jsonl")

    assert (report.refused, report.new_versions) == (1, 0)
    [problem] = report.problems
    assert (problem.kind, problem.identity) == ("conflict", "shop/sales_order/SO-1")
    assert "INVALID_DOCUMENT" in str(problem)
    assert [p.path for p in problem.problems] == ["version", "lines[0].qty"]
    found = trace_of(app, "shop/sales_order/SO-1")
    assert [(v["version"], v["state"]) for v in found.versions] == [(2, "current")]
    assert json.loads(stored(app, "SO-1").raw or "{}")["lines"][0]["qty"] == "2"
    assert found.document.outcome is Outcome.READY
    assert kinds(app, "SO-1") == ["received", "refused"]


def test_an_older_version_is_recorded_as_stale_and_never_applied(app: App,
                                                                 files: Files) -> None:
    ingest(app, files, order("SO-1", version=2, lines=[line(qty="5")]))

    report = ingest(app, files, order("SO-1", version=1, lines=[line(qty="1")]),
                    name="late.jsonl")

    assert (report.stale, report.new_versions) == (1, 0)
    found = trace_of(app, "shop/sales_order/SO-1")
    assert [(v["version"], v["state"]) for v in found.versions] == [(2, "current"),
                                                                    (1, "stale")]
    assert found.document.version == 2
    assert json.loads(found.document.raw or "{}")["lines"][0]["qty"] == "5"
    assert kinds(app, "SO-1") == ["received", "stale"]
    assert found.document.outcome is Outcome.READY


def test_a_newer_version_that_breaks_the_contract_holds_the_document(app: App,
                                                                     files: Files) -> None:
    ingest(app, files, order("SO-1", version=1))

    report = ingest(app, files, order("SO-1", version=2, lines=[line(qty="-1")]),
                    name="broken.jsonl")

    assert report.new_versions == 1
    [problem] = report.problems
    assert (problem.kind, problem.identity) == ("invalid", "shop/sales_order/SO-1")
    assert [p.path for p in problem.problems] == ["lines[0].qty"]
    found = trace_of(app, "shop/sales_order/SO-1").as_dict()
    assert found["outcome"] == "held"
    assert found["owner"] == "integration"
    assert [f["code"] for f in found["findings"]] == ["INVALID_DOCUMENT"]
    assert found["findings"][0]["field"] == "lines[0].qty"
    assert [(v["version"], v["state"]) for v in found["versions"]] == [(1, "superseded"),
                                                                       (2, "invalid")]
    # No silent fallback: the document's current version is the broken one, kept whole.
    current = stored(app, "SO-1")
    assert current.version == 2
    assert json.loads(current.raw or "{}")["lines"][0]["qty"] == "-1"


def test_a_payload_without_identity_is_kept_in_intake_errors_with_its_raw(
        app: App, files: Files) -> None:
    nameless = order("SO-9")
    del nameless["source"]

    report = ingest(app, files, nameless, "{not json", name="noid.jsonl")

    assert report.refused == 2
    assert [p.origin for p in report.problems] == ["noid.jsonl line 1", "noid.jsonl line 2"]
    assert all(p.identity is None for p in report.problems)
    assert "source" in [x.path for x in report.problems[0].problems]
    assert count_rows(app, "documents") == 0
    with app.store.transaction() as repo:
        rows = list(reversed(repo.intake_errors()))
    assert len(rows) == 2
    assert json.loads(rows[0].raw)["id"] == "SO-9"
    assert rows[0].origin == "noid.jsonl line 1"
    assert rows[1].origin == "noid.jsonl line 2"
    assert rows[1].raw == "{not json"  # what could not be read is kept as it came
    assert "not readable as JSON" in rows[1].problems[0]["problem"]


def test_a_batch_keeps_the_good_documents_and_reports_each_bad_one(app: App,
                                                                   files: Files) -> None:
    bad_qty = order("SO-2", lines=[line(1), line(2, qty="abc")])
    bad_date = order("SO-3", date="2026-02-30")
    path = files.jsonl("mixed.jsonl", [order("SO-1"), bad_qty, bad_date, order("SO-4")])

    report = app.intake.ingest(read_documents(path))

    assert report.received == 4
    assert report.problem_count == 2
    where = {(p.origin, p.identity, tuple(x.path for x in p.problems)) for p in report.problems}
    assert where == {
        ("mixed.jsonl line 2", "shop/sales_order/SO-2", ("lines[1].qty",)),
        ("mixed.jsonl line 3", "shop/sales_order/SO-3", ("date",)),
    }
    assert outcome(app, "SO-1") is Outcome.READY
    assert outcome(app, "SO-4") is Outcome.READY
    # A bad document with an identity is held as INVALID_DOCUMENT, its raw kept.
    assert codes(app, "SO-2") == ["INVALID_DOCUMENT"]
    assert outcome(app, "SO-3") is Outcome.HELD


def test_a_number_too_large_to_compute_with_is_refused_and_the_batch_goes_on(
        app: App, files: Files) -> None:
    report = ingest(app, files, order("SO-1"),
                    order("SO-2", lines=[line(qty="1e999999", unit_price="1e999999")]),
                    order("SO-3"))

    [problem] = report.problems
    assert (problem.origin, problem.identity) == ("batch.jsonl line 2", "shop/sales_order/SO-2")
    assert [p.path for p in problem.problems] == ["lines[0].qty", "lines[0].unit_price"]
    assert outcome(app, "SO-1") is outcome(app, "SO-3") is Outcome.READY
    assert codes(app, "SO-2") == ["INVALID_DOCUMENT"] * 2


def test_an_invalid_document_names_the_value_it_refused(app: App, files: Files) -> None:
    report = ingest(app, files, order("SO-1", date="2026-11-31",
                                      lines=[line(qty="-4")]))

    [problem] = report.problems
    sent = {p.path: p.value for p in problem.problems}
    assert sent["date"] == "2026-11-31" and sent["lines[0].qty"] == "-4"
    findings = trace_of(app, "SO-1").as_dict()["findings"]
    assert {f["field"]: f["source_value"] for f in findings}["date"] == "2026-11-31"
    assert report.as_dict()["problems"][0]["problems"][0]["value"] == "2026-11-31"


def test_a_csv_batch_reports_bad_rows_by_row_number(app: App, files: Files) -> None:
    header = {"source": "shop", "type": "sales_order", "version": "1", "status": "approved",
              "date": "2026-11-20", "party.code": "C-0042", "lines.item": "WID-100",
              "lines.uom": "pcs", "lines.unit_price": "12.50"}
    path = files.csv("orders.csv", [
        {**header, "id": "SO-1", "lines.line": "1", "lines.qty": "2"},
        {**header, "id": "SO-1", "lines.line": "2", "lines.qty": "1"},
        {**header, "id": "SO-2", "lines.line": "1", "lines.qty": "-4"},
        {**header, "id": "SO-3", "lines.line": "1", "lines.qty": "1"},
    ])

    report = app.intake.ingest(read_documents(path))

    [problem] = report.problems
    assert problem.identity == "shop/sales_order/SO-2"
    assert "orders.csv" in problem.origin and "4" in problem.origin
    assert [p.path for p in problem.problems] == ["lines[0].qty"]
    assert outcome(app, "SO-1") is Outcome.READY
    assert len(json.loads(stored(app, "SO-1").raw or "{}")["lines"]) == 2
    assert outcome(app, "SO-3") is Outcome.READY


def test_an_unreadable_table_row_says_to_correct_the_file_not_to_send_json(
        app: App, files: Files) -> None:
    path = files.folder / "orders.csv"
    path.write_bytes(b"source,type,id,version,status\nshop,sales_order,SO-1,1,caf\xe9\n")

    [problem] = app.intake.ingest(read_documents(path)).problems

    [unreadable] = problem.problems
    assert "not UTF-8" in unreadable.problem
    assert "correct the file" in unreadable.fix and "JSON" not in unreadable.fix


@pytest.mark.parametrize(("first", "second", "newer"), [
    # 10:00 in Kuala Lumpur is 02:00 UTC: older than 03:00 UTC, though larger as text.
    ("2026-11-20T10:00:00+08:00", "2026-11-20T03:00:00+00:00", True),
    ("2026-11-20T03:00:00+00:00", "2026-11-20T10:00:00+08:00", False),
])
def test_versions_without_a_number_are_ordered_as_instants(app: App, files: Files, first: str,
                                                           second: str, newer: bool) -> None:
    ingest(app, files, order("SO-1", version=None, updated_at=first, lines=[line(qty="1")]))

    report = ingest(app, files, order("SO-1", version=None, updated_at=second,
                                      lines=[line(qty="7")]), name="second.jsonl")

    assert (report.new_versions, report.stale) == ((1, 0) if newer else (0, 1))
    current = json.loads(stored(app, "SO-1").raw or "{}")
    assert current["lines"][0]["qty"] == ("7" if newer else "1")


def test_two_versions_of_one_document_in_one_file_are_judged_in_order(app: App,
                                                                      files: Files) -> None:
    report = ingest(app, files, order("SO-1", version=1, status="draft"),
                    order("SO-1", version=2, status="approved"),
                    order("SO-1", version=2, status="approved"),
                    order("SO-1", version=1, status="draft"))

    assert (report.new_documents, report.new_versions, report.redeliveries, report.stale) == \
        (1, 2, 1, 1)
    found = trace_of(app, "shop/sales_order/SO-1").as_dict()
    assert [(v["version"], v["state"], v["outcome"]) for v in found["versions"]] == [
        (1, "superseded", "waiting"), (2, "current", "ready"), (1, "stale", None)]
    assert found["outcome"] == "ready"
    assert [e["kind"] for e in found["events"]] == ["received", "received", "redelivered",
                                                    "stale"]


def test_a_dry_run_checks_everything_and_stores_nothing(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1"))
    before = all_counts(app)
    path = files.jsonl("check.jsonl", [order("SO-1", version=2, lines=[line(uom="carton")]),
                                       order("SO-2"), order("SO-3", lines=[line(qty="x")]),
                                       {"type": "sales_order"}])

    report = app.intake.dry_run(read_documents(path))

    assert report.new_versions == 3
    assert {str(v.work.identity): v.outcome.value for v in report.checked} == {
        "shop/sales_order/SO-1": "held", "shop/sales_order/SO-2": "ready",
        "shop/sales_order/SO-3": "held"}
    assert report.problem_count == 2
    assert all_counts(app) == before
    assert stored(app, "SO-1").version == 1


def test_events_are_append_only_at_the_database(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1"))
    assert count_rows(app, "events") > 0

    for statement in ("UPDATE events SET reason = 'edited'", "DELETE FROM events"):
        with pytest.raises(DBAPIError), app.store.transaction() as repo:
            repo.connection.execute(text(statement))

    with app.store.transaction() as repo:
        reasons = list(repo.connection.execute(select(tables.events.c.reason)))
    assert all(row.reason != "edited" for row in reasons)
    assert kinds(app, "SO-1") == ["received"]


def test_garbage_is_collected_between_batches_and_the_collector_restored(
        app: App, files: Files) -> None:
    """Automatic collection is off while intake runs (see `batch_collection`); cyclic garbage
    must still go batch by batch, and the process (an API server) gets its collector back."""
    app.intake.batch_size = 1
    path = files.jsonl("batch.jsonl", [order("SO-1"), order("SO-2"), order("SO-3")])
    seen: list[tuple[bool, bool]] = []
    cycles: list[weakref.ref[Cycle]] = []

    def progress(count: int) -> None:
        seen.append((gc.isenabled(), bool(cycles) and cycles[-1]() is not None))
        garbage = Cycle()
        garbage.me = garbage
        cycles.append(weakref.ref(garbage))

    app.intake.ingest(read_documents(path), progress=progress)

    assert seen == [(False, False), (False, False), (False, False)]
    assert gc.isenabled()

    def fail(count: int) -> None:
        raise RuntimeError("the caller gave up")

    with pytest.raises(RuntimeError):
        app.intake.ingest(read_documents(path), progress=fail)
    assert gc.isenabled()


class Cycle:
    me: Cycle | None = None

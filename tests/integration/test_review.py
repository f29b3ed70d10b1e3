"""What people do in the holding area, through the service layer: release, reject, assign,
comment, add a mapping; and what the trace then shows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event

from acgate.bootstrap import App
from acgate.domain.codes import Outcome
from acgate.domain.rules import Table
from acgate.service.review import ReviewError
from acgate.storage.dashboard import open_by_owner
from acgate.storage.queue import QueueFilter, list_queue

from .support import (
    COMPANY,
    Clock,
    Files,
    codes,
    count_rows,
    events,
    ingest,
    line,
    order,
    outcome,
    stored,
    trace_of,
    trade,
)

RATE_MISMATCH = [line(uom="ctn", qty="1", unit_price="140.00", uom_rate="10")]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_release_needs_a_reason(app: App, files: Files, reason: str) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH))

    with pytest.raises(ReviewError, match="reason"):
        app.review.release("shop/sales_order/SO-1", "alice", reason)

    assert outcome(app, "SO-1") is Outcome.HELD
    assert [e["kind"] for e in events(app, "SO-1")] == ["received"]


def test_a_release_lets_a_held_record_on_and_records_who_and_why(app: App,
                                                                 files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH))
    assert codes(app, "SO-1") == ["UOM_RATE_MISMATCH"]

    verdict = app.review.release("shop/sales_order/SO-1", "alice", "carton of 10 agreed")

    assert verdict.outcome is Outcome.READY
    found = trace_of(app, "shop/sales_order/SO-1").as_dict()
    assert found["outcome"] == "ready"
    [finding] = found["findings"]
    assert finding["code"] == "UOM_RATE_MISMATCH"
    assert finding["outcome"] == "ready"
    assert finding["released_by"] == "alice: carton of 10 agreed"
    released = found["events"][-1]
    assert (released["kind"], released["actor"], released["reason"]) == (
        "released", "alice", "carton of 10 agreed")
    assert (released["data"]["previous_outcome"], released["data"]["outcome"]) == ("held",
                                                                                  "ready")


def test_a_release_holds_for_its_version_only(app: App, files: Files, clock: Clock) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH))
    app.review.release("SO-1", "alice", "carton of 10 agreed")

    clock.advance(dt.timedelta(hours=1))
    app.review.recheck(outcomes=(Outcome.READY,))
    assert outcome(app, "SO-1") is Outcome.READY

    ingest(app, files, order("SO-1", version=2, lines=RATE_MISMATCH), name="v2.jsonl")
    assert outcome(app, "SO-1") is Outcome.HELD
    [finding] = trace_of(app, "SO-1").as_dict()["findings"]
    assert "released_by" not in finding


def test_a_manual_type_waits_until_a_person_releases_it(app: App, files: Files) -> None:
    ingest(app, files, trade("credit_note", "CN-1"))
    [finding] = trace_of(app, "CN-1").as_dict()["findings"]
    assert (finding["code"], finding["outcome"]) == ("MANUAL_RELEASE", "waiting")

    verdict = app.review.release("shop/credit_note/CN-1", "bob", "refund approved by phone")

    assert verdict.outcome is Outcome.READY
    assert outcome(app, "CN-1") is Outcome.READY


def test_a_firm_finding_cannot_be_released(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))

    with pytest.raises(ReviewError, match="ITEM_UNMAPPED"):
        app.review.release("SO-1", "alice", "ship it anyway")

    assert outcome(app, "SO-1") is Outcome.HELD
    assert [e["kind"] for e in events(app, "SO-1")] == ["received"]


def test_only_held_or_waiting_records_can_be_released(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1"))

    with pytest.raises(ReviewError, match="ready"):
        app.review.release("SO-1", "alice", "why not")


def test_a_rejected_record_is_reopened_by_a_newer_version(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))
    with pytest.raises(ReviewError, match="reason"):
        app.review.reject("SO-1", "alice", " ")

    app.review.reject("SO-1", "alice", "duplicate of SO-0")

    found = trace_of(app, "SO-1").as_dict()
    assert found["outcome"] == "rejected"
    assert found["owner"] is None
    rejected = found["events"][-1]
    assert (rejected["kind"], rejected["actor"], rejected["reason"]) == (
        "rejected", "alice", "duplicate of SO-0")
    with pytest.raises(ReviewError, match="rejected"):
        app.review.reject("SO-1", "alice", "again")

    ingest(app, files, order("SO-1", version=2), name="v2.jsonl")

    assert outcome(app, "SO-1") is Outcome.READY
    assert [e["kind"] for e in events(app, "SO-1")] == ["received", "rejected", "received"]


def test_an_assigned_record_shows_in_the_assignees_queue(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH), order("SO-2", lines=RATE_MISMATCH))

    app.review.assign("shop/sales_order/SO-2", "alice", "mei.ling")

    with app.store.transaction() as repo:
        mine = list_queue(repo, QueueFilter(assignee="mei.ling"), app.clock())
    assert [str(row.identity) for row in mine] == ["shop/sales_order/SO-2"]
    assert mine[0].owner == "accounts"
    found = trace_of(app, "SO-2").as_dict()
    assert found["assignee"] == "mei.ling"
    assert found["events"][-1]["kind"] == "assigned"
    assert found["events"][-1]["data"]["assignee"] == "mei.ling"


def test_a_comment_shows_in_the_trace(app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH))

    app.review.comment("SO-1", "bob", "asked the warehouse how many per carton")

    last = trace_of(app, "SO-1").events[-1]
    assert (last["kind"], last["actor"], last["reason"]) == (
        "commented", "bob", "asked the warehouse how many per carton")
    with pytest.raises(ReviewError):
        app.review.comment("SO-1", "bob", "")


def test_an_unknown_reference_is_a_clear_error(app: App) -> None:
    with pytest.raises(ReviewError, match="no document 'SO-404'"):
        app.review.release("SO-404", "alice", "x")


def test_a_bare_id_used_by_two_sources_asks_for_the_full_reference(app: App,
                                                                   files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH),
           order("SO-1", source="portal", lines=RATE_MISMATCH))

    with pytest.raises(ReviewError, match="names 2 documents"):
        app.review.release("SO-1", "alice", "x")

    assert app.review.release("portal/sales_order/SO-1", "alice", "x").outcome is \
        Outcome.READY
    assert outcome(app, "shop/sales_order/SO-1") is Outcome.HELD


# ---- mappings -----------------------------------------------------------------------------------

def test_a_mapping_moves_on_every_record_waiting_only_on_it(app: App, files: Files) -> None:
    ingest(app, files,
           order("SO-1", lines=[line(uom="carton", qty="1", unit_price="140.00")]),
           order("SO-2", lines=[line(1, uom="Carton", qty="1", unit_price="140.00"),
                                line(2, uom=" CARTON", qty="2", unit_price="140.00")]),
           order("SO-3", lines=[line(1, uom="carton", qty="1", unit_price="140.00"),
                                line(2, item="NOPE-1")]),
           order("SO-4", lines=[line(item="NOPE-2")]))
    assert codes(app, "SO-2") == ["UOM_UNKNOWN", "UOM_UNKNOWN"]
    assert sorted(codes(app, "SO-3")) == ["ITEM_UNMAPPED", "UOM_UNKNOWN"]
    before = {ref: len(events(app, ref)) for ref in ("SO-1", "SO-2", "SO-3", "SO-4")}

    result = app.review.add_mapping(COMPANY, Table.UOM, "carton", "CTN", "alice",
                                    "carton is AutoCount's CTN")

    assert result.moved_on == ["shop/sales_order/SO-1", "shop/sales_order/SO-2"]
    assert result.rechecked == 3
    for ref in ("SO-1", "SO-2"):
        assert outcome(app, ref) is Outcome.READY
    assert outcome(app, "SO-3") is Outcome.HELD
    assert codes(app, "SO-3") == ["ITEM_UNMAPPED"]
    assert outcome(app, "SO-4") is Outcome.HELD
    for ref in ("SO-1", "SO-2", "SO-3"):
        new = events(app, ref)[before[ref]:]
        assert len(new) == 1, (ref, new)
        assert (new[0]["kind"], new[0]["actor"]) == ("mapping_added", "alice")
        assert "carton" in new[0]["reason"] and "CTN" in new[0]["reason"]
    assert len(events(app, "SO-4")) == before["SO-4"]
    # The trace names the mapping that did it.
    mapped = trace_of(app, "SO-1").as_dict()["mapped"]
    assert any(m["field"] == "lines[0].uom" and m["autocount_value"] == "CTN" for m in mapped)


def test_a_mapping_to_a_code_autocount_does_not_have_is_refused(app: App,
                                                                files: Files) -> None:
    ingest(app, files, order("SO-1", branch="Ipoh"),
           order("SO-2", lines=[line(uom="crate")]))
    assert codes(app, "SO-1") == ["LOCATION_UNMAPPED"]

    with pytest.raises(ReviewError, match="'IP' is not among AutoCount's location codes"):
        app.review.add_mapping(COMPANY, Table.LOCATION, "Ipoh", "IP", "alice")
    with pytest.raises(ReviewError, match="'CRATE'"):
        app.review.add_mapping(COMPANY, Table.UOM, "crate", "CRATE", "alice")

    assert count_rows(app, "mappings") == 0
    assert outcome(app, "SO-1") is Outcome.HELD
    assert app.review.add_mapping(COMPANY, Table.LOCATION, "Ipoh", "PG", "alice").moved_on == [
        "shop/sales_order/SO-1"]


def _statements_with(app: App, marker: str, statements: list[tuple[str, Any]]) -> Any:
    """Keeps the statements sent while the listener is on that contain `marker`."""
    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if marker in statement:
            statements.append((statement, parameters))

    return keep


def _assert_planned_from(app: App, index: str, statements: list[tuple[str, Any]]) -> None:
    if app.store.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans by its statistics; a tiny table is scanned whole
    with app.store.engine.connect() as connection:
        for statement, parameters in statements:
            plan = " ".join(row[-1] for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert index in plan, plan


def _listed(app: App, **wanted: Any) -> list[str]:
    with app.store.transaction() as repo:
        return [row.identity.id for row in list_queue(repo, QueueFilter(**wanted), app.clock())]


def test_a_partys_records_are_listed_whatever_their_outcome_open_ones_from_the_index(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH), order("SO-2"),
           order("SO-3", party="C-0099", lines=RATE_MISMATCH))
    statements: list[tuple[str, Any]] = []
    keep = _statements_with(app, "party_code = ", statements)

    event.listen(app.store.engine, "before_cursor_execute", keep)
    try:
        assert _listed(app, party="C-0042") == ["SO-1"]
        assert _listed(app, party="C-0042", outcomes=[Outcome.HELD]) == ["SO-1"]
    finally:
        event.remove(app.store.engine, "before_cursor_execute", keep)
    assert _listed(app, party="C-0042", outcomes=list(Outcome)) == ["SO-1", "SO-2"]
    assert _listed(app, party="C-0042", outcomes=[Outcome.READY]) == ["SO-2"]

    assert len(statements) == 2
    _assert_planned_from(app, "ix_documents_party", statements)


def test_an_owners_records_are_listed_and_counted_open_ones_from_the_index(
        app: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=RATE_MISMATCH), order("SO-2"),
           order("SO-3", party="C-0099", lines=RATE_MISMATCH),
           order("SO-4", lines=[line(uom="crate")]))
    records = {ref: stored(app, ref) for ref in ("SO-1", "SO-2", "SO-3", "SO-4")}
    owners = {ref: (record.outcome, record.owner) for ref, record in records.items()}
    owner = owners["SO-1"][1]
    assert owner is not None and owners["SO-2"] == (Outcome.READY, None)
    mine = sorted(ref for ref, (_, who) in owners.items() if who == owner)
    listed: list[tuple[str, Any]] = []
    counted: list[tuple[str, Any]] = []
    keep_listed = _statements_with(app, "owner = ", listed)
    keep_counted = _statements_with(app, "GROUP BY documents.owner", counted)

    event.listen(app.store.engine, "before_cursor_execute", keep_listed)
    event.listen(app.store.engine, "before_cursor_execute", keep_counted)
    try:
        assert _listed(app, owner=owner) == mine
        assert _listed(app, owner=owner, outcomes=[Outcome.HELD]) == mine
        with app.store.transaction() as repo:
            by_owner = {count.key: (count.held, count.waiting) for count in open_by_owner(repo)}
    finally:
        event.remove(app.store.engine, "before_cursor_execute", keep_listed)
        event.remove(app.store.engine, "before_cursor_execute", keep_counted)
    assert _listed(app, owner=owner, outcomes=list(Outcome)) == mine
    held_by = Counter(who for outcome, who in owners.values() if outcome is Outcome.HELD)
    assert by_owner == {who: (count, 0) for who, count in held_by.items()}

    assert len(listed) == 2 and len(counted) == 1
    _assert_planned_from(app, "ix_documents_owner", listed + counted)

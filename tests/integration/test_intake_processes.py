"""Intake across several processes reaches exactly what one process reaches.

The demo's week (orders, deliveries, invoices, new versions, stale and broken payloads,
duplicates, cancellations) is taken in small batches so that almost every batch meets documents
of the batch checked beside it; the holding area afterwards must be the same, row for row, as
after a single process took the same records.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from acgate.bootstrap import App, open_app
from acgate.service import intake_pool
from acgate.service.demo import demo_data, scenario
from acgate.service.ingest import IngestReport
from acgate.service.intake_pool import IntakeWorkerFailed
from acgate.service.masters import load_master
from acgate.sources.readers import read_documents
from acgate.sources.records import RawRecord
from acgate.storage import planning

from .support import Clock

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _demo_records() -> Iterator[RawRecord]:
    plan = scenario()
    names = [name for step in plan["steps"] for name in step.get("ingest", [])]
    return itertools.chain.from_iterable(read_documents(demo_data() / n) for n in names)


def _demo_app(root: Path, batch_size: int) -> App:
    plan = scenario()
    (root / "rules").mkdir(parents=True)
    shutil.copy(demo_data() / plan["rules"], root / "rules")
    app = open_app(root, now=Clock(AT))
    load_master(app.store, app.directory, plan["company"], demo_data() / plan["master"], AT,
                "setup")
    app.intake.batch_size = batch_size
    return app


def _holding_area(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every row intake writes, in id order."""
    tables = {
        "documents": "SELECT * FROM documents ORDER BY id",
        "versions": "SELECT * FROM versions ORDER BY id",
        "findings": "SELECT * FROM findings ORDER BY id",
        "doc_keys": "SELECT * FROM doc_keys ORDER BY document_id, key",
        "ledger": "SELECT * FROM ledger ORDER BY document_id, target, target_line, line",
        "events": "SELECT * FROM events ORDER BY id",
        "intake_errors": "SELECT * FROM intake_errors ORDER BY id",
    }
    with app.store.engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(sqlalchemy.text(query))]
                for name, query in tables.items()}


@pytest.fixture(autouse=True)
def _sqlite_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACGATE_DATABASE_URL", raising=False)


def test_two_processes_store_what_one_process_stores(tmp_path: Path) -> None:
    alone = _demo_app(tmp_path / "alone", batch_size=7)
    together = _demo_app(tmp_path / "together", batch_size=7)
    seen: list[int] = []

    expected = alone.intake.ingest(_demo_records())
    report = together.intake.ingest(_demo_records(), workers=2, progress=seen.append)

    assert report.as_dict() == expected.as_dict()
    assert sum(seen) == expected.received > 300
    assert {"held", "waiting", "ready"} <= set(report.outcomes)
    assert report.redeliveries + report.stale + report.refused > 0
    assert _holding_area(together) == _holding_area(alone)


def test_a_plan_overtaken_by_another_writer_is_checked_again_under_the_lock(
        tmp_path: Path) -> None:
    app = _demo_app(tmp_path / "ws", batch_size=1000)
    records = list(itertools.islice(_demo_records(), 40))
    first, second = records[:20], records[20:]
    plan, planned = app.intake.plan(second, None, AT)
    assert plan is not None
    # Another writer stores the first twenty, which the plan did not see.
    app.intake.ingest(first)

    report = app.intake.commit(second, None, AT, plan, planned)

    reference = _demo_app(tmp_path / "reference", batch_size=1000)
    reference.intake.ingest(first)
    expected = reference.intake.ingest(second)
    assert report.as_dict() == expected.as_dict()
    assert _holding_area(app) == _holding_area(reference)


def test_a_plan_that_stands_is_stored_as_planned(tmp_path: Path) -> None:
    app = _demo_app(tmp_path / "ws", batch_size=1000)
    records = list(itertools.islice(_demo_records(), 30))
    plan, planned = app.intake.plan(records, None, AT)
    assert plan is not None and plan.writes

    report = app.intake.commit(records, None, AT, plan, planned)

    assert report is planned
    reference = _demo_app(tmp_path / "reference", batch_size=1000)
    reference.intake.ingest(records)
    assert _holding_area(app) == _holding_area(reference)


def test_a_batch_holding_two_versions_of_one_document_is_not_planned(tmp_path: Path) -> None:
    app = _demo_app(tmp_path / "ws", batch_size=1000)
    first = next(r for r in _demo_records() if r.payload and r.payload.get("version") == 1)
    assert first.payload is not None
    newer = RawRecord("test", {**first.payload, "version": 2}, None)

    plan, _ = app.intake.plan([first, newer], None, AT)

    assert plan is None
    report = app.intake.commit([first, newer], None, AT, None, IngestReport())
    assert (report.new_documents, report.new_versions) == (1, 2)


def test_a_failing_worker_stops_the_intake_with_its_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _demo_app(tmp_path / "ws", batch_size=10)

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(planning, "apply_plan", broken)
    monkeypatch.setattr("acgate.service.ingest.apply_plan", broken)

    with pytest.raises(IntakeWorkerFailed, match="disk full"):
        app.intake.ingest(_demo_records(), workers=2)


def test_where_processes_cannot_be_forked_one_process_takes_it_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows has no fork: asking for workers there must still take every record.
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])

    def no_pool(*args: object) -> IngestReport:
        raise AssertionError("no worker process may be started")

    monkeypatch.setattr(intake_pool, "ingest_in_processes", no_pool)
    app = _demo_app(tmp_path / "ws", batch_size=50)
    records = list(itertools.islice(_demo_records(), 120))

    report = app.intake.ingest(records, workers=3)

    reference = _demo_app(tmp_path / "reference", batch_size=50)
    assert report.as_dict() == reference.intake.ingest(records).as_dict()
    assert _holding_area(app) == _holding_area(reference)

"""Several processes on one holding area (an API server, a worker, a person's CLI): what one
of them changes about a company (a mapping, master data) is what the others check with next."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from acgate.bootstrap import App, open_app
from acgate.domain.codes import Outcome
from acgate.domain.rules import Table
from acgate.service.masters import load_master

from .support import COMPANY, MASTER, Clock, Files, codes, ingest, line, order, outcome


@pytest.fixture
def other(workspace: Path, clock: Clock, app: App) -> Iterator[App]:
    """A second process on the same workspace, opened after `app` has its master data."""
    application = open_app(workspace, now=clock)
    yield application
    application.store.engine.dispose()


def test_a_mapping_added_by_another_process_holds_for_a_running_one(
        app: App, other: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(uom="carton", qty="1", unit_price="140.00")]))
    assert codes(app, "SO-1") == ["UOM_UNKNOWN"]

    other.review.add_mapping(COMPANY, Table.UOM, "carton", "CTN", "alice", "AutoCount's CTN")

    ingest(app, files, order("SO-2", lines=[line(uom="carton", qty="1", unit_price="140.00")]),
           name="later.jsonl")
    assert outcome(app, "SO-2") is Outcome.READY
    assert codes(app, "SO-2") == []


def test_master_data_loaded_by_another_process_holds_for_a_running_one(
        app: App, other: App, files: Files, workspace: Path, clock: Clock) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="GAD-900")]))
    assert codes(app, "SO-1") == ["ITEM_UNMAPPED"]
    master = copy.deepcopy(MASTER)
    master["items"].append({"code": "GAD-900", "description": "Gadget", "base_uom": "PCS",
                            "active": True, "tax_code": "S-10",
                            "uoms": [{"uom": "PCS", "rate": "1", "price": "12.50"}]})
    (workspace / "master-2.json").write_text(json.dumps(master))

    load_master(other.store, other.directory, COMPANY, workspace / "master-2.json", clock(),
                "alice")

    # The other process re-checked what waited on it; this one checks new records with it.
    assert outcome(app, "SO-1") is Outcome.READY
    ingest(app, files, order("SO-2", lines=[line(item="GAD-900")]), name="later.jsonl")
    assert codes(app, "SO-2") == []
    assert outcome(app, "SO-2") is Outcome.READY


def test_a_re_check_in_a_running_process_uses_a_mapping_added_elsewhere(
        app: App, other: App, files: Files) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))
    assert codes(app, "SO-1") == ["ITEM_UNMAPPED"]
    # A mapping stored without this process's re-check (as another process's own batch would).
    with other.store.transaction() as repo:
        repo.put_mapping(COMPANY, Table.ITEM, "NOPE-1", "WID-100", "alice", other.clock(),
                         "the old code of the widget")

    app.review.recheck()

    assert outcome(app, "SO-1") is Outcome.READY

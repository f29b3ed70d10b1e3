"""What integration tests share: the workspace's rules and master data, a clock the test moves,
file writers, document builders, and short ways to look into the holding area."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from acgate.bootstrap import App
from acgate.cli.app import full_app
from acgate.domain.codes import Outcome
from acgate.service.ingest import IngestReport
from acgate.service.review import find_document
from acgate.service.trace import Trace, build_trace
from acgate.sources.readers import read_documents
from acgate.sources.rules_file import load_rules_dir
from acgate.storage import tables
from acgate.storage.repository import StoredDocument

COMPANY = "acme"
START = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = "2026-11-20"

RULES_YAML = """\
company: acme
name: Acme Trading Sdn Bhd
home_currency: MYR
timezone: Asia/Kuala_Lumpur
default_location: HQ
max_wait: 72h
dates:
  fiscal_year_start: 2026-01-01
  fiscal_year_end: 2026-12-31
  max_age_days: 120
types:
  sales_order:
    statuses:
      ready: [approved]
      waiting: [draft]
      cancelled: [cancelled]
      exception: [on_hold]
    timing: immediate
    version_policy: update
    cancel_policy: reverse
    max_wait: 48h
  delivery_order:
    statuses:
      ready: [delivered]
      waiting: [picking]
      cancelled: [cancelled]
    timing: after_dependency
    version_policy: reverse
    cancel_policy: reverse
  sales_invoice:
    statuses:
      ready: [ready_to_bill]
      waiting: [draft]
      cancelled: [void]
    timing: immediate
    version_policy: review
    cancel_policy: review
  purchase_order:
    sync: false
    statuses:
      ready: [approved]
      waiting: [draft]
      cancelled: [cancelled]
  goods_received:
    statuses:
      ready: [received]
      waiting: [in_transit]
      cancelled: [cancelled]
    timing: after_dependency
  credit_note:
    statuses:
      ready: [approved]
      cancelled: [void]
    timing: manual
mappings:
  identity: [item, customer, supplier]
  tax:
    SST10: S-10
  uom:
    pcs: PCS
    ctn: CTN
  location:
    Penang: PG
  customer:
    C-0042: 300-M001
"""

MASTER: dict[str, Any] = {
    "debtors": [
        {"code": "300-M001", "name": "Syarikat Maju Jaya Sdn Bhd", "currency": "MYR",
         "active": True},
        {"code": "300-B002", "name": "Bintang Hardware Enterprise", "currency": "MYR",
         "active": True},
    ],
    "creditors": [
        {"code": "400-P001", "name": "Pembekal Utama Sdn Bhd", "currency": "MYR",
         "active": True},
    ],
    "items": [
        {"code": "WID-100", "description": "Widget", "base_uom": "PCS", "active": True,
         "tax_code": "S-10",
         "uoms": [{"uom": "PCS", "rate": "1", "price": "12.50"},
                  {"uom": "CTN", "rate": "12", "price": "140.00"}]},
        {"code": "GAD-200", "description": "Gadget", "base_uom": "PCS", "active": True,
         "uoms": [{"uom": "PCS", "rate": "1", "price": "5.00"},
                  {"uom": "BOX", "rate": "6", "price": "28.00"}]},
    ],
    "locations": ["HQ", "PG"],
    "tax_codes": [{"code": "S-10", "rate": "0.1"}],
    "terms": ["C30"],
    "agents": [],
    "projects": [],
    "departments": [],
}


class Clock:
    """acgate's clock for a test: fixed until the test moves it."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta

    def iso(self) -> str:
        return self.now.isoformat()


@dataclass
class Files:
    """Writes input files into a folder of the test's own."""

    folder: Path

    def jsonl(self, name: str, documents: Sequence[Mapping[str, Any] | str]) -> Path:
        path = self.folder / name
        path.write_text("".join(
            (doc if isinstance(doc, str) else json.dumps(doc)) + "\n" for doc in documents))
        return path

    def json(self, name: str, data: Any) -> Path:
        path = self.folder / name
        path.write_text(json.dumps(data))
        return path

    def csv(self, name: str, rows: Sequence[Mapping[str, Any]]) -> Path:
        path = self.folder / name
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with path.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return path

    def text(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text)
        return path


# ---- document builders ------------------------------------------------------------------------

def line(number: int = 1, item: str = "WID-100", uom: str = "pcs", qty: str = "2",
         unit_price: str | None = "12.50", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"line": number, "item": item, "uom": uom, "qty": qty}
    if unit_price is not None:
        data["unit_price"] = unit_price
    data.update(extra)
    return data


def trade(doc_type: str, doc_id: str, *, version: int | None = 1, status: str = "approved",
          party: str = "C-0042", lines: list[dict[str, Any]] | None = None,
          source: str = "shop", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"source": source, "type": doc_type, "id": doc_id}
    if version is not None:
        data["version"] = version
    data.update({"status": status, "date": TODAY, "party": {"code": party},
                 "lines": lines if lines is not None else [line()]})
    data.update(extra)
    return data


def order(doc_id: str = "SO-1", **kwargs: Any) -> dict[str, Any]:
    return trade("sales_order", doc_id, **kwargs)


def delivery(doc_id: str, based_on: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("status", "delivered")
    kwargs.setdefault("lines", [line(unit_price=None)])
    return trade("delivery_order", doc_id,
                 based_on=[{"type": "sales_order", "id": based_on}], **kwargs)


# ---- helpers on an opened app -----------------------------------------------------------------

def _merged(base: Any, changes: Any) -> Any:
    if isinstance(base, dict) and isinstance(changes, Mapping):
        return {**base, **{key: _merged(base.get(key), value) for key, value in changes.items()}}
    return changes


def configure(app: App, changes: Mapping[str, Any]) -> None:
    """Rewrite the company's rules file as RULES_YAML with `changes` merged in (nested mappings
    key by key) and load it into the opened app, as a restart would."""
    folder = app.root / "rules"
    text = yaml.safe_dump(_merged(yaml.safe_load(RULES_YAML), changes), sort_keys=False)
    (folder / f"{COMPANY}.yaml").write_text(text)
    app.directory.rules.update(load_rules_dir(folder))


def ingest(app: App, files: Files, *documents: Mapping[str, Any] | str,
           name: str = "batch.jsonl", actor: str | None = None) -> IngestReport:
    """Write the documents as a JSON Lines file and take it in."""
    return app.intake.ingest(read_documents(files.jsonl(name, documents)), actor=actor)


def stored(app: App, ref: str) -> StoredDocument:
    with app.store.transaction() as repo:
        return find_document(repo, ref)


def outcome(app: App, ref: str) -> Outcome:
    return stored(app, ref).outcome


def trace_of(app: App, ref: str) -> Trace:
    with app.store.transaction() as repo:
        return build_trace(repo, ref)


def codes(app: App, ref: str) -> list[str]:
    return [f["code"] for f in trace_of(app, ref).as_dict()["findings"]]


def events(app: App, ref: str) -> list[dict[str, Any]]:
    return trace_of(app, ref).events


def count_rows(app: App, table: str) -> int:
    with app.store.transaction() as repo:
        target = getattr(tables, table)
        return int(repo.connection.execute(select(func.count()).select_from(target)).scalar()
                   or 0)


def all_counts(app: App) -> dict[str, int]:
    return {name: count_rows(app, name) for name in
            ("documents", "versions", "findings", "events", "doc_keys", "ledger",
             "intake_errors", "mappings")}


def access_log_rows(page: str) -> list[tuple[str, ...]]:
    """The access log on the users page as a person reads it: (when, who, what, for whom) per
    entry, the lock-out marker part of what; or the one cell saying there is nothing."""
    table = re.search(r'<table class="access-log">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert table is not None, "the page shows no access log"
    return [tuple(" ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())
                  for cell in re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S))
            for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", table.group(1), re.S)]


# ---- the CLI ----------------------------------------------------------------------------------

def no_traceback(output: str) -> None:
    assert "Traceback" not in output


@dataclass
class Cli:
    """`acgate` in-process, in a workspace, as of a moment (ACGATE_NOW)."""

    workspace: Path
    clock: Clock

    def __call__(self, *args: str, env: Mapping[str, str] | None = None,
                 workspace: bool = True) -> Result:
        argv = list(args)
        if workspace:
            argv += ["--workspace", str(self.workspace)]
        environment = {"ACGATE_NOW": self.clock.iso(), "COLUMNS": "250",
                       "ACGATE_USER": "tester", **(env or {})}
        if os.environ.get("ACGATE_DATABASE_URL"):
            environment.setdefault("ACGATE_DATABASE_URL", os.environ["ACGATE_DATABASE_URL"])
        return CliRunner().invoke(full_app(), argv, env=environment, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)



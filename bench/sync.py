"""Sync speed and thrift against the sandbox (run as its own process on loopback).

1. Under the Cloud profile's rate limit: AutoCount calls per synced document (goal <= 1.05 with
   `numbering: source`) and the share of the rate budget used (goal >= 0.9).
2. With the rate limit off: documents per second through acgate's dispatcher, against a bare
   httpx loop posting the same Cloud payloads in the same run (goal: ratio >= 0.8).

    python bench/sync.py --documents 300 --limit 600
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from acgate.autocount.payloads import cloud_body, json_bytes, key_remark
from acgate.bootstrap import App, open_app
from acgate.checks.posting import build_posting
from acgate.service.masters import load_master
from acgate.service.pipeline import parse_raw
from acgate.service.worker import Worker
from acgate.sources.records import RawRecord
from acgate.storage.outbox import Outbox
from acgate.storage.tables import sync_attempts

KEY_ID, API_KEY = "sandbox", "sandbox-api-key"
MASTER = {
    "debtors": [{"code": f"300-C{n:03d}", "name": f"Pelanggan {n} Sdn Bhd"} for n in range(50)],
    "items": [{"code": f"SKU-{n:03d}", "description": f"Item {n}", "base_uom": "PCS",
               "uoms": [{"uom": "PCS", "rate": "1", "price": "5.00"}]} for n in range(50)],
    "locations": ["HQ"],
    "tax_codes": [{"code": "S-10", "rate": "0.10"}],
    "terms": ["C.O.D."],
}


def rules(base_url: str) -> str:
    return f"""
company: bench
default_location: HQ
mappings: {{identity: [customer, item, tax, terms]}}
types:
  sales_invoice:
    statuses: {{ready: [ready_to_bill]}}
    numbering: source
autocount:
  kind: cloud
  base_url: "{base_url}"
  book: "1"
  key_id_env: BENCH_KEY_ID
  api_key_env: BENCH_API_KEY
"""


def invoices(count: int, prefix: str) -> list[RawRecord]:
    return [RawRecord(f"bench {n}", {
        "source": "shop", "type": "sales_invoice", "id": f"{prefix}{n:06d}", "version": 1,
        "status": "ready_to_bill", "date": "2026-11-20", "terms": "C.O.D.",
        "party": {"code": f"300-C{n % 50:03d}"},
        "lines": [{"line": 1, "item": f"SKU-{n % 50:03d}", "uom": "PCS", "qty": "2",
                   "unit_price": "5.00", "tax_code": "S-10"}],
    }) for n in range(count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sandbox(folder: Path, rate_limit: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from acgate.cli.app import main; main()", "sandbox",
         "--master", str(folder / "master.json"), "--port", str(port),
         "--rate-limit", str(rate_limit)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/_admin/faults", timeout=0.5)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the sandbox did not start")


def workspace(folder: Path, base: str, name: str) -> App:
    root = folder / name
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "bench.yaml").write_text(rules(base))
    app = open_app(root)
    load_master(app.store, app.directory, "bench", folder / "master.json", app.clock(), "bench")
    return app


def sync_all(app: App) -> tuple[float, int, int]:
    """Run a worker until the outbox is empty: seconds, documents synced, AutoCount calls."""
    dispatcher = app.dispatcher("bench")
    worker = Worker(dispatcher, app.review, app.clock, idle_wait=0.05)
    stop = threading.Event()
    calls = synced = 0
    started = time.perf_counter()
    while True:
        report = worker.round()
        calls += report.calls
        synced += len(report.synced)
        if report.wait_seconds:
            stop.wait(report.wait_seconds)
        with app.store.transaction() as repo:
            if Outbox(repo).open_count() == 0 and report.idle:
                break
    return time.perf_counter() - started, synced, calls


def budget_share(app: App, limit: int) -> float:
    """Calls made in each whole one-minute window from the first call, over what the windows
    offered. The last, partial window is left out: the work ran out there, not the budget."""
    with app.store.transaction() as repo:
        stamps = sorted(row.at for row in repo.connection.execute(select(sync_attempts.c.at)))
    first, last = stamps[0], stamps[-1]
    windows = int((last - first).total_seconds() // 60)
    if windows == 0:
        return 1.0
    cutoff = first + dt.timedelta(minutes=windows)
    return sum(1 for at in stamps if at < cutoff) / (limit * windows)


def bare_loop(app: App, base: str) -> tuple[float, int]:
    """The floor: the same Cloud payloads posted one after another with httpx, nothing else."""
    with app.store.transaction() as repo:
        company = app.directory.get(repo, "bench")
        stored = repo.by_ids(repo.ids_where(company="bench"))
        bodies = []
        for doc in stored:
            parsed = parse_raw(doc.raw or "")
            assert parsed is not None
            posting = build_posting(parsed, company, "bare" + str(doc.id), "B" + doc.identity.id,
                                    lambda ref, line: None)
            bodies.append(json_bytes(cloud_body(posting, "remark4", True)
                                     | {"master": {**cloud_body(posting, "remark4", True)
                                                   ["master"], "docNo": posting.doc_no,
                                                   "remark4": key_remark(posting.key)}}))
    headers = {"Key-ID": KEY_ID, "API-Key": API_KEY, "Content-Type": "application/json"}
    with httpx.Client(base_url=f"{base}/1", headers=headers, timeout=30) as client:
        started = time.perf_counter()
        for body in bodies:
            client.post("/invoice", content=body).raise_for_status()
        return time.perf_counter() - started, len(bodies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--limit", type=int, default=600, help="sandbox calls a minute")
    args = parser.parse_args()
    os.environ["BENCH_KEY_ID"], os.environ["BENCH_API_KEY"] = KEY_ID, API_KEY
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "master.json").write_text(json.dumps(MASTER))

        sandbox, base = start_sandbox(folder, args.limit)
        try:
            limited = workspace(folder, base, "limited")
            limited.intake.ingest(invoices(args.documents, "L"))
            seconds, synced, calls = sync_all(limited)
        finally:
            sandbox.terminate()
            sandbox.wait()
        share = budget_share(limited, args.limit)
        print(f"rate limited ({args.limit} calls/minute): {synced} synced in {seconds:.1f} s, "
              f"{calls} calls: {calls / synced:.3f} calls per document (goal <= 1.05), "
              f"{share:.2f} of the rate budget used in each full minute (goal >= 0.9)")

        sandbox, base = start_sandbox(folder, 0)
        try:
            unlimited = workspace(folder, base, "unlimited")
            unlimited.intake.ingest(invoices(args.documents, "U"))
            bare_seconds, bare_count = bare_loop(unlimited, base)
            seconds, synced, calls = sync_all(unlimited)
        finally:
            sandbox.terminate()
            sandbox.wait()
        ours, floor = synced / seconds, bare_count / bare_seconds
        print(f"rate limit off: acgate {ours:,.0f} documents/s ({calls / synced:.3f} calls each)"
              f", bare httpx loop {floor:,.0f} documents/s: ratio {ours / floor:.2f} "
              "(goal >= 0.8)")


if __name__ == "__main__":
    main()

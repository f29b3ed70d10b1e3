"""Queue page speed: the server time of `/queue` over a holding area of 100,000 held records
(goal: under 300 ms), with the filters people use most.

The records are written straight through the repository in bulk (a document, its current version
and its findings each), so loading takes seconds; the page is then called in-process, signed in,
as the browser would call it.

    python bench/queue_page.py --records 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from acgate.bootstrap import App, open_app
from acgate.domain.access import Role
from acgate.domain.codes import SPECS, Code
from acgate.http.app import create_app
from acgate.http.auth import SESSION_COOKIE
from acgate.service.masters import load_master

COMPANY = "bench"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
BATCH = 5_000
ITEMS, PARTIES, UOM_WORDS = 200, 500, 20

RULES = """\
company: bench
default_location: HQ
mappings:
  identity: [customer, item]
"""

PAGES = {
    "queue (held and waiting, oldest first)": "/queue",
    "code UOM_UNKNOWN": "/queue?code=UOM_UNKNOWN",
    "my queue (operations)": "/queue?mine=1",
    "owner accounts, older than 3d": "/queue?owner=accounts&age=3d",
    "party C00007, older than 24h": "/queue?party=C00007&age=24h",
    "one cause (uom ctn7)": "/queue?company=bench&table=uom&blocker=ctn7",
    "page 1000": "/queue?page=1000",
    "htmx fragment": "/queue?outcome=held",
}


def master() -> dict[str, Any]:
    return {
        "debtors": [{"code": f"C{p:05d}", "name": f"Pelanggan {p} Sdn Bhd"}
                    for p in range(PARTIES)],
        "items": [{"code": f"SKU-{i:04d}", "description": f"Item {i}", "base_uom": "PCS",
                   "uoms": [{"uom": "PCS", "rate": "1"}, {"uom": "CTN", "rate": "24"}]}
                  for i in range(ITEMS)],
        "locations": ["HQ"],
    }


def _finding(rng: random.Random, doc: int, version: int) -> list[dict[str, Any]]:
    """One or two findings: mostly missing mappings (with a blocker), some dates and approvals."""
    picks = [rng.choice([Code.UOM_UNKNOWN, Code.ITEM_UNMAPPED, Code.PARTY_UNMAPPED,
                         Code.DATE_OUT_OF_RANGE, Code.APPROVAL_MISSING])]
    if rng.random() < 0.3:
        picks.append(Code.PRICE_OUT_OF_TOLERANCE)
    rows = []
    for code in dict.fromkeys(picks):
        blocker: tuple[str, str] | None = {
            Code.UOM_UNKNOWN: ("uom", f"ctn{rng.randrange(UOM_WORDS)}"),
            Code.ITEM_UNMAPPED: ("item", f"SHOP-{rng.randrange(ITEMS * 5):05d}"),
            Code.PARTY_UNMAPPED: ("customer", f"CUST-{rng.randrange(PARTIES * 5):05d}"),
        }.get(code)
        spec = SPECS[code]
        suggestions = ([{"label": f"add the UOM alias {blocker[1]} -> CTN", "action": "map",
                         "table": "uom", "source_code": blocker[1], "target_code": "CTN"}]
                       if blocker and blocker[0] == "uom" else [])
        rows.append({
            "document_id": doc, "version_id": version, "company": COMPANY,
            "code": code.value, "gap": spec.gap.value, "outcome": spec.outcome.value,
            "owner": spec.owner.value, "message": f"{code.value} on line 1",
            "field": "lines[0]", "source_value": blocker[1] if blocker else None,
            "expected": None, "suggestions": suggestions,
            "blocker_table": blocker[0] if blocker else None,
            "blocker_code": blocker[1] if blocker else None, "released_by": None,
        })
    return rows


def load(app: App, records: int, settled: int, seed: int = 11) -> None:
    """`records` held or waiting records and `settled` synced ones, in bulk."""
    rng = random.Random(seed)
    raw = json.dumps({"source": "shop", "type": "sales_order", "id": "X", "version": 1,
                      "status": "approved", "date": "2026-11-20",
                      "party": {"code": "C00001"}, "lines": []})
    total = records + settled
    for start in range(1, total + 1, BATCH):
        documents, versions, findings = [], [], []
        for n in range(start, min(start + BATCH, total + 1)):
            received = NOW - dt.timedelta(minutes=rng.randrange(60 * 24 * 14))
            found = _finding(rng, n, n) if n <= records else []
            outcome = max((f["outcome"] for f in found), key=("waiting", "held").index,
                          default="synced")
            owner = next((f["owner"] for f in found if f["outcome"] == outcome), None)
            documents.append({
                "id": n, "company": COMPANY, "source": "shop", "type": "sales_order",
                "doc_id": f"SO-{n:07d}", "first_received_at": received,
                "current_version_id": n, "outcome": outcome, "owner": owner,
                "assignee": "mei.ling" if rng.random() < 0.01 else None,
                "party_code": f"C{rng.randrange(PARTIES):05d}", "reference": f"PO-{n}",
                "synced_version_id": None if found else n,
                "autocount_doc_no": None if found else f"SO-{n:06d}",
                "counts_in_ledger": True, "changed_at": received,
            })
            versions.append({
                "id": n, "document_id": n, "version": 1, "source_updated_at": None,
                "content_hash": f"{n:064x}", "raw": raw, "origin": "bench",
                "received_at": received, "status": "approved", "state": "current",
                "outcome": outcome, "approved": True, "problems": None, "assessment": None,
                "released": None, "carried": None,
            })
            findings += found
        with app.store.transaction() as repo:
            repo.insert_documents(documents)
            repo.insert_versions(versions)
            repo.replace_findings([], findings)


def measure(client: Any, path: str, runs: int, fragment: bool) -> list[float]:
    headers = {"HX-Request": "true"} if fragment else {}
    client.get(path, headers=headers)  # warm: the company's master data, SQLite's page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--settled", type=int, default=50_000,
                        help="synced records beside the held ones (the queue must skip them)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # Starlette's note that its TestClient will move to httpx2 says nothing about speed.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "rules").mkdir()
        (folder / "rules" / f"{COMPANY}.yaml").write_text(RULES)
        (folder / "master.json").write_text(json.dumps(master()))
        app = open_app(folder, now=lambda: NOW)
        load_master(app.store, app.directory, COMPANY, folder / "master.json", NOW, "bench")
        started = time.perf_counter()
        load(app, args.records, args.settled)
        loaded = time.perf_counter() - started
        app.people.add_user("ops", Role.OPERATIONS, "bench-password", "bench")
        client = TestClient(create_app(app))
        client.cookies.set(SESSION_COOKIE, app.people.log_in("ops", "bench-password").token)
        print(f"loaded {args.records:,} held and waiting records and {args.settled:,} synced "
              f"ones in {loaded:.1f} s")
        worst = 0.0
        for name, path in PAGES.items():
            times = sorted(measure(client, path, args.runs, name == "htmx fragment"))
            median = statistics.median(times)
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            worst = max(worst, p95)
            print(f"  {name:<40} median {median:6.1f} ms   p95 {p95:6.1f} ms")
        print(f"slowest p95 {worst:.0f} ms (goal < 300 ms)")
        app.store.engine.dispose()


if __name__ == "__main__":
    main()

"""Intake speed: documents per second for ingest-and-check, against a raw SQLite insert of the
same payloads measured in the same run, and memory while streaming a large JSONL file.

    python bench/intake.py --documents 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from acgate.bootstrap import open_app
from acgate.service.masters import load_master
from acgate.sources.readers import read_documents

ITEMS = 200
PARTIES = 500
LINES = 5

RULES = """\
company: bench
default_location: HQ
mappings:
  identity: [customer, item]
  uom: {carton: CTN, pcs: PCS}
  tax: {SST10: S-10}
types:
  sales_invoice:
    statuses: {ready: [ready_to_bill], waiting: [draft], cancelled: [void]}
    price_check: true
"""


def master() -> dict[str, object]:
    return {
        "debtors": [{"code": f"C{p:05d}", "name": f"Syarikat Pelanggan {p} Sdn Bhd"}
                    for p in range(PARTIES)],
        "items": [{"code": f"SKU-{i:04d}", "description": f"Item {i}", "base_uom": "PCS",
                   "uoms": [{"uom": "PCS", "rate": "1", "price": "10.00"},
                            {"uom": "CTN", "rate": "24", "price": "240.00"}]}
                  for i in range(ITEMS)],
        "locations": ["HQ"],
        "tax_codes": [{"code": "S-10", "rate": "0.10"}],
    }


def documents(count: int, seed: int = 7) -> Iterator[str]:
    rng = random.Random(seed)
    for n in range(count):
        lines = [{"line": k + 1, "item": f"SKU-{rng.randrange(ITEMS):04d}",
                  "uom": rng.choice(["carton", "pcs"]), "qty": str(rng.randint(1, 20)),
                  "unit_price": "10.00", "tax_code": "SST10"} for k in range(LINES)]
        for line in lines:
            if line["uom"] == "carton":
                line["unit_price"] = "240.00"
        yield json.dumps({
            "source": "shop", "type": "sales_invoice", "id": f"INV-{n:08d}", "version": 1,
            "status": "ready_to_bill", "date": "2026-11-20",
            "party": {"code": f"C{rng.randrange(PARTIES):05d}"},
            "reference": f"PO-{n:08d}", "lines": lines,
        })


def _cpu_seconds() -> float:
    # A noisy VM moves the rate from run to run; the CPU a document costs moves much less.
    own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raw_insert_rate(path: Path, folder: Path, runs: int = 3) -> float:
    """The floor: a plain loop inserting the same payloads, WAL, 1,000 a transaction. The best
    of a few runs: on a noisy machine a slow run of the baseline would flatter the ratio."""
    return max(_raw_insert_rate(path, folder / f"raw-{run}.db") for run in range(runs))


def _raw_insert_rate(path: Path, database: Path) -> float:
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE payloads (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    started = time.perf_counter()
    count = 0
    with path.open() as lines:
        batch: list[tuple[str]] = []
        for line in lines:
            batch.append((line,))
            if len(batch) == 1000:
                with connection:
                    connection.executemany("INSERT INTO payloads (body) VALUES (?)", batch)
                count += len(batch)
                batch = []
        if batch:
            with connection:
                connection.executemany("INSERT INTO payloads (body) VALUES (?)", batch)
            count += len(batch)
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    # One more than the cores: a worker waiting for its turn to store leaves its core to it.
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1,
                        help="intake processes, as `acgate ingest --workers` "
                             "(default: one more than the cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "rules").mkdir()
        (folder / "rules" / "bench.yaml").write_text(RULES)
        (folder / "master.json").write_text(json.dumps(master()))
        source = folder / "invoices.jsonl"
        with source.open("w") as out:
            for text in documents(args.documents):
                out.write(text + "\n")
        app = open_app(folder)
        load_master(app.store, app.directory, "bench", folder / "master.json", app.clock(),
                    "bench")
        samples: list[float] = [rss_mb()]
        seen = 0

        def progress(count: int) -> None:
            nonlocal seen
            seen += count
            if seen % 10_000 < count:
                samples.append(rss_mb())

        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        report = app.intake.ingest(read_documents(source), actor="bench", progress=progress,
                                   workers=args.workers)
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        gate_rate = report.received / elapsed
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        raw_rate = raw_insert_rate(source, folder)
    print(f"documents: {report.received} ({LINES} lines each), outcomes {dict(report.outcomes)}")
    print(f"ingest-and-check: {gate_rate:,.0f} documents/s ({elapsed:.1f} s)")
    print(f"raw SQLite insert of the same payloads (WAL, 1,000 a transaction, best of 3): "
          f"{raw_rate:,.0f} documents/s")
    print(f"ratio: {gate_rate / raw_rate:.3f} (goal >= 0.05); rate goal >= 10,000 documents/s")
    print(f"CPU per document (this process and its intake workers): "
          f"{1e6 * cpu / report.received:.0f} us; {os.cpu_count()} cores")
    print(f"RSS while streaming (MB, every 10,000 documents): "
          f"{', '.join(f'{s:.0f}' for s in samples)}; peak {peak:.0f} MB")
    if args.workers > 1:
        print(f"intake workers: {args.workers} processes, peak RSS of the largest "
              f"{worker_peak:.0f} MB")


if __name__ == "__main__":
    main()

"""`acgate worker` and `acgate sync --once`: records from the holding area into AutoCount."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from typing import Annotated, Any

import typer

from acgate.cli.app import Workspace, app, console, fail, opened
from acgate.service.targets import TargetNotConfigured
from acgate.service.worker import Worker

Lease = Annotated[float, typer.Option(help="Seconds a worker holds a record it is sending.")]


def _worker(workspace: Any, lease: float, recheck_minutes: float) -> Worker:
    application = opened(workspace)
    return Worker(application.dispatcher(lease=dt.timedelta(seconds=lease)), application.review,
                  application.clock, dt.timedelta(minutes=recheck_minutes))


@app.command()
def sync(workspace: Workspace = None,
         once: Annotated[bool, typer.Option("--once", help="Until nothing is due, then exit.")]
         = True, lease: Lease = 60.0) -> None:
    """Send every ready record to AutoCount (for cron: `acgate sync --once`)."""
    worker = _worker(workspace, lease, 0)
    try:
        totals = worker.run(threading.Event(), once=once)
    except TargetNotConfigured as error:
        raise fail(str(error)) from None
    console.print(f"{totals.synced} synced, {totals.held} held, in {totals.rounds} rounds")


@app.command(name="worker")
def run_worker(workspace: Workspace = None, lease: Lease = 60.0,
               recheck_minutes: Annotated[float, typer.Option(
                   help="How often waiting records are re-checked.")] = 1.0) -> None:
    """Dispatch, batch windows and waits, until stopped (SIGTERM or Ctrl-C lose nothing)."""
    worker = _worker(workspace, lease, recheck_minutes)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    console.print("worker running; SIGTERM or Ctrl-C stops it after the record in hand")
    try:
        totals = worker.run(stop)
    except TargetNotConfigured as error:
        raise fail(str(error)) from None
    console.print(f"stopped: {totals.synced} synced, {totals.held} held, {totals.rounds} rounds")

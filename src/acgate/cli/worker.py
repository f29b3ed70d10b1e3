"""`acgate worker`, `sync`, `retry` and `reconcile`: the holding area and AutoCount."""

from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import threading
import time
from typing import Annotated, Any

import typer

from acgate.autocount.errors import TargetError
from acgate.cli.app import (
    Workspace,
    actor_name,
    app,
    console,
    emit_json,
    fail,
    master_app,
    opened,
)
from acgate.service.companies import UnknownCompany
from acgate.service.masters import pull_master
from acgate.service.reconcile import Reconciler
from acgate.service.review import ReviewError
from acgate.service.targets import TargetNotConfigured
from acgate.service.worker import ReconcileSchedule, Worker

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
                   help="How often waiting records are re-checked.")] = 1.0,
               reconcile_minutes: Annotated[float, typer.Option(
                   help="How often AutoCount is reconciled (0: never).")] = 60.0,
               reconcile_days: Annotated[int, typer.Option(
                   help="How many days back reconciliation looks.")] = 7) -> None:
    """Dispatch, batch windows, waits and reconciliation, until stopped (SIGTERM or Ctrl-C
    lose nothing)."""
    worker = _worker(workspace, lease, recheck_minutes)
    if reconcile_minutes > 0:
        application = opened(workspace)
        worker.reconcile = ReconcileSchedule(
            Reconciler(application.store, application.directory, application.targets,
                       application.clock, "worker"),
            sorted(application.directory.rules), dt.timedelta(minutes=reconcile_minutes),
            reconcile_days)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    console.print("worker running; SIGTERM or Ctrl-C stops it after the record in hand")
    try:
        totals = worker.run(stop)
    except TargetNotConfigured as error:
        raise fail(str(error)) from None
    console.print(f"stopped: {totals.synced} synced, {totals.held} held, {totals.rounds} rounds")


@master_app.command("pull")
def master_pull(company: Annotated[str | None, typer.Option()] = None,
                workspace: Workspace = None,
                actor: Annotated[str | None, typer.Option("--as")] = None) -> None:
    """Read AutoCount's master data from the company's target into the local store."""
    application = opened(workspace)
    try:
        name = application.directory.company_of(company)
        target = application.targets(name)
        master, rechecked = pull_master(application.store, application.directory, name, target,
                                        application.clock(), actor_name(actor),
                                        wait=_waiting_for_the_budget)
    except (UnknownCompany, TargetNotConfigured, TargetError) as error:
        raise fail(str(error)) from None
    counts = ", ".join(f"{v} {k}" for k, v in master.counts().items())
    console.print(f"master data pulled from AutoCount: {counts}; {rechecked} open records "
                  "re-checked")
    if target.unlisted_master_tables:
        console.print(f"the {target.name} target lists no "
                      f"{', '.join(sorted(target.unlisted_master_tables))}: kept as loaded before")


def _waiting_for_the_budget(seconds: float) -> None:
    # A pull reads a Cloud book's products one by one: past about 100 a minute it waits.
    console.print(f"AutoCount's call budget is spent: waiting {seconds:.0f} s")
    time.sleep(seconds)


@app.command()
def retry(ref: str, reason: Annotated[str, typer.Option("--reason", "-r")],
          workspace: Workspace = None,
          actor: Annotated[str | None, typer.Option("--as")] = None) -> None:
    """Send a failed or refused sync again (after its cause is fixed)."""
    application = opened(workspace)
    try:
        verdict = application.review.retry(ref, actor_name(actor), reason)
    except ReviewError as error:
        raise fail(str(error)) from None
    console.print(f"{verdict.work.identity}: {verdict.outcome.value}; the worker sends it when due")


@app.command()
def reconcile(
    date_from: Annotated[dt.datetime, typer.Option("--from", formats=["%Y-%m-%d"])],
    date_to: Annotated[dt.datetime, typer.Option("--to", formats=["%Y-%m-%d"])],
    company: Annotated[str | None, typer.Option()] = None, workspace: Workspace = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compare what AutoCount holds with what acgate posted, for documents dated in the range."""
    application = opened(workspace)
    try:
        name = application.directory.company_of(company)
        report = Reconciler(application.store, application.directory, application.targets,
                            application.clock).run(name, date_from.date(), date_to.date(),
                                                   wait=_waiting_for_the_budget)
    except (UnknownCompany, TargetNotConfigured) as error:
        raise fail(str(error)) from None
    if as_json:
        emit_json(dataclasses.asdict(report))
        return
    console.print(f"{report.checked} synced documents compared: {report.matching} match, "
                  f"{len(report.edited)} edited in AutoCount (held), {len(report.missing)} "
                  f"missing (held), {len(report.accepted)} AutoCount-owned changes accepted")
    for identity, fields in report.edited:
        console.print(f"  edited: {identity}: {', '.join(fields)}", highlight=False)
    for identity in report.missing:
        console.print(f"  missing: {identity}", highlight=False)

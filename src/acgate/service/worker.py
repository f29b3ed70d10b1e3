"""The worker: dispatch, batch windows and waits, reconciliation, until told to stop.

Stopping is safe at any moment. On SIGTERM it finishes the document in hand and exits; after a
kill -9 the outbox entry it held is in doubt once its lease runs out, and the next worker looks
it up in AutoCount before sending anything.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from acgate.autocount.errors import TargetError
from acgate.domain.codes import Code, Outcome
from acgate.service.dispatch import Dispatcher, DispatchReport
from acgate.service.reconcile import Reconciler
from acgate.service.review import Review


@dataclass
class WorkerTotals:
    rounds: int = 0
    synced: int = 0
    held: int = 0
    rechecks: int = 0
    reconciliations: int = 0


@dataclass(frozen=True, slots=True)
class ReconcileSchedule:
    """Reconcile each company's last `days` days every `every`."""

    reconciler: Reconciler
    companies: list[str]
    every: dt.timedelta
    days: int = 7


class Worker:
    def __init__(self, dispatcher: Dispatcher, review: Review,
                 clock: Callable[[], dt.datetime],
                 recheck_every: dt.timedelta = dt.timedelta(minutes=1),
                 idle_wait: float = 1.0, reconcile: ReconcileSchedule | None = None) -> None:
        self.dispatcher = dispatcher
        self.review = review
        self.clock = clock
        self.recheck_every = recheck_every
        self.idle_wait = idle_wait
        self.reconcile = reconcile
        self.totals = WorkerTotals()
        self._last_recheck: dt.datetime | None = None
        self._last_reconcile: dt.datetime | None = None
        self._stop = threading.Event()

    def round(self) -> DispatchReport:
        """One pass: re-check what waits when due (windows open, waits expire), then dispatch."""
        now = self.clock()
        if self._last_recheck is None or now - self._last_recheck >= self.recheck_every:
            self.review.recheck((Outcome.WAITING,), actor=self.dispatcher.worker,
                                reason="scheduled re-check")
            # Time alone cures a date in the future and a batch window: once its day or its
            # window has come, a held record is looked at again without anybody's action, as a
            # waiting one is, so its findings say what still holds it.
            self.review.recheck((Outcome.HELD,), actor=self.dispatcher.worker,
                                reason="scheduled re-check",
                                codes=(Code.DATE_OUT_OF_RANGE, Code.SCHEDULED_BATCH))
            self._last_recheck = now
            self.totals.rechecks += 1
        report = self.dispatcher.run_once()
        self._reconcile(now)
        self.totals.rounds += 1
        self.totals.synced += len(report.synced)
        self.totals.held += len(report.held)
        return report

    def _reconcile(self, now: dt.datetime) -> None:
        schedule = self.reconcile
        if schedule is None or (self._last_reconcile is not None
                                and now - self._last_reconcile < schedule.every):
            return
        for company in schedule.companies:
            if self._stop.is_set():
                return  # not reconciled this round: the next worker's first round does it
            # Documents are dated in their company's time zone, where today may not be the
            # clock's (UTC) today: a document dated this morning in Kuala Lumpur is still in it.
            today = now.astimezone(schedule.reconciler.directory.rules[company].zone).date()
            try:
                schedule.reconciler.run(company, today - dt.timedelta(days=schedule.days), today,
                                        self._stop.is_set, self._pause)
            except TargetError:
                continue  # AutoCount unreachable: the next round tries again
            self.totals.reconciliations += 1
        self._last_reconcile = now

    def _pause(self, seconds: float) -> None:
        self._stop.wait(seconds)  # told to stop, it returns at once and the read goes on

    def run(self, stop: threading.Event, once: bool = False) -> WorkerTotals:
        self._stop = stop  # reconciliation, the longest part of a round, asks it as it goes
        while not stop.is_set():
            report = self.round()
            if once and report.idle:
                break
            if report.wait_seconds:
                stop.wait(report.wait_seconds)
            elif report.idle:
                stop.wait(self.idle_wait)
        return self.totals

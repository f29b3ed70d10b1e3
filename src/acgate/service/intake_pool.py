"""Intake across several processes, committed in the order the records arrived.

Each worker process takes a batch, checks it on a read snapshot (no lock held), then waits for
its turn: batch n commits only after batch n-1. Holding the write lock it asks again every read
its checks made; when all answer the same, the planned writes are stored, otherwise it checks
the batch again there (`acgate.storage.planning`). So the outcome of every record is the one a
single process would have reached, while the checking of different batches overlaps.

Workers are forked, so they start with the parent's rules and master data already built; the
records travel to them pickled, the batch reports come back the same way.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterable
from multiprocessing.context import ForkContext, ForkProcess
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Condition

from acgate.service.ingest import IngestReport, Intake, batch_collection
from acgate.sources.records import RawRecord

_Task = tuple[int, list[RawRecord]] | None
_Result = tuple[int, int, IngestReport | None, str | None]
_POLL_SECONDS = 0.5


class IntakeWorkerFailed(RuntimeError):
    pass


def ingest_in_processes(intake: Intake, records: Iterable[RawRecord], workers: int,
                        actor: str | None,
                        progress: Callable[[int], None] | None) -> IngestReport:
    context = multiprocessing.get_context("fork")
    with batch_collection():  # before the fork, so that the workers inherit it
        pool = _Pool(context, intake, workers, actor)
        try:
            return pool.run(intake.batches(records), progress)
        finally:
            pool.stop()


class _Pool:
    def __init__(self, context: ForkContext, intake: Intake, workers: int,
                 actor: str | None) -> None:
        self.tasks: multiprocessing.Queue[_Task] = context.Queue(maxsize=2 * workers)
        self.results: multiprocessing.Queue[_Result] = context.Queue()
        turn: Synchronized[int] = context.Value("q", 0)
        condition = context.Condition()
        self.processes: list[ForkProcess] = [
            context.Process(target=_work, args=(intake, actor, self.tasks, self.results, turn,
                                                condition), daemon=True)
            for _ in range(workers)
        ]
        for process in self.processes:
            process.start()
        self.report = IngestReport()
        self.waiting: dict[int, tuple[int, IngestReport]] = {}
        self.merged = 0

    def run(self, batches: Iterable[list[RawRecord]],
            progress: Callable[[int], None] | None) -> IngestReport:
        sent = 0
        for batch in batches:
            while True:
                try:
                    self.tasks.put((sent, batch), timeout=_POLL_SECONDS)
                    break
                except queue.Full:
                    self._collect(progress, block=True)
            sent += 1
            self._collect(progress, block=False)
        while self.merged < sent:
            self._collect(progress, block=True)
        return self.report

    def _collect(self, progress: Callable[[int], None] | None, block: bool) -> None:
        while True:
            try:
                number, size, report, failure = self.results.get(
                    block=block, timeout=_POLL_SECONDS if block else None)
            except queue.Empty:
                self._check_alive()
                return
            if failure is not None or report is None:
                raise IntakeWorkerFailed(f"an intake worker failed on batch {number + 1}: "
                                         f"{failure}")
            self.waiting[number] = (size, report)
            while self.merged in self.waiting:  # merge in arrival order: problems stay in order
                size, report = self.waiting.pop(self.merged)
                self.report.merge(report)
                self.merged += 1
                if progress:
                    progress(size)
            block = False

    def _check_alive(self) -> None:
        dead = [p for p in self.processes if p.exitcode not in (None, 0)]
        if dead:
            raise IntakeWorkerFailed(f"an intake worker stopped with exit code "
                                     f"{dead[0].exitcode}; batches before it are stored, run "
                                     "the intake again for the rest (what is stored is "
                                     "recognised as a redelivery)")

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                try:
                    self.tasks.put_nowait(None)
                except queue.Full:
                    process.terminate()
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()


def _work(intake: Intake, actor: str | None, tasks: multiprocessing.Queue[_Task],
          results: multiprocessing.Queue[_Result], turn: Synchronized[int],
          condition: Condition) -> None:
    # The parent's pooled connections belong to the parent; open this process's own.
    intake.store.engine.dispose(close=False)
    while (task := tasks.get()) is not None:
        if not _take(intake, actor, *task, results, turn, condition):
            return
        del task
        batch_collection.batch_done()  # the batch is gone by now: little is left to scan


def _take(intake: Intake, actor: str | None, number: int, batch: list[RawRecord],
          results: multiprocessing.Queue[_Result], turn: Synchronized[int],
          condition: Condition) -> bool:
    try:
        now = intake.clock()
        plan, planned = intake.plan(batch, actor, now)
        with condition:
            condition.wait_for(lambda: turn.value == number)
        report = intake.commit(batch, actor, now, plan, planned)
    except BaseException as error:  # the parent stops the others and reports it
        results.put((number, len(batch), None, _describe(error)))
        return False
    with condition:
        turn.value = number + 1
        condition.notify_all()
    results.put((number, len(batch), report, None))
    return True


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


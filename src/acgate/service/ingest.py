"""Intake: each delivered payload becomes a new version, a redelivery, a stale version, a refused
conflict or an invalid document, and every new version is checked at once."""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import itertools
import json
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from acgate.checks.approval import approved_as_is
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import (
    Document,
    FieldProblem,
    Identity,
    content_hash,
    parse_document,
    raw_identity,
    status_as_sent,
)
from acgate.domain.versions import VersionKey, compare
from acgate.service.companies import CompanyDirectory, UnknownCompany
from acgate.service.pipeline import (
    Verdict,
    Work,
    document_state,
    judge,
    recheck,
    record,
    version_hash,
    waiting_on,
)
from acgate.sources.records import RawRecord
from acgate.storage.planning import NeedsLock, Plan, PlanningRepository, apply_plan
from acgate.storage.repository import Repository, StoredDocument
from acgate.storage.store import Store

MAX_PROBLEMS_KEPT = 1000


@dataclass(frozen=True, slots=True)
class IntakeProblem:
    """A payload that was not taken as a new version, and why; what a source must fix."""

    origin: str
    identity: str | None
    kind: str  # unreadable | invalid | conflict | unknown_company
    problems: tuple[FieldProblem, ...]

    @property
    def code(self) -> str | None:
        """A payload that breaks the contract (or conflicts with its stored version) is refused
        as INVALID_DOCUMENT; an unknown company is a configuration matter."""
        return None if self.kind == "unknown_company" else Code.INVALID_DOCUMENT.value

    def __str__(self) -> str:
        where = f"{self.origin} ({self.identity})" if self.identity else self.origin
        code = f"{self.code}: " if self.code else ""
        return f"{where}: {code}" + "; ".join(str(p) for p in self.problems)


@dataclass(slots=True)
class IngestReport:
    received: int = 0
    new_documents: int = 0
    new_versions: int = 0
    redeliveries: int = 0
    stale: int = 0
    refused: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    problems: list[IntakeProblem] = field(default_factory=list)
    problem_count: int = 0
    checked: list[Verdict] = field(default_factory=list)

    def problem(self, problem: IntakeProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    def merge(self, other: IngestReport) -> None:
        """Add another batch's report to this one."""
        for name in ("received", "new_documents", "new_versions", "redeliveries", "stale",
                     "refused"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outcomes.update(other.outcomes)
        self.codes.update(other.codes)
        self.problem_count += other.problem_count
        self.problems.extend(other.problems[:MAX_PROBLEMS_KEPT - len(self.problems)])
        self.checked.extend(other.checked)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received, "new_documents": self.new_documents,
            "new_versions": self.new_versions, "redeliveries": self.redeliveries,
            "stale": self.stale, "refused": self.refused, "outcomes": dict(self.outcomes),
            "codes": dict(self.codes), "problem_count": self.problem_count,
            "problems": [
                {"origin": p.origin, "identity": p.identity, "kind": p.kind, "code": p.code,
                 "problems": [x.as_dict() for x in p.problems]}
                for p in self.problems
            ],
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def _same_content(record: RawRecord, stored: StoredDocument, doc: Document) -> bool:
    """Whether a delivery of the stored version says what it said: the same text does, and
    other text may spell the same content (key order, spacing, number spelling)."""
    if stored.raw is not None and stored.raw == received_text(record):
        return True
    return version_hash(stored.content_hash, stored.raw) == content_hash(doc)


def received_text(record: RawRecord) -> str:
    """The payload as the source sent it when the reader kept its text, else re-encoded."""
    if record.text is not None:
        return record.text
    return json.dumps(record.payload, ensure_ascii=False, default=_json_default)


class _BatchCollection:
    """Collect cyclic garbage between batches, not while one is in flight.

    A batch allocates hundreds of thousands of objects that live until the batch ends and are
    then freed by reference counting; the automatic cyclic collector would rescan them again and
    again (at the default thresholds, a third of intake's time). So automatic collection is off
    while intake runs and each finished batch collects the young generations, which by then hold
    little but the batch's cyclic garbage: memory stays bounded by one batch. The setting is
    process-wide, so concurrent intakes (the API server's threads) share it and the last one out
    restores it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._was_enabled = gc.isenabled()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._was_enabled:
                    gc.enable()

    @staticmethod
    def batch_done() -> None:
        gc.collect(1)


batch_collection = _BatchCollection()


def can_fork() -> bool:
    """Whether intake workers can be forked here: they start with the parent's rules and master
    data, which a spawned process would have to build again."""
    return "fork" in multiprocessing.get_all_start_methods()


class Intake:
    """Runs intake in batches, one transaction per batch (one in all for a dry run)."""

    def __init__(self, store: Store, directory: CompanyDirectory,
                 clock: Callable[[], dt.datetime], batch_size: int = 1000) -> None:
        self.store = store
        self.directory = directory
        self.clock = clock
        self.batch_size = batch_size

    def ingest(self, records: Iterable[RawRecord], actor: str | None = None,
               progress: Callable[[int], None] | None = None,
               keep_verdicts: bool = False, workers: int = 1) -> IngestReport:
        """Take every record, a batch at a time, in order. With `workers` > 1, batches are
        checked by that many processes at once and still committed in order, each exactly as
        one process would have (see `acgate.service.intake_pool`). Where processes cannot be
        forked (Windows), one process does it all: the outcomes are the same."""
        if workers > 1 and not keep_verdicts and self.store.shared_between_processes \
                and can_fork():
            # Imported here: the pool runs this module's batches, so it imports this module.
            from acgate.service.intake_pool import ingest_in_processes

            return ingest_in_processes(self, records, workers, actor, progress)
        report = IngestReport()
        with batch_collection():
            for batch in self.batches(records):
                with self.store.transaction() as repo:
                    self._check(repo, batch, actor, self.clock(), report, keep_verdicts)
                if progress:
                    progress(len(batch))
                del batch
                batch_collection.batch_done()
        return report

    def batches(self, records: Iterable[RawRecord]) -> Iterator[list[RawRecord]]:
        iterator = iter(records)
        while batch := list(itertools.islice(iterator, self.batch_size)):
            yield batch

    def plan(self, batch: list[RawRecord], actor: str | None,
             now: dt.datetime) -> tuple[Plan | None, IngestReport]:
        """Check a batch on a read snapshot, taking no lock; no plan when it needs the lock."""
        report = IngestReport()
        with self.store.snapshot() as connection:
            repo = PlanningRepository(connection)
            try:
                self._check(repo, batch, actor, now, report)
            except NeedsLock:
                return None, IngestReport()
        return repo.plan, report

    def commit(self, batch: list[RawRecord], actor: str | None, now: dt.datetime,
               plan: Plan | None, planned: IngestReport) -> IngestReport:
        """Under the write lock: store the plan if what it read still holds, else check the
        batch again here."""
        with self.store.transaction() as repo:
            if plan is not None and apply_plan(plan, repo):
                return planned
            report = IngestReport()
            self._check(repo, batch, actor, now, report)
            return report

    def _check(self, repo: Repository, batch: list[RawRecord], actor: str | None,
               now: dt.datetime, report: IngestReport, keep_verdicts: bool = False) -> None:
        _Batch(repo, self.directory, now, actor, report, keep_verdicts).run(batch)

    def dry_run(self, records: Iterable[RawRecord]) -> IngestReport:
        """What intake would do, with every check, storing nothing."""
        report = IngestReport()
        with self.store.transaction(rollback=True) as repo:
            self._check(repo, list(records), None, self.clock(), report, keep_verdicts=True)
        return report


class _Batch:
    def __init__(self, repo: Repository, directory: CompanyDirectory, now: dt.datetime,
                 actor: str | None, report: IngestReport, keep_verdicts: bool) -> None:
        self.repo = repo
        self.directory = directory
        self.now = now
        self.actor = actor
        self.report = report
        self.keep_verdicts = keep_verdicts
        self.works: list[Work] = []
        self.pending: set[Identity] = set()
        self.new_rows: dict[int, dict[str, Any]] = {}
        self.version_rows: dict[int, dict[str, Any]] = {}
        self.superseded: list[int] = []
        self.events: list[dict[str, Any]] = []
        self.intake_errors: list[dict[str, Any]] = []
        self.stored: dict[Identity, StoredDocument] = {}

    def run(self, records: list[RawRecord]) -> None:
        self.stored = self.repo.by_identities(
            identity for r in records if (identity := raw_identity(r.payload)) is not None
        )
        for raw in records:
            self.report.received += 1
            self._take(raw)
        self._flush()

    # ---- classifying each payload -----------------------------------------------------------
    def _take(self, record: RawRecord) -> None:
        if record.payload is None:
            self._refuse(record, None, "unreadable",
                         [FieldProblem("", record.problem or "unreadable", record.fix)])
            return
        parsed = parse_document(record.payload)
        identity = parsed.identity if not isinstance(parsed, list) else raw_identity(
            record.payload)
        if identity is None:
            problems = parsed if isinstance(parsed, list) else []
            self._refuse(record, None, "invalid", problems)
            return
        declared = record.payload.get("company")
        try:
            # Read as validation reads the field: spaces around it dropped, empty is absent.
            company = self.directory.company_of(
                declared.strip() or None if isinstance(declared, str) else None)
        except UnknownCompany as error:
            self._refuse(record, identity, "unknown_company",
                         [FieldProblem("company", str(error), "configure the company")])
            return
        if identity in self.pending:
            self._flush()  # two versions of one document in a batch: judge them in order
            self.stored.update(self.repo.by_identities([identity]))
        stored = self.stored.get(identity)
        if stored is not None and stored.company != company:
            self._other_company(record, identity, stored, company,
                                parsed if isinstance(parsed, list) else [])
            return
        if isinstance(parsed, list):
            self._take_invalid(record, identity, company, parsed)
        else:
            self._take_valid(record, identity, company, parsed)

    def _take_valid(self, record: RawRecord, identity: Identity, company: str,
                    doc: Any) -> None:
        key = VersionKey(doc.version, doc.updated_at)
        stored = self.stored.get(identity)
        order = self._order(stored, key)
        if stored is not None and order == 0 and stored.state != "invalid":
            if _same_content(record, stored, doc):
                self.report.redeliveries += 1
                self._event(stored.id, "redelivered", f"{key.describe()} delivered again",
                            {"origin": record.origin})
            else:
                self._conflict(record, identity, stored, key, [])
            return
        if stored is not None and order < 0:
            self._stale(record, stored, key, doc.status, [])
            return
        self._new_version(record, identity, company, stored, key, doc, [])

    def _take_invalid(self, record: RawRecord, identity: Identity, company: str,
                      problems: list[FieldProblem]) -> None:
        key = VersionKey.of_payload(record.payload)
        stored = self.stored.get(identity)
        order = self._order(stored, key)
        if stored is not None and order == 0 and stored.state != "invalid":
            # A broken copy of a stored version is other content for that version: the stored
            # version stands, as for any other conflict.
            self._conflict(record, identity, stored, key, problems)
            return
        self._refuse_noted(record, identity, "invalid", problems)
        if stored is not None and order < 0:
            self._stale(record, stored, key, status_as_sent(record.payload), problems)
            return
        self._new_version(record, identity, company, stored, key, None, problems)

    def _order(self, stored: StoredDocument | None, key: VersionKey) -> int:
        if stored is None:
            return 1
        newest = VersionKey(stored.version, stored.source_updated_at)
        if newest == (None, None):
            # The current version is a broken delivery whose version could not be read: what
            # came before it still orders what comes after, so an old version stays stale.
            newest = VersionKey(*self.repo.newest_version(stored.id))
        return compare(key, newest)

    # ---- outcomes of classification ------------------------------------------------------------
    def _conflict(self, record: RawRecord, identity: Identity, stored: StoredDocument,
                  key: VersionKey, problems: list[FieldProblem]) -> None:
        self._refused_beside(
            record, identity, stored,
            f"{key.describe()} arrived again with different content; the stored version stands",
            FieldProblem("version", f"{key.describe()} is already stored with different content",
                         "send the change as a newer version"), problems)

    def _other_company(self, record: RawRecord, identity: Identity, stored: StoredDocument,
                       company: str, problems: list[FieldProblem]) -> None:
        # The identity is the source's (source, type, id): one document, in one company's book.
        # Taking this as its next version would move that company's record into this one's.
        self._refused_beside(
            record, identity, stored,
            f"arrived for company {company}, but this is company {stored.company}'s document; "
            "its versions stand",
            FieldProblem("company", f"{identity} is already a document of company "
                         f"{stored.company}", f"send it with company {stored.company}, or "
                         f"under an id of its own for company {company}"), problems)

    def _refused_beside(self, record: RawRecord, identity: Identity, stored: StoredDocument,
                        reason: str, problem: FieldProblem,
                        problems: list[FieldProblem]) -> None:
        """Refused, and kept as sent on the timeline of the stored document it collided with."""
        self.report.refused += 1
        self._event(stored.id, "refused", reason,
                    {"origin": record.origin, "code": Code.INVALID_DOCUMENT.value,
                     "raw": received_text(record)})
        self._refuse_noted(record, identity, "conflict", [problem, *problems])

    def _new_version(self, record: RawRecord, identity: Identity, company: str,
                     stored: StoredDocument | None, key: VersionKey, doc: Any,
                     problems: list[FieldProblem]) -> None:
        if stored is None:
            document_id = self.repo.new_id("documents")
            first_received = self.now
            self.new_rows[document_id] = {
                "id": document_id, "company": company, "source": identity.source,
                "type": identity.type.value, "doc_id": identity.id,
                "first_received_at": self.now,
            }
            self.report.new_documents += 1
        else:
            document_id, first_received = stored.id, stored.first_received_at
            if stored.current_version_id:
                self.superseded.append(stored.current_version_id)
        version_id = self._next_version_id()
        status = doc.status if doc is not None else status_as_sent(record.payload)
        self.version_rows[version_id] = {
            "id": version_id, "document_id": document_id, "version": key.version,
            "source_updated_at": key.updated_at, "raw": received_text(record),
            "origin": record.origin, "received_at": self.now, "status": status,
            "state": "current" if doc is not None else "invalid",
            "approved": bool(doc is not None and approved_as_is(doc)),
            "problems": [p.as_dict() for p in problems] or None,
            # No `released`: nothing is released on a version yet, and none reads as empty.
        }
        self.report.new_versions += 1
        self.pending.add(identity)
        self.works.append(Work(
            document_id=document_id, version_id=version_id, identity=identity, company=company,
            doc=doc, problems=problems, first_received_at=first_received, previous=stored,
            event_kind="received", actor=self.actor or f"source {identity.source}",
            reason=f"{key.describe()} received from {record.origin}",
            event_data={"origin": record.origin, "version": key.version, "status": status},
        ))

    def _next_version_id(self) -> int:
        return self.repo.new_id("versions")

    def _stale(self, record: RawRecord, stored: StoredDocument, key: VersionKey,
               status: str | None, problems: list[FieldProblem]) -> None:
        self.report.stale += 1
        version_id = self._next_version_id()
        self.version_rows[version_id] = {
            "id": version_id, "document_id": stored.id, "version": key.version,
            "source_updated_at": key.updated_at, "raw": received_text(record),
            "origin": record.origin, "received_at": self.now, "status": status, "state": "stale",
            "approved": False,
            "problems": [p.as_dict() for p in problems] or None,
            "outcome": None, "assessment": None,
        }
        self._event(stored.id, "stale", f"{key.describe()} is older than the stored "
                    f"{VersionKey(stored.version, stored.source_updated_at).describe()}; "
                    "recorded, not applied", {"origin": record.origin}, version_id)

    def _refuse(self, record: RawRecord, identity: Identity | None, kind: str,
                problems: list[FieldProblem]) -> None:
        self.report.refused += 1
        self._refuse_noted(record, identity, kind, problems)
        self.intake_errors.append({
            "company": None, "received_at": self.now, "origin": record.origin,
            "raw": received_text(record) if record.payload is not None or record.text is not None
            else record.problem or "",
            "problems": [p.as_dict() for p in problems],
        })

    def _refuse_noted(self, record: RawRecord, identity: Identity | None, kind: str,
                      problems: list[FieldProblem]) -> None:
        self.report.problem(IntakeProblem(record.origin, str(identity) if identity else None,
                                          kind, tuple(problems)))

    def _event(self, document_id: int, kind: str, reason: str, data: dict[str, Any],
               version_id: int | None = None) -> None:
        self.events.append({
            "document_id": document_id, "version_id": version_id, "company": None, "at": self.now,
            "actor": self.actor or "intake", "kind": kind, "reason": reason, "data": data,
        })

    # ---- judging and storing ----------------------------------------------------------------
    def _flush(self) -> None:
        # Every read first, then every write: a batch planned on a snapshot must not need to
        # read what it has written (see storage.planning).
        verdicts = judge(self.repo, self.directory.lookup(self.repo), self.works, self.now) \
            if self.works else []
        # A tracked document never syncs: what waited on it may go now. A new version of a
        # document AutoCount never had may take less from what it fulfils (a delivery cancelled
        # or cut): another held over the same order may fit now. Asked here, before the writes,
        # so that a batch with nothing waiting on those is still planned without the lock.
        tracked = [str(v.work.identity) for v in verdicts if v.outcome is Outcome.TRACKED]
        after_tracked = waiting_on(self.repo, verdicts, tracked)
        changed = {v.work.document_id for v in verdicts if v.work.previous is not None
                   and v.work.previous.synced_version_id is None
                   and v.work.previous.counts_in_ledger}
        beside = [document_id for document_id in waiting_on(self.repo, verdicts, {
            c.target for v in verdicts if v.work.document_id in changed
            for c in v.contributions}) if document_id not in changed]
        self.repo.supersede(self.superseded)
        self.repo.add_intake_errors(self.intake_errors)
        states = {v.work.document_id: document_state(v, self.now) for v in verdicts}
        self.repo.insert_documents([{**row, **states[doc_id]}
                                    for doc_id, row in self.new_rows.items()])
        for verdict in verdicts:
            row = self.version_rows[verdict.work.version_id]
            row["outcome"] = verdict.outcome.value
            row["assessment"] = verdict.assessment
        self.repo.insert_versions(list(self.version_rows.values()))
        self.repo.update_documents([state for doc_id, state in states.items()
                                    if doc_id not in self.new_rows])
        record(self.repo, verdicts, self.now)
        self.repo.append_events(self.events)
        for verdict in verdicts:
            self.report.outcomes[verdict.outcome.value] += 1
            for finding in verdict.findings:
                self.report.codes[finding.code.value] += 1
        if self.keep_verdicts:
            self.report.checked.extend(verdicts)
        for ids, reason in ((after_tracked, "a document it depends on is tracked"),
                            (beside, "a document fulfilling the same one changed")):
            if ids:
                recheck(self.repo, self.directory.lookup(self.repo), ids, self.now, "acgate",
                        reason, only_changes=True)
        self.works, self.new_rows, self.version_rows = [], {}, {}
        self.pending = set()
        self.superseded, self.events, self.intake_errors = [], [], []

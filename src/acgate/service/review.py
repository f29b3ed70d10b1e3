"""What people do in the holding area: re-check, release, reject, assign, comment, add a mapping.

Every action is one event per record it touches, naming who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from acgate.domain.checklist import blocks, unwaivable
from acgate.domain.codes import WAY_OUT, Code, Outcome
from acgate.domain.documents import Identity
from acgate.domain.rules import Table
from acgate.service.companies import CompanyDirectory
from acgate.service.pipeline import Verdict, alongside, recheck
from acgate.storage.outbox import Outbox
from acgate.storage.repository import Repository, StoredDocument, finding_from_row
from acgate.storage.store import Store

# The findings a retry clears: a failed or refused sync, or a document AutoCount lost.
RETRYABLE = frozenset({Code.SYNC_FAILED.value, Code.SYNC_REJECTED.value,
                       Code.MISSING_IN_AUTOCOUNT.value, Code.TARGET_UNSUPPORTED.value})


class ReviewError(ValueError):
    """An action that cannot be taken, with what to do instead."""


class UnknownDocument(ReviewError):
    """No document goes by the reference given."""


@dataclass(frozen=True, slots=True)
class MappingResult:
    rechecked: int
    moved_on: list[str]  # identities that left held/waiting because of the mapping
    replaced: str | None = None  # the AutoCount code the source code was mapped to before


def find_document(repo: Repository, ref: str) -> StoredDocument:
    """A document by `source/type/id`, by its source id alone, or by its AutoCount number."""
    candidates: list[StoredDocument] = []
    try:
        identity = Identity.parse(ref)
    except ValueError:
        identity = None
    if identity is not None:
        candidates = list(repo.by_identities([identity]).values())
    if not candidates:
        candidates = repo.by_autocount_doc_no(ref)
    if not candidates:
        candidates = repo.by_doc_id(ref)
    if not candidates:
        raise UnknownDocument(
            f"no document {ref!r}; use source/type/id as `acgate queue` shows it")
    if len(candidates) > 1:
        names = ", ".join(str(c.identity) for c in candidates)
        raise ReviewError(
            f"{ref!r} names {len(candidates)} documents ({names}); use source/type/id")
    return candidates[0]


class Review:
    def __init__(self, store: Store, directory: CompanyDirectory,
                 clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.directory = directory
        self.clock = clock

    # ---- re-checks ------------------------------------------------------------------------
    def recheck_ids(self, repo: Repository, ids: Sequence[int], actor: str, reason: str,
                    kind: str = "rechecked", released: dict[int, dict[str, str]] | None = None,
                    only_changes: bool = False) -> list[Verdict]:
        return recheck(repo, self.directory.lookup(repo), ids, self.clock(), actor, reason,
                       kind, released, only_changes)

    def recheck(self, outcomes: Sequence[Outcome] = (Outcome.HELD, Outcome.WAITING),
                company: str | None = None, actor: str = "acgate",
                reason: str = "re-check", codes: Sequence[Code] = ()) -> list[Verdict]:
        """Re-check the records in these outcomes (with `codes`, only those with a finding of
        one of them); events only for those whose outcome changes."""
        with self.store.transaction() as repo:
            ids = repo.ids_where(company=company, outcomes=outcomes, codes=codes)
            return self.recheck_ids(repo, ids, actor, reason, only_changes=True)

    # ---- decisions on one record ---------------------------------------------------------------
    def release(self, ref: str, actor: str, reason: str) -> Verdict:
        """Let a held or waiting record through, naming who and why. Causes a person cannot
        waive (an unmapped code, a broken payload) must be fixed instead."""
        _require_reason(reason, "release")
        with self.store.transaction() as repo:
            stored = find_document(repo, ref)
            if stored.outcome in (Outcome.HELD, Outcome.WAITING):
                # Judged on its findings as of now: one time has cured since its last check (a
                # batch window that has opened) no longer stands in the way.
                self.recheck_ids(repo, [stored.id], actor, "re-checked before a release",
                                 only_changes=True)
                stored = find_document(repo, str(stored.identity))
            if stored.outcome not in (Outcome.HELD, Outcome.WAITING):
                raise ReviewError(f"{stored.identity} is {stored.outcome.value}; only held or "
                                  "waiting records can be released")
            findings = [finding_from_row(row)
                        for row in repo.findings_of([stored.id]).get(stored.id, [])]
            open_codes = [f.code for f in findings if blocks(f)]
            blocked = sorted({f.code for f in unwaivable(findings)})
            if blocked:
                # Each firm code has its own way out (a retry, a mapping, the source moving
                # on): the refusal names it, as the record page does, so every face says the same.
                ways = "; ".join(f"{code.value}: {WAY_OUT[code]}" for code in blocked)
                raise ReviewError(
                    f"{stored.identity} cannot be released while it has "
                    f"{', '.join(code.value for code in blocked)}. Way out: {ways}")
            given = {code.value: f"{actor}: {reason}" for code in open_codes}
            return self.recheck_ids(repo, [stored.id], actor, reason, "released",
                                    {stored.id: given})[0]

    def reject(self, ref: str, actor: str, reason: str) -> StoredDocument:
        """This version will never sync; a newer version from the source re-opens it."""
        _require_reason(reason, "reject")
        now = self.clock()
        with self.store.transaction() as repo:
            stored = find_document(repo, ref)
            if stored.outcome in (Outcome.SYNCED, Outcome.REJECTED):
                raise ReviewError(f"{stored.identity} is {stored.outcome.value} and cannot be "
                                  "rejected")
            if Outbox(repo).cancel_unsent(stored.id, now):
                raise ReviewError(
                    f"{stored.identity} is being sent to AutoCount, which may already hold it: "
                    "wait for AutoCount's answer (its trace shows each attempt), then reject it")
            repo.update_documents([{"id": stored.id, "outcome": Outcome.REJECTED.value,
                                    "owner": None, "counts_in_ledger": False,
                                    "changed_at": now}])
            if stored.current_version_id is not None:
                repo.set_version_fields(stored.current_version_id,
                                        outcome=Outcome.REJECTED.value)
            repo.replace_keys([stored.id], [])
            repo.append_events([_event(stored, now, actor, "rejected", reason,
                                       {"outcome": "rejected",
                                        "previous_outcome": stored.outcome.value})])
            if stored.synced_version_id is None:
                # What it took from an order was acgate's count alone: others may fit now.
                self.recheck_ids(repo, alongside(repo, [stored.id]), actor,
                                 f"{stored.identity}, fulfilling the same document, was rejected",
                                 only_changes=True)
            return stored

    def retry(self, ref: str, actor: str, reason: str) -> Verdict:
        """A failed or refused sync goes again: its sync finding is cleared and the record is
        re-checked, so it is dispatched once it is ready."""
        _require_reason(reason, "retry")
        now = self.clock()
        with self.store.transaction() as repo:
            stored = find_document(repo, ref)
            if not any(f.get("code") in RETRYABLE for f in stored.carried):
                raise ReviewError(f"{stored.identity} has no failed sync to retry")
            if stored.outcome is not Outcome.HELD:
                # A rejected record keeps its failed sync's finding; sending it again would post
                # what a person decided must never sync.
                raise ReviewError(f"{stored.identity} is {stored.outcome.value}; only a held "
                                  "record's sync can be retried")
            assert stored.current_version_id is not None
            repo.set_version_fields(stored.current_version_id, carried=[
                f for f in stored.carried if f.get("code") not in RETRYABLE])
            reopened = Outbox(repo).reopen_failed(stored.id, stored.current_version_id, now)
            if any(f.get("code") == Code.MISSING_IN_AUTOCOUNT.value for f in stored.carried):
                # AutoCount lost it: post it afresh under the same key.
                repo.update_documents([{"id": stored.id, "autocount_doc_no": None,
                                        "synced_version_id": None, "changed_at": now}])
                Outbox(repo).reopen_done(stored.id, stored.current_version_id, now)
            verdicts = self.recheck_ids(repo, [stored.id], actor,
                                        f"{reason} ({reopened} sync entries due again)",
                                        "retried")
            return verdicts[0]

    def assign(self, ref: str, actor: str, assignee: str, reason: str | None = None) -> None:
        assignee = assignee.strip()
        if not assignee:
            # A record assigned to nobody by name would sit in nobody's queue.
            raise ReviewError("name the person to assign it to; the name is blank")
        now = self.clock()
        with self.store.transaction() as repo:
            stored = find_document(repo, ref)
            repo.update_documents([{"id": stored.id, "assignee": assignee, "changed_at": now}])
            repo.append_events([_event(stored, now, actor, "assigned",
                                       reason or f"assigned to {assignee}",
                                       {"assignee": assignee, "previous": stored.assignee})])

    def comment(self, ref: str, actor: str, text: str) -> None:
        if not text or not text.strip():
            raise ReviewError("a comment needs its text: write the note")
        now = self.clock()
        with self.store.transaction() as repo:
            stored = find_document(repo, ref)
            repo.append_events([_event(stored, now, actor, "commented", text, {})])

    # ---- mappings -----------------------------------------------------------------------------
    def add_mapping(self, company: str, table: Table, source_code: str, target_code: str,
                    actor: str, reason: str | None = None) -> MappingResult:
        """Add a mapping and re-check, at once, every open record that waited on it."""
        now = self.clock()
        company = self.directory.company_of(company)
        if not source_code.strip():
            # As in a rules file: a mapping of the empty word answers no record and hides typos.
            raise ReviewError(f"a {table.value} mapping needs the source's code or word; it is "
                              "blank")
        with self.store.transaction() as repo:
            checks = self.directory.get(repo, company)
            if table is Table.UOM:
                # AutoCount keeps UOMs per item, matched ignoring case: the alias must name a
                # UOM that some item has.
                uoms = {u.uom.casefold() for item in checks.master.items.values()
                        for u in item.uoms}
                known: set[str] = {target_code} if target_code.casefold() in uoms else set()
            else:
                known = set(checks.master.codes(table.value))
            if target_code not in known:
                raise ReviewError(
                    f"{target_code!r} is not among AutoCount's {table.value} codes for "
                    f"{company}; load the master data that has it, or choose an existing code"
                )
            source = source_code.strip()
            before_code = checks.rules.mappings.table(table).get(source)
            replaced = before_code if before_code not in (None, target_code) else None
            repo.put_mapping(company, table, source, target_code, actor, now, reason)
            repo.append_events([{
                "document_id": None, "version_id": None, "company": company, "at": now,
                "actor": actor, "kind": "mapping_added",
                "reason": reason or f"{table.value} {source} -> {target_code}",
                "data": {"table": table.value, "source": source, "target": target_code},
            }])
            ids = _waiting_on(repo, company, table, source)
            before = {s.id: s.outcome for s in repo.by_ids(ids)}
            verdicts = self.recheck_ids(
                repo, ids, actor, f"mapping {table.value} {source} -> {target_code} added",
                "mapping_added")
        moved = [str(v.work.identity) for v in verdicts
                 if before[v.work.document_id] in (Outcome.HELD, Outcome.WAITING)
                 and v.outcome not in (Outcome.HELD, Outcome.WAITING)]
        return MappingResult(len(verdicts), moved, replaced)

    def waiting_on(self, company: str, table: Table, source_code: str) -> int:
        """How many held or waiting records have a finding that a mapping of `source_code` in
        `table` answers (adding it re-checks them)."""
        with self.store.transaction() as repo:
            return len(_waiting_on(repo, self.directory.company_of(company), table,
                                   source_code.strip()))


def _waiting_on(repo: Repository, company: str, table: Table, source: str) -> list[int]:
    blocker_code = source.casefold() if table is Table.UOM else source
    return repo.blocked_by(table.value, [blocker_code], (Outcome.HELD, Outcome.WAITING),
                           company)


def _require_reason(text: str, action: str) -> None:
    if not text or not text.strip():
        raise ReviewError(f"a {action} needs a reason: say why, for the audit trail")


def _event(stored: StoredDocument, now: dt.datetime, actor: str, kind: str, reason: str,
           data: dict[str, object]) -> dict[str, object]:
    return {"document_id": stored.id, "version_id": stored.current_version_id,
            "company": stored.company, "at": now, "actor": actor, "kind": kind,
            "reason": reason, "data": data}

"""Assessing a batch of versions against everything the holding area knows, and storing the
verdicts. Intake, re-checks, releases and mapping changes all come through here, so a record is
judged the same way whichever door it came in by."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from acgate.checks.context import Assessment, Company, History
from acgate.checks.duplicates import key_reference
from acgate.checks.engine import assess
from acgate.checks.memory import KnownDocument, MemoryFacts
from acgate.domain.codes import SPECS, Code, Outcome
from acgate.domain.documents import (
    Document,
    FieldProblem,
    Identity,
    TradeDocument,
    content_hash,
    parse_document,
)
from acgate.domain.findings import DOCUMENT_BLOCKER, Finding, decide, finding_from_dict
from acgate.domain.ledger import Contribution, Relation
from acgate.domain.values import JsonNumber, canonical_decimal
from acgate.service.records import assessment_json, responsible_owner
from acgate.storage.repository import Repository, StoredDocument


def parse_stored(raw: str) -> Document | list[FieldProblem]:
    """Re-read a stored payload exactly as intake read it."""
    return parse_document(json.loads(raw, parse_float=JsonNumber))


def parse_raw(raw: str) -> Document | None:
    parsed = parse_stored(raw)
    return None if isinstance(parsed, list) else parsed


def version_hash(stored: str | None, raw: str | None) -> str | None:
    """A version's content hash: worked out from its payload as received when it is asked for
    (a redelivery with other text, a sync's idempotency key, the trace), not by intake for every
    version; versions taken in before that still carry theirs. None for a payload that breaks
    the contract."""
    if stored is not None or raw is None:
        return stored
    doc = parse_raw(raw)
    return None if doc is None else content_hash(doc)


@dataclass(slots=True)
class Work:
    """One version to assess, and the event that will record why."""

    document_id: int
    version_id: int
    identity: Identity
    company: str
    doc: Document | None
    problems: list[FieldProblem]
    first_received_at: dt.datetime
    previous: StoredDocument | None
    event_kind: str
    actor: str
    reason: str | None = None
    event_data: dict[str, Any] = field(default_factory=dict)
    released: dict[str, str] = field(default_factory=dict)
    carried: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Verdict:
    work: Work
    outcome: Outcome
    findings: list[Finding]
    assessment: dict[str, Any]
    keys: list[str]
    contributions: list[Contribution]
    counts_in_ledger: bool

    @property
    def owner(self) -> str | None:
        return responsible_owner(self.findings, self.outcome)


CompanyLookup = Callable[[str], Company]


def judge(repo: Repository, companies: CompanyLookup, works: list[Work],
          now: dt.datetime) -> list[Verdict]:
    """Assess each work in order; later works in the batch see the verdicts of earlier ones."""
    facts = _prefetch(repo, works)
    synced, approved = _histories(repo, works)
    verdicts = []
    for work in works:
        verdict = _judge_one(work, companies(work.company), facts, now,
                             synced.get(work.document_id), approved.get(work.document_id))
        verdicts.append(verdict)
        facts.put(work.identity, KnownDocument(
            work.company, work.document_id, verdict.outcome, work.doc, verdict.counts_in_ledger,
            work.previous is not None and work.previous.synced_version_id is not None))
        facts.put_keys(work.company, work.identity, work.document_id, verdict.keys)
        facts.put_contributions(work.identity, verdict.contributions)
    return verdicts


def _judge_one(work: Work, company: Company, facts: MemoryFacts, now: dt.datetime,
               synced: Document | None, approved: Document | None) -> Verdict:
    if work.doc is None:
        return _invalid_verdict(work, company, now)
    released = {Code(code): who for code, who in work.released.items()}
    history = History(
        first_received_at=work.first_received_at, arrival=work.document_id, synced=synced,
        synced_doc_no=work.previous.autocount_doc_no if work.previous else None,
        approved=approved, released=released,
        manual_release_by=released.get(Code.MANUAL_RELEASE),
        carried=tuple(map(finding_from_dict, work.carried)),
    )
    assessment = assess(work.doc, history, company, facts, now)
    return Verdict(work, assessment.outcome, assessment.findings,
                   assessment_json(assessment, now), assessment.keys, assessment.contributions,
                   assessment.counts_in_ledger)


def _invalid_verdict(work: Work, company: Company, now: dt.datetime) -> Verdict:
    findings = [
        Finding(Code.INVALID_DOCUMENT, Outcome.HELD, company.owner_of[Code.INVALID_DOCUMENT],
                f"{problem.problem} ({problem.fix})", field=problem.path or None,
                source_value=problem.value)
        for problem in work.problems
    ]
    outcome = decide(findings)
    assessment = Assessment(outcome, findings)
    return Verdict(work, outcome, findings, assessment_json(assessment, now), [], [], False)


def _references(work: Work) -> list[tuple[str | None, str, str]]:
    doc = work.doc
    if not isinstance(doc, TradeDocument):
        return []
    refs = [(r.source, r.type.value, r.id) for r in doc.based_on]
    refs += [(line.based_on_line.source, line.based_on_line.type.value, line.based_on_line.id)
             for line in doc.lines if line.based_on_line is not None]
    return refs


def _known(stored: StoredDocument, with_document: bool) -> KnownDocument:
    document = parse_raw(stored.raw) if with_document and stored.raw else None
    return KnownDocument(stored.company, stored.id, stored.outcome, document,
                         stored.counts_in_ledger, stored.synced_version_id is not None)


def _prefetch(repo: Repository, works: list[Work]) -> MemoryFacts:
    """Load, in a few bulk reads, every other document this batch's checks will ask about."""
    facts = MemoryFacts()
    for work in works:
        if work.previous is not None:
            facts.put(work.identity, _known(work.previous, with_document=False))
    references = [(work, refs) for work in works if (refs := _references(work))]
    pairs = {(ref_type, ref_id) for _, refs in references for _, ref_type, ref_id in refs}
    for stored in repo.by_type_and_id(pairs):
        facts.put(stored.identity, _known(stored, with_document=True))
    _prefetch_keys(repo, works, facts)
    _prefetch_ledger(repo, references, facts)
    return facts


def _prefetch_keys(repo: Repository, works: list[Work], facts: MemoryFacts) -> None:
    by_company: dict[str, set[str]] = {}
    for work in works:
        if isinstance(work.doc, TradeDocument) and work.doc.reference:
            by_company.setdefault(work.company, set()).add(key_reference(work.doc.reference))
    for company, references in by_company.items():
        rows = repo.keys_for_references(company, references)
        owners = {s.id: s for s in repo.by_ids({row.document_id for row in rows})}
        for row in rows:
            stored = owners[row.document_id]
            if stored.identity not in facts.known:
                facts.put(stored.identity, _known(stored, with_document=False))
            facts.load_key(company, row.type, row.key, stored.identity, stored.id)


def _prefetch_ledger(repo: Repository,
                     references: list[tuple[Work, list[tuple[str | None, str, str]]]],
                     facts: MemoryFacts) -> None:
    targets = set()
    for work, refs in references:
        for source, ref_type, ref_id in refs:
            target = facts.resolve(work.company, source, ref_type, ref_id, work.identity.source)
            if target is not None:
                targets.add(str(target))
    rows = repo.ledger_for_targets(targets)
    followers = {s.id: s for s in repo.by_ids({row.document_id for row in rows})}
    for row in rows:
        stored = followers[row.document_id]
        if stored.identity not in facts.known:
            facts.put(stored.identity, _known(stored, with_document=False))
        facts.load_contribution(stored.identity, Contribution(
            row.target, row.target_line, Relation(row.relation), Decimal(row.base_qty), row.line))


def _histories(repo: Repository, works: list[Work]) -> tuple[dict[int, Document],
                                                             dict[int, Document]]:
    synced_ids = {work.document_id: work.previous.synced_version_id for work in works
                  if work.previous is not None and work.previous.synced_version_id}
    raws = repo.raws(synced_ids.values())
    synced = {doc_id: parsed for doc_id, version_id in synced_ids.items()
              if (parsed := parse_raw(raws[version_id])) is not None}
    approved_raws = repo.approved_before(
        (work.document_id, work.version_id) for work in works if work.previous is not None)
    approved = {doc_id: parsed for doc_id, raw in approved_raws.items()
                if (parsed := parse_raw(raw)) is not None}
    return synced, approved


def finding_rows(verdict: Verdict) -> list[dict[str, Any]]:
    work = verdict.work
    return [
        {
            "document_id": work.document_id, "version_id": work.version_id,
            "company": work.company, "code": f.code.value, "gap": SPECS[f.code].gap.value,
            "outcome": f.outcome.value, "owner": f.owner, "message": f.message,
            "field": f.field, "source_value": f.source_value, "expected": f.expected,
            "suggestions": f.as_dict()["suggestions"],
            "blocker_table": f.blocker[0] if f.blocker else None,
            "blocker_code": f.blocker[1] if f.blocker else None,
            "released_by": f.released_by,
        }
        for f in verdict.findings
    ]


def record(repo: Repository, verdicts: list[Verdict], now: dt.datetime,
           only_changes: bool = False) -> None:
    """Store findings, duplicate keys, ledger lines and one event per record."""
    # A document seen for the first time has no earlier rows to replace.
    doc_ids = [v.work.document_id for v in verdicts if v.work.previous is not None]
    before = _codes_before(repo, doc_ids) if only_changes else {}
    repo.replace_findings(doc_ids, [row for v in verdicts for row in finding_rows(v)])
    repo.replace_keys(doc_ids, [
        {"document_id": v.work.document_id, "company": v.work.company,
         "type": v.work.identity.type.value, "key": key, "reference": _reference_of(v)}
        for v in verdicts for key in v.keys
    ])
    repo.replace_ledger(doc_ids, [
        {"document_id": v.work.document_id, "target": c.target, "target_line": c.target_line,
         "relation": c.relation.value, "base_qty": canonical_decimal(c.base_qty), "line": c.line}
        for v in verdicts for c in v.contributions
    ])
    repo.append_events([_event(v, now) for v in verdicts
                        if not only_changes or _changed(v, before)])


def _reference_of(verdict: Verdict) -> str:
    """What a document's duplicate keys are looked up by: both kinds carry its reference."""
    doc = verdict.work.doc
    assert isinstance(doc, TradeDocument) and doc.reference is not None  # it has keys
    return key_reference(doc.reference)


def _codes(findings: list[Finding]) -> list[str]:
    return sorted({f.code.value for f in findings})


def _codes_before(repo: Repository, doc_ids: list[int]) -> dict[int, set[str]]:
    return {doc_id: {row.code for row in rows}
            for doc_id, rows in repo.findings_of(doc_ids).items()}


def _changed(verdict: Verdict, codes_before: dict[int, set[str]]) -> bool:
    """Whether a re-check changed the record: its outcome, or a finding raised or cleared
    (a dependency that synced while a mapping still holds the record is part of its trace)."""
    work = verdict.work
    if work.previous is None or work.previous.outcome is not verdict.outcome or \
            work.event_kind != "rechecked":
        return True
    return codes_before.get(work.document_id, set()) != {f.code.value for f in verdict.findings}


def _event(verdict: Verdict, now: dt.datetime) -> dict[str, Any]:
    work = verdict.work
    data = dict(work.event_data)
    data.update({
        "outcome": verdict.outcome.value,
        "previous_outcome": work.previous.outcome.value if work.previous else None,
        "findings": [{"code": f.code.value, "owner": f.owner, "outcome": f.outcome.value}
                     for f in verdict.findings],
    })
    return {
        "document_id": work.document_id, "version_id": work.version_id, "company": work.company,
        "at": now, "actor": work.actor, "kind": work.event_kind, "reason": work.reason,
        "data": data,
    }


def document_state(verdict: Verdict, now: dt.datetime) -> dict[str, Any]:
    """The documents-row columns that follow from a verdict."""
    work = verdict.work
    doc = work.doc
    return {
        "id": work.document_id, "outcome": verdict.outcome.value, "owner": verdict.owner,
        "current_version_id": work.version_id, "counts_in_ledger": verdict.counts_in_ledger,
        "party_code": doc.party.code if isinstance(doc, TradeDocument) else None,
        "reference": doc.reference if isinstance(doc, TradeDocument) else None,
        "changed_at": now,
    }


OPEN = (Outcome.HELD, Outcome.WAITING, Outcome.READY)


def recheck(repo: Repository, companies: CompanyLookup, ids: Sequence[int], now: dt.datetime,
            actor: str, reason: str, kind: str = "rechecked",
            released: dict[int, dict[str, str]] | None = None,
            only_changes: bool = False) -> list[Verdict]:
    """Re-check the current versions of these open documents, as of now, in arrival order."""
    verdicts: list[Verdict] = []
    for start in range(0, len(ids), 500):
        stored = [s for s in repo.by_ids(ids[start:start + 500]) if s.outcome in OPEN
                  and s.current_version_id is not None and s.raw is not None]
        works = [_recheck_work(s, actor, reason, kind, (released or {}).get(s.id))
                 for s in stored]
        batch = judge(repo, companies, works, now)
        for verdict in batch:
            repo.set_version_fields(verdict.work.version_id, outcome=verdict.outcome.value,
                                    assessment=verdict.assessment,
                                    released=verdict.work.released)
        repo.update_documents([document_state(v, now) for v in batch])
        record(repo, batch, now, only_changes=only_changes)
        verdicts.extend(batch)
    return verdicts


def _recheck_work(stored: StoredDocument, actor: str, reason: str, kind: str,
                  released: dict[str, str] | None) -> Work:
    assert stored.raw is not None and stored.current_version_id is not None
    parsed = parse_stored(stored.raw)
    return Work(
        document_id=stored.id, version_id=stored.current_version_id,
        identity=stored.identity, company=stored.company,
        doc=None if isinstance(parsed, list) else parsed,
        problems=parsed if isinstance(parsed, list) else [],
        first_received_at=stored.first_received_at, previous=stored, event_kind=kind,
        actor=actor, reason=reason, released={**stored.released, **(released or {})},
        carried=stored.carried,
    )


def followers(repo: Repository, identities: Iterable[str]) -> list[int]:
    """Open documents that wait on any of these documents."""
    return repo.blocked_by(DOCUMENT_BLOCKER, identities, (Outcome.WAITING, Outcome.HELD))


def waiting_on(repo: Repository, verdicts: list[Verdict], identities: Iterable[str]) -> list[int]:
    """Open records that wait on any of these documents: those stored, and those just judged,
    whose findings are not stored yet (a delivery judged before its order in one batch)."""
    wanted = set(identities)
    if not wanted:
        return []
    blockers = {(DOCUMENT_BLOCKER, identity) for identity in wanted}
    found = set(followers(repo, wanted))
    found.update(v.work.document_id for v in verdicts
                 if v.outcome in (Outcome.WAITING, Outcome.HELD)
                 and any(f.blocker in blockers for f in v.findings))
    return sorted(found)


def alongside(repo: Repository, document_ids: Sequence[int]) -> list[int]:
    """Open documents that wait on what these documents take quantities from: a delivery held
    over an order may fit once another delivery of it gives quantity back."""
    own = set(document_ids)
    return [i for i in followers(repo, repo.ledger_targets(own)) if i not in own]

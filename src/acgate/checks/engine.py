"""The readiness engine: every check on one version, and the one outcome that follows."""

from __future__ import annotations

import dataclasses
import datetime as dt

from acgate.checks.amounts import check_prices, check_totals
from acgate.checks.approval import check_after_sync, check_approval
from acgate.checks.context import Assessment, Company, Facts, History, Run
from acgate.checks.dates import check_dates
from acgate.checks.duplicates import check_duplicate_document, check_duplicate_party
from acgate.checks.fulfilment import check_fulfilment
from acgate.checks.mapping import check_mapping
from acgate.checks.status import check_status
from acgate.checks.target import check_target
from acgate.checks.timing import check_timing
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import Document
from acgate.domain.findings import Finding, FindingSink, decide
from acgate.domain.rules import duration_text

# A record held by its own status says nothing about what was delivered or billed.
_LEDGER_MEANINGS = frozenset({"ready", "waiting"})


def assess(doc: Document, history: History, company: Company, facts: Facts,
           now: dt.datetime) -> Assessment:
    """Run every check (a waiting finding never hides a held one) and decide the outcome."""
    sink = FindingSink(company.outcome_of, company.owner_of)
    type_rules = company.rules.for_type(doc.type)
    run = Run(doc, history, company, facts, now, sink, Assessment(Outcome.READY, []), type_rules)
    meaning = check_status(run)
    check_mapping(run)
    check_prices(run)
    check_totals(run)
    check_dates(run)
    check_approval(run, meaning)
    changed_after_sync = check_after_sync(run, meaning)
    check_timing(run)
    check_target(run)
    check_duplicate_party(run)
    check_duplicate_document(run)
    check_fulfilment(run, counts=meaning in _LEDGER_MEANINGS)
    sink.items.extend(history.carried)

    # A released waiting finding no longer keeps the record waiting, so it cannot expire.
    findings = _released(sink.items, history)
    waited = now - history.first_received_at
    if decide(findings) is Outcome.WAITING and waited > company.rules.max_wait_of(doc.type):
        allowed = duration_text(company.rules.max_wait_of(doc.type))
        since = history.first_received_at.astimezone(company.rules.zone)
        sink.add(Code.WAIT_EXPIRED,
                 f"waiting since {since.isoformat(timespec='minutes')}, longer than the "
                 f"{allowed} its rule allows", expected=f"at most {allowed}")
        findings = _released(sink.items, history)
    outcome = decide(findings)
    if meaning == "cancelled" and history.synced is None:
        outcome = Outcome.REJECTED
    elif outcome is Outcome.READY:
        if not type_rules.sync:
            outcome = Outcome.TRACKED
        elif history.synced is not None and not changed_after_sync:
            outcome = Outcome.SYNCED
    run.result.findings = findings
    run.result.outcome = outcome
    run.result.counts_in_ledger = outcome is not Outcome.REJECTED and meaning in _LEDGER_MEANINGS
    return run.result


def _released(findings: list[Finding], history: History) -> list[Finding]:
    """Findings a person released count as ready notes that name who released them."""
    return [
        dataclasses.replace(f, outcome=Outcome.READY, released_by=history.released[f.code])
        if f.code in history.released and f.outcome is not Outcome.READY else f
        for f in findings
    ]

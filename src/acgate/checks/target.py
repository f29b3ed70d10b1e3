"""What the company's AutoCount can take: a refusal acgate can predict becomes a readiness
finding now, instead of a failed sync later."""

from __future__ import annotations

from acgate.checks.context import Run
from acgate.domain.codes import Code
from acgate.domain.documents import MASTER_TYPES, TradeDocument, party_kind
from acgate.domain.findings import Suggestion
from acgate.domain.posting import CLOUD_TYPES
from acgate.domain.rules import Table, TargetKind

MAX_REF = 40  # AutoCount's Ref column


def check_target(run: Run) -> None:
    doc_type = run.doc.type
    if not run.type_rules.sync:
        return
    if doc_type in MASTER_TYPES:
        _unsupported(run, "acgate checks customers, suppliers and items against AutoCount's "
                     "master data but does not create them there",
                     f"set types.{doc_type.value}.sync to false: it is then tracked, and still "
                     "feeds the ledger and the trace")
        return
    cloud = run.rules.autocount.kind is TargetKind.CLOUD
    if cloud and doc_type not in CLOUD_TYPES:
        _unsupported(run, f"AutoCount Cloud's API has no {doc_type.value.replace('_', ' ')}",
                     f"set types.{doc_type.value}.sync to false: it is then tracked, and still "
                     "feeds the ledger and the trace")
        return  # what else it lacks does not matter: the book cannot take the type at all
    doc = run.doc
    if not isinstance(doc, TradeDocument):
        return
    if doc.reference and len(doc.reference) > MAX_REF:
        _unsupported(run, f"the reference has {len(doc.reference)} characters; AutoCount's Ref "
                     f"takes {MAX_REF}", "shorten the reference at the source", "reference")
    total = run.result.totals.get("total")
    if total is not None and total < 0:
        _unsupported(run, f"the net total {total} is negative; AutoCount refuses it",
                     "send a credit note instead", "totals.total")
    if cloud and not doc.terms and not _party_terms(run, doc):
        _unsupported(run, "AutoCount Cloud needs a credit term and neither the document nor "
                     "the debtor's master data gives one",
                     "send `terms`, or give the party a default term in AutoCount", "terms")
    # The Cloud API requires a sales document's `salesLocation`; the posting takes it from the
    # branch or the default location only, never from the lines.
    if cloud and party_kind(doc.type) == "customer" and not doc.branch \
            and not run.rules.default_location:
        _unsupported(run, "AutoCount Cloud needs the document's location and neither a branch "
                     "nor the company's default location gives one",
                     "send `branch`, or set the company's default_location", "branch")


def _party_terms(run: Run, doc: TradeDocument) -> str | None:
    code, _ = run.company.lookup(Table(party_kind(doc.type)), doc.party.code)
    party = run.company.master.parties(party_kind(doc.type)).get(code) if code else None
    return party.terms if party else None


def _unsupported(run: Run, why: str, way_out: str, field: str | None = None) -> None:
    run.sink.add(Code.TARGET_UNSUPPORTED, f"{why}; this book cannot take it from acgate",
                 field=field, source_value=run.doc.type.value,
                 suggestions=[Suggestion(way_out, "fix_source")])

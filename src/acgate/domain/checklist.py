"""The readiness checklist a reviewer reads on a record: seven questions, each answered by the
findings of the record's current version.

Every finding code belongs to exactly one row, so a cross always names the finding behind it and
no finding is left off the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from acgate.domain.codes import SPECS, Code, Outcome
from acgate.domain.findings import Finding

_C = Code


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    key: str
    label: str
    asks: str  # the question, in a reviewer's words
    codes: frozenset[Code]


ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem("status", "Status ready",
                  "the source's status, its approval and the timing rules let it go now",
                  frozenset({_C.INVALID_DOCUMENT, _C.STATUS_NOT_READY, _C.STATUS_UNKNOWN,
                             _C.SOURCE_EXCEPTION, _C.WAIT_EXPIRED, _C.APPROVAL_MISSING,
                             _C.APPROVAL_STALE, _C.PRICE_CHANGED, _C.CHANGED_AFTER_SYNC,
                             _C.CANCELLED_AFTER_SYNC, _C.DEPENDENCY_PENDING,
                             _C.SCHEDULED_BATCH, _C.MANUAL_RELEASE})),
    ChecklistItem("party", "Party matches",
                  "the customer or supplier is a known AutoCount debtor or creditor",
                  frozenset({_C.PARTY_UNMAPPED, _C.DUPLICATE_PARTY, _C.CURRENCY_MISMATCH})),
    ChecklistItem("items", "Item and UOM match",
                  "every line's item, UOM, rate, price, tax code and location is AutoCount's",
                  frozenset({_C.ITEM_UNMAPPED, _C.ITEM_INACTIVE, _C.UOM_UNKNOWN,
                             _C.UOM_RATE_MISMATCH, _C.PRICE_OUT_OF_TOLERANCE,
                             _C.LOCATION_UNMAPPED, _C.TAX_CODE_UNMAPPED, _C.CODE_UNMAPPED,
                             _C.TOTALS_MISMATCH})),
    ChecklistItem("date", "Date correct",
                  "the date is in an open period, not in the future and not too old",
                  frozenset({_C.DATE_OUT_OF_RANGE})),
    ChecklistItem("duplicates", "Duplicates blocked",
                  "it is not a second copy of a document, nor more than was ordered or delivered",
                  frozenset({_C.DUPLICATE_DOCUMENT, _C.PARTIAL_DELIVERY, _C.OVER_FULFILMENT})),
    ChecklistItem("owned", "Exception owned",
                  "whatever holds it has an owner who must act, or a named assignee",
                  frozenset()),
    ChecklistItem("sync", "Failed sync reviewable",
                  "AutoCount took it, or its refusal is held here with AutoCount's answer",
                  frozenset({_C.TARGET_UNSUPPORTED, _C.SYNC_FAILED, _C.SYNC_REJECTED,
                             _C.MANUAL_EDIT_AFTER_SYNC, _C.MISSING_IN_AUTOCOUNT})),
)

_NO_OWNER = frozenset({"", "-"})


@dataclass(frozen=True, slots=True)
class ChecklistRow:
    item: ChecklistItem
    passed: bool
    findings: tuple[Finding, ...]  # the record's findings on this row, notes included


def blocks(finding: Finding) -> bool:
    """Whether a finding stops the record: a note does not, nor one a person released (its
    outcome is then `ready`)."""
    return finding.outcome is not Outcome.READY


def unwaivable(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop the record and that no release may waive (a firm code): while one
    stands, releasing would not move the record on."""
    return [f for f in findings if blocks(f) and SPECS[f.code].firm]


def checklist(findings: Sequence[Finding], assignee: str | None = None) -> list[ChecklistRow]:
    """The seven rows for a record whose current version has these findings."""
    rows = []
    for item in ITEMS:
        if item.key == "owned":
            # An unowned held finding waits on nobody; an assignee owns it by name.
            mine = tuple(f for f in findings if f.outcome is Outcome.HELD
                         and f.owner in _NO_OWNER)
            rows.append(ChecklistRow(item, not mine or assignee is not None, mine))
            continue
        mine = tuple(f for f in findings if f.code in item.codes)
        rows.append(ChecklistRow(item, not any(blocks(f) for f in mine), mine))
    return rows

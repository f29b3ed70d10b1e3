"""Outcomes, rule gaps, owners and the stable finding codes of contract/exceptions.md."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    WAITING = "waiting"
    HELD = "held"
    READY = "ready"
    SYNCED = "synced"
    TRACKED = "tracked"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


# Findings decide an outcome by severity: a held finding beats a waiting one beats a note.
SEVERITY: dict[Outcome, int] = {Outcome.READY: 0, Outcome.WAITING: 1, Outcome.HELD: 2}


class Gap(StrEnum):
    INTAKE = "intake"
    STATUS = "status"
    MAPPING = "mapping"
    APPROVAL = "approval"
    TIMING = "timing"
    DUPLICATES = "duplicates"
    SYNC = "sync"
    RECONCILIATION = "reconciliation"


class Owner(StrEnum):
    OPERATIONS = "operations"
    ACCOUNTS = "accounts"
    INTEGRATION = "integration"
    NONE = "-"


class Code(StrEnum):
    INVALID_DOCUMENT = "INVALID_DOCUMENT"
    STATUS_NOT_READY = "STATUS_NOT_READY"
    STATUS_UNKNOWN = "STATUS_UNKNOWN"
    SOURCE_EXCEPTION = "SOURCE_EXCEPTION"
    WAIT_EXPIRED = "WAIT_EXPIRED"
    PARTY_UNMAPPED = "PARTY_UNMAPPED"
    ITEM_UNMAPPED = "ITEM_UNMAPPED"
    ITEM_INACTIVE = "ITEM_INACTIVE"
    LOCATION_UNMAPPED = "LOCATION_UNMAPPED"
    UOM_UNKNOWN = "UOM_UNKNOWN"
    UOM_RATE_MISMATCH = "UOM_RATE_MISMATCH"
    TAX_CODE_UNMAPPED = "TAX_CODE_UNMAPPED"
    CODE_UNMAPPED = "CODE_UNMAPPED"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    PRICE_OUT_OF_TOLERANCE = "PRICE_OUT_OF_TOLERANCE"
    DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE"
    TOTALS_MISMATCH = "TOTALS_MISMATCH"
    APPROVAL_MISSING = "APPROVAL_MISSING"
    APPROVAL_STALE = "APPROVAL_STALE"
    PRICE_CHANGED = "PRICE_CHANGED"
    CHANGED_AFTER_SYNC = "CHANGED_AFTER_SYNC"
    DEPENDENCY_PENDING = "DEPENDENCY_PENDING"
    SCHEDULED_BATCH = "SCHEDULED_BATCH"
    MANUAL_RELEASE = "MANUAL_RELEASE"
    DUPLICATE_PARTY = "DUPLICATE_PARTY"
    DUPLICATE_DOCUMENT = "DUPLICATE_DOCUMENT"
    PARTIAL_DELIVERY = "PARTIAL_DELIVERY"
    OVER_FULFILMENT = "OVER_FULFILMENT"
    CANCELLED_AFTER_SYNC = "CANCELLED_AFTER_SYNC"
    TARGET_UNSUPPORTED = "TARGET_UNSUPPORTED"
    SYNC_FAILED = "SYNC_FAILED"
    SYNC_REJECTED = "SYNC_REJECTED"
    MANUAL_EDIT_AFTER_SYNC = "MANUAL_EDIT_AFTER_SYNC"
    MISSING_IN_AUTOCOUNT = "MISSING_IN_AUTOCOUNT"


@dataclass(frozen=True, slots=True)
class CodeSpec:
    gap: Gap
    outcome: Outcome
    owner: Owner
    # Codes whose outcome comes from a per-type policy rather than from this table.
    by_policy: bool = False
    # Neither a person's release nor a company's override may waive these: the cause must be
    # fixed (a mapping added, the source moving on), because waiving it would post a wrong record.
    firm: bool = False


_H, _W, _R = Outcome.HELD, Outcome.WAITING, Outcome.READY
_OPS, _ACC, _INT = Owner.OPERATIONS, Owner.ACCOUNTS, Owner.INTEGRATION

SPECS: dict[Code, CodeSpec] = {
    Code.INVALID_DOCUMENT: CodeSpec(Gap.INTAKE, _H, _INT, firm=True),
    Code.STATUS_NOT_READY: CodeSpec(Gap.STATUS, _W, _OPS, firm=True),
    Code.STATUS_UNKNOWN: CodeSpec(Gap.STATUS, _H, _INT),
    Code.SOURCE_EXCEPTION: CodeSpec(Gap.STATUS, _H, _OPS),
    Code.WAIT_EXPIRED: CodeSpec(Gap.TIMING, _H, _OPS),
    Code.PARTY_UNMAPPED: CodeSpec(Gap.MAPPING, _H, _ACC, firm=True),
    Code.ITEM_UNMAPPED: CodeSpec(Gap.MAPPING, _H, _ACC, firm=True),
    Code.ITEM_INACTIVE: CodeSpec(Gap.MAPPING, _H, _ACC),
    Code.LOCATION_UNMAPPED: CodeSpec(Gap.MAPPING, _H, _OPS, firm=True),
    Code.UOM_UNKNOWN: CodeSpec(Gap.MAPPING, _H, _ACC, firm=True),
    Code.UOM_RATE_MISMATCH: CodeSpec(Gap.MAPPING, _H, _ACC),
    Code.TAX_CODE_UNMAPPED: CodeSpec(Gap.MAPPING, _H, _ACC, firm=True),
    Code.CODE_UNMAPPED: CodeSpec(Gap.MAPPING, _H, _ACC, firm=True),
    Code.CURRENCY_MISMATCH: CodeSpec(Gap.MAPPING, _H, _ACC),
    Code.PRICE_OUT_OF_TOLERANCE: CodeSpec(Gap.MAPPING, _H, _ACC),
    Code.DATE_OUT_OF_RANGE: CodeSpec(Gap.MAPPING, _H, _ACC),
    Code.TOTALS_MISMATCH: CodeSpec(Gap.MAPPING, _H, _ACC),
    Code.APPROVAL_MISSING: CodeSpec(Gap.APPROVAL, _W, _OPS),
    Code.APPROVAL_STALE: CodeSpec(Gap.APPROVAL, _H, _OPS),
    Code.PRICE_CHANGED: CodeSpec(Gap.APPROVAL, _H, _ACC),
    Code.CHANGED_AFTER_SYNC: CodeSpec(Gap.APPROVAL, _H, _ACC, by_policy=True),
    Code.DEPENDENCY_PENDING: CodeSpec(Gap.TIMING, _W, _OPS, firm=True),
    Code.SCHEDULED_BATCH: CodeSpec(Gap.TIMING, _W, Owner.NONE, firm=True),
    Code.MANUAL_RELEASE: CodeSpec(Gap.TIMING, _W, _OPS),
    Code.DUPLICATE_PARTY: CodeSpec(Gap.DUPLICATES, _H, _ACC),
    Code.DUPLICATE_DOCUMENT: CodeSpec(Gap.DUPLICATES, _H, _ACC),
    Code.PARTIAL_DELIVERY: CodeSpec(Gap.DUPLICATES, _R, _OPS),
    Code.OVER_FULFILMENT: CodeSpec(Gap.DUPLICATES, _H, _OPS),
    Code.CANCELLED_AFTER_SYNC: CodeSpec(Gap.DUPLICATES, _H, _ACC, by_policy=True),
    Code.TARGET_UNSUPPORTED: CodeSpec(Gap.SYNC, _H, _INT, firm=True),
    Code.SYNC_FAILED: CodeSpec(Gap.SYNC, _H, _INT, firm=True),
    Code.SYNC_REJECTED: CodeSpec(Gap.SYNC, _H, _ACC, firm=True),
    Code.MANUAL_EDIT_AFTER_SYNC: CodeSpec(Gap.RECONCILIATION, _H, _ACC),
    Code.MISSING_IN_AUTOCOUNT: CodeSpec(Gap.RECONCILIATION, _H, _ACC, firm=True),
}

# What each code means, in the contract's words (exceptions.md): the pages show it beside the
# bare code, so that a clerk need not know the codes by heart.
MEANING: dict[Code, str] = {
    Code.INVALID_DOCUMENT: "The payload breaks the canonical contract; the raw payload is kept",
    Code.STATUS_NOT_READY: "The status is known but not one allowed to sync for this document type",
    Code.STATUS_UNKNOWN: "The status word is in no list of the rules",
    Code.SOURCE_EXCEPTION: "The source itself marks the record as an exception",
    Code.WAIT_EXPIRED: "A record waited longer than its rule allows",
    Code.PARTY_UNMAPPED: "The customer or supplier has no AutoCount debtor/creditor code",
    Code.ITEM_UNMAPPED: "The item code has no AutoCount item",
    Code.ITEM_INACTIVE: "The AutoCount item is inactive",
    Code.LOCATION_UNMAPPED: "The branch or line location has no AutoCount location code",
    Code.UOM_UNKNOWN: "The UOM, after aliases, is not a UOM of that item in AutoCount",
    Code.UOM_RATE_MISMATCH: "The source's conversion rate for the UOM disagrees with AutoCount's "
                            "rate for that item",
    Code.TAX_CODE_UNMAPPED: "The tax code has no AutoCount tax code",
    Code.CODE_UNMAPPED: "An agent, project, department or credit-terms word has no AutoCount code",
    Code.CURRENCY_MISMATCH: "The currency differs from the party's AutoCount currency, or a "
                            "foreign-currency rate is missing",
    Code.PRICE_OUT_OF_TOLERANCE: "A unit price deviates from the AutoCount price level beyond the "
                                 "rule's tolerance",
    Code.DATE_OUT_OF_RANGE: "The date is in a closed period, in the future, too old, or breaks the"
                            " date rule of its type",
    Code.TOTALS_MISMATCH: "The source's totals differ from the totals computed from its lines",
    Code.APPROVAL_MISSING: "The type requires approval and none is given",
    Code.APPROVAL_STALE: "The approved version is not the current version",
    Code.PRICE_CHANGED: "A price differs from the approved or synced version without a new "
                        "approval",
    Code.CHANGED_AFTER_SYNC: "A newer version of a synced document arrived; the policy of its type"
                             " decides: update, new_document, block, reverse, review",
    Code.DEPENDENCY_PENDING: "A based_on document has not synced yet",
    Code.SCHEDULED_BATCH: "The type syncs in a batch window that has not opened",
    Code.MANUAL_RELEASE: "The type syncs only when a person releases it",
    Code.DUPLICATE_PARTY: "A new customer or supplier looks like an existing one (name, "
                          "registration no., TIN, phone, e-mail)",
    Code.DUPLICATE_DOCUMENT: "Another document with the same unique reference, or the same party, "
                             "date, reference and total, is already synced or queued",
    Code.PARTIAL_DELIVERY: "A delivery fulfils only part of its order: the order stays open and "
                           "only delivered quantities are billable",
    Code.OVER_FULFILMENT: "A delivery exceeds the order's outstanding quantity, or an invoice "
                          "exceeds what was delivered",
    Code.CANCELLED_AFTER_SYNC: "A synced document was cancelled at the source: reverse, block or "
                               "review",
    Code.TARGET_UNSUPPORTED: "The rules sync this type, but the company's AutoCount target cannot "
                             "take it (the Cloud API has no sales order, delivery order, cash "
                             "sale, debit note or goods received note)",
    Code.SYNC_FAILED: "AutoCount could not be reached or kept failing after the retry rule",
    Code.SYNC_REJECTED: "AutoCount refused the document; its message is kept",
    Code.MANUAL_EDIT_AFTER_SYNC: "AutoCount's copy differs from what acgate posted; the ownership "
                                 "rule of each field says who wins",
    Code.MISSING_IN_AUTOCOUNT: "A document acgate synced is no longer in AutoCount",
}

_MAP_IT = ("add the missing mapping (a suggestion on the finding, or the mappings page); every "
           "record held on it is re-checked at once")

# No release can end a firm finding, so the pages say instead what does. Every firm code has one.
WAY_OUT: dict[Code, str] = {
    Code.INVALID_DOCUMENT: "the source must send a version that fits the contract; it is "
                           "checked afresh when it arrives",
    Code.STATUS_NOT_READY: "move it on in the source system: a version whose status may sync "
                           "is checked afresh when it arrives",
    Code.PARTY_UNMAPPED: _MAP_IT,
    Code.ITEM_UNMAPPED: _MAP_IT,
    Code.LOCATION_UNMAPPED: _MAP_IT,
    Code.UOM_UNKNOWN: _MAP_IT,
    Code.TAX_CODE_UNMAPPED: _MAP_IT,
    Code.CODE_UNMAPPED: _MAP_IT,
    Code.DEPENDENCY_PENDING: "it moves on by itself once the document it is based on has synced; "
                             "that document's page says what holds it",
    Code.SCHEDULED_BATCH: "nothing to do: it goes to AutoCount by itself when its batch window "
                          "opens",
    Code.TARGET_UNSUPPORTED: "change what this AutoCount book cannot take (the finding says "
                             "what) at the source, or in the company's rules",
    Code.SYNC_FAILED: "retry the sync once AutoCount can be reached again",
    Code.SYNC_REJECTED: "fix the cause AutoCount gave, then retry the sync",
    Code.MISSING_IN_AUTOCOUNT: "find out who deleted it in AutoCount, then retry the sync to "
                               "post it again",
}

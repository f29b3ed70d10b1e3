"""Rule gap 3, approval and versioning: which version may reach AutoCount, and what a change
after sync does."""

from __future__ import annotations

import re
from collections.abc import Iterator

from acgate.checks.context import Run
from acgate.domain.codes import Code, Outcome
from acgate.domain.diff import FieldChange, diff
from acgate.domain.documents import Document, TradeDocument, canonical_json
from acgate.domain.findings import Suggestion
from acgate.domain.posting import NOTE_ADJUSTED, NotAnAddition, added_quantities
from acgate.domain.rules import CancelPolicy, VersionPolicy
from acgate.domain.values import canonical_decimal

# Policies that the dispatcher carries out; the others stop the record for a person.
_ACTING = {VersionPolicy.UPDATE, VersionPolicy.NEW_DOCUMENT, VersionPolicy.REVERSE}


def approved_as_is(doc: Document) -> bool:
    """An approval counts only for the version it names (or, for documents ordered by
    `updated_at`, when it was given after that last change)."""
    approval = doc.approval
    if approval is None:
        return False
    if doc.version is not None:
        return approval.version == doc.version
    return doc.updated_at is not None and approval.at >= doc.updated_at


def check_approval(run: Run, meaning: str | None = None) -> None:
    """Approval counts for the version it names; a cancellation needs none (the cancel policy
    decides what it does)."""
    if meaning == "cancelled":
        return
    doc = run.doc
    required = run.type_rules.approval_required
    approved = approved_as_is(doc)
    if doc.approval is None and required:
        run.sink.add(Code.APPROVAL_MISSING,
                     f"{doc.type.value} needs an approval and none is given", field="approval",
                     expected="approval of this version")
    elif doc.approval is not None and not approved:
        run.sink.add(
            Code.APPROVAL_STALE,
            f"approved by {doc.approval.by} for version {doc.approval.version}, but this is "
            f"version {doc.version if doc.version is not None else doc.updated_at}",
            field="approval.version", source_value=doc.approval.version, expected=doc.version,
        )
    if not approved and isinstance(doc, TradeDocument):
        _check_prices_against(run, doc, run.history.approved, "approved")
        _check_prices_against(run, doc, run.history.synced, "synced")


def _check_prices_against(run: Run, doc: TradeDocument, base: Document | None,
                          which: str) -> None:
    if not isinstance(base, TradeDocument) or (which == "approved" and (
            base.version, base.updated_at) == (doc.version, doc.updated_at)):
        return  # the approved version itself (documents ordered by `updated_at` have no number)
    already = {f.field for f in run.sink.items if f.code is Code.PRICE_CHANGED}
    for index, before, after in _price_changes(base, doc):
        field = f"lines[{index}].unit_price"
        if field in already:
            continue
        run.sink.add(
            Code.PRICE_CHANGED,
            f"line {doc.lines[index].line} ({doc.lines[index].item}) price changed from "
            f"{before} in the {which} version to {after} without a new approval",
            field=field, source_value=after, expected=before,
            suggestions=[Suggestion("approve this version in the source", "fix_source")],
        )


def _price_changes(base: TradeDocument, doc: TradeDocument) -> Iterator[tuple[int, str, str]]:
    before = {line.line: line.unit_price for line in base.lines}
    for index, line in enumerate(doc.lines):
        old = before.get(line.line)
        if old is not None and line.unit_price is not None and old != line.unit_price:
            yield index, canonical_decimal(old), canonical_decimal(line.unit_price)


def changes_since_sync(run: Run) -> list[FieldChange]:
    synced = run.history.synced
    if synced is None:
        return []
    return [c for c in diff(canonical_json(synced), canonical_json(run.doc)) if c.field != "status"]


def check_after_sync(run: Run, meaning: str | None) -> bool:
    """Apply the version or cancel policy to a synced document; True when something changed."""
    if run.history.synced is None:
        return False
    type_rules = run.type_rules
    number = run.history.synced_doc_no or "its AutoCount document"
    if meaning == "cancelled":
        cancel = type_rules.cancel_policy
        run.sink.add(
            Code.CANCELLED_AFTER_SYNC,
            f"cancelled at the source after it synced as {number}; cancel policy: {cancel.value}",
            field="status", source_value=run.doc.status,
            outcome=Outcome.READY if cancel is CancelPolicy.REVERSE else Outcome.HELD,
            suggestions=[Suggestion(f"void {number} in AutoCount", "fix_autocount")],
        )
        return True
    changes = changes_since_sync(run)
    if not changes:
        return False
    policy = type_rules.version_policy
    shown = "; ".join(str(c) for c in changes[:12]) + ("; ..." if len(changes) > 12 else "")
    unpostable = _not_a_new_document(run) if policy is VersionPolicy.NEW_DOCUMENT else None
    run.sink.add(
        Code.CHANGED_AFTER_SYNC,
        f"changed after it synced as {number} (version policy {policy.value}): {shown}"
        + (f"; {unpostable}" if unpostable else ""),
        field=_document_path(changes[0].field, run.doc), source_value=changes[0].after,
        expected=changes[0].before,
        outcome=Outcome.READY if policy in _ACTING and not unpostable else Outcome.HELD,
        suggestions=[Suggestion(f"release it to update {number} in AutoCount in place",
                                "release"),
                     Suggestion("or have the source send a version that only adds quantities",
                                "fix_source")] if unpostable else [],
    )
    return True


def _not_a_new_document(run: Run) -> str | None:
    """Why the change cannot go as a further document of its type (said now, not at sync)."""
    doc, synced = run.doc, run.history.synced
    if not isinstance(doc, TradeDocument) or not isinstance(synced, TradeDocument) \
            or doc.type in NOTE_ADJUSTED:
        return None
    try:
        added_quantities({line.line: (line.qty, line.unit_price) for line in synced.lines},
                         [(line.line, line.qty, line.unit_price) for line in doc.lines],
                         doc.type)
    except NotAnAddition as error:
        return str(error)
    return None


_LINE_KEY = re.compile(r"^lines\[line=(-?\d+)\]")


def _document_path(path: str, doc: Document) -> str:
    """A diff keys lines by number (`lines[line=7].qty`); a finding names the path into the
    document (`lines[2].qty`), or `lines` for a line that is no longer there."""
    match = _LINE_KEY.match(path)
    if match is None or not isinstance(doc, TradeDocument):
        return path
    number = int(match[1])
    index = next((i for i, line in enumerate(doc.lines) if line.line == number), None)
    return "lines" if index is None else f"lines[{index}]{path[match.end():]}"


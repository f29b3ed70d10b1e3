"""Rule gap 5, duplicates: a party AutoCount already has, a document already synced or queued."""

from __future__ import annotations

import hashlib

from acgate.checks.amounts import computed_totals
from acgate.checks.context import DuplicateCheck, Run
from acgate.checks.mapping import lookup, party_table
from acgate.domain.codes import Code
from acgate.domain.documents import PartyDocument, TradeDocument, party_kind
from acgate.domain.findings import Suggestion
from acgate.domain.rules import Table


def check_duplicate_party(run: Run) -> None:
    doc = run.doc
    if not isinstance(doc, PartyDocument):
        return
    table = Table(party_kind(doc.type))
    if lookup(run, table, doc.code)[0] is not None:
        return  # already an AutoCount party: an update, not a new party
    matches = run.company.matcher(table.value).matches(doc.name, doc.tin, doc.brn, doc.email,
                                                       doc.phone)
    run.result.duplicate_checks.append(
        DuplicateCheck("party", doc.name or doc.code, tuple(m.code for m in matches))
    )
    if not matches:
        return
    best = matches[0]
    run.sink.add(
        Code.DUPLICATE_PARTY,
        f"new {table.value} {doc.code} ({doc.name}) looks like AutoCount's {best.code} "
        f"{best.name}: {', '.join(best.reasons)}",
        field="name", source_value=doc.name, expected="a party AutoCount does not have yet",
        suggestions=[
            Suggestion(f"map {doc.code} to existing {m.code} {m.name} ({', '.join(m.reasons)})",
                       "map", table.value, doc.code, m.code, m.score)
            for m in matches
        ] + [Suggestion("it is a different party: release it as new", "release")],
        blocker=(table.value, doc.code),
    )


def key_reference(reference: str) -> str:
    """A reference as duplicate keys carry it, and as the holding area looks keys up by it."""
    return reference.strip().casefold()


def document_keys(run: Run, doc: TradeDocument) -> list[tuple[str, str]]:
    """(kind, key) for the unique-reference and natural-key rules that apply to this document."""
    if doc.reference is None:
        return []
    mapped, _ = lookup(run, party_table(doc.type), doc.party.code)
    party = mapped or f"source:{doc.source}:{doc.party.code}"
    reference = key_reference(doc.reference)
    keys = []
    if run.type_rules.unique_reference:
        keys.append(("unique reference", f"ref|{party}|{reference}"))
    keys.append(("natural key",
                 f"nat|{party}|{doc.date.isoformat()}|{reference}|{_amount(run, doc)}"))
    return keys


def _amount(run: Run, doc: TradeDocument) -> str:
    """The total, or for an unpriced delivery or receipt what it moved: two partial deliveries
    on one day against one PO differ in their lines, not in a total of zero."""
    if all(line.unit_price is not None for line in doc.lines):
        return str((run.result.totals or computed_totals(run, doc)[0])["total"])
    moved = sorted(f"{line.item}:{_unit(run, line.item, line.uom)}:{line.qty.normalize()}"
                   for line in doc.lines)
    return hashlib.sha256(";".join(moved).encode()).hexdigest()[:16]


def _unit(run: Run, item: str, word: str) -> str:
    """The AutoCount UOM when it resolves, so 'ctn' and 'carton' are the same goods."""
    unit = run.company.unit_of(item, word)
    return unit.uom if unit else word.strip().casefold()


def check_duplicate_document(run: Run) -> None:
    doc = run.doc
    if not isinstance(doc, TradeDocument):
        return
    for kind, key in document_keys(run, doc):
        run.result.keys.append(key)
        earlier = run.facts.earlier_with_key(run.company_id, doc.type.value, key,
                                             run.history.arrival, doc.identity)
        names = tuple(str(identity) for identity in earlier)
        run.result.duplicate_checks.append(DuplicateCheck(kind, key, names))
        if not earlier:
            continue
        what = (f"reference {doc.reference!r} for party {doc.party.code}" if kind.startswith("u")
                else f"party {doc.party.code}, date {doc.date}, reference {doc.reference!r} and "
                     "total")
        run.sink.add(
            Code.DUPLICATE_DOCUMENT,
            f"{', '.join(names)} already has the same {what} ({kind})",
            field="reference", source_value=doc.reference, expected=f"a {kind} not yet used",
            suggestions=[Suggestion("reject this one as a duplicate", "reject"),
                         Suggestion("it is a separate document: release it", "release")],
        )

"""Partial delivery and over-fulfilment, from the line-level fulfilment ledger.

Every check reads only documents that arrived earlier, so a later document never changes an
earlier one's findings, and re-checking a document gives the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from acgate.checks.context import Run
from acgate.checks.mapping import base_quantity
from acgate.domain.codes import Code
from acgate.domain.documents import DocType, Identity, TradeDocument
from acgate.domain.findings import DOCUMENT_BLOCKER
from acgate.domain.ledger import Contribution, Relation, is_order, relation
from acgate.domain.values import canonical_decimal

_CAP_WORDS = {
    Relation.FULFIL: ("deliver", "ordered"),
    Relation.BILL: ("bill", "delivered"),
    Relation.CREDIT: ("credit", "invoiced"),
}


# PARTIAL_DELIVERY is about goods moved: a purchase order taking part of a request is not one.
_DELIVERIES = frozenset({DocType.DELIVERY_ORDER, DocType.GOODS_RECEIVED})


def check_fulfilment(run: Run, counts: bool = True) -> None:
    """`counts`: whether the document's status lets it count in the ledger; one cancelled or
    held by its own status still records its lines (for the trace) but fulfils nothing, so it
    neither leaves an order open nor crosses it."""
    doc = run.doc
    if not isinstance(doc, TradeDocument):
        return
    mine: dict[tuple[Identity, Relation], dict[int, Decimal]] = defaultdict(dict)
    fields: dict[tuple[Identity, int], str] = {}
    for index, line in enumerate(doc.lines):
        ref = line.based_on_line
        if ref is None:
            continue
        target = run.facts.resolve(run.company_id, ref.source, ref.type.value, ref.id, doc.source)
        qty = base_quantity(run, line)
        if target is None or qty is None:
            continue  # waits on the dependency, or is held on its mapping
        kind = relation(doc.type, target.type)
        run.result.contributions.append(Contribution(str(target), ref.line, kind, qty, line.line))
        per_line = mine[(target, kind)]
        per_line[ref.line] = per_line.get(ref.line, Decimal(0)) + qty
        fields[(target, ref.line)] = f"lines[{index}].qty"
    for (target, kind), quantities in mine.items():
        if counts and kind is not Relation.OTHER:
            _check_target(run, target, kind, quantities, fields)


def _target_quantities(run: Run, target: Identity) -> dict[int, Decimal | None] | None:
    """Base quantity per target line; None for a line whose item or UOM does not resolve."""
    doc = run.facts.document(target)
    if not isinstance(doc, TradeDocument):
        return None
    return {line.line: base_quantity(run, line) for line in doc.lines}


def _caps(run: Run, target: Identity, kind: Relation) -> dict[int, Decimal | None] | None:
    """What may be fulfilled per target line: ordered for deliveries, delivered for invoices on
    an order, the line itself for invoices on a delivery and credit notes on an invoice."""
    if kind is Relation.BILL and is_order(target.type):
        return dict(run.facts.fulfilled(target, Relation.FULFIL, run.history.arrival))
    return _target_quantities(run, target)


def _check_target(run: Run, target: Identity, kind: Relation, mine: dict[int, Decimal],
                  fields: dict[tuple[Identity, int], str]) -> None:
    if kind is Relation.FULFIL and run.doc.type not in _DELIVERIES:
        # A purchase order buying more than its request asked for (a supplier's carton) crosses
        # nothing: only deliveries cross what was ordered, and invoices what was delivered.
        return
    caps = _caps(run, target, kind)
    if caps is None:
        return
    before = run.facts.fulfilled(target, kind, run.history.arrival)
    verb, capped_by = _CAP_WORDS[kind]
    for target_line, qty in sorted(mine.items()):
        if target_line in caps and caps[target_line] is None:
            continue  # that line is held on its own mapping: its quantity is unknown, not zero
        cap = caps.get(target_line) or Decimal(0)
        done = before.get(target_line, Decimal(0))
        if done + qty > cap:
            outstanding = max(cap - done, Decimal(0))
            run.sink.add(
                Code.OVER_FULFILMENT,
                f"would {verb} {canonical_decimal(qty)} base units against {target} line "
                f"{target_line}, but only {canonical_decimal(outstanding)} of "
                f"{canonical_decimal(cap)} {capped_by} are outstanding",
                field=fields[(target, target_line)], source_value=canonical_decimal(qty),
                expected=f"at most {canonical_decimal(outstanding)}",
                # A new version of the target may raise what it allows: the record is checked
                # again when that reaches AutoCount, as one waiting on it is.
                blocker=(DOCUMENT_BLOCKER, str(target)),
            )
    if kind is Relation.FULFIL and run.doc.type in _DELIVERIES:
        open_lines = [
            (line, ordered - before.get(line, Decimal(0)) - mine.get(line, Decimal(0)))
            for line, ordered in sorted(caps.items()) if ordered is not None
        ]
        open_lines = [(line, left) for line, left in open_lines if left > 0]
        if open_lines:
            shown = ", ".join(f"line {line}: {canonical_decimal(left)}"
                              for line, left in open_lines)
            run.sink.add(
                Code.PARTIAL_DELIVERY,
                f"{target} stays open after this delivery ({shown} base units outstanding); "
                "only delivered quantities are billable",
                source_value=str(target),
            )

"""Turning assessments and findings into the JSON the holding area stores and the faces show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from acgate.checks.context import Assessment, CheckedLine, MappedField, UomConversion
from acgate.domain.codes import Outcome
from acgate.domain.findings import Finding


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def assessment_json(assessment: Assessment, checked_at: dt.datetime) -> dict[str, Any]:
    """What the trace needs to show of one check: findings, mappings, UOM conversions,
    duplicate checks and totals. Built by hand: this runs once per document at intake."""
    mapped: list[Any] = []
    conversions: list[Any] = []
    for entry in assessment.mapping:
        if type(entry) is CheckedLine:
            # A clean line: its place, its quantity and its codes' shared rows; the conversion
            # names the line. `expand_mapping` makes the rows again when the trace is read.
            mapped.append((entry.position, str(entry.qty), entry.clean.rows))
            conversions.append(entry.position)
        elif type(entry) is UomConversion:
            c = entry
            conversions.append((c.field, c.item, c.source_uom, c.alias, c.autocount_uom,
                                str(c.autocount_rate), _text(c.source_rate), str(c.qty),
                                str(c.base_qty), c.base_uom))
        else:
            # Rows rather than objects: a document has several per line, and the trace names
            # the columns when it is read.
            mapped.append(tuple(entry))
    return {
        "checked_at": checked_at.isoformat(),
        "outcome": assessment.outcome.value,
        "findings": [f.as_dict() for f in assessment.findings],
        "mapped": mapped,
        "conversions": conversions,
        "duplicate_checks": [
            {"kind": d.kind, "key": d.key, "found": list(d.found)}
            for d in assessment.duplicate_checks
        ],
        "totals": {name: str(value) for name, value in assessment.totals.items()},
        "scheduled_for": assessment.scheduled_for.isoformat() if assessment.scheduled_for
        else None,
    }


def expand_mapping(assessment: dict[str, Any]) -> tuple[list[dict[str, Any]],
                                                        list[dict[str, Any]]]:
    """A stored assessment's mappings and UOM conversions as named fields, one per field and
    line, whichever way they were stored: objects (versions checked before rows were used), rows,
    or a clean line's shared rows."""
    mapped: list[dict[str, Any]] = []
    lines: dict[int, tuple[str, str, list[Any]]] = {}
    for entry in assessment.get("mapped", []):
        if isinstance(entry, dict):
            mapped.append(entry)
        elif len(entry) == 3:  # [line index, qty, [goods rows, conversion, tax rows]]
            index, qty, (goods, conversion, tax) = entry
            prefix = f"lines[{index}]"
            mapped += [_named(MappedField._fields, [prefix + row[0], *row[1:]])
                       for row in (*goods, *tax)]
            lines[index] = (prefix, qty, conversion)
        else:
            mapped.append(_named(MappedField._fields, entry))
    conversions: list[dict[str, Any]] = []
    for entry in assessment.get("conversions", []):
        if isinstance(entry, dict):
            conversions.append(entry)
        elif isinstance(entry, int):
            prefix, qty, (field, *codes, rate, source_rate, base_uom) = lines[entry]
            base_qty = str(Decimal(qty) * Decimal(rate))
            conversions.append(_named(UomConversion._fields, [
                prefix + field, *codes, rate, source_rate, qty, base_qty, base_uom]))
        else:
            conversions.append(_named(UomConversion._fields, entry))
    return mapped, conversions


def _named(columns: tuple[str, ...], row: list[Any]) -> dict[str, Any]:
    return dict(zip(columns, row, strict=True))


def responsible_owner(findings: list[Finding], outcome: Outcome) -> str | None:
    """The owner of the finding that decided the outcome: who must act for it to move on."""
    for finding in findings:
        if finding.outcome is outcome and outcome in (Outcome.HELD, Outcome.WAITING):
            return finding.owner
    return None

"""Turning assessments and findings into the JSON the holding area stores and the faces show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from acgate.checks.context import Assessment
from acgate.domain.codes import Outcome
from acgate.domain.findings import Finding


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def assessment_json(assessment: Assessment, checked_at: dt.datetime) -> dict[str, Any]:
    """What the trace needs to show of one check: findings, mappings, UOM conversions,
    duplicate checks and totals. Built by hand: this runs once per document at intake."""
    return {
        "checked_at": checked_at.isoformat(),
        "outcome": assessment.outcome.value,
        "findings": [f.as_dict() for f in assessment.findings],
        # Rows rather than objects: a document has several per line, and the trace names the
        # columns (`expand_rows`) when it is read.
        "mapped": [tuple(m) for m in assessment.mapped],
        "conversions": [
            (c.field, c.item, c.source_uom, c.alias, c.autocount_uom, str(c.autocount_rate),
             _text(c.source_rate), str(c.qty), str(c.base_qty), c.base_uom)
            for c in assessment.conversions
        ],
        "duplicate_checks": [
            {"kind": d.kind, "key": d.key, "found": list(d.found)}
            for d in assessment.duplicate_checks
        ],
        "totals": {name: str(value) for name, value in assessment.totals.items()},
        "scheduled_for": assessment.scheduled_for.isoformat() if assessment.scheduled_for
        else None,
    }


def expand_rows(entries: list[Any], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Stored rows as named fields (versions checked before rows were used kept objects)."""
    return [dict(zip(columns, entry, strict=True)) if isinstance(entry, list) else entry
            for entry in entries]


def responsible_owner(findings: list[Finding], outcome: Outcome) -> str | None:
    """The owner of the finding that decided the outcome: who must act for it to move on."""
    for finding in findings:
        if finding.outcome is outcome and outcome in (Outcome.HELD, Outcome.WAITING):
            return finding.owner
    return None

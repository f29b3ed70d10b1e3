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
        "mapped": [
            {"field": m.field, "source_value": m.source_value,
             "autocount_value": m.autocount_value, "rule": m.rule}
            for m in assessment.mapped
        ],
        "conversions": [
            {"field": c.field, "item": c.item, "source_uom": c.source_uom, "alias": c.alias,
             "autocount_uom": c.autocount_uom, "autocount_rate": str(c.autocount_rate),
             "source_rate": _text(c.source_rate), "qty": str(c.qty),
             "base_qty": str(c.base_qty), "base_uom": c.base_uom}
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


def responsible_owner(findings: list[Finding], outcome: Outcome) -> str | None:
    """The owner of the finding that decided the outcome: who must act for it to move on."""
    for finding in findings:
        if finding.outcome is outcome and outcome in (Outcome.HELD, Outcome.WAITING):
            return finding.owner
    return None

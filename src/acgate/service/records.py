"""Turning assessments and findings into the JSON the holding area stores and the faces show."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from acgate.checks.context import Assessment
from acgate.domain.codes import Outcome
from acgate.domain.findings import Finding
from acgate.domain.values import canonical_decimal


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return canonical_decimal(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def assessment_json(assessment: Assessment, checked_at: dt.datetime) -> dict[str, Any]:
    """What the trace needs to show of one check: findings, mappings, UOM conversions,
    duplicate checks and totals."""
    return {
        "checked_at": checked_at.isoformat(),
        "outcome": assessment.outcome.value,
        "findings": [f.as_dict() for f in assessment.findings],
        "mapped": _plain(assessment.mapped),
        "conversions": _plain(assessment.conversions),
        "duplicate_checks": _plain(assessment.duplicate_checks),
        "totals": _plain(assessment.totals),
        "scheduled_for": _plain(assessment.scheduled_for),
    }


def responsible_owner(findings: list[Finding], outcome: Outcome) -> str | None:
    """The owner of the finding that decided the outcome: who must act for it to move on."""
    for finding in findings:
        if finding.outcome is outcome and outcome in (Outcome.HELD, Outcome.WAITING):
            return finding.owner
    return None

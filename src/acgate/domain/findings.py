"""Findings explain an outcome; the outcome is the most severe of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acgate.domain.codes import SEVERITY, SPECS, Code, Gap, Outcome


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A way out of a finding that a person can take in one step."""

    label: str
    action: str  # "map" adds `source_code -> target_code` to `table`; "release", "fix_source"
    table: str | None = None
    source_code: str | None = None
    target_code: str | None = None
    score: float | None = None


# The blocker of a finding that waits on another document (its identity): the record is checked
# again when that document syncs. Every other blocker names a mapping table a person can add to.
DOCUMENT_BLOCKER = "document"


@dataclass(frozen=True, slots=True)
class Finding:
    code: Code
    outcome: Outcome
    owner: str
    message: str
    field: str | None = None
    source_value: str | None = None
    expected: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    # The mapping whose absence caused this finding, so adding it re-checks exactly these records
    # (or the document it waits on: `DOCUMENT_BLOCKER`).
    blocker: tuple[str, str] | None = None
    released_by: str | None = None

    @property
    def gap(self) -> Gap:
        return SPECS[self.code].gap

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "code": self.code.value, "gap": self.gap.value, "outcome": self.outcome.value,
            "owner": self.owner, "message": self.message, "field": self.field,
            "source_value": self.source_value, "expected": self.expected,
            "suggestions": [
                {k: v for k, v in vars_of(s).items() if v is not None} for s in self.suggestions
            ],
        }
        if self.released_by:
            data["released_by"] = self.released_by
        return data


def finding_from_dict(data: dict[str, Any]) -> Finding:
    """The inverse of `Finding.as_dict`, for findings kept as JSON."""
    return Finding(
        code=Code(data["code"]), outcome=Outcome(data["outcome"]), owner=data["owner"],
        message=data["message"], field=data.get("field"),
        source_value=data.get("source_value"), expected=data.get("expected"),
        suggestions=tuple(Suggestion(**s) for s in data.get("suggestions", [])),
        released_by=data.get("released_by"),
    )


def vars_of(suggestion: Suggestion) -> dict[str, object]:
    return {name: getattr(suggestion, name) for name in Suggestion.__slots__}


@dataclass(slots=True)
class FindingSink:
    """Collects findings, applying the company's outcome and owner for each code."""

    outcome_of: dict[Code, Outcome]
    owner_of: dict[Code, str]
    items: list[Finding] = field(default_factory=list)

    def add(
        self,
        code: Code,
        message: str,
        *,
        field: str | None = None,
        source_value: object = None,
        expected: object = None,
        suggestions: Iterable[Suggestion] = (),
        blocker: tuple[str, str] | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        self.items.append(
            Finding(
                code=code,
                outcome=outcome or self.outcome_of[code],
                owner=self.owner_of[code],
                message=message,
                field=field,
                source_value=None if source_value is None else str(source_value),
                expected=None if expected is None else str(expected),
                suggestions=tuple(suggestions),
                blocker=blocker,
            )
        )

    def has(self, *codes: Code) -> bool:
        return any(f.code in codes for f in self.items)


def decide(findings: Iterable[Finding]) -> Outcome:
    """held over waiting over ready."""
    worst = Outcome.READY
    for finding in findings:
        if SEVERITY[finding.outcome] > SEVERITY[worst]:
            worst = finding.outcome
    return worst

"""Field-level differences between two versions of a document, in words a reviewer reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# These change with every version by definition; a diff that lists them hides the real change.
_IGNORED = frozenset({"version", "updated_at", "approval"})


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        return f"{self.field}: {self.before or '(none)'} -> {self.after or '(none)'}"


def flatten(canonical: dict[str, Any]) -> dict[str, str]:
    """Lines are keyed by their stable line number, not their position, so that a removed line
    does not show every later line as changed."""
    flat: dict[str, str] = {}
    for key, value in canonical.items():
        if key in _IGNORED:
            continue
        if key == "lines" and isinstance(value, list):
            for line in value:
                _walk(flat, f"lines[line={line.get('line')}]", line)
        else:
            _walk(flat, key, value)
    return flat


def _walk(flat: dict[str, str], path: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _walk(flat, f"{path}.{key}", inner)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _walk(flat, f"{path}[{index}]", inner)
    else:
        flat[path] = str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    old, new = flatten(before), flatten(after)
    return [
        FieldChange(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]

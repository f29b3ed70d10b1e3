"""What a reader hands on: one document's payload, or why its text could not be read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One document as read from a file, before validation.

    `origin` says where a person finds it (`orders.jsonl line 7`, `orders.csv rows 2-4`).
    `problem` is set, and `payload` is None, when the text could not be read as a document at
    all; a payload that merely breaks the contract is left for validation to report.
    `text` is the payload exactly as received, when the format gives one document its own
    text (a JSON Lines line); the holding area keeps that text rather than a re-encoding.
    """

    origin: str
    payload: dict[str, Any] | None
    problem: str | None = None
    text: str | None = None


class UnsupportedFile(ValueError):
    """The file's suffix names no format that acgate reads here."""

    def __init__(self, filename: str, accepted: tuple[str, ...]) -> None:
        self.suffix = PurePath(filename).suffix.lower()
        self.accepted = accepted
        what = f"files ending in {self.suffix!r}" if self.suffix else "files without a suffix"
        super().__init__(f"{filename}: cannot read {what}; accepted: {', '.join(accepted)}")

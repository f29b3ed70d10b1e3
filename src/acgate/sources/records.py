"""What a reader hands on: one document's payload, or why its text could not be read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any

# What to do about a record that could not be read, by the kind of file it came in.
JSON_FIX = "send valid JSON: one object for each document"
TABLE_FIX = "correct the file where the problem says (the header or the row) and send it again"


class RawRecord:
    """One document as read from a file, before validation.

    `origin` says where a person finds it (`orders.jsonl line 7`, `orders.csv rows 2-4`).
    `problem` is set, and `payload` is None, when the text could not be read as a document at
    all (`fix` then says what the source should do); a payload that merely breaks the contract
    is left for validation to report.
    `text` is the payload exactly as received, when the format gives one document its own
    text (a JSON Lines line, or a JSON file or list item that could not be read); the holding
    area keeps that text rather than a re-encoding, and keeps it for what could not be read too.

    A record made by `deferred` reads its text only when its payload is first asked for, so
    that a process handing lines to intake workers does not read them itself.
    """

    __slots__ = ("_payload", "_problem", "_reader", "fix", "origin", "text")

    def __init__(self, origin: str, payload: dict[str, Any] | None,
                 problem: str | None = None, text: str | None = None,
                 fix: str = JSON_FIX) -> None:
        self.origin = origin
        self.text = text
        self.fix = fix
        self._payload = payload
        self._problem = problem
        self._reader: TextReader | None = None

    @classmethod
    def deferred(cls, origin: str, text: str, reader: TextReader) -> RawRecord:
        """`reader` (a module-level function, so that the record can be pickled) turns the
        text into (payload, None) or (None, problem)."""
        record = cls(origin, None, None, text)
        record._reader = reader
        return record

    def _read(self) -> None:
        if self._reader is not None:
            assert self.text is not None
            self._payload, self._problem = self._reader(self.text)
            self._reader = None

    @property
    def payload(self) -> dict[str, Any] | None:
        self._read()
        return self._payload

    @property
    def problem(self) -> str | None:
        self._read()
        return self._problem

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawRecord):
            return NotImplemented
        return (self.origin, self.payload, self.problem, self.text) == (
            other.origin, other.payload, other.problem, other.text)

    __hash__ = None  # type: ignore[assignment]  # mutable payloads

    def __repr__(self) -> str:
        return f"RawRecord({self.origin!r}, {self.payload!r}, {self.problem!r})"


TextReader = Callable[[str], tuple[dict[str, Any] | None, str | None]]


class UnsupportedFile(ValueError):
    """The file's suffix names no format that acgate reads here."""

    def __init__(self, filename: str, accepted: tuple[str, ...]) -> None:
        self.suffix = PurePath(filename).suffix.lower()
        self.accepted = accepted
        what = f"files ending in {self.suffix!r}" if self.suffix else "files without a suffix"
        super().__init__(f"{filename}: cannot read {what}; accepted: {', '.join(accepted)}")

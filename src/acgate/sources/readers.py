"""Read canonical documents from JSON, JSON Lines, CSV and XLSX files.

Readers never raise for one bad record: a record whose text cannot be read comes back with a
`problem` and the rest of the file is still read. Whether a payload meets the contract is
validation's job, not the reader's.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath
from typing import Any, BinaryIO, NoReturn

import orjson

from acgate.domain.values import JsonNumber
from acgate.sources.records import TABLE_FIX, RawRecord, UnsupportedFile
from acgate.sources.sheets import WorkbookError, csv_rows, find_sheet, open_workbook, sheet_rows
from acgate.sources.tabular import csv_cell, documents_from_rows, xlsx_cell

__all__ = [
    "ACCEPTED_SUFFIXES",
    "RawRecord",
    "UnsupportedFile",
    "read_documents",
    "read_payloads_from_bytes",
    "read_stream",
]

DOCUMENTS_SHEET = "documents"


def read_documents(path: Path) -> Iterator[RawRecord]:
    """Read every document in a file, choosing the format by its suffix.

    Raises `UnsupportedFile` at once for an unknown suffix; the file itself is opened and read
    lazily as the records are consumed.
    """
    reader = _reader_for(path.name)
    return _read_path(path, reader)


def read_stream(stream: BinaryIO, filename: str) -> Iterator[RawRecord]:
    """Read documents from an open binary stream (an upload), the format chosen by `filename`."""
    return _reader_for(filename)(stream, PurePath(filename).name)


def read_payloads_from_bytes(data: bytes, filename: str) -> Iterator[RawRecord]:
    """Read documents from bytes already in memory, the format chosen by `filename`."""
    return read_stream(io.BytesIO(data), filename)


def _read_path(path: Path, reader: _Reader) -> Iterator[RawRecord]:
    with path.open("rb") as stream:
        yield from reader(stream, path.name)


def _read_json(stream: BinaryIO, name: str) -> Iterator[RawRecord]:
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
        value = _loads(text)
    except _Unacceptable as error:
        # Well-formed JSON that one item makes unacceptable (a key twice, NaN): that item is
        # refused, the rest of a list is still read, as one bad line of a JSON Lines file is.
        items = _list_items(text)
        if items is None:
            yield RawRecord(name, None, f"not readable as JSON: {error}", _as_sent(data))
            return
        for index, item in enumerate(items, start=1):
            yield RawRecord.deferred(f"{name} item {index}", item, _json_object)
        return
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        yield RawRecord(name, None, f"not readable as JSON: {_reason(error)}", _as_sent(data))
        return
    suspect = _may_hold_unstorable(text)
    if not isinstance(value, list):
        yield _record(name, value, suspect, text)
        return
    sent: list[str] | None = None
    for index, item in enumerate(value, start=1):
        record = _record(f"{name} item {index}", item, suspect)
        if record.payload is None:
            # A refused item is kept as it was sent; the text is split into items only then.
            sent = sent or _list_items(text)
            record.text = sent[index - 1] if sent else None
        yield record


_SPACE = re.compile(r"[ \t\n\r]*")
# Finds where each item of a list ends; it takes what the strict parser refuses but JSON's
# grammar allows (a key twice, NaN), which the item's own reading then refuses.
_LENIENT = json.JSONDecoder()


def _list_items(text: str) -> list[str] | None:
    """The text of each item of `text` as sent, when it is a JSON list; else None."""

    def skip_space(position: int) -> int:
        found = _SPACE.match(text, position)
        assert found is not None  # the pattern matches the empty string
        return found.end()

    position = skip_space(0)
    if not text.startswith("[", position):
        return None
    items: list[str] = []
    position = skip_space(position + 1)
    try:
        while True:
            _, end = _LENIENT.raw_decode(text, position)
            items.append(text[position:end])
            position = skip_space(end)
            if not text.startswith(",", position):
                break
            position = skip_space(position + 1)
    except (ValueError, RecursionError):
        return None
    if not text.startswith("]", position) or skip_space(position + 1) != len(text):
        return None
    return items


def _read_jsonl(stream: BinaryIO, name: str) -> Iterator[RawRecord]:
    for number, raw in enumerate(stream, start=1):
        if raw.strip():
            yield _jsonl_record(f"{name} line {number}", raw, first=number == 1)


def _jsonl_record(origin: str, raw: bytes, first: bool) -> RawRecord:
    try:
        text = raw.decode("utf-8-sig" if first else "utf-8").strip()
    except UnicodeDecodeError as error:
        return RawRecord(origin, None, f"not readable as JSON: {_reason(error)}",
                         _as_sent(raw).strip())
    return RawRecord.deferred(origin, text, _json_object)


def _as_sent(data: bytes) -> str:
    # What could not be read is kept as sent: bytes that are not UTF-8 as \x escapes, the rest
    # as the text it is.
    return data.decode("utf-8", "backslashreplace")


def _json_object(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        value = _loads_plain(text)
    except (ValueError, RecursionError) as error:
        return None, f"not readable as JSON: {_reason(error)}"
    return _object(value, _may_hold_unstorable(text))


def _read_csv(stream: BinaryIO, name: str) -> Iterator[RawRecord]:
    return documents_from_rows(name, csv_rows(stream), csv_cell)


def _read_xlsx(stream: BinaryIO, name: str) -> Iterator[RawRecord]:
    """The sheet named "documents" when the workbook has one, else every sheet in order (a blank
    one gives nothing; a row that is no document is reported as on any sheet): no sheet is
    passed over unread, as Excel's blank first "Sheet1" would have the documents after it."""
    try:
        workbook = open_workbook(stream)
    except WorkbookError as error:
        yield RawRecord(name, None, str(error), fix=TABLE_FIX)
        return
    named = find_sheet(workbook, DOCUMENTS_SHEET)
    for sheet in [named] if named else workbook.sheet_names:
        try:
            rows = sheet_rows(workbook, sheet)
        except WorkbookError as error:
            yield RawRecord(f"{name} sheet {sheet}", None, str(error), fix=TABLE_FIX)
            continue
        yield from documents_from_rows(f"{name} sheet {sheet}", rows, xlsx_cell)


def _record(origin: str, value: Any, suspect: bool, sent: str | None = None) -> RawRecord:
    """The record of one JSON value; `sent`, its text, is kept when the value is refused."""
    payload, problem = _object(value, suspect)
    return RawRecord(origin, payload, problem, sent if payload is None else None)


def _object(value: Any, suspect: bool) -> tuple[dict[str, Any] | None, str | None]:
    """(payload, None) for a JSON object, else (None, what was sent instead). `suspect`: the
    text has an escape that may have left in the value half a character or a NUL."""
    if not isinstance(value, dict):
        return None, f"expected a JSON object, got {_json_kind(value)}"
    if suspect:
        try:
            json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
        except UnicodeEncodeError as error:
            return None, (
                f"not readable as JSON: {error.object[error.start]!r} is half of a character "
                "(a UTF-16 surrogate escape without its pair); send the whole character")
        if _holds_nul(value):
            return None, ("a text in it holds the NUL character (\\u0000), which the holding "
                          "area cannot keep (PostgreSQL refuses it); remove it")
    return value, None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_holds_nul(item) for item in value)


# Python's parser keeps "\ud800" without its pair as half a character, and "\u0000" as a NUL,
# neither of which every database can store; only an escape of these forms makes one (orjson
# refuses half characters, UTF-8 cannot hold them, JSON text holds no bare NUL).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


def _may_hold_unstorable(text: str) -> bool:
    # A backslash first: a one-character search costs next to nothing (a two-character one
    # costs as much as the pattern), and most lines have no escape at all.
    return "\\" in text and _UNSTORABLE_ESCAPE.search(text) is not None


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return "a number"


# The end of an object key: a closing quote, optional whitespace, a colon. Inside a string value
# the same characters can only follow an escaped quote, which makes the count too high, never
# too low.
_KEY_END = re.compile(r'"[ \t\n\r]*:')


def _loads_plain(text: str) -> Any:
    """Parse with orjson when that gives what the strict parser would: no number with a
    fraction (those must stay exact decimals) and no key given twice in one object."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _loads(text)  # the standard parser names what is wrong, and where
    keys = _plain_keys(value)
    if keys is None or keys != _key_ends(text):
        return _loads(text)
    return value


def _key_ends(text: str) -> int:
    # With no whitespace after any quote, every key end is a plain `":` and str.count finds
    # them far faster than the pattern. A tab or line break is rare in a line of JSON at all:
    # one search for each single character (a plain memchr) rules out three of the pairs at
    # once, where a search for a pair costs as much as the count.
    if '" ' in text or (('\t' in text or '\n' in text or '\r' in text)
                        and ('"\t' in text or '"\n' in text or '"\r' in text)):
        return len(_KEY_END.findall(text))
    return text.count('":')


def _plain_keys(value: Any) -> int | None:
    """How many object keys the value holds, or None when it holds a float."""
    if isinstance(value, dict):
        total = len(value)
        for item in value.values():
            if type(item) in _SCALARS:
                continue
            inner = _plain_keys(item)
            if inner is None:
                return None
            total += inner
        return total
    if isinstance(value, list):
        total = 0
        for item in value:
            inner = _plain_keys(item)
            if inner is None:
                return None
            total += inner
        return total
    return None if isinstance(value, float) else 0


_SCALARS = frozenset({str, int, bool, type(None)})


def _loads(text: str) -> Any:
    return json.loads(
        text,
        parse_float=JsonNumber,
        parse_constant=_refuse_constant,
        object_pairs_hook=_unique_keys,
    )


class _Unacceptable(ValueError):
    """JSON's grammar allows it, a document may not say it: a key twice, NaN or Infinity."""


def _refuse_constant(name: str) -> NoReturn:
    raise _Unacceptable(f"{name} is not a number; send a decimal such as \"12.50\"")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Python keeps the last of two equal keys; a document that says two things is refused.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Unacceptable(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        where = f"line {error.lineno} column" if error.lineno > 1 else "column"
        return f"{error.msg} at {where} {error.colno}"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start + 1}); save the file as UTF-8"
    return str(error)


_Reader = Callable[[BinaryIO, str], Iterator[RawRecord]]

_READERS: dict[str, _Reader] = {
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
    ".csv": _read_csv,
    ".xlsx": _read_xlsx,
}
ACCEPTED_SUFFIXES = tuple(_READERS)


def _reader_for(filename: str) -> _Reader:
    reader = _READERS.get(PurePath(filename).suffix.lower())
    if reader is None:
        raise UnsupportedFile(filename, ACCEPTED_SUFFIXES)
    return reader

"""Documents from tables: one row a document line, header fields repeated on every row.

Columns are named by dotted paths into the canonical document (`party.code`, `lines.qty`).
Rows with the same envelope key make one document wherever they stand in the table: a sheet
sorted by item instead of by document must not become two halves of one document, one stored
and one refused. So a table is read whole before its first document goes on (JSON Lines is the
streaming format). Each row adds one entry to `lines`; `based_on` and `uoms` entries are
collected per row without repeats.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from acgate.domain.documents import FIELD_PATHS
from acgate.domain.values import JsonNumber, to_instant
from acgate.sources.records import TABLE_FIX, RawRecord
from acgate.sources.sheets import (
    SheetRow,
    column_letter,
    header_names,
    is_blank,
    separator_hint,
    split_header,
)

INT_COLUMNS = frozenset({"version", "lines.line", "approval.version", "lines.based_on_line.line"})
KEY_COLUMNS = ("source", "type", "id", "version", "updated_at")
ROW_LIST = "lines"
DEDUPED_LISTS = ("based_on", "uoms")
LIST_FIELDS = (ROW_LIST, *DEDUPED_LISTS)
_CLEAN_INT = re.compile(r"-?\d+")

CellConverter = Callable[[str, Any], Any]
"""(column name, raw cell) -> the payload value, or None when the cell is absent."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    path: tuple[str, ...]

    @property
    def list_name(self) -> str | None:
        return self.path[0] if self.path[0] in LIST_FIELDS else None


@dataclass(slots=True)
class _Row:
    number: int
    values: dict[str, Any]
    problem: str | None


@dataclass(slots=True)
class _Group:
    key: tuple[tuple[type, Any], ...]
    rows: list[_Row] = field(default_factory=list)


def csv_cell(column: str, cell: Any) -> Any:
    """CSV text stays text for validation to parse, except clean integers in integer columns."""
    text = str(cell).strip()
    if not text:
        return None
    if column in INT_COLUMNS and _CLEAN_INT.fullmatch(text):
        return int(text)
    return text


def xlsx_cell(column: str, cell: Any) -> Any:
    """Typed XLSX cells: whole numbers become int, other numbers stay exact-decimal candidates.

    A whole number becomes an int in every column, not only the integer ones, because Excel
    stores item code 1001 as 1001.0 and the code must read "1001". Fractions keep their float
    spelling as a `JsonNumber`, so that validation refuses more than six decimal places.
    """
    if isinstance(cell, str):
        return csv_cell(column, cell)
    if isinstance(cell, bool) or cell is None:
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else JsonNumber(repr(cell))
    if isinstance(cell, int | dt.date):
        return cell
    # A time of day or a duration is never a canonical field: keep its text for the error.
    return cell.isoformat() if isinstance(cell, dt.time) else str(cell)


def documents_from_rows(
    where: str, rows: Iterable[SheetRow], convert: CellConverter
) -> Iterator[RawRecord]:
    """Group table rows into document payloads; `where` names the file (and sheet)."""
    header, data = split_header(rows)
    if header is None:
        return
    columns, problem = _parse_header(header)
    if problem is not None:
        yield RawRecord(f"{where} row {header.number}", None, problem, fix=TABLE_FIX)
        return
    groups: dict[tuple[tuple[type, Any], ...], _Group] = {}  # in order of first appearance
    for sheet_row in data:
        row = _convert_row(sheet_row, columns, convert)
        if row is None:
            continue
        values = [_comparable(c, row.values.get(c)) for c in KEY_COLUMNS]
        key = tuple((type(value), value) for value in values)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(key)
        group.rows.append(row)
    for group in groups.values():
        yield _to_record(where, columns, group)


def _parse_header(header: SheetRow) -> tuple[list[Column | None], str | None]:
    """The header's columns (None where the header cell is blank), or why it cannot be used."""
    names = header_names(header)
    hint = separator_hint(names) if header.problem is None else header.problem
    if hint is not None:
        return [], hint
    columns: list[Column | None] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            columns.append(None)
            continue
        name = _canonical(name)
        column = Column(name, tuple(name.split(".")))
        if name in seen:
            problems.append(f"column {name} appears twice; keep one")
        elif not all(column.path):
            problems.append(f"column {column_letter(index)} ({name}) is not a dotted path")
        elif column.path in {(list_name,) for list_name in LIST_FIELDS}:
            problems.append(f"column {name} must name a field of each entry, such as {name}.id")
        seen.add(name)
        columns.append(column)
    problems.extend(_overlapping(c for c in columns if c is not None))
    return columns, "; ".join(problems) or None


# A spreadsheet heads its columns as people write them (`Party.Code`, `Currency`): a name that is
# a contract field but for its case is that field, never a column silently left out (a USD
# invoice read without its `Currency` would be taken in the home currency).
_FIELDS_BY_FOLDED = {path.casefold(): path for path in FIELD_PATHS}


def _canonical(name: str) -> str:
    return name if name in FIELD_PATHS else _FIELDS_BY_FOLDED.get(name.casefold(), name)


def _overlapping(columns: Iterable[Column]) -> list[str]:
    # `party` and `party.code` cannot both be filled: one is text, the other an object.
    paths = {column.path: column.name for column in columns}
    return [
        f"columns {paths[path[:size]]} and {name} overlap; keep only {name}"
        for path, name in paths.items()
        for size in range(1, len(path))
        if path[:size] in paths
    ]


def _convert_row(
    row: SheetRow, columns: list[Column | None], convert: CellConverter
) -> _Row | None:
    values: dict[str, Any] = {}
    strays: list[str] = []
    for index, cell in enumerate(row.cells):
        column = columns[index] if index < len(columns) else None
        if column is None:
            if not is_blank(cell):
                strays.append(column_letter(index))
            continue
        value = convert(column.name, cell)
        if value is not None:
            values[column.name] = value
    if not values and not strays and row.problem is None:
        return None
    problems = [row.problem] if row.problem is not None else []
    if strays:
        problems.append(f"values in column(s) {', '.join(strays)}, which have no header name")
    problem = f"row {row.number}: {'; '.join(problems)}" if problems else None
    return _Row(row.number, values, problem)


def _to_record(where: str, columns: list[Column | None], group: _Group) -> RawRecord:
    numbers = [row.number for row in group.rows]
    origin = f"{where} row {numbers[0]}" if len(numbers) == 1 else \
        f"{where} rows {_spans(numbers)}"
    named = [c for c in columns if c is not None]
    problems = [row.problem for row in group.rows if row.problem is not None]
    problems.extend(_disagreements(named, group.rows))
    if problems:
        return RawRecord(origin, None, "; ".join(problems), fix=TABLE_FIX)
    return RawRecord(origin, _payload(named, group.rows), None)


def _spans(numbers: list[int]) -> str:
    """Row numbers as runs: 2-3, 7."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def _comparable(name: str, value: Any) -> Any:
    """A header cell as the contract compares it: `updated_at` as the instant it names (offsets
    honoured, never as text), so rows spelling one moment two ways are rows of one version."""
    if name == "updated_at" and value is not None:
        try:
            return to_instant(value)
        except ValueError:
            return value  # validation names what is wrong with it
    return value


def _disagreements(columns: list[Column], rows: list[_Row]) -> list[str]:
    problems = []
    for column in columns:
        if column.list_name is not None:
            continue
        expected = _comparable(column.name, rows[0].values.get(column.name))
        for row in rows[1:]:
            value = _comparable(column.name, row.values.get(column.name))
            if type(value) is not type(expected) or value != expected:
                problems.append(
                    f"column {column.name} differs between rows {rows[0].number} "
                    f"({_shown(expected)}) and {row.number} ({_shown(value)}); "
                    "repeat the same header values on every row of a document"
                )
                break
    return problems


def _shown(value: Any) -> str:
    return "empty" if value is None else repr(str(value))


def _payload(columns: list[Column], rows: list[_Row]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for column in columns:
        value = rows[0].values.get(column.name)
        if column.list_name is None and value is not None:
            _put(payload, column.path, value)
    lines = [entry for row in rows if (entry := _entry(columns, row, ROW_LIST))]
    if lines:
        payload[ROW_LIST] = lines
    for list_name in DEDUPED_LISTS:
        entries: list[dict[str, Any]] = []
        for row in rows:
            entry = _entry(columns, row, list_name)
            if entry and entry not in entries:
                entries.append(entry)
        if entries:
            payload[list_name] = entries
    return payload


def _entry(columns: list[Column], row: _Row, list_name: str) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for column in columns:
        value = row.values.get(column.name)
        if column.list_name == list_name and value is not None:
            _put(entry, column.path[1:], value)
    return entry


def _put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value

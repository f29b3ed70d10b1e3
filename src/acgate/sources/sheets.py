"""Rows of CSV files and XLSX sheets, numbered as a spreadsheet program shows them.

Both the document readers and the master data loader read tables; this module gives them the
same view: a header row, then data rows that carry their row number and, when the bytes could
not be read faithfully, a problem for that row alone.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

NOT_UTF8 = (
    "the row is not UTF-8 text; save the file as \"CSV UTF-8\" so that names keep their letters"
)


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One row of a table: its 1-based row number, its cells, and why it cannot be trusted."""

    number: int
    cells: list[Any]
    problem: str | None = None


class WorkbookError(ValueError):
    """The bytes are not a workbook calamine can open."""


def is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA: how a person finds a column in a spreadsheet."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def split_header(rows: Iterable[SheetRow]) -> tuple[SheetRow | None, Iterator[SheetRow]]:
    """The first non-blank row as the header, and an iterator over the rows after it. A row
    that could not be read is not blank: it is the header, and its problem is reported."""
    remaining = iter(rows)
    for row in remaining:
        if row.problem is not None or not all(is_blank(cell) for cell in row.cells):
            return row, remaining
    return None, remaining


def header_names(header: SheetRow) -> list[str]:
    return ["" if is_blank(cell) else str(cell).strip() for cell in header.cells]


def separator_hint(names: list[str]) -> str | None:
    """Why a one-column header is probably a file saved with another separator."""
    if len(names) == 1:
        for separator, word in ((";", "semicolons"), ("\t", "tabs")):
            if separator in names[0]:
                return f"the header is separated by {word}; save the file with comma separators"
    return None


def csv_rows(stream: BinaryIO) -> Iterator[SheetRow]:
    """Rows of a CSV file, read lazily; a UTF-8 byte-order mark (Excel's "CSV UTF-8") is skipped."""
    lines = _Utf8Lines(stream)
    reader = csv.reader(lines)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield SheetRow(number, [], f"the row is not readable as CSV: {error}")
            continue
        yield SheetRow(number, cells, NOT_UTF8 if lines.take_undecodable() else None)


class _Utf8Lines:
    """Decodes line by line so that one badly encoded row spoils only itself."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._undecodable = False

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self._stream:
            if first:
                raw = raw.removeprefix(codecs.BOM_UTF8)
                first = False
            # A bare CR ends a line too (older Mac exports): the file reads as one line else.
            pieces = raw.splitlines(keepends=True) if b"\r" in raw.rstrip(b"\r\n") else [raw]
            for piece in pieces:
                try:
                    yield piece.decode("utf-8")
                except UnicodeDecodeError:
                    self._undecodable = True
                    yield piece.decode("utf-8", errors="replace")

    def take_undecodable(self) -> bool:
        undecodable, self._undecodable = self._undecodable, False
        return undecodable


def open_workbook(stream: BinaryIO) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(stream)
    except CalamineError as error:
        raise WorkbookError(f"not readable as an XLSX workbook: {error}") from None


def find_sheet(workbook: CalamineWorkbook, name: str) -> str | None:
    """The workbook's spelling of a sheet name, matched ignoring case."""
    wanted = name.casefold()
    return next((s for s in workbook.sheet_names if s.casefold() == wanted), None)


def sheet_rows(workbook: CalamineWorkbook, name: str) -> Iterator[SheetRow]:
    """The rows of one sheet from A1, so that row numbers match what Excel shows.

    The sheet is read here, not on iteration, so that an unreadable sheet raises at once.
    """
    try:
        sheet: CalamineSheet = workbook.get_sheet_by_name(name)
        grid = sheet.to_python(skip_empty_area=False)
    except CalamineError as error:
        raise WorkbookError(f"sheet {name} is not readable: {error}") from None
    return (SheetRow(index + 1, list(cells)) for index, cells in enumerate(grid))

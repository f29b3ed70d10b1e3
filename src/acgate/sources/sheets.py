"""Rows of CSV files and XLSX sheets, numbered as a spreadsheet program shows them.

Both the document readers and the master data loader read tables; this module gives them the
same view: a header row, then data rows that carry their row number and, when the bytes could
not be read faithfully, a problem for that row alone.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from xml.etree import ElementTree

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


@dataclass(frozen=True, slots=True)
class Workbook:
    """A workbook as calamine reads it, with its file's bytes for what calamine does not say."""

    book: CalamineWorkbook
    archive: bytes

    @property
    def sheet_names(self) -> list[str]:
        names: list[str] = self.book.sheet_names
        return names


def open_workbook(stream: BinaryIO) -> Workbook:
    archive = stream.read()
    try:
        return Workbook(CalamineWorkbook.from_filelike(io.BytesIO(archive)), archive)
    except CalamineError as error:
        raise WorkbookError(f"not readable as an XLSX workbook: {error}") from None


def find_sheet(workbook: Workbook, name: str) -> str | None:
    """The workbook's spelling of a sheet name, matched ignoring case."""
    wanted = name.casefold()
    return next((s for s in workbook.sheet_names if s.casefold() == wanted), None)


def sheet_rows(workbook: Workbook, name: str) -> Iterator[SheetRow]:
    """The rows of one sheet from A1, so that row numbers match what Excel shows. A row with a
    cell holding a formula error (#N/A from a VLOOKUP that found nothing) has that problem:
    calamine reads such a cell as empty, and an optional field left empty means absent (a tax
    code lost, a foreign invoice taken in the home currency).

    The sheet is read here, not on iteration, so that an unreadable sheet raises at once.
    """
    try:
        sheet: CalamineSheet = workbook.book.get_sheet_by_name(name)
        grid = sheet.to_python(skip_empty_area=False)
    except CalamineError as error:
        raise WorkbookError(f"sheet {name} is not readable: {error}") from None
    errors = formula_errors(workbook.archive, name)
    return (SheetRow(index + 1, list(cells), _error_problem(errors.get(index + 1)))
            for index, cells in enumerate(grid))


def _error_problem(errors: list[tuple[str, str]] | None) -> str | None:
    if not errors:
        return None
    cells = ", ".join(f"{reference} holds the formula error {text}" for reference, text in errors)
    return f"cell {cells}; correct the formula or enter the value"


_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REFERENCE = re.compile(r"([A-Z]+)([0-9]+)")


def formula_errors(archive: bytes, sheet: str) -> dict[int, list[tuple[str, str]]]:
    """Cells of a sheet that hold a formula error, by row number: [(reference, error text)].
    Nothing for a workbook that is not an XLSX package (calamine reads others)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as package:
            part = _sheet_part(package, sheet)
            if part is None:
                return {}
            found: dict[int, list[tuple[str, str]]] = {}
            with package.open(part) as xml:
                for _, element in ElementTree.iterparse(xml):
                    if _local(element.tag) != "c":
                        continue
                    reference = _CELL_REFERENCE.fullmatch(element.get("r") or "")
                    if element.get("t") == "e" and reference is not None:
                        text = next((v.text for v in element if _local(v.tag) == "v"), None)
                        found.setdefault(int(reference[2]), []).append(
                            (reference[0], text or "#VALUE!"))
                    element.clear()
            return found
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return {}


def _sheet_part(package: zipfile.ZipFile, sheet: str) -> str | None:
    """The package part that holds a sheet, from the workbook's list and its relationships."""
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    ids = [element.get(_RELATIONSHIP) for element in workbook.iter()
           if _local(element.tag) == "sheet" and element.get("name") == sheet]
    if not ids:
        return None
    relationships = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    target = next((element.get("Target") for element in relationships
                   if element.get("Id") == ids[0]), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]

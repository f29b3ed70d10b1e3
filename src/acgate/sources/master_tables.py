"""Master data files read into named tables of rows, before any record is built.

JSON, XLSX (one sheet a table) and CSV (one file a table) all become the same shape: rows that
know where they came from and whose columns are already mapped to acgate's field names, so
that AutoCount's export headings (`AccNo`, `CompanyName`, `BaseUOM`) and snake_case both work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

from acgate.sources.sheets import (
    SheetRow,
    WorkbookError,
    csv_rows,
    find_sheet,
    header_names,
    open_workbook,
    separator_hint,
    sheet_rows,
    split_header,
)

SHEETS = {
    "debtors": "Debtors",
    "creditors": "Creditors",
    "items": "Items",
    "item_uoms": "ItemUOMs",
    "locations": "Locations",
    "tax_codes": "TaxCodes",
    "terms": "Terms",
    "agents": "Agents",
    "projects": "Projects",
    "departments": "Departments",
}
"""Table name -> the XLSX sheet that holds it."""

_PARTY = {
    "code": ("code", "accno", "debtorcode", "creditorcode"),
    "name": ("name", "companyname"),
    "tin": ("tin",),
    "brn": ("brn", "registerno", "registrationno"),
    "email": ("email", "emailaddress"),
    "phone": ("phone", "phone1"),
    "address": ("address",),
    **{f"address{n}": (f"address{n}",) for n in range(1, 5)},
    "currency": ("currency", "currencycode"),
    "terms": ("terms", "displayterm", "creditterm"),
    "active": ("active", "isactive"),
}
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "debtors": _PARTY,
    "creditors": _PARTY,
    "items": {
        "code": ("code", "itemcode"),
        "description": ("description",),
        "base_uom": ("baseuom",),
        "active": ("active", "isactive"),
        "tax_code": ("taxcode",),
    },
    "item_uoms": {
        "item_code": ("itemcode",),
        "uom": ("uom",),
        "rate": ("rate",),
        "price": ("price",),
        "purchase_price": ("purchaseprice",),
    },
    "locations": {"code": ("code", "location")},
    "tax_codes": {"code": ("code", "taxcode"), "rate": ("rate",), "percent": ("taxrate",)},
    "terms": {"code": ("code", "displayterm", "terms", "term", "creditterm")},
    "agents": {"code": ("code", "salesagent", "agent")},
    "projects": {"code": ("code", "projno", "project")},
    "departments": {"code": ("code", "deptno", "department")},
}
_CODE_TABLES = ("locations", "terms", "agents", "projects", "departments")


@dataclass(frozen=True, slots=True)
class MasterDataProblem:
    """One thing wrong in a master data file: where, which field, what, and how to fix it."""

    where: str
    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        place = f"{self.where}, {self.field}" if self.field else self.where
        return f"{place}: {self.problem} ({self.fix})"


class MasterDataError(ValueError):
    """Master data that cannot be loaded; `problems` lists every problem found, each placed."""

    def __init__(self, problems: Iterable[MasterDataProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"master data has {count} problem{'s' * (count != 1)}:\n{lines}")


@dataclass(frozen=True, slots=True)
class MasterRow:
    """A row with its values under acgate's field names and the column names the file used."""

    where: str
    values: dict[str, Any]
    columns: dict[str, str]

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


@dataclass(slots=True)
class Tables:
    """Rows per table, and the problems met while reading them."""

    rows: dict[str, list[MasterRow]] = field(
        default_factory=lambda: {table: [] for table in SHEETS}
    )
    problems: list[MasterDataProblem] = field(default_factory=list)

    def problem(self, where: str, name: str, problem: str, fix: str) -> None:
        self.problems.append(MasterDataProblem(where, name, problem, fix))


def table_key(name: str) -> str:
    """`ItemUOMs`, `item_uoms` and `Item UOMs` all name the same table or column."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


_TABLE_BY_KEY = {table_key(table): table for table in SHEETS}


def table_named(name: str) -> str | None:
    return _TABLE_BY_KEY.get(table_key(name))


def read_json(stream: BinaryIO, name: str, tables: Tables) -> None:
    """Add the tables of a master data JSON object."""
    try:
        data = json.loads(stream.read().decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        tables.problem(name, "", f"not readable as JSON: {error}", "save the file as UTF-8 JSON")
        return
    add_json(data, name, tables)


def add_json(data: Any, name: str, tables: Tables) -> None:
    """Add the tables of master data already parsed from JSON."""
    if not isinstance(data, dict):
        tables.problem(name, "", "expected one JSON object of tables",
                       "send {\"debtors\": [...], \"items\": [...], ...}")
        return
    for key, rows in data.items():
        table = table_named(key)
        if table is None or table == "item_uoms":
            tables.problem(name, key, "is not a master data table",
                           "use " + ", ".join(t for t in SHEETS if t != "item_uoms"))
        elif not isinstance(rows, list):
            tables.problem(name, key, "expected a list", "send the table as a JSON list")
        else:
            _add_json_rows(name, table, rows, tables)


def _add_json_rows(name: str, table: str, rows: list[Any], tables: Tables) -> None:
    for index, value in enumerate(rows):
        where = f"{name} {table}[{index}]"
        if table in _CODE_TABLES and not isinstance(value, dict):
            value = {"code": value}
        if not isinstance(value, dict):
            tables.problem(where, "", "expected an object", "send one JSON object per row")
            continue
        row = _mapped_row(where, table, value, tables)
        tables.rows[table].append(row)
        if table == "items" and "code" in row.values:
            _add_json_uoms(where, row.values["code"], value, tables)


def _add_json_uoms(where: str, code: Any, value: Mapping[str, Any], tables: Tables) -> None:
    uoms = next((v for k, v in value.items() if table_key(k) in ("uoms", "itemuoms")), None)
    if uoms is None:
        return
    if not isinstance(uoms, list):
        tables.problem(where, "uoms", "expected a list", "send [{\"uom\": ..., \"rate\": ...}]")
        return
    for index, entry in enumerate(uoms):
        entry_where = f"{where}.uoms[{index}]"
        if not isinstance(entry, dict):
            tables.problem(entry_where, "", "expected an object", "send {\"uom\", \"rate\"}")
            continue
        row = _mapped_row(entry_where, "item_uoms", entry, tables)
        row.values["item_code"] = code
        tables.rows["item_uoms"].append(row)


def read_xlsx(stream: BinaryIO, name: str, tables: Tables) -> None:
    """Add the tables of a workbook, one sheet a table; other sheets are ignored."""
    try:
        workbook = open_workbook(stream)
        found = [(table, find_sheet(workbook, sheet)) for table, sheet in SHEETS.items()]
        for table, sheet in found:
            if sheet is not None:
                _add_sheet(f"{name} sheet {sheet}", table, sheet_rows(workbook, sheet), tables)
    except WorkbookError as error:
        tables.problem(name, "", str(error), "save the workbook as .xlsx from Excel")
        return
    if all(sheet is None for _, sheet in found):
        tables.problem(name, "", "has no master data sheet",
                       "name the sheets " + ", ".join(SHEETS.values()))


def read_csv(stream: BinaryIO, name: str, table: str, tables: Tables) -> None:
    """Add one table from a CSV file."""
    _add_sheet(name, table, csv_rows(stream), tables)


def _add_sheet(where: str, table: str, rows: Iterable[SheetRow], tables: Tables) -> None:
    header, data = split_header(rows)
    if header is None:
        return
    names = header_names(header)
    problem = header.problem or separator_hint(names)
    if problem is not None:
        tables.problem(f"{where} row {header.number}", "", problem, "fix the header row")
        return
    fields = _field_names(f"{where} row {header.number}", table, names, tables)
    for row in data:
        place = f"{where} row {row.number}"
        if row.problem is not None:
            tables.problem(place, "", row.problem, "correct the row and load the file again")
            continue  # its values cannot be trusted: what follows from them would only repeat it
        mapped = _row(place, zip(names, row.cells, strict=False), fields)
        if mapped.values:
            tables.rows[table].append(mapped)


def _mapped_row(where: str, table: str, cells: Mapping[str, Any], tables: Tables) -> MasterRow:
    return _row(where, cells.items(), _field_names(where, table, list(cells), tables))


def _row(where: str, cells: Iterable[tuple[str, Any]], fields: dict[str, str]) -> MasterRow:
    values = {fields[column]: clean(cell) for column, cell in cells if column in fields}
    return MasterRow(
        where,
        {name: value for name, value in values.items() if value is not None},
        {name: column for column, name in fields.items()},
    )


def _field_names(where: str, table: str, columns: list[str], tables: Tables) -> dict[str, str]:
    """Column name -> field name for the columns this table knows; the rest are ignored."""
    aliases = _FIELDS[table]
    fields: dict[str, str] = {}
    for column in columns:
        key = table_key(column)
        name = next((f for f, keys in aliases.items() if key in keys), None)
        if name is None or not column:
            continue
        other = next((c for c, f in fields.items() if f == name), None)
        if other is not None:
            tables.problem(where, column, f"gives the same field as column {other}",
                           "keep one of the two columns")
            continue
        fields[column] = name
    return fields


def clean(cell: Any) -> Any:
    """A cell as a value: blank is None, text is trimmed, a float is never kept as a float."""
    if cell is None or isinstance(cell, bool):
        return cell
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else Decimal(repr(cell))
    return cell

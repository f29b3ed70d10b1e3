"""Load AutoCount master data from JSON, XLSX or CSV files, and dump it back as JSON.

Loading is all or nothing: every problem in the files is collected and raised together in one
`MasterDataError`, each naming the file, sheet and row, the field, and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from acgate.domain.masterdata import ItemRecord, ItemUom, MasterData, PartyRecord
from acgate.domain.values import to_decimal
from acgate.sources.master_tables import (
    SHEETS,
    MasterDataError,
    MasterDataProblem,
    MasterRow,
    Tables,
    add_json,
    read_csv,
    read_json,
    read_xlsx,
    table_named,
)
from acgate.sources.records import UnsupportedFile

__all__ = [
    "ACCEPTED_SUFFIXES",
    "MAX_UOM_LENGTH",
    "MasterDataError",
    "MasterDataProblem",
    "dump_master_data_json",
    "load_master_data",
    "load_master_files",
    "master_data_from_json",
    "read_master_data",
]

MAX_UOM_LENGTH = 8
"""AutoCount's limit on a UOM code."""

ACCEPTED_SUFFIXES = (".json", ".xlsx", ".csv")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def load_master_data(path: Path, table: str | None = None) -> MasterData:
    """Load one master data file.

    JSON holds all tables in one object and XLSX one sheet per table. A CSV file holds one
    table, named by `table` or else by the file name (`debtors.csv`, `item_uoms.csv`).
    """
    return load_master_files([(path, table)])


def load_master_files(files: Iterable[Path | tuple[Path, str | None]]) -> MasterData:
    """Load several files as one company's master data, such as items.csv with item_uoms.csv.

    A file is a path, or a (path, table) pair for a CSV file whose name does not say its table.
    """
    pairs = [entry if isinstance(entry, tuple) else (entry, None) for entry in files]
    _refuse_unsupported(path.name for path, _ in pairs)  # before any file is opened
    with ExitStack() as opened:
        return read_master_streams([(opened.enter_context(path.open("rb")), path.name, table)
                                    for path, table in pairs])


def read_master_data(stream: BinaryIO, filename: str, table: str | None = None) -> MasterData:
    """Load one master data file from an open stream (an upload), the format chosen by
    `filename` as `load_master_data` chooses it by the path."""
    return read_master_streams([(stream, filename, table)])


def read_master_streams(files: Sequence[tuple[BinaryIO, str, str | None]]) -> MasterData:
    """Load several open streams (the files of one upload) as one company's master data, as
    `load_master_files` loads paths: (stream, file name, table of a CSV file or None)."""
    _refuse_unsupported(filename for _, filename, _ in files)
    tables = Tables()
    for stream, filename, table in files:
        _read_file(stream, PurePath(filename).name, table, tables)
    return _built(tables)


def _refuse_unsupported(filenames: Iterable[str]) -> None:
    for filename in filenames:
        if PurePath(filename).suffix.lower() not in ACCEPTED_SUFFIXES:
            raise UnsupportedFile(filename, ACCEPTED_SUFFIXES)


def master_data_from_json(data: dict[str, Any], name: str = "master data") -> MasterData:
    """Master data from the JSON format, already parsed (as storage keeps it)."""
    tables = Tables()
    add_json(data, name, tables)
    return _built(tables)


def _built(tables: Tables) -> MasterData:
    master = _build(tables)
    if tables.problems:
        raise MasterDataError(tables.problems)
    return master


def _read_file(stream: BinaryIO, name: str, table: str | None, tables: Tables) -> None:
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        named = table_named(table or Path(name).stem)
        if named is not None:
            read_csv(stream, name, named, tables)
        else:
            problem = f"cannot tell which table {name} holds" if table is None \
                else f"{table} is not a master data table"
            tables.problem(name, "", problem, "name the table: " + ", ".join(SHEETS))
    elif table is not None:
        tables.problem(name, "", "a table is named only for CSV files",
                       "leave out the table; the file names its own tables")
    elif suffix == ".json":
        read_json(stream, name, tables)
    else:
        read_xlsx(stream, name, tables)


def _build(tables: Tables) -> MasterData:
    rows = tables.rows
    return MasterData(
        debtors=_parties(rows["debtors"], "debtor", tables),
        creditors=_parties(rows["creditors"], "creditor", tables),
        items=_items(rows["items"], rows["item_uoms"], tables),
        locations=_codes(rows["locations"], "location", tables),
        tax_codes=_tax_codes(rows["tax_codes"], tables),
        terms=_codes(rows["terms"], "credit term", tables),
        agents=_codes(rows["agents"], "sales agent", tables),
        projects=_codes(rows["projects"], "project", tables),
        departments=_codes(rows["departments"], "department", tables),
    )


class _Fields:
    """Reads one row's fields, recording a problem for each value that cannot be used."""

    def __init__(self, row: MasterRow, tables: Tables) -> None:
        self.row = row
        self.tables = tables
        self.failed = False

    def fail(self, name: str, problem: str, fix: str) -> None:
        self.failed = True
        self.tables.problem(self.row.where, self.row.column(name), problem, fix)

    def text(self, name: str, required: str | None = None) -> str | None:
        """A text field; `required` names what is missing, for the fix."""
        value = self.row.values.get(name)
        if value is None:
            if required is not None:
                self.fail(name, "missing", f"add the {required}")
            return None
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value
        self.fail(name, f"expected text, got {value!r}", "write the value as text")
        return None

    def decimal(self, name: str, required: bool = False, positive: bool = False) -> Decimal | None:
        value = self.row.values.get(name)
        if value is None:
            if required:
                self.fail(name, "missing", "add the number")
            return None
        try:
            number = to_decimal(value)
        except ValueError:
            self.fail(name, f"expected a number, got {value!r}", "write a number such as 12.50")
            return None
        if number < 0 or (positive and number == 0):
            self.fail(name, f"{number} is not allowed here",
                      "use a number greater than 0" if positive else "use 0 or more")
            return None
        return number

    def flag(self, name: str) -> bool:
        value = self.row.values.get(name)
        if value is None or isinstance(value, bool):
            return value is not False
        word = str(value).strip().casefold()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        self.fail(name, f"expected yes or no, got {value!r}", "write T or F (or true/false, 1/0)")
        return True

    def uom(self, name: str) -> str | None:
        uom = self.text(name, "UOM code")
        if uom is not None and len(uom) > MAX_UOM_LENGTH:
            self.fail(name, f"UOM {uom} is longer than AutoCount's {MAX_UOM_LENGTH} characters",
                      f"use a UOM code of at most {MAX_UOM_LENGTH} characters")
            return None
        return uom


def _parties(rows: list[MasterRow], kind: str, tables: Tables) -> dict[str, PartyRecord]:
    parties: dict[str, PartyRecord] = {}
    seen: dict[str, str] = {}
    for row in rows:
        fields = _Fields(row, tables)
        code = fields.text("code", f"{kind} code")
        record = PartyRecord(
            code=code or "", name=fields.text("name", f"{kind}'s name") or "",
            tin=fields.text("tin"), brn=fields.text("brn"), email=fields.text("email"),
            phone=fields.text("phone"), address=_address(fields),
            currency=fields.text("currency"), terms=fields.text("terms"),
            active=fields.flag("active"),
        )
        if code is not None and _unique(code, seen, fields) and not fields.failed:
            parties[code] = record
    return parties


def _address(fields: _Fields) -> str | None:
    # AutoCount keeps an address in four lines; acgate compares it as one text.
    whole = fields.text("address")
    if whole is not None:
        return whole
    lines = [fields.text(f"address{n}") for n in range(1, 5)]
    return "\n".join(line for line in lines if line) or None


def _unique(code: str, seen: dict[str, str], fields: _Fields) -> bool:
    """Record where a code was first given; a second row with the same code is a problem."""
    if code in seen:
        fields.fail("code", f"code {code} is given twice (first at {seen[code]})",
                    "keep one row per code")
        return False
    seen[code] = fields.row.where
    return True


def _codes(rows: list[MasterRow], kind: str, tables: Tables) -> set[str]:
    codes = (_Fields(row, tables).text("code", f"{kind} code") for row in rows)
    return {code for code in codes if code is not None}


def _tax_codes(rows: list[MasterRow], tables: Tables) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    seen: dict[str, str] = {}
    for row in rows:
        fields = _Fields(row, tables)
        code = fields.text("code", "tax code")
        rate = _tax_rate(fields)
        if code is not None and rate is not None and _unique(code, seen, fields):
            rates[code] = rate
    return rates


def _tax_rate(fields: _Fields) -> Decimal | None:
    """The tax rate as a fraction.

    `rate` is a fraction already ("0.10") unless written as a percent ("10%"); AutoCount's
    `TaxRate` column is a percent (10).
    """
    values = fields.row.values
    if ("rate" in values) == ("percent" in values):
        problem = "both rate and TaxRate are given" if "rate" in values else "missing"
        fields.fail("rate", problem, "give the rate once, as a fraction (0.10) or percent (10%)")
        return None
    name = "rate" if "rate" in values else "percent"
    raw = values[name]
    percent = name == "percent" or (isinstance(raw, str) and raw.endswith("%"))
    try:
        number = to_decimal(raw.removesuffix("%") if isinstance(raw, str) else raw)
    except ValueError:
        fields.fail(name, f"expected a rate, got {raw!r}",
                    "write a fraction (0.10) or a percent (10%)")
        return None
    rate = number / 100 if percent else number
    if not 0 <= rate <= 1:
        fields.fail(name, f"{raw} is not a rate between 0% and 100%",
                    "write the rate as a fraction (0.10) or a percent (10%)")
        return None
    return rate


def _items(
    item_rows: list[MasterRow], uom_rows: list[MasterRow], tables: Tables
) -> dict[str, ItemRecord]:
    if uom_rows and not item_rows:
        tables.problem(uom_rows[0].where, "", "item UOMs are given without their items",
                       "load the Items table (items.csv) together with the item UOMs")
        return {}
    heads = _item_heads(item_rows, tables)
    uoms = _item_uoms(uom_rows, heads, tables)
    items: dict[str, ItemRecord] = {}
    for code, head in heads.items():
        record = _item(head, uoms.get(code, []), tables) if head is not None else None
        if record is not None:
            items[code] = record
    return items


class _ItemHead:
    """An item row's own fields, before its UOMs are attached."""

    def __init__(self, row: MasterRow, fields: _Fields) -> None:
        self.row = row
        self.code = fields.text("code", "item code") or ""
        self.description = fields.text("description", "item's description") or ""
        self.base_uom = fields.uom("base_uom") if "base_uom" in row.values else None
        self.active = fields.flag("active")
        self.tax_code = fields.text("tax_code")


def _item_heads(rows: list[MasterRow], tables: Tables) -> dict[str, _ItemHead | None]:
    """Item code -> its head, or None when its row has problems (its UOM rows still match)."""
    heads: dict[str, _ItemHead | None] = {}
    seen: dict[str, str] = {}
    for row in rows:
        fields = _Fields(row, tables)
        head = _ItemHead(row, fields)
        if "code" in row.values and _unique(head.code, seen, fields):
            heads[head.code] = None if fields.failed else head
    return heads


_UomRow = tuple[MasterRow, ItemUom]


def _item_uoms(
    rows: list[MasterRow], heads: dict[str, _ItemHead | None], tables: Tables
) -> dict[str, list[_UomRow]]:
    by_item: dict[str, list[_UomRow]] = {}
    for row in rows:
        fields = _Fields(row, tables)
        code = fields.text("item_code", "item code")
        uom = ItemUom(
            uom=fields.uom("uom") or "",
            rate=fields.decimal("rate", required=True, positive=True) or Decimal(0),
            price=fields.decimal("price"),
            purchase_price=fields.decimal("purchase_price"),
        )
        if code is not None and code not in heads:
            fields.fail("item_code", f"item {code} is not in the Items table",
                        "add the item or remove this UOM row")
        if code is not None and not fields.failed:
            by_item.setdefault(code, []).append((row, uom))
    return by_item


def _item(head: _ItemHead, uoms: list[_UomRow], tables: Tables) -> ItemRecord | None:
    distinct = _distinct_uoms(head, uoms, tables)
    listed = [uom for _, uom in uoms]
    base = _base_uom(head, listed, tables)
    if base is None or not distinct:
        return None
    ordered = (base, *(u for u in listed if u is not base))
    return ItemRecord(
        code=head.code, description=head.description, base_uom=base.uom, uoms=ordered,
        active=head.active, tax_code=head.tax_code,
    )


def _distinct_uoms(head: _ItemHead, uoms: list[_UomRow], tables: Tables) -> bool:
    # AutoCount's collation ignores case, so "ctn" and "CTN" are one UOM of the item.
    first: dict[str, MasterRow] = {}
    for row, uom in uoms:
        key = uom.uom.casefold()
        if key in first:
            tables.problem(row.where, row.column("uom"),
                           f"UOM {uom.uom} of item {head.code} is listed twice "
                           f"(first at {first[key].where})", "keep one row per item and UOM")
        first.setdefault(key, row)
    return len(first) == len(uoms)


def _base_uom(head: _ItemHead, listed: list[ItemUom], tables: Tables) -> ItemUom | None:
    """The item's one UOM at rate 1; the base UOM is added at rate 1 when not listed."""
    where, column = head.row.where, head.row.column("base_uom")
    base = head.base_uom
    if base is not None:
        entry = next((u for u in listed if u.uom.casefold() == base.casefold()), None)
        if entry is not None and entry.rate != 1:
            tables.problem(where, column, f"base UOM {base} is listed at rate {entry.rate}",
                           "give the base UOM rate 1, or choose the UOM at rate 1 as base")
            return None
        listed = listed if entry is not None else [ItemUom(base, Decimal(1)), *listed]
    ones = [u for u in listed if u.rate == 1]
    if len(ones) == 1:
        return ones[0]
    names = ", ".join(u.uom for u in ones)
    tables.problem(
        where, column,
        f"item {head.code} has {'no' if not ones else 'more than one'} UOM at rate 1"
        + (f" ({names})" if ones else ""),
        "an AutoCount item has exactly one base UOM at rate 1; set BaseUOM and the rates",
    )
    return None


def dump_master_data_json(master: MasterData) -> dict[str, Any]:
    """Master data in the JSON format that `load_master_data` reads back to an equal value."""
    return {
        "debtors": [_party_json(p) for p in master.debtors.values()],
        "creditors": [_party_json(p) for p in master.creditors.values()],
        "items": [_item_json(i) for i in master.items.values()],
        "locations": sorted(master.locations),
        "tax_codes": [{"code": c, "rate": str(r)} for c, r in master.tax_codes.items()],
        "terms": sorted(master.terms),
        "agents": sorted(master.agents),
        "projects": sorted(master.projects),
        "departments": sorted(master.departments),
    }


def _party_json(party: PartyRecord) -> dict[str, Any]:
    texts = {
        "code": party.code, "name": party.name, "tin": party.tin, "brn": party.brn,
        "email": party.email, "phone": party.phone, "address": party.address,
        "currency": party.currency, "terms": party.terms,
    }
    return {**_present(texts), "active": party.active}


def _item_json(item: ItemRecord) -> dict[str, Any]:
    head = {"code": item.code, "description": item.description, "base_uom": item.base_uom}
    return {
        **head,
        "active": item.active,
        **_present({"tax_code": item.tax_code}),
        "uoms": [_present({
            "uom": u.uom, "rate": str(u.rate),
            "price": _text_or_none(u.price), "purchase_price": _text_or_none(u.purchase_price),
        }) for u in item.uoms],
    }


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _text_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)

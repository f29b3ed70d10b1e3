"""Import workbooks as a target: documents written for a person to import into AutoCount.

AutoCount's Import-from-Excel upserts by DocNo. Each document type has its own sheet, headed by
AutoCount's column names (the SDK's, as the bridge uses them). A document is a block of rows:
its first row carries the header fields and the first detail, each further row one more detail
under the same DocNo. Amounts are written as exact numbers, or as text when a spreadsheet number
could not hold them exactly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from acgate.autocount.errors import Duplicate, Rejected, Unsupported
from acgate.autocount.fields import remote_document
from acgate.autocount.payloads import BRIDGE_TYPES, NEW_DOC_NO, bridge_body, remark_field
from acgate.autocount.ratelimit import RateLimit
from acgate.autocount.target import Accepted, RemoteDocument, Wait
from acgate.domain.documents import DocType
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import Posting

PREFIXES: dict[DocType, str] = {
    DocType.SALES_ORDER: "SO", DocType.DELIVERY_ORDER: "DO", DocType.SALES_INVOICE: "I",
    DocType.CASH_SALE: "CS", DocType.CREDIT_NOTE: "CN", DocType.DEBIT_NOTE: "DN",
    DocType.PURCHASE_ORDER: "PO", DocType.GOODS_RECEIVED: "GR", DocType.PURCHASE_INVOICE: "PI",
}
"""Numbers acgate allocates are `{prefix}-{yyMM}-{0001}`, AutoCount's default format."""

DETAIL_COLUMNS = ("ItemCode", "Location", "Description", "UOM", "Qty", "UnitPrice", "Discount",
                  "TaxCode", "ProjNo", "DeptNo", "FromDocType", "FromDocNo", "FromDtlSeq")
DOC_NO, DOC_DATE = "DocNo", "DocDate"


@dataclass(frozen=True, kw_only=True)
class XlsxSettings:
    folder: Path
    filename: str = "acgate-import.xlsx"
    remark_field: str = "remark4"
    prefixes: Mapping[DocType, str] = field(default_factory=lambda: dict(PREFIXES))

    def __post_init__(self) -> None:
        object.__setattr__(self, "remark_field", remark_field(self.remark_field))


@dataclass
class _Block:
    """One document's rows in a sheet (1-based, inclusive) and its values in the SDK's names."""

    first: int
    last: int
    values: dict[str, Any]


class XlsxTarget:
    """A `Target` that appends documents to an import workbook in a folder."""

    name = "xlsx"
    unlisted_master_tables: frozenset[str] = frozenset()

    def __init__(self, settings: XlsxSettings) -> None:
        self.settings = settings

    @property
    def path(self) -> Path:
        return self.settings.folder / self.settings.filename

    @property
    def rate_limit(self) -> RateLimit | None:
        return None

    def unsupported(self, posting: Posting) -> str | None:
        if posting.doc_type not in BRIDGE_TYPES or posting.doc_type not in self.settings.prefixes:
            return (f"AutoCount imports no {posting.doc_type.value.replace('_', ' ')} documents "
                    "from Excel")
        return None

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        """Append the document; AutoCount allocates no key until a person imports it."""
        reason = self.unsupported(posting)
        if reason is not None:
            raise Unsupported(reason, posting.doc_type)
        book = self._load()
        sheet = self._sheet(book, posting.doc_type)
        blocks = _blocks(sheet)
        doc_no = posting.doc_no or self._next_number(posting, blocks)
        if any(_doc_no(block) == doc_no for block in blocks):
            raise Duplicate(f"{doc_no} is already in {self.path.name}", doc_no)
        _append(sheet, dataclasses.replace(posting, doc_no=doc_no), self.settings.remark_field)
        self._save(book)
        return Accepted(doc_no)

    def find(self, doc_type: DocType, doc_no: str) -> RemoteDocument | None:
        return next((d for d in self._read(doc_type) if d.doc_no == doc_no), None)

    def find_by_key(self, doc_type: DocType, key: str, party_code: str | None, date: dt.date,
                    doc_no: str | None = None) -> RemoteDocument | None:
        # The whole workbook is at hand, so the key is looked for everywhere, not in a window.
        return next((d for d in self._read(doc_type)
                     if d.acgate_key == key and (doc_no is None or d.doc_no == doc_no)), None)

    def update(self, posting: Posting, doc_no: str) -> None:
        """Rewrite the document's rows; the import then updates it by DocNo."""
        book = self._load()
        sheet = self._sheet(book, posting.doc_type)
        block = next((b for b in _blocks(sheet) if _doc_no(b) == doc_no), None)
        if block is None:
            raise Rejected(f"{doc_no} is not in {self.path.name}")
        sheet.delete_rows(block.first, block.last - block.first + 1)
        _append(sheet, dataclasses.replace(posting, doc_no=doc_no), self.settings.remark_field)
        self._save(book)

    def void(self, doc_type: DocType, doc_no: str) -> None:
        raise Unsupported(f"an import workbook cannot cancel {doc_no}; cancel it in AutoCount",
                          doc_type)

    def list_documents(self, doc_type: DocType, date_from: dt.date,
                       date_to: dt.date) -> Iterator[RemoteDocument]:
        return (d for d in self._read(doc_type) if date_from <= d.date <= date_to)

    def master_data(self) -> MasterData:
        raise Unsupported("an import workbook holds no master data; load AutoCount's export")

    def pacing(self, wait: Wait | None) -> AbstractContextManager[None]:
        return contextlib.nullcontext()  # no call budget to wait for

    def _read(self, doc_type: DocType) -> list[RemoteDocument]:
        if not self.path.exists() or doc_type not in BRIDGE_TYPES:
            return []
        book = openpyxl.load_workbook(self.path)
        name = BRIDGE_TYPES[doc_type]
        if name not in book.sheetnames:
            return []
        return [remote_document(doc_type, block.values, self.settings.remark_field)
                for block in _blocks(book[name])]

    def _next_number(self, posting: Posting, blocks: list[_Block]) -> str:
        stem = f"{self.settings.prefixes[posting.doc_type]}-{posting.date:%y%m}-"
        pattern = re.compile(re.escape(stem) + r"(\d+)$")
        used = [int(m.group(1)) for b in blocks if (m := pattern.match(_doc_no(b)))]
        return f"{stem}{max(used, default=0) + 1:04d}"

    def _load(self) -> Any:
        if self.path.exists():
            return openpyxl.load_workbook(self.path)
        book = openpyxl.Workbook()
        book.remove(book.active)
        return book

    def _sheet(self, book: Any, doc_type: DocType) -> Any:
        name = BRIDGE_TYPES[doc_type]
        return book[name] if name in book.sheetnames else book.create_sheet(name)

    def _save(self, book: Any) -> None:
        # Write beside the file and swap it in, so a crash never leaves half a workbook.
        self.settings.folder.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        book.save(partial)
        os.replace(partial, self.path)


def _append(sheet: Any, posting: Posting, remark: str) -> None:
    body = bridge_body(posting, remark)
    details: list[dict[str, Any]] = body.pop("Details")
    del body["SaveAsDraft"]  # Excel import saves as the importing person chooses
    master = {**body, DOC_DATE: posting.date}
    columns = _columns(sheet, [*master, *DETAIL_COLUMNS])
    for index, detail in enumerate(details or [{}]):
        row = {**(master if index == 0 else {DOC_NO: body[DOC_NO]}), **detail}
        sheet.append([_cell(row.get(name)) for name in columns])


def _columns(sheet: Any, names: list[str]) -> list[str]:
    """The sheet's column names, first writing or extending its header row as needed."""
    header = [cell.value for cell in sheet[1]] if sheet.max_row >= 1 else []
    header = [name for name in header if name is not None]
    missing = [name for name in names if name not in header]
    for offset, name in enumerate(missing, start=len(header) + 1):
        sheet.cell(row=1, column=offset, value=name)
    return header + missing


def _cell(value: Any) -> Any:
    """A value as a cell: decimals a spreadsheet number holds exactly as numbers, else text."""
    if isinstance(value, Decimal):
        # openpyxl writes a number as a 16-digit float and reads a float back: both must be exact.
        as_float = float(value)
        exact = Decimal(format(as_float, ".16g")) == value and Decimal(repr(as_float)) == value
        return value if exact else format(value, "f")
    return value


def _blocks(sheet: Any) -> list[_Block]:
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(name) if name is not None else "" for name in rows[0]]
    blocks: list[_Block] = []
    for number, cells in enumerate(rows[1:], start=2):
        row = {name: _plain(value) for name, value in zip(header, cells, strict=False)
               if name and value is not None}
        if not row:
            continue
        detail = {name: row[name] for name in DETAIL_COLUMNS if name in row}
        if DOC_DATE in row or not blocks:
            master = {name: value for name, value in row.items() if name not in DETAIL_COLUMNS}
            blocks.append(_Block(number, number, {**master, "Details": []}))
        block = blocks[-1]
        block.last = number
        if detail:
            block.values["Details"].append(detail)
    return blocks


def _doc_no(block: _Block) -> str:
    return str(block.values.get(DOC_NO, NEW_DOC_NO))


def _plain(value: Any) -> Any:
    """A cell's value as JSON would carry it, so one reader serves workbooks and answers."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return value

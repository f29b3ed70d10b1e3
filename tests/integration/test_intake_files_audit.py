"""Intake held to documents.md with files and version histories written by someone else from the
contract alone: nothing in a file is passed over unread, and an older version never overwrites
a newer one, whatever was delivered in between."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl

from acgate.bootstrap import App
from acgate.service.ingest import IngestReport
from acgate.sources.readers import read_documents

from .support import COMPANY, Files, count_rows, ingest, line, order, stored

HEADER = ["source", "type", "id", "version", "status", "date", "party.code", "lines.line",
          "lines.item", "lines.uom", "lines.qty", "lines.unit_price"]


def _row(doc_id: str) -> list[Any]:
    return ["shop", "sales_order", doc_id, 1, "approved", "2026-11-20", "C-0042", 1, "WID-100",
            "pcs", "2", "12.50"]


def _take(app: App, path: Path) -> IngestReport:
    return app.intake.ingest(read_documents(path))


def _workbook(path: Path, sheets: list[tuple[str, list[list[Any]]]]) -> Path:
    book = openpyxl.Workbook(write_only=True)  # no default sheet: only those given
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        list(map(sheet.append, rows))
    book.save(path)
    return path


def test_a_csv_whose_lines_end_in_a_bare_cr_is_read(app: App, files: Files) -> None:
    path = files.folder / "orders.csv"
    path.write_bytes("\r".join([",".join(HEADER), ",".join(map(str, _row("SO-1"))),
                                ",".join(map(str, _row("SO-2")))]).encode() + b"\r")

    report = _take(app, path)

    assert (report.received, report.new_versions, report.refused) == (2, 2, 0)
    assert stored(app, "shop/sales_order/SO-2").version == 1


def test_a_csv_header_that_cannot_be_read_is_reported_not_skipped(app: App,
                                                                  files: Files) -> None:
    # A header cell longer than the CSV reader takes: the next row must not become the header.
    path = files.folder / "orders.csv"
    path.write_bytes(b"\n".join([b"source," + b"x" * 200_000, ",".join(HEADER).encode(),
                                 ",".join(map(str, _row("SO-1"))).encode()]) + b"\n")

    report = _take(app, path)

    assert report.refused == 1 and report.new_versions == 0
    assert report.problems[0].origin == f"{path.name} row 1"


def test_documents_after_a_blank_first_sheet_are_read(app: App, files: Files) -> None:
    path = _workbook(files.folder / "orders.xlsx",
                     [("Sheet1", []), ("Orders", [HEADER, _row("SO-1")])])

    report = _take(app, path)

    assert (report.received, report.new_versions) == (1, 1)
    assert stored(app, "shop/sales_order/SO-1").version == 1


def test_every_sheet_of_documents_is_read_unless_one_is_named_documents(
        app: App, files: Files) -> None:
    both = _workbook(files.folder / "branches.xlsx", [("Penang", [HEADER, _row("SO-1")]),
                                                       ("Ipoh", [HEADER, _row("SO-2")])])
    report = _take(app, both)
    assert report.new_versions == 2
    assert report.problems == []

    named = _workbook(files.folder / "named.xlsx", [("notes", [["read me first"]]),
                                                     ("Documents", [HEADER, _row("SO-3")])])
    report = _take(app, named)
    assert (report.received, report.new_versions, report.refused) == (1, 1, 0)

    stray = _workbook(files.folder / "stray.xlsx", [("Orders", [HEADER, _row("SO-4")]),
                                                     ("notes", [["note"], ["read me"]])])
    report = _take(app, stray)
    assert report.new_versions == 1 and report.refused == 1
    assert report.problems[0].origin == "stray.xlsx sheet notes row 2"


def test_an_older_version_after_a_broken_one_without_a_version_is_stale(
        app: App, files: Files) -> None:
    ingest(app, files, order(version=1, status="draft"), order(version=2), name="a.jsonl")
    broken = ingest(app, files, order(version=0), name="b.jsonl")
    assert broken.problem_count == 1 and stored(app, "shop/sales_order/SO-1").state == "invalid"

    older = ingest(app, files, order(version=1, status="draft"), name="c.jsonl")

    assert (older.stale, older.new_versions) == (1, 0)
    again = ingest(app, files, order(version=2), name="d.jsonl")
    assert again.new_versions == 1  # the way out of a broken delivery: send the version again
    assert (stored(app, "shop/sales_order/SO-1").version,
            stored(app, "shop/sales_order/SO-1").state) == (2, "current")


def test_a_version_given_as_text_orders_alike_whether_or_not_the_rest_is_valid(
        app: App, files: Files) -> None:
    ingest(app, files, order(version=5), name="a.jsonl")
    assert ingest(app, files, order(version="3"), name="b.jsonl").stale == 1

    broken = ingest(app, files, order(version="3", lines=[line(qty="-2")]), name="c.jsonl")

    assert (broken.stale, broken.new_versions) == (1, 0)
    assert stored(app, "shop/sales_order/SO-1").version == 5


def test_rows_spelling_one_updated_at_two_ways_are_one_document(app: App, files: Files) -> None:
    at = {"source": "shop", "type": "sales_order", "id": "SO-1", "status": "approved",
          "date": "2026-11-20", "party.code": "C-0042", "lines.item": "WID-100",
          "lines.uom": "pcs", "lines.unit_price": "12.50"}
    path = files.csv("orders.csv", [
        {**at, "updated_at": "2026-11-20T10:00:00+08:00", "lines.line": 1, "lines.qty": "2"},
        {**at, "updated_at": "2026-11-20T02:00:00Z", "lines.line": 2, "lines.qty": "3"},
    ])

    report = _take(app, path)

    assert (report.new_versions, report.refused) == (1, 0)
    raw = stored(app, "shop/sales_order/SO-1").raw
    assert raw is not None
    assert [line["qty"] for line in json.loads(raw)["lines"]] == ["2", "3"]


def test_a_cell_holding_a_formula_error_refuses_its_document_not_empties_the_field(
        app: App, files: Files) -> None:
    # A VLOOKUP that found nothing: the currency and tax code would otherwise read as absent
    # (a foreign invoice in the home currency, a line without its tax).
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "documents"
    sheet.append([*HEADER, "currency", "lines.tax_code"])
    sheet.append([*_row("SO-1"), None, None])
    sheet.append([*_row("SO-2"), None, "SR"])
    for reference, error in (("M2", "#N/A"), ("N2", "#REF!")):
        sheet[reference].value = error
        sheet[reference].data_type = "e"
    path = files.folder / "orders.xlsx"
    book.save(path)

    report = _take(app, path)

    assert (report.received, report.new_versions, report.refused) == (2, 1, 1)
    [problem] = report.problems
    assert problem.origin == "orders.xlsx sheet documents row 2"
    assert "M2 holds the formula error #N/A" in str(problem)
    assert "N2 holds the formula error #REF!" in str(problem)


def test_a_company_named_with_spaces_around_it_is_that_company(app: App, files: Files) -> None:
    report = ingest(app, files, order(company=f"  {COMPANY} "), order("SO-2", company=""))

    assert (report.new_versions, report.refused) == (2, 0)
    assert stored(app, "shop/sales_order/SO-1").company == COMPANY


def test_an_id_with_any_character_a_database_keeps_is_found_again(app: App,
                                                                  files: Files) -> None:
    # Found again, a delivery is a redelivery; not found, it was stored a second time (refused
    # by the database, the whole batch lost).
    odd = "\ud83d\ude00 \x1f end"
    first = ingest(app, files, order(odd), name="a.jsonl")
    again = ingest(app, files, order(odd), order("SO-2"), name="b.jsonl")

    assert (first.new_versions, again.redeliveries, again.new_versions) == (1, 1, 1)


def test_a_nul_character_is_refused_with_its_reason_on_every_database(app: App,
                                                                      files: Files) -> None:
    # PostgreSQL keeps no NUL in text, and SQLite's JSON ends at one: refused whole, kept as
    # sent, the batch's other documents taken.
    report = ingest(app, files, order("A\x00B"), order("SO-2"), name="a.jsonl")

    assert (report.refused, report.new_versions) == (1, 1)
    assert "NUL" in str(report.problems[0]) and report.problems[0].origin == "a.jsonl line 1"
    assert count_rows(app, "intake_errors") == 1

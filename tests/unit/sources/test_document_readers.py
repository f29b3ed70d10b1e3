"""Reading canonical documents from JSON, JSON Lines, CSV and XLSX files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest

from acgate.domain.documents import TradeDocument, parse_document
from acgate.domain.values import JsonNumber
from acgate.sources.readers import (
    RawRecord,
    UnsupportedFile,
    read_documents,
    read_payloads_from_bytes,
    read_stream,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sources"
HEADER = "source,type,id,version,status,date,party.code,lines.line,lines.item,lines.uom,lines.qty"


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def read_text(text: str, filename: str) -> list[RawRecord]:
    return list(read_payloads_from_bytes(text.encode(), filename))


def payloads(records: list[RawRecord]) -> list[dict[str, Any] | None]:
    return [record.payload for record in records]


def test_the_same_documents_read_alike_from_json_jsonl_csv_and_xlsx(tmp_path: Path) -> None:
    expected = json.loads((FIXTURES / "documents.json").read_text())
    jsonl = tmp_path / "documents.jsonl"
    jsonl.write_text("".join(json.dumps(document) + "\n" for document in expected))
    with (FIXTURES / "documents.csv").open(newline="") as stream:
        cells = [[cell or None for cell in row] for row in csv.reader(stream)]
    xlsx = write_xlsx(tmp_path / "documents.xlsx", {"Sheet1": cells})

    for path in (FIXTURES / "documents.json", jsonl, FIXTURES / "documents.csv", xlsx):
        records = list(read_documents(path))
        assert [r.problem for r in records] == [None] * 4, path.name
        assert payloads(records) == expected, path.name
        assert all(not isinstance(parse_document(p), list) for p in payloads(records) if p)


def test_origins_say_where_each_document_is_found(tmp_path: Path) -> None:
    with (FIXTURES / "documents.csv").open(newline="") as stream:
        xlsx = write_xlsx(tmp_path / "orders.xlsx", {"Sheet1": list(csv.reader(stream))})

    assert [r.origin for r in read_documents(FIXTURES / "documents.csv")] == [
        "documents.csv rows 2-3", "documents.csv row 4", "documents.csv rows 5-6",
        "documents.csv row 7",
    ]
    assert [r.origin for r in read_documents(FIXTURES / "documents.json")][:2] == [
        "documents.json item 1", "documents.json item 2",
    ]
    assert next(read_documents(xlsx)).origin == "orders.xlsx sheet Sheet1 rows 2-3"


def test_a_json_file_may_hold_one_object() -> None:
    records = read_text('{"source": "shop", "id": "A"}', "one.json")

    assert records == [RawRecord("one.json", {"source": "shop", "id": "A"}, None)]


def test_a_bad_jsonl_line_is_reported_with_its_line_number_and_the_rest_are_read() -> None:
    text = '{"id": "A"}\n\n{"id": "B", oops}\n[1, 2]\n{"id": "C"}\n'

    records = read_text(text, "orders.jsonl")

    assert [(r.origin, r.payload) for r in records] == [
        ("orders.jsonl line 1", {"id": "A"}),
        ("orders.jsonl line 3", None),
        ("orders.jsonl line 4", None),
        ("orders.jsonl line 5", {"id": "C"}),
    ]
    assert records[1].problem is not None and "not readable as JSON" in records[1].problem
    assert records[2].problem == "expected a JSON object, got a list"


def test_json_that_says_two_things_or_is_not_a_number_is_refused() -> None:
    records = read_text('{"qty": "1", "qty": "100"}\n{"qty": NaN}\n', "orders.ndjson")

    assert [r.payload for r in records] == [None, None]
    assert "'qty' appears twice" in str(records[0].problem)
    assert "NaN is not a number" in str(records[1].problem)


def test_a_json_list_item_that_says_two_things_is_refused_alone() -> None:
    text = '[{"id": "A"}, {"id": "B", "id": "C"}, {"qty": Infinity}, {"id": "D"}]'

    records = read_text(text, "batch.json")

    assert [(r.origin, r.payload, r.text) for r in records] == [
        ("batch.json item 1", {"id": "A"}, '{"id": "A"}'),
        ("batch.json item 2", None, '{"id": "B", "id": "C"}'),
        ("batch.json item 3", None, '{"qty": Infinity}'),
        ("batch.json item 4", {"id": "D"}, '{"id": "D"}'),
    ]
    assert "'id' appears twice" in str(records[1].problem)
    assert "Infinity is not a number" in str(records[2].problem)


@pytest.mark.parametrize("text", ['[{"id": "A", "id": "B"},]', '[{"id": "A", "id": "B"}] x',
                                  '[{"id": "A", "id": "B"}, {oops}]', '{"id": "A", "id": "B"}'])
def test_json_that_is_not_a_well_formed_list_stays_one_problem(text: str) -> None:
    [record] = read_text(text, "batch.json")

    assert (record.origin, record.payload, record.text) == ("batch.json", None, text)
    assert "not readable as JSON" in str(record.problem)


def test_json_nested_too_deeply_is_a_problem_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000

    records = read_text(f'{deep}\n{{"id": "A"}}\n', "orders.jsonl")

    assert [(r.problem, r.payload) for r in records] == [
        ("not readable as JSON: nested too deeply", None), (None, {"id": "A"}),
    ]


def test_an_unreadable_json_file_is_one_problem_record() -> None:
    records = read_text('[{"id": "A"},', "batch.json")

    assert len(records) == 1
    assert records[0].origin == "batch.json" and records[0].payload is None
    assert "not readable as JSON" in str(records[0].problem)


def test_bare_json_decimals_are_marked_as_numbers_and_integers_stay_integers() -> None:
    [record] = read_text('{"version": 3, "qty": 2.5, "price": 1.1234567}', "a.json")

    assert record.payload == {"version": 3, "qty": Decimal("2.5"), "price": Decimal("1.1234567")}
    assert type(record.payload["version"]) is int
    assert isinstance(record.payload["qty"], JsonNumber)


def test_validation_refuses_a_bare_number_with_more_than_six_places() -> None:
    document = json.loads((FIXTURES / "documents.json").read_text())[0]
    text = json.dumps(document).replace('"qty": "2"', '"qty": 2.1234567')

    [record] = read_text(text, "a.json")
    result = parse_document(record.payload or {})

    assert isinstance(result, list)
    assert [p.path for p in result] == ["lines[0].qty"]
    assert "at most 6 places" in result[0].problem


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_field() -> None:
    bom = "\ufeff"
    csv_text = f"{bom}{HEADER}\nshop,sales_order,A,1,open,2026-01-05,C1,1,X,pcs,2\n"

    [from_csv] = read_text(csv_text, "orders.csv")
    [from_jsonl] = read_text(bom + '{"source": "shop"}\n', "orders.jsonl")
    [from_json] = read_text(bom + '{"source": "shop"}', "orders.json")

    assert from_csv.payload is not None and from_csv.payload["source"] == "shop"
    assert from_jsonl.payload == from_json.payload == {"source": "shop"}


def test_half_a_character_spoils_only_its_own_document() -> None:
    # An escaped UTF-16 surrogate without its pair parses in Python but cannot be stored.
    half, pair = '"notes": "\\ud800"', '"notes": "\\ud83d\\ude00"'
    jsonl = read_text(f'{{"id": "A", {half}}}\n{{"id": "B", {pair}}}\n', "orders.jsonl")
    listed = read_text(f'[{{"id": "A", {half}}}, {{"id": "B", {pair}}}]', "orders.json")

    for records in (jsonl, listed):
        bad, good = records
        assert bad.payload is None
        assert "'\\ud800' is half of a character" in str(bad.problem)
        assert good.payload == {"id": "B", "notes": "\U0001F600"} and good.problem is None


def test_what_cannot_be_read_is_kept_as_it_was_sent() -> None:
    jsonl = b'{"id": "A", "name": "Caf\xe9"}\n{"id": "B", \n'
    bad_bytes, bad_json = read_payloads_from_bytes(jsonl, "orders.jsonl")
    [whole] = read_payloads_from_bytes(b'[{"id": "A"},', "orders.json")

    assert bad_bytes.payload is None and "not readable as JSON" in str(bad_bytes.problem)
    assert bad_bytes.text == '{"id": "A", "name": "Caf\\xe9"}'  # the odd byte as an escape
    assert bad_json.payload is None and bad_json.text == '{"id": "B",'
    assert whole.payload is None and whole.text == '[{"id": "A"},'


class _GeneratedJsonl(io.RawIOBase):
    """A JSON Lines file far larger than memory would like, made on demand and counted."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.served = 0
        self._made = 0
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._pending and self._made < self.lines:
            self._made += 1
            document = {"source": "feed", "type": "sales_order", "id": f"SO-{self._made:08d}"}
            self._pending = json.dumps(document).encode() + b"\n"
        view = memoryview(buffer).cast("B")
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.served += size
        return size


def test_jsonl_is_read_lazily_one_line_at_a_time() -> None:
    feed = _GeneratedJsonl(lines=1_000_000)

    records = read_stream(io.BufferedReader(feed), "feed.jsonl")
    first_ten = list(itertools.islice(records, 10))

    assert [r.payload["id"] for r in first_ten if r.payload] == [
        f"SO-{n:08d}" for n in range(1, 11)
    ]
    assert feed.served < 1_000_000 < feed.lines * 60


def test_csv_rows_group_into_documents_with_lines() -> None:
    text = (
        f"{HEADER},based_on.type,based_on.id\n"
        "shop,sales_order,A,1,open,2026-01-05,C1,1,X,pcs,2,quotation,Q1\n"
        "shop,sales_order,A,1,open,2026-01-05,C1,2,Y,ctn,3,quotation,Q1\n"
        "\n"
        "shop,sales_order,A,1,open,2026-01-05,C1,3,Z,pcs,1,quotation,Q2\n"
        "shop,sales_order,B,1,open,2026-01-06,C2,,,,,quotation,Q3\n"
        "shop,sales_order,B,1,open,2026-01-06,C2,1,X,pcs,1,,\n"
    )

    first, second = read_text(text, "orders.csv")

    assert first.origin == "orders.csv rows 2-3, 5"
    assert first.payload == {
        "source": "shop", "type": "sales_order", "id": "A", "version": 1, "status": "open",
        "date": "2026-01-05", "party": {"code": "C1"},
        "lines": [
            {"line": 1, "item": "X", "uom": "pcs", "qty": "2"},
            {"line": 2, "item": "Y", "uom": "ctn", "qty": "3"},
            {"line": 3, "item": "Z", "uom": "pcs", "qty": "1"},
        ],
        "based_on": [{"type": "quotation", "id": "Q1"}, {"type": "quotation", "id": "Q2"}],
    }
    assert second.payload is not None
    assert second.payload["lines"] == [{"line": 1, "item": "X", "uom": "pcs", "qty": "1"}]
    assert second.payload["based_on"] == [{"type": "quotation", "id": "Q3"}]


def test_rows_of_one_document_make_one_document_wherever_they_stand(tmp_path: Path) -> None:
    # A sheet sorted by item: half an order must not be stored while its other half is refused.
    rows = [HEADER.split(","),
            ["shop", "sales_order", "A", "1", "open", "2026-01-05", "C1", "1", "X", "pcs", "2"],
            ["shop", "sales_order", "B", "1", "open", "2026-01-06", "C2", "1", "X", "pcs", "5"],
            ["shop", "sales_order", "A", "2", "open", "2026-01-07", "C1", "1", "X", "pcs", "4"],
            ["shop", "sales_order", "A", "1", "open", "2026-01-05", "C1", "2", "Y", "ctn", "3"]]
    text = "".join(",".join(row) + "\n" for row in rows)
    xlsx = write_xlsx(tmp_path / "orders.xlsx", {"Sheet1": rows})

    for records in (read_text(text, "orders.csv"), list(read_documents(xlsx))):
        first, second, third = records
        assert first.origin.endswith("rows 2, 5")
        assert first.payload is not None
        assert (first.payload["id"], first.payload["version"]) == ("A", 1)
        assert [line["item"] for line in first.payload["lines"]] == ["X", "Y"]
        assert second.payload is not None and second.payload["id"] == "B"
        assert third.payload is not None
        assert (third.payload["id"], third.payload["version"]) == ("A", 2)


def test_column_names_are_contract_fields_whatever_their_case() -> None:
    text = ("Source,Type,ID,Version,Status,Date,Party.Code,Currency,Currency_Rate,Lines.Line,"
            "Lines.Item,LINES.UOM,lines.qty,Remarks\n"
            "shop,sales_invoice,A,2,open,2026-01-05,C1,USD,4.40,1,X,pcs,2,call first\n")

    [record] = read_text(text, "invoices.csv")

    assert record.payload == {
        "source": "shop", "type": "sales_invoice", "id": "A", "version": 2, "status": "open",
        "date": "2026-01-05", "party": {"code": "C1"}, "currency": "USD",
        "currency_rate": "4.40", "Remarks": "call first",
        "lines": [{"line": 1, "item": "X", "uom": "pcs", "qty": "2"}],
    }


def test_a_field_given_twice_in_two_spellings_is_refused() -> None:
    [record] = read_text("id,ID,source\nA,A,shop\n", "orders.csv")

    assert record.payload is None and "column id appears twice" in str(record.problem)


def test_csv_keeps_text_as_text_except_clean_integers_in_integer_columns() -> None:
    text = f"{HEADER}\nshop,sales_order,A,07,open,2026-01-05,0042,1.5,0099, pcs ,2.50\n"

    [record] = read_text(text, "orders.csv")

    assert record.payload is not None
    assert record.payload["version"] == 7
    assert record.payload["party"] == {"code": "0042"}
    assert record.payload["lines"] == [{"line": "1.5", "item": "0099", "uom": "pcs", "qty": "2.50"}]


def test_disagreeing_header_cells_are_reported_for_that_document_only() -> None:
    text = (
        f"{HEADER}\n"
        "shop,sales_order,A,1,open,2026-01-05,C1,1,X,pcs,2\n"
        "shop,sales_order,A,1,open,2026-01-06,C1,2,Y,pcs,2\n"
        "shop,sales_order,B,1,open,2026-01-06,C1,1,Y,pcs,2\n"
    )

    bad, good = read_text(text, "orders.csv")

    assert bad.origin == "orders.csv rows 2-3" and bad.payload is None
    assert bad.problem is not None
    assert "column date differs between rows 2 ('2026-01-05') and 3 ('2026-01-06')" in bad.problem
    assert good.payload is not None and good.problem is None


def test_an_empty_header_cell_on_one_row_of_a_document_is_a_disagreement() -> None:
    text = (
        f"{HEADER},notes\n"
        "shop,sales_order,A,1,open,2026-01-05,C1,1,X,pcs,2,Leave at door\n"
        "shop,sales_order,A,1,open,2026-01-05,C1,2,Y,pcs,2,\n"
    )

    [record] = read_text(text, "orders.csv")

    assert "column notes differs between rows 2 ('Leave at door') and 3 (empty)" in str(
        record.problem
    )


def test_a_csv_row_that_is_not_utf8_spoils_only_its_document() -> None:
    rows = [
        HEADER.encode(),
        "shop,sales_order,A,1,open,2026-01-05,C1,1,Café,pcs,2".encode("cp1252"),
        b"shop,sales_order,B,1,open,2026-01-05,C1,1,X,pcs,2",
    ]

    bad, good = read_payloads_from_bytes(b"\r\n".join(rows), "orders.csv")

    assert bad.payload is None and "row 2: the row is not UTF-8 text" in str(bad.problem)
    assert good.payload is not None and good.payload["id"] == "B"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("source,type,id,id", "column id appears twice"),
        ("source,party,party.code", "columns party and party.code overlap"),
        ("source,lines", "column lines must name a field of each entry"),
        ("source,party..code", "column B (party..code) is not a dotted path"),
        ("source;type;id", "separated by semicolons"),
    ],
)
def test_an_unusable_header_is_one_problem_naming_the_column(header: str, expected: str) -> None:
    records = read_text(f"{header}\nshop,x,y,z\nshop,x,y,z\n", "orders.csv")

    assert [r.origin for r in records] == ["orders.csv row 1"]
    assert expected in str(records[0].problem)


def test_values_in_a_column_without_a_header_are_reported() -> None:
    text = f"{HEADER}\nshop,sales_order,A,1,open,2026-01-05,C1,1,X,pcs,2,surprise\n"

    [record] = read_text(text, "orders.csv")

    assert record.problem == "row 2: values in column(s) L, which have no header name"


def test_xlsx_numeric_cells_become_integers_or_exact_decimals(tmp_path: Path) -> None:
    header = [*HEADER.split(","), "lines.unit_price", "lines.based_on_line.line", "approval.at"]
    row = [
        "shop", "sales_invoice", 1001.0, 2.0, "open", dt.date(2026, 1, 5), 42.0,
        1.0, 1001.0, "pcs", 2.5, 0.1234567, 3.0, dt.datetime(2026, 1, 5, 9, 30),
    ]
    path = write_xlsx(tmp_path / "orders.xlsx", {"Sheet1": [header, row]})

    [record] = read_documents(path)

    assert record.payload is not None
    line = record.payload["lines"][0]
    assert (record.payload["id"], record.payload["version"], line["line"], line["item"]) == (
        1001, 2, 1, 1001
    )
    assert isinstance(line["qty"], JsonNumber) and line["qty"] == Decimal("2.5")
    assert line["based_on_line"] == {"line": 3}
    assert record.payload["date"] == dt.date(2026, 1, 5)
    assert record.payload["approval"] == {"at": dt.datetime(2026, 1, 5, 9, 30)}


def test_an_xlsx_date_time_cell_without_offset_is_refused_with_what_to_enter(
        tmp_path: Path) -> None:
    header = [*HEADER.split(","), "lines.unit_price", "approval.by", "approval.at",
              "approval.version"]
    row = ["shop", "sales_order", "A", 1, "open", "2026-01-05", "C1", 1, "X", "pcs", "2", "1",
           "mei.ling", dt.datetime(2026, 1, 5, 9, 30), 1]
    [record] = read_documents(write_xlsx(tmp_path / "o.xlsx", {"Sheet1": [header, row]}))

    [problem] = parse_document(record.payload or {})

    assert str(problem).startswith(
        "approval.at: the date-time 2026-01-05T09:30:00 has no offset; enter it as text with "
        "one, such as 2026-01-05T09:30:00+08:00")


def test_xlsx_time_and_duration_cells_keep_their_text_for_the_error(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["source", "updated_at", "notes"], ["shop", dt.time(9, 30), dt.timedelta(hours=2)]
    ]

    [record] = read_documents(write_xlsx(tmp_path / "o.xlsx", {"Sheet1": rows}))

    assert record.payload == {"source": "shop", "updated_at": "09:30:00", "notes": "2:00:00"}


def test_xlsx_numbers_are_validated_like_json_numbers(tmp_path: Path) -> None:
    header = [*HEADER.split(","), "lines.unit_price"]
    row = ["shop", "sales_order", "A", 1, "open", dt.date(2026, 1, 5), 42, 1, 1001, "pcs", 2.5,
           0.1234567]
    [record] = read_documents(write_xlsx(tmp_path / "o.xlsx", {"Sheet1": [header, row]}))

    result = parse_document(record.payload or {})

    assert isinstance(result, list)
    assert [problem.path for problem in result] == ["lines[0].unit_price"]
    row[-1] = 12.5
    [record] = read_documents(write_xlsx(tmp_path / "o.xlsx", {"Sheet1": [header, row]}))
    document = parse_document(record.payload or {})
    assert isinstance(document, TradeDocument)
    assert (document.party.code, document.lines[0].item) == ("42", "1001")


def test_xlsx_prefers_a_sheet_named_documents_and_counts_rows_as_excel_does(
    tmp_path: Path,
) -> None:
    rows: list[list[Any]] = [
        [], ["Exported 2026-01-05"], [],
        HEADER.split(","), ["shop", "sales_order", "A", 1, "open", "2026-01-05", "C1", 1, "X",
                            "pcs", "2"],
    ]
    path = write_xlsx(tmp_path / "orders.xlsx", {"Notes": [["hello"]], "Documents": rows[2:]})
    first_sheet = write_xlsx(tmp_path / "plain.xlsx", {"Orders": [[], *rows[2:]]})

    [record] = read_documents(path)
    [plain] = read_documents(first_sheet)

    assert record.origin == "orders.xlsx sheet Documents row 3"
    assert record.payload is not None and record.payload["lines"][0]["qty"] == "2"
    assert plain.origin == "plain.xlsx sheet Orders row 4"


def test_an_unreadable_xlsx_is_one_problem_record() -> None:
    [record] = read_payloads_from_bytes(b"not a workbook", "orders.xlsx")

    assert record.origin == "orders.xlsx" and record.payload is None
    assert "not readable as an XLSX workbook" in str(record.problem)


def test_an_unknown_suffix_is_refused_at_once_naming_the_accepted_ones() -> None:
    with pytest.raises(UnsupportedFile) as raised:
        read_documents(Path("/nowhere/orders.xls"))

    assert raised.value.suffix == ".xls"
    assert "'.xls'" in str(raised.value) and ".jsonl" in str(raised.value)


def test_bytes_and_files_read_alike(tmp_path: Path) -> None:
    path = FIXTURES / "documents.csv"

    assert list(read_payloads_from_bytes(path.read_bytes(), "documents.csv")) == list(
        read_documents(path)
    )


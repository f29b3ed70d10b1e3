"""Loading AutoCount master data from JSON, XLSX and CSV files, and dumping it back."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from acgate.domain.masterdata import ItemRecord, ItemUom, MasterData, PartyRecord
from acgate.sources.masterdata import (
    MasterDataError,
    dump_master_data_json,
    load_master_data,
    load_master_files,
    master_data_from_json,
)
from acgate.sources.records import UnsupportedFile

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sources"
Rows = list[list[Any]]

# The fixture's master data as AutoCount exports it: its sheet and column names, T/F flags,
# numeric cells, tax rates in percent, addresses in lines, and the base UOM left out of ItemUOMs.
AUTOCOUNT_SHEETS: dict[str, Rows] = {
    "Debtors": [
        ["AccNo", "CompanyName", "TIN", "RegisterNo", "EmailAddress", "Phone1", "Address1",
         "Address2", "CurrencyCode", "DisplayTerm", "IsActive", "CreditLimit"],
        ["300-M001", "Syarikat Maju Jaya Sdn Bhd", "C20880050010", "201901000005",
         "akaun@majujaya.example", "04-2281234", "12 Lebuh Pantai", "George Town", "MYR",
         "30 Days", "T", 5000],
        ["300-K002", "Kedai Runcit Ah Kow", None, None, None, None, None, None, None, None, "F",
         0],
    ],
    "Creditors": [
        ["CreditorCode", "CompanyName", "CurrencyCode", "DisplayTerm", "IsActive"],
        ["400-P001", "Pembekal Utama Sdn Bhd", "MYR", "C.O.D.", "T"],
    ],
    "Items": [
        ["ItemCode", "Description", "BaseUOM", "IsActive", "TaxCode"],
        ["WID-100", "Widget", "PCS", "T", "S-10"],
        [1001, "Gadget", "UNIT", "F", None],
    ],
    "ItemUOMs": [
        ["ItemCode", "UOM", "Rate", "Price", "PurchasePrice"],
        ["WID-100", "CTN", 12, 140, None],
        ["WID-100", "PCS", 1, 12.5, 7.2],
    ],
    "Locations": [["Location", "Description"], ["HQ", "Head office"], ["PENANG", "Branch"]],
    "TaxCodes": [["TaxCode", "TaxRate"], ["S-10", 10], ["SV-8", 8]],
    "Terms": [["DisplayTerm"], ["30 Days"], ["C.O.D."]],
    "Agents": [["SalesAgent"], ["MEI"]],
    "Projects": [["ProjNo"], ["P-2026"]],
    "Departments": [["DeptNo"], ["SALES"]],
}


def write_xlsx(path: Path, sheets: dict[str, Rows]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: Rows) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as stream:
        csv.writer(stream).writerows(rows)
    return path


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data))
    return path


def problems_of(error: pytest.ExceptionInfo[MasterDataError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


@pytest.fixture
def fixture_master() -> MasterData:
    return load_master_data(FIXTURES / "master.json")


def test_master_data_json_loads_every_table(fixture_master: MasterData) -> None:
    assert fixture_master.debtors["300-M001"] == PartyRecord(
        code="300-M001", name="Syarikat Maju Jaya Sdn Bhd", tin="C20880050010",
        brn="201901000005", email="akaun@majujaya.example", phone="04-2281234",
        address="12 Lebuh Pantai\nGeorge Town", currency="MYR", terms="30 Days", active=True,
    )
    assert fixture_master.debtors["300-K002"].active is False
    assert fixture_master.items["WID-100"] == ItemRecord(
        code="WID-100", description="Widget", base_uom="PCS", tax_code="S-10",
        uoms=(ItemUom("PCS", Decimal(1), Decimal("12.50"), Decimal("7.20")),
              ItemUom("CTN", Decimal(12), Decimal("140.00"))),
    )
    assert fixture_master.tax_codes == {"S-10": Decimal("0.1"), "SV-8": Decimal("0.08")}
    assert fixture_master.counts() == {
        "debtors": 2, "creditors": 1, "items": 2, "locations": 2, "tax_codes": 2, "terms": 2,
        "agents": 1, "projects": 1, "departments": 1,
    }


def test_an_autocount_export_workbook_loads_to_the_same_master_data(
    tmp_path: Path, fixture_master: MasterData
) -> None:
    path = write_xlsx(tmp_path / "autocount.xlsx", {"Read me": [["hi"]], **AUTOCOUNT_SHEETS})

    assert load_master_data(path) == fixture_master


def test_snake_case_sheets_and_columns_load_too(
    tmp_path: Path, fixture_master: MasterData
) -> None:
    sheets = {name.upper(): [list(rows[0]), *rows[1:]] for name, rows in AUTOCOUNT_SHEETS.items()}
    sheets["DEBTORS"][0] = ["code", "name", "tin", "brn", "email", "phone", "address1",
                            "address2", "currency", "terms", "active", "credit_limit"]
    sheets["ITEMUOMS"][0] = ["item_code", "uom", "rate", "price", "purchase_price"]
    sheets["TAXCODES"] = [["code", "rate"], ["S-10", "10%"], ["SV-8", "0.08"]]

    assert load_master_data(write_xlsx(tmp_path / "m.xlsx", sheets)) == fixture_master


def test_csv_files_one_table_each_load_to_the_same_master_data(
    tmp_path: Path, fixture_master: MasterData
) -> None:
    files = [
        write_csv(tmp_path / f"{table}.csv", rows)
        for table, rows in (
            ("debtors", AUTOCOUNT_SHEETS["Debtors"]), ("creditors", AUTOCOUNT_SHEETS["Creditors"]),
            ("items", AUTOCOUNT_SHEETS["Items"]), ("item_uoms", AUTOCOUNT_SHEETS["ItemUOMs"]),
            ("locations", AUTOCOUNT_SHEETS["Locations"]),
            ("tax_codes", AUTOCOUNT_SHEETS["TaxCodes"]), ("terms", AUTOCOUNT_SHEETS["Terms"]),
            ("agents", AUTOCOUNT_SHEETS["Agents"]), ("projects", AUTOCOUNT_SHEETS["Projects"]),
        )
    ]
    departments = write_csv(tmp_path / "export 7.csv", AUTOCOUNT_SHEETS["Departments"])

    loaded = load_master_files([*files, (departments, "departments")])

    assert loaded == fixture_master


def test_one_csv_file_gives_one_table(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "debtors.csv", [["code", "name"], ["C1", "Maju"]])

    loaded = load_master_data(path)

    assert loaded.debtors == {"C1": PartyRecord("C1", "Maju")}
    assert loaded.counts()["debtors"] == sum(loaded.counts().values())


def test_items_without_their_uoms_still_have_their_base_uom_at_rate_1(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "items.csv", AUTOCOUNT_SHEETS["Items"])

    items = load_master_data(path).items

    assert items["WID-100"].uoms == (ItemUom("PCS", Decimal(1)),)
    assert items["1001"].uom("unit") == ItemUom("UNIT", Decimal(1))


def test_an_item_without_a_base_uom_column_takes_its_uom_at_rate_1(tmp_path: Path) -> None:
    path = write_json(tmp_path / "m.json", {"items": [
        {"code": "A", "description": "a", "uoms": [{"uom": "CTN", "rate": 6},
                                                   {"uom": "PCS", "rate": 1}]},
    ]})

    item = load_master_data(path).items["A"]

    assert (item.base_uom, [u.uom for u in item.uoms]) == ("PCS", ["PCS", "CTN"])


def test_dumped_master_data_is_json_that_loads_back_equal(
    tmp_path: Path, fixture_master: MasterData
) -> None:
    dumped = json.dumps(dump_master_data_json(fixture_master))

    assert load_master_data(write_json(tmp_path / "again.json", json.loads(dumped))) == (
        fixture_master
    )


def test_stored_master_data_json_reads_back_without_a_file(fixture_master: MasterData) -> None:
    stored = json.loads(json.dumps(dump_master_data_json(fixture_master)))

    assert master_data_from_json(stored) == fixture_master
    with pytest.raises(MasterDataError, match="company A, items"):
        master_data_from_json({"items": "none"}, name="company A")


def test_json_floats_and_xlsx_cells_become_exact_decimals(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(
        '{"tax_codes": [{"code": "S-6", "rate": 0.06}], "items": [{"code": "A", '
        '"description": "a", "base_uom": "PCS", "uoms": [{"uom": "PCS", "rate": 1, '
        '"price": 0.1}]}]}'
    )
    sheets: dict[str, Rows] = {"ItemUOMs": [["ItemCode", "UOM", "Rate", "Price"],
                                            ["A", "PCS", 1, 0.1]],
                               "Items": [["ItemCode", "Description", "BaseUOM"], ["A", "a", "PCS"]]}

    from_json = load_master_data(tmp_path / "m.json")
    from_xlsx = load_master_data(write_xlsx(tmp_path / "m.xlsx", sheets))

    assert from_json.tax_codes["S-6"].as_tuple() == Decimal("0.06").as_tuple()
    for loaded in (from_json, from_xlsx):
        price = loaded.items["A"].uoms[0].price
        assert type(price) is Decimal and price.as_tuple() == Decimal("0.1").as_tuple()


def test_every_item_problem_is_reported_at_its_sheet_and_row(tmp_path: Path) -> None:
    sheets: dict[str, Rows] = {
        "Items": [
            ["ItemCode", "Description", "BaseUOM"],
            ["LONG", "Long UOM", "CARTON-OF-24"],
            ["RATE", "Base at rate 12", "CTN"],
            ["TWO", "Two at rate 1", "PCS"],
            ["NONE", "No base", None],
            ["RATE", "Twice", "PCS"],
            [None, "No code", "PCS"],
        ],
        "ItemUOMs": [
            ["ItemCode", "UOM", "Rate", "Price"],
            ["RATE", "CTN", 12, None],
            ["TWO", "UNIT", 1, None],
            ["NONE", "CTN", 12, None],
            ["GHOST", "PCS", 1, None],
            ["TWO", "BOX", 0, -3],
            ["TWO", "unit", 1, None],
        ],
    }

    with pytest.raises(MasterDataError) as raised:
        load_master_data(write_xlsx(tmp_path / "m.xlsx", sheets))

    assert problems_of(raised) == [
        "m.xlsx sheet Items row 2, BaseUOM: UOM CARTON-OF-24 is longer than AutoCount's 8 "
        "characters (use a UOM code of at most 8 characters)",
        "m.xlsx sheet Items row 6, ItemCode: code RATE is given twice (first at m.xlsx sheet "
        "Items row 3) (keep one row per code)",
        "m.xlsx sheet Items row 7, ItemCode: missing (add the item code)",
        "m.xlsx sheet ItemUOMs row 5, ItemCode: item GHOST is not in the Items table "
        "(add the item or remove this UOM row)",
        "m.xlsx sheet ItemUOMs row 6, Rate: 0 is not allowed here (use a number greater than 0)",
        "m.xlsx sheet ItemUOMs row 6, Price: -3 is not allowed here (use 0 or more)",
        "m.xlsx sheet Items row 3, BaseUOM: base UOM CTN is listed at rate 12 (give the base "
        "UOM rate 1, or choose the UOM at rate 1 as base)",
        "m.xlsx sheet ItemUOMs row 7, UOM: UOM unit of item TWO is listed twice (first at "
        "m.xlsx sheet ItemUOMs row 3) (keep one row per item and UOM)",
        "m.xlsx sheet Items row 4, BaseUOM: item TWO has more than one UOM at rate 1 "
        "(PCS, UNIT, unit) (an AutoCount item has exactly one base UOM at rate 1; set BaseUOM "
        "and the rates)",
        "m.xlsx sheet Items row 5, BaseUOM: item NONE has no UOM at rate 1 (an AutoCount item "
        "has exactly one base UOM at rate 1; set BaseUOM and the rates)",
    ]


def test_party_and_table_problems_name_the_row_and_field(tmp_path: Path) -> None:
    path = write_json(tmp_path / "m.json", {
        "debtors": [{"code": "C1"}, {"code": "C2", "name": "x", "active": "maybe"}],
        "tax_codes": [{"code": "S-10", "rate": "10"}, {"code": "S-6"},
                      {"code": "S-8", "rate": "eight"}],
        "debtor": [],
        "creditors": {"code": "S1"},
    })

    with pytest.raises(MasterDataError) as raised:
        load_master_data(path)

    assert problems_of(raised) == [
        "m.json, debtor: is not a master data table (use debtors, creditors, items, locations, "
        "tax_codes, terms, agents, projects, departments)",
        "m.json, creditors: expected a list (send the table as a JSON list)",
        "m.json debtors[0], name: missing (add the debtor's name)",
        "m.json debtors[1], active: expected yes or no, got 'maybe' "
        "(write T or F (or true/false, 1/0))",
        "m.json tax_codes[0], rate: 10 is not a rate between 0% and 100% "
        "(write the rate as a fraction (0.10) or a percent (10%))",
        "m.json tax_codes[1], rate: missing (give the rate once, as a fraction (0.10) or "
        "percent (10%))",
        "m.json tax_codes[2], rate: expected a rate, got 'eight' "
        "(write a fraction (0.10) or a percent (10%))",
    ]
    assert str(raised.value).startswith("master data has 7 problems:\n  - m.json, debtor:")


def test_csv_problems_name_the_file_and_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "creditors.csv", [
        ["CreditorCode", "CompanyName", "AccNo"],
        ["S1", "Supplier", "S1"],
    ])
    (tmp_path / "debtors.csv").write_bytes("code,name\nC1,Café\n".encode("cp1252"))

    with pytest.raises(MasterDataError) as raised:
        load_master_files([path, tmp_path / "debtors.csv"])

    assert problems_of(raised)[0] == (
        "creditors.csv row 1, AccNo: gives the same field as column CreditorCode "
        "(keep one of the two columns)"
    )
    assert problems_of(raised)[1].startswith("debtors.csv row 2: the row is not UTF-8 text")


def test_item_uoms_need_their_items(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "item_uoms.csv", AUTOCOUNT_SHEETS["ItemUOMs"])

    with pytest.raises(MasterDataError) as raised:
        load_master_data(path)

    assert problems_of(raised) == [
        "item_uoms.csv row 2: item UOMs are given without their items (load the Items table "
        "(items.csv) together with the item UOMs)"
    ]


def test_a_csv_file_must_say_which_table_it_holds(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.csv", [["code"], ["HQ"]])

    with pytest.raises(MasterDataError) as raised:
        load_master_data(path)

    assert "cannot tell which table export.csv holds" in problems_of(raised)[0]
    assert load_master_data(path, table="Locations").locations == {"HQ"}


def test_a_cell_holding_a_formula_error_is_reported_at_its_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", {"TaxCodes": [["TaxCode", "TaxRate"], ["SR", 6],
                                                         ["SV", None]]})
    book = openpyxl.load_workbook(path)
    book["TaxCodes"]["B3"].value = "#DIV/0!"
    book["TaxCodes"]["B3"].data_type = "e"
    book.save(path)

    with pytest.raises(MasterDataError) as raised:
        load_master_data(path)

    assert problems_of(raised) == [
        "m.xlsx sheet TaxCodes row 3: cell B3 holds the formula error #DIV/0!; correct the "
        "formula or enter the value (correct the row and load the file again)"]


def test_a_workbook_without_master_data_sheets_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", {"Sheet1": [["code"], ["HQ"]]})

    with pytest.raises(MasterDataError) as raised:
        load_master_data(path)

    assert problems_of(raised) == [
        "m.xlsx: has no master data sheet (name the sheets Debtors, Creditors, Items, ItemUOMs, "
        "Locations, TaxCodes, Terms, Agents, Projects, Departments)"
    ]


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.txt"
    path.write_text("")

    with pytest.raises(UnsupportedFile, match=r"\.json, \.xlsx, \.csv"):
        load_master_data(path)

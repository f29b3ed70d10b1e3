"""Master data read from an AutoCount target, as the `MasterData` the checks compare with.

Both profiles list their tables page by page; these readers turn one row of a table into
acgate's record. Names are looked up in either spelling (the Cloud API's `productCode`, the SDK's
`ItemCode`), since the Cloud API's master models are only partly published.
"""

from __future__ import annotations

from decimal import Decimal

from acgate.autocount.fields import Fields
from acgate.domain.masterdata import ItemRecord, ItemUom, PartyRecord


def party_record(row: Fields) -> PartyRecord:
    """A debtor or creditor; AutoCount's code for one is its account number (`AccNo`)."""
    return PartyRecord(
        code=code_of(row, "debtorCode", "creditorCode", "accNo", "code"),
        name=row.text("companyName", "debtorName", "creditorName", "name") or "",
        currency=row.text("currencyCode"),
        terms=row.text("creditTerm", "displayTerm"),
        active=row.flag("isActive", "active") is not False,
    )


def item_code(row: Fields) -> str:
    """An item's code, from the SDK's row or the Cloud API's product (nested or a summary)."""
    return code_of(_item_head(row), "productCode", "itemCode", "code")


def _item_head(row: Fields) -> Fields:
    return Fields(row.get("product")) if row.has("product") else row


def item_record(row: Fields) -> ItemRecord:
    """An item with its UOMs: the Cloud API's product and multi-packs, or the SDK's ItemUOM."""
    head = _item_head(row)
    code = item_code(row)
    listed = [
        ItemUom(code_of(uom, "multiPack", "uom"), _rate(uom), uom.decimal("price"))
        for uom in row.rows("productMultiPacks", "itemUOM", "uoms")
    ]
    base_name = head.text("baseUOM", "unit")
    base = next((u for u in listed if u.uom.casefold() == (base_name or "").casefold()), None)
    if base is None and base_name is not None:
        base = ItemUom(base_name, Decimal(1))  # the Cloud API lists only the other units
        listed.insert(0, base)
    ones = [u for u in listed if u.rate == 1]
    if base is None and len(ones) == 1:
        base = ones[0]
    if base is None or base.rate != 1:
        raise ValueError(f"item {code} has no base UOM at rate 1")
    return ItemRecord(
        code=code, description=head.text("productName", "description") or "",
        base_uom=base.uom, uoms=(base, *(u for u in listed if u is not base)),
        active=head.flag("isActive", "active") is not False, tax_code=head.text("taxCode"),
    )


def tax_code(row: Fields) -> tuple[str, Decimal]:
    """A tax code and its rate as a fraction; AutoCount's `TaxRate` is a percent."""
    rate = row.decimal("taxRate")
    if rate is None:
        raise ValueError(f"tax code {row.text('taxCode', 'code')} has no TaxRate")
    return code_of(row, "taxCode", "code"), rate / 100


def code_of(row: Fields, *names: str) -> str:
    """The code of a row, from the first of `names` it has."""
    found = row.text(*names)
    if found is None:
        raise ValueError(f"a row has no {names[0]}")
    return found


def _rate(row: Fields) -> Decimal:
    rate = row.decimal("multiPackRate", "rate")
    if rate is None or rate <= 0:
        raise ValueError(f"UOM {row.text('multiPack', 'uom')} needs a rate above 0")
    return rate

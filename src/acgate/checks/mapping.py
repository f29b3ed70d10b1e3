"""Rule gap 2, mapping and UOM: every source code must become an AutoCount code that exists."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rapidfuzz import process

from acgate.checks.context import (
    BOOK,
    Assessment,
    CheckedLine,
    CleanLine,
    MappedField,
    Run,
    UomConversion,
)
from acgate.domain.codes import Code
from acgate.domain.documents import (
    DocType,
    ItemDocument,
    Line,
    PartyDocument,
    TradeDocument,
    party_kind,
)
from acgate.domain.findings import FindingSink, Suggestion
from acgate.domain.masterdata import ItemRecord, ItemUom
from acgate.domain.rules import Table
from acgate.domain.values import canonical_decimal

# Each type's party table, made once: calling the enum costs more than the rest of a lookup.
_PARTY_TABLES = {doc_type: Table(party_kind(doc_type)) for doc_type in DocType}


def party_table(doc_type: DocType) -> Table:
    """The mapping table of a document's party: customers or suppliers."""
    return _PARTY_TABLES[doc_type]


def lookup(run: Run, table: Table, code: str) -> tuple[str | None, str]:
    """The AutoCount code for a source code, and the rule that decided it (or why not)."""
    return run.company.lookup(table, code)


def _near_codes(run: Run, table: Table, code: str) -> list[Suggestion]:
    known = run.company.master.codes(table.value)
    if code in known:
        return [Suggestion(f"map {code} to the AutoCount code {code}", "map", table.value, code,
                           code, 100.0)]
    found = process.extract(code, list(known), limit=3, score_cutoff=70)
    return [
        Suggestion(f"map {code} to {target}", "map", table.value, code, str(target), float(score))
        for target, score, _ in found
    ]


def _record(run: Run, field: str, source: str, target: str, rule: str) -> None:
    run.result.mapping.append(MappedField(field, source, target, rule))


def _require(run: Run, table: Table, code: str, field: str, finding: Code,
             what: str) -> str | None:
    target, rule = lookup(run, table, code)
    if target is not None:
        _record(run, field, code, target, rule)
        return target
    run.sink.add(
        finding, f"{what} {code!r} has no AutoCount code: {rule}", field=field,
        source_value=code, expected=f"a code among AutoCount's {BOOK[table]}",
        suggestions=_near_codes(run, table, code), blocker=(table.value, code),
    )
    return None


def check_mapping(run: Run) -> None:
    doc = run.doc
    if isinstance(doc, TradeDocument):
        party = _check_party(run, doc)
        _check_header_codes(run, doc)
        _check_currency(run, doc, party)
        # The branch (or the default location) is one field: checked on the first line using it.
        shared = next((index for index, line in enumerate(doc.lines) if not line.location), None)
        for index, line in enumerate(doc.lines):
            _check_line(run, doc, index, line, index == shared)
    elif isinstance(doc, PartyDocument):
        _check_party_document(run, doc)
    elif isinstance(doc, ItemDocument):
        _check_item_document(run, doc)


def _check_party(run: Run, doc: TradeDocument) -> str | None:
    table = party_table(doc.type)
    target, rule = lookup(run, table, doc.party.code)
    if target is not None:
        _record(run, "party.code", doc.party.code, target, rule)
        return target
    matches = run.company.matcher(table.value).matches(
        doc.party.name, doc.party.tin, doc.party.brn, doc.party.email, doc.party.phone
    )
    suggestions = [
        Suggestion(f"map {doc.party.code} to {m.code} {m.name} ({', '.join(m.reasons)})", "map",
                   table.value, doc.party.code, m.code, m.score)
        for m in matches
    ] or _near_codes(run, table, doc.party.code)
    run.sink.add(
        Code.PARTY_UNMAPPED,
        f"{table.value} {doc.party.code!r} ({doc.party.name or 'no name'}) has no AutoCount "
        f"{'debtor' if table is Table.CUSTOMER else 'creditor'} code: {rule}",
        field="party.code", source_value=doc.party.code,
        expected=f"a code among AutoCount's {BOOK[table]}", suggestions=suggestions,
        blocker=(table.value, doc.party.code),
    )
    return None


_HEADER_CODES = (
    ("agent", Table.AGENT, "sales agent"),
    ("project", Table.PROJECT, "project"),
    ("department", Table.DEPARTMENT, "department"),
    ("terms", Table.TERMS, "credit terms"),
)


def _check_header_codes(run: Run, doc: TradeDocument) -> None:
    for field, table, what in _HEADER_CODES:
        code = getattr(doc, field)
        if code is not None:
            _require(run, table, code, field, Code.CODE_UNMAPPED, what)


def _check_currency(run: Run, doc: TradeDocument, party_code: str | None) -> None:
    home = run.rules.home_currency
    currency = doc.currency or home
    if currency != home and doc.currency_rate is None:
        run.sink.add(
            Code.CURRENCY_MISMATCH,
            f"the document is in {currency} but gives no currency_rate to {home}",
            field="currency_rate", source_value=None, expected=f"the {currency}->{home} rate",
        )
    if party_code is None:
        return
    party = run.company.master.parties(party_kind(doc.type)).get(party_code)
    party_currency = (party.currency if party else None) or home
    if party is not None and party_currency != currency:
        run.sink.add(
            Code.CURRENCY_MISMATCH,
            f"the document is in {currency} but AutoCount keeps {party_code} in {party_currency}",
            field="currency", source_value=currency, expected=party_currency,
        )


def location_of(run: Run, doc: TradeDocument, line: Line) -> tuple[str | None, str]:
    if line.location:
        return line.location, "location"
    if doc.branch:
        return doc.branch, "branch"
    return None, "default"


def _check_line(run: Run, doc: TradeDocument, index: int, line: Line,
                first_without_location: bool) -> None:
    key = (line.item, line.uom, line.uom_rate, line.tax_code)
    cache = run.company.clean_lines
    if key not in cache:
        cache[key] = _clean_line(run, line)
    clean = cache[key]
    if clean is None:
        prefix = f"lines[{index}]"
        _check_goods(run, prefix, line)
        _check_location(run, doc, index, line, first_without_location)
        _check_tax(run, prefix, line)
        return
    # One entry for the line's codes and conversion: most lines are clean, and four rows of
    # their own for each were a fifth of checking a document. (Made as the tuple it is: a named
    # tuple's own constructor is a Python function.)
    run.result.mapping.append(_tuple(CheckedLine, (index, line.qty, clean)))
    _check_location(run, doc, index, line, first_without_location)


_tuple = tuple.__new__


def _clean_line(run: Run, line: Line) -> CleanLine | None:
    """Check a line's codes on their own once: the same codes recur on line after line."""
    scratch = replace(run, sink=FindingSink(run.sink.outcome_of, run.sink.owner_of),
                      result=Assessment(run.result.outcome, []))
    _check_goods(scratch, "", line)
    goods = tuple(scratch.result.mapped)
    _check_tax(scratch, "", line)
    conversions = scratch.result.conversions
    if scratch.sink.items or len(conversions) != 1:
        return None
    return CleanLine.of(goods, conversions[0], tuple(scratch.result.mapped[len(goods):]))


def _check_goods(run: Run, prefix: str, line: Line) -> None:
    item = _check_item(run, prefix, line)
    if item is not None:
        check_uom(run, prefix, line, item)


def _check_tax(run: Run, prefix: str, line: Line) -> None:
    if line.tax_code is not None:
        _require(run, Table.TAX, line.tax_code, f"{prefix}.tax_code", Code.TAX_CODE_UNMAPPED,
                 "tax code")


def _check_item(run: Run, prefix: str, line: Line) -> ItemRecord | None:
    code = _require(run, Table.ITEM, line.item, f"{prefix}.item", Code.ITEM_UNMAPPED, "item")
    if code is None:
        return None
    item = run.company.master.items[code]
    if not item.active:
        run.sink.add(
            Code.ITEM_INACTIVE, f"the AutoCount item {code} is inactive", field=f"{prefix}.item",
            source_value=line.item, expected="an active item",
            suggestions=[Suggestion(f"reactivate {code} in AutoCount, or map {line.item} to "
                                    "another item", "fix_autocount")],
        )
    return item


def resolve_uom(run: Run, item: ItemRecord, word: str) -> tuple[str | None, str | None]:
    """AutoCount UOM for a source word, and the alias that got there."""
    return run.company.resolve_uom(item, word)


def check_uom(run: Run, prefix: str, line: Line, item: ItemRecord) -> None:
    uom_code, alias = resolve_uom(run, item, line.uom)
    if uom_code is None:
        after = f" (alias -> {alias})" if alias else ""
        offered = ", ".join(f"{u.uom} ({canonical_decimal(u.rate)} {item.base_uom})"
                            for u in item.uoms)
        run.sink.add(
            Code.UOM_UNKNOWN,
            f"UOM {line.uom!r}{after} is not a UOM of item {item.code} in AutoCount",
            field=f"{prefix}.uom", source_value=line.uom, expected=f"one of {offered}",
            suggestions=[
                Suggestion(f"add the UOM alias {line.uom} -> {u.uom}", "map", Table.UOM.value,
                           line.uom.strip(), u.uom)
                for u in item.uoms
            ],
            blocker=(Table.UOM.value, line.uom.strip().casefold()),
        )
        return
    uom = item.uom(uom_code)
    assert uom is not None  # resolve_uom found it
    run.result.mapping.append(
        UomConversion(
            field=f"{prefix}.uom", item=item.code, source_uom=line.uom, alias=alias,
            autocount_uom=uom.uom, autocount_rate=uom.rate, source_rate=line.uom_rate,
            qty=line.qty, base_qty=line.qty * uom.rate, base_uom=item.base_uom,
        )
    )
    _record(run, f"{prefix}.uom", line.uom, uom.uom,
            f"UOM alias {line.uom} -> {alias}" if alias else "same UOM word in AutoCount")
    if line.uom_rate is not None and line.uom_rate != uom.rate:
        run.sink.add(
            Code.UOM_RATE_MISMATCH,
            f"the source says one {line.uom} holds {canonical_decimal(line.uom_rate)} "
            f"{item.base_uom} of {item.code}; AutoCount's {uom.uom} holds "
            f"{canonical_decimal(uom.rate)}",
            field=f"{prefix}.uom_rate", source_value=canonical_decimal(line.uom_rate),
            expected=canonical_decimal(uom.rate), suggestions=[_FIX_THE_RATE],
        )


_FIX_THE_RATE = Suggestion("correct the item's UOM setup in AutoCount or the source conversion, "
                           "then re-check", "fix_source")


def _check_location(run: Run, doc: TradeDocument, index: int, line: Line,
                    first_without_location: bool) -> None:
    word, origin = location_of(run, doc, line)
    if origin != "location" and not first_without_location:
        return
    field = f"lines[{index}].location" if origin == "location" else "branch"
    if word is not None:
        _require(run, Table.LOCATION, word, field, Code.LOCATION_UNMAPPED, "location")
        return
    default = run.rules.default_location
    if default is not None and default in run.company.master.locations:
        _record(run, field, "", default, "the company's default location")
        return
    run.sink.add(
        Code.LOCATION_UNMAPPED,
        "the line names no location, the document no branch, and the company's default "
        f"location {default!r} is not an AutoCount location",
        field=field, expected="a branch, a line location, or a valid default_location",
    )


def _check_party_document(run: Run, doc: PartyDocument) -> None:
    if doc.terms is not None:
        _require(run, Table.TERMS, doc.terms, "terms", Code.CODE_UNMAPPED, "credit terms")
    if doc.tax_code is not None:
        _require(run, Table.TAX, doc.tax_code, "tax_code", Code.TAX_CODE_UNMAPPED, "tax code")


def _check_item_document(run: Run, doc: ItemDocument) -> None:
    if doc.tax_code is not None:
        _require(run, Table.TAX, doc.tax_code, "tax_code", Code.TAX_CODE_UNMAPPED, "tax code")
    target, rule = lookup(run, Table.ITEM, doc.code)
    if target is None:
        return  # a new item: nothing in AutoCount to disagree with
    _record(run, "code", doc.code, target, rule)
    item = run.company.master.items[target]
    for index, stated in enumerate(doc.uoms):
        uom_code, alias = resolve_uom(run, item, stated.uom)
        uom = item.uom(uom_code) if uom_code else None
        if uom is None:
            continue  # a UOM AutoCount's item does not have yet: nothing to disagree with
        # One of the source's UOM against AutoCount's, as the trace shows a line's conversion.
        run.result.mapping.append(UomConversion(
            field=f"uoms[{index}].uom", item=item.code, source_uom=stated.uom, alias=alias,
            autocount_uom=uom.uom, autocount_rate=uom.rate, source_rate=stated.rate,
            qty=Decimal(1), base_qty=uom.rate, base_uom=item.base_uom))
        if uom.rate != stated.rate:
            run.sink.add(
                Code.UOM_RATE_MISMATCH,
                f"the source says one {stated.uom} of {doc.code} holds "
                f"{canonical_decimal(stated.rate)} base units; AutoCount's {uom.uom} holds "
                f"{canonical_decimal(uom.rate)} {item.base_uom}",
                field=f"uoms[{index}].rate", source_value=canonical_decimal(stated.rate),
                expected=canonical_decimal(uom.rate), suggestions=[_FIX_THE_RATE],
            )



def unit_of(run: Run, item_code: str, word: str) -> ItemUom | None:
    """AutoCount's UOM (rate, prices) for a source item code and UOM word, when both resolve."""
    return run.company.unit_of(item_code, word)


def base_quantity(run: Run, line: Line) -> Decimal | None:
    """The line's quantity in its item's AutoCount base unit, when item and UOM resolve."""
    uom = unit_of(run, line.item, line.uom)
    return line.qty * uom.rate if uom else None

"""Prices against AutoCount's price levels, and the source's totals against its own lines."""

from __future__ import annotations

from decimal import Decimal

from acgate.checks.context import Run
from acgate.checks.mapping import lookup, unit_of
from acgate.domain.codes import Code
from acgate.domain.documents import PURCHASE_TYPES, Line, TradeDocument
from acgate.domain.rules import Table
from acgate.domain.values import canonical_decimal, round_cents

TOLERATED_ROUNDING = Decimal("0.01")

# Enough for every distinct line of a large delivery; past it lines are still computed, only
# not remembered, so a source with ever-new quantities cannot grow the cache without bound.
MAX_CACHED_LINES = 50_000


def check_prices(run: Run) -> None:
    doc = run.doc
    if not isinstance(doc, TradeDocument) or not run.type_rules.price_check:
        return
    tolerance = run.rules.price_tolerance
    foreign = doc.currency is not None and doc.currency != run.rules.home_currency
    if foreign and doc.currency_rate is None:
        return  # no rate to convert with: CURRENCY_MISMATCH already holds it
    rate = doc.currency_rate if foreign else None
    # A price found within tolerance is remembered for the company (its prices and tolerance
    # are fixed until it is rebuilt): the same item, UOM and price recur on line after line.
    # Only the comparison is skipped; a line outside tolerance is worked out in full each time.
    fine = run.company.prices_in_tolerance
    purchase = doc.type in PURCHASE_TYPES
    for index, line in enumerate(doc.lines):
        if line.unit_price is None:
            continue
        key = (line.item, line.uom, line.unit_price, rate, purchase)
        if key in fine:
            continue
        reference = _reference_price(run, doc, line)
        if not reference:
            continue
        price = line.unit_price * rate if rate else line.unit_price
        deviation = abs(price - reference) / reference
        if deviation <= tolerance:
            if len(fine) < MAX_CACHED_LINES:
                fine.add(key)
        else:
            run.sink.add(
                Code.PRICE_OUT_OF_TOLERANCE,
                f"unit price {canonical_decimal(price)} for {line.item} per {line.uom} is "
                f"{deviation * 100:.1f}% from AutoCount's {canonical_decimal(reference)} "
                f"(tolerance {tolerance * 100:.1f}%)",
                field=f"lines[{index}].unit_price", source_value=canonical_decimal(line.unit_price),
                expected=f"{canonical_decimal(reference)} +/- {tolerance * 100:.1f}%",
            )


def _reference_price(run: Run, doc: TradeDocument, line: Line) -> Decimal | None:
    uom = unit_of(run, line.item, line.uom)
    if uom is None:
        return None
    return uom.purchase_price if doc.type in PURCHASE_TYPES else uom.price


def line_net(line: Line) -> Decimal:
    gross = line.qty * (line.unit_price or Decimal(0))
    discount = line.discount.amount(gross) if line.discount else Decimal(0)
    return round_cents(gross - discount)


def computed_totals(run: Run, doc: TradeDocument) -> tuple[dict[str, Decimal], bool]:
    """Subtotal, tax and total from the lines, and whether every tax rate was known."""
    subtotal = tax = Decimal(0)
    rates_known = True
    # The same quantities and prices recur on line after line, so each line's amounts are kept
    # for the company (its tax rates are fixed until it is rebuilt). Decimals that are equal but
    # spelled apart (2.5, 2.50) share an entry: both amounts are rounded to the cent, so they
    # are the same numbers with the same exponent; at most a zero's sign differs, which a sum
    # starting from Decimal(0) never shows.
    cache = run.company.line_amounts
    for line in doc.lines:
        key = (line.qty, line.unit_price, line.discount, line.tax_code)
        amounts = cache.get(key)
        if amounts is None:
            amounts = _line_amounts(run, line)
            if len(cache) < MAX_CACHED_LINES:
                cache[key] = amounts
        net, line_tax = amounts
        subtotal += net
        if line.tax_code is None:
            continue
        if line_tax is None:
            rates_known = False
            continue
        tax += line_tax
    return {"subtotal": subtotal, "tax": tax, "total": subtotal + tax}, rates_known


def _line_amounts(run: Run, line: Line) -> tuple[Decimal, Decimal | None]:
    """A line's net amount and its tax, None when it has no tax code or its rate is unknown."""
    net = line_net(line)
    if line.tax_code is None:
        return net, None
    code, _ = lookup(run, Table.TAX, line.tax_code)
    rate = run.company.master.tax_codes.get(code) if code else None
    return net, None if rate is None else round_cents(net * rate)


def check_totals(run: Run) -> None:
    doc = run.doc
    if not isinstance(doc, TradeDocument):
        return
    totals, rates_known = computed_totals(run, doc)
    run.result.totals = totals
    if doc.totals is None:
        return
    for name in ("subtotal", "tax", "total"):
        stated = getattr(doc.totals, name)
        if stated is None or (name != "subtotal" and not rates_known):
            continue  # an unmapped tax code is already held; its rate is unknown
        if abs(stated - totals[name]) > TOLERATED_ROUNDING:
            run.sink.add(
                Code.TOTALS_MISMATCH,
                f"the source's {name} {canonical_decimal(stated)} differs from "
                f"{totals[name]} computed from the lines",
                field=f"totals.{name}", source_value=canonical_decimal(stated),
                expected=str(totals[name]),
            )

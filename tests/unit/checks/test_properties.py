"""Properties that hold for any input: totals arithmetic, outcome by severity, canonical content,
the price tolerance boundary."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from acgate.domain.codes import SEVERITY, Code, Outcome
from acgate.domain.documents import content_hash
from acgate.domain.findings import FindingSink, decide
from acgate.domain.masterdata import ItemUom
from acgate.domain.values import JsonNumber

from .builders import check, codes, company_rules, line, master_data, parse, payload, widget

CENT = Decimal("0.01")
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("5000"), places=3,
                         allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("20000"), places=4,
                     allow_nan=False, allow_infinity=False)
percents = st.none() | st.integers(min_value=0, max_value=100).map(lambda n: f"{n}%")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@given(st.lists(st.tuples(quantities, prices, percents, st.booleans()), min_size=1, max_size=8))
def test_totals_are_sums_of_per_line_rounded_nets_and_taxes(
        lines: list[tuple[Decimal, Decimal, str | None, bool]]) -> None:
    nets = [cents(q * p - q * p * Decimal(d[:-1]) / 100 if d else q * p) for q, p, d, _ in lines]
    taxes = [cents(net * Decimal("0.10")) for net, (*_, taxed) in zip(nets, lines, strict=True)
             if taxed]
    subtotal, tax = sum(nets, Decimal(0)), sum(taxes, Decimal(0))
    doc = parse(payload(
        lines=[line(n, uom="pcs", qty=str(q), unit_price=str(p), discount=d,
                    tax_code="SST10" if taxed else None)
               for n, (q, p, d, taxed) in enumerate(lines, start=1)],
        totals={"subtotal": str(subtotal), "tax": str(tax), "total": str(subtotal + tax)}))

    result = check(doc)

    assert result.totals == {"subtotal": subtotal, "tax": tax, "total": subtotal + tax}
    assert Code.TOTALS_MISMATCH not in codes(result)


@given(st.lists(st.sampled_from(list(Code)), max_size=12), st.randoms(use_true_random=False))
def test_the_outcome_is_the_most_severe_finding_in_any_order(found: list[Code],
                                                            rnd: random.Random) -> None:
    rules = company_rules(codes={"DATE_OUT_OF_RANGE": {"outcome": "ready"},
                                 "STATUS_NOT_READY": {"outcome": "held"}})
    outcome_of = {code: rules.outcome_of(code) for code in Code}
    sink = FindingSink(outcome_of, {code: rules.owner_of(code) for code in Code})
    for code in found:
        sink.add(code, "found")
    shuffled = list(sink.items)
    rnd.shuffle(shuffled)

    expected = max((outcome_of[c] for c in found), key=SEVERITY.__getitem__,
                   default=Outcome.READY)
    assert decide(sink.items) is decide(shuffled) is expected


def spellings(value: str) -> st.SearchStrategy[Any]:
    """The ways one decimal reaches acgate: JSON strings, JSON numbers, spreadsheet cells."""
    number = Decimal(value)
    return st.sampled_from([
        value, f"{value}.00", f" {value}.0 ", int(number), float(number),
        JsonNumber(value), JsonNumber(f"{value}.000"), Decimal(f"{value}.0"),
    ])


def shuffled_keys(data: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    keys = list(data)
    rnd.shuffle(keys)
    return {key: _shuffled(data[key], rnd) for key in keys}


def _shuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        return shuffled_keys(value, rnd)
    if isinstance(value, list):
        return [_shuffled(item, rnd) for item in value]
    return value


@given(spellings("148"), spellings("2"), spellings("4"), st.randoms(use_true_random=False))
def test_the_content_hash_ignores_key_order_and_number_spelling(
        price: Any, qty: Any, rate: Any, rnd: random.Random) -> None:
    plain = payload(currency="USD", currency_rate="4",
                    lines=[line(qty="2", unit_price="148")])
    respelled = shuffled_keys(payload(currency="USD", currency_rate=rate,
                                      lines=[line(qty=qty, unit_price=price)]), rnd)

    assert content_hash(parse(respelled)) == content_hash(parse(plain))


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2,
                   allow_nan=False, allow_infinity=False),
       st.decimals(min_value=Decimal("0"), max_value=Decimal("0.5"), places=3,
                   allow_nan=False, allow_infinity=False),
       st.booleans())
def test_a_price_exactly_at_the_tolerance_is_within_and_a_cent_beyond_is_not(
        reference: Decimal, tolerance: Decimal, above: bool) -> None:
    item = widget(uoms=(ItemUom("PCS", Decimal(1), reference),))
    rules = company_rules(price_tolerance=str(tolerance),
                          types={"sales_invoice": {"price_check": True}})
    edge = reference * (1 + tolerance) if above else reference * (1 - tolerance)
    beyond = edge + CENT if above else edge - CENT

    def flagged(price: Decimal) -> bool:
        doc = parse(payload(lines=[line(uom="pcs", unit_price=str(price))]))
        result = check(doc, rules=rules, master=master_data(items={"WIDGET": item}))
        return Code.PRICE_OUT_OF_TOLERANCE in codes(result)

    assert not flagged(edge)
    if beyond >= 0:
        assert flagged(beyond)


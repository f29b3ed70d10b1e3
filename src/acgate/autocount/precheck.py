"""Refusals AutoCount would make, found before posting from the master data acgate holds.

A predictable refusal found here becomes a readiness finding for a person to fix, instead of a
failed sync. Tables that a target cannot list (the Cloud API has no tax codes, projects or
credit terms) are empty in its master data, and an empty table is read as "not known": its
codes are not checked. Parties and items are always checked.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from acgate.autocount.payloads import KEY_PREFIX, MAX_KEY_LENGTH
from acgate.domain.documents import party_kind
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import Posting, PostingLine
from acgate.domain.values import canonical_decimal, to_decimal

REF_LENGTH = 40
UOM_LENGTH = 8


def precheck(posting: Posting, master: MasterData) -> list[str]:
    """What AutoCount would refuse in this posting, one message each; empty when nothing."""
    problems = _party(posting, master)
    if posting.terms is not None and master.terms and posting.terms not in master.terms:
        problems.append(_not_a_term(posting.terms, master.terms))
    problems += _unknown("location", posting.location, master.locations)
    problems += _unknown("sales agent", posting.agent, master.agents)
    if posting.reference is not None and len(posting.reference) > REF_LENGTH:
        problems.append(f"the reference {posting.reference!r} is longer than AutoCount's "
                        f"{REF_LENGTH} characters for Ref")
    if len(posting.key) > MAX_KEY_LENGTH:
        problems.append(f"acgate's key {posting.key!r} does not fit a remark field as "
                        f"{KEY_PREFIX}<key> (at most {MAX_KEY_LENGTH} characters)")
    for line in posting.lines:
        problems += [f"line {line.line}: {problem}" for problem in _line(line, master)]
    net = _net_total(posting)
    if net is not None and net < 0:
        problems.append(f"the net total {canonical_decimal(net)} is negative; AutoCount "
                        "refuses a document whose net total is below 0")
    return problems


def _party(posting: Posting, master: MasterData) -> list[str]:
    word = "creditor" if party_kind(posting.doc_type) == "supplier" else "debtor"
    code = posting.party_code
    if code is None:
        return [f"the {word} code is missing"]
    party = master.parties(party_kind(posting.doc_type)).get(code)
    if party is None:
        return [f"{word} {code} does not exist in AutoCount"]
    problems = [] if party.active else [f"{word} {code} is inactive in AutoCount"]
    # A document takes its party's currency; AutoCount does not post it in another one.
    if posting.currency and party.currency and posting.currency != party.currency:
        problems.append(f"the document is in {posting.currency} but {word} {code} trades in "
                        f"{party.currency}")
    return problems


def _not_a_term(terms: str, known: Collection[str]) -> str:
    # Term keys match exactly, punctuation included: C.O.D. is a key where COD was refused.
    near = sorted(key for key in known if _squashed(key) == _squashed(terms))
    hint = f"; AutoCount's key is {' or '.join(near)}" if near else ""
    return f"credit term {terms!r} is not a term key in AutoCount{hint}"


def _squashed(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


def _unknown(what: str, code: str | None, known: Collection[str]) -> list[str]:
    if code is None or not known or code in known:
        return []
    return [f"{what} {code} does not exist in AutoCount"]


def _line(line: PostingLine, master: MasterData) -> list[str]:
    problems: list[str] = []
    item = master.items.get(line.item)
    if item is None:
        problems.append(f"item {line.item} does not exist in AutoCount")
    elif not item.active:
        problems.append(f"item {line.item} is inactive in AutoCount")
    if len(line.uom) > UOM_LENGTH:
        problems.append(f"UOM {line.uom} is longer than AutoCount's {UOM_LENGTH} characters")
    elif item is not None and item.uom(line.uom) is None:
        listed = ", ".join(u.uom for u in item.uoms)
        problems.append(f"item {line.item} has no UOM {line.uom} (its UOMs: {listed})")
    problems += _unknown("tax code", line.tax_code, master.tax_codes.keys())
    problems += _unknown("location", line.location, master.locations)
    problems += _unknown("project", line.project, master.projects)
    problems += _unknown("department", line.department, master.departments)
    if line.discount is not None and _discount(line.discount, Decimal(0)) is None:
        problems.append(f"discount {line.discount!r} is neither an amount nor a percent "
                        "such as 5%")
    return problems


def _net_total(posting: Posting) -> Decimal | None:
    """Lines' qty x price less discounts; None when a discount cannot be read."""
    total = Decimal(0)
    for line in posting.lines:
        gross = line.qty * (line.unit_price or 0)
        discount = _discount(line.discount or "0", gross)
        if discount is None:
            return None
        total += gross - discount
    return total


def _discount(text: str, gross: Decimal) -> Decimal | None:
    """AutoCount's discount formula as an amount: `12.50`, or `5%` of the gross."""
    value = text.strip()
    percent = value.endswith("%")
    try:
        number = to_decimal(value.removesuffix("%").strip())
    except ValueError:
        return None
    return gross * number / 100 if percent else number

"""What a readiness check reads (the document, its history, the company's rules and master data,
and a narrow view of other documents) and what the assessment returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, Protocol

from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import Document, Identity
from acgate.domain.findings import Finding, FindingSink
from acgate.domain.ledger import Contribution, Relation
from acgate.domain.masterdata import ItemRecord, ItemUom, MasterData
from acgate.domain.rules import CompanyRules, Table, TypeRules
from acgate.matching.parties import PartyMatcher

BOOK = {
    Table.CUSTOMER: "debtors", Table.SUPPLIER: "creditors", Table.ITEM: "items",
    Table.LOCATION: "locations", Table.TAX: "tax codes", Table.AGENT: "sales agents",
    Table.PROJECT: "projects", Table.DEPARTMENT: "departments", Table.TERMS: "credit terms",
}


class Facts(Protocol):
    """Other documents, as the holding area knows them. Implemented by storage and by tests."""

    def resolve(self, company: str, source: str | None, ref_type: str, ref_id: str,
                own_source: str) -> Identity | None:
        """The identity a `based_on` reference names: the same source first, then the others."""
        ...

    def outcome(self, identity: Identity) -> Outcome | None:
        """The current outcome of a document, or None when it has not arrived."""
        ...

    def in_autocount(self, identity: Identity) -> bool:
        """Whether a version of the document has synced, whatever its newest version's outcome."""
        ...

    def document(self, identity: Identity) -> Document | None:
        """The current (newest valid) version of a document."""
        ...

    def fulfilled(self, target: Identity, relation: Relation, before: int) -> dict[int, Decimal]:
        """Base quantities per target line from counted documents that arrived before `before`."""
        ...

    def earlier_with_key(self, company: str, doc_type: str, key: str, before: int,
                         exclude: Identity) -> list[Identity]:
        """Other identities of the type, not rejected, that arrived earlier with this key."""
        ...


@dataclass(frozen=True, slots=True)
class History:
    """What acgate remembers of this document's earlier versions and people's decisions."""

    first_received_at: dt.datetime
    arrival: int
    synced: Document | None = None
    synced_doc_no: str | None = None
    approved: Document | None = None
    released: dict[Code, str] = field(default_factory=dict)
    manual_release_by: str | None = None
    # Findings raised outside the checks (a refused sync, a manual edit in AutoCount): they
    # stand until their own way out clears them.
    carried: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Company:
    """Everything company-wide a check needs; built once per company and reused per batch."""

    rules: CompanyRules
    master: MasterData
    debtor_matcher: PartyMatcher
    creditor_matcher: PartyMatcher
    uom_aliases: dict[str, str]
    outcome_of: dict[Code, Outcome]
    owner_of: dict[Code, str]
    # Mapping answers never change for one Company (it is rebuilt when mappings or master data
    # change), and the same codes recur on every line of every document.
    resolved: dict[tuple[str, str], tuple[str | None, str]] = field(default_factory=dict)
    units: dict[tuple[str, str], ItemUom | None] = field(default_factory=dict)
    # What a line's codes map to when they raise nothing, by (item, uom, uom_rate, tax_code);
    # None when they raise something and the line must be checked in full each time.
    clean_lines: dict[tuple[object, ...], CleanLine | None] = field(default_factory=dict)
    # A line's net amount and its tax (None when the tax code has no known rate), by (qty,
    # unit_price, discount, tax_code): see `acgate.checks.amounts.computed_totals`.
    line_amounts: dict[tuple[object, ...], tuple[Decimal, Decimal | None]] = field(
        default_factory=dict)
    # Lines whose price is within tolerance of AutoCount's, by (item, uom, unit_price, currency
    # rate, whether purchase prices apply): see `acgate.checks.amounts.check_prices`.
    prices_in_tolerance: set[tuple[object, ...]] = field(default_factory=set)

    @classmethod
    def build(cls, rules: CompanyRules, master: MasterData) -> Company:
        threshold = rules.duplicates.party_name_threshold
        return cls(
            rules=rules,
            master=master,
            debtor_matcher=PartyMatcher(master.debtors.values(), threshold),
            creditor_matcher=PartyMatcher(master.creditors.values(), threshold),
            uom_aliases={k.strip().casefold(): v for k, v in rules.mappings.uom.items()},
            outcome_of={code: rules.outcome_of(code) for code in Code},
            owner_of={code: rules.owner_of(code) for code in Code},
        )

    def matcher(self, kind: str) -> PartyMatcher:
        return self.debtor_matcher if kind == "customer" else self.creditor_matcher

    def lookup(self, table: Table, code: str) -> tuple[str | None, str]:
        """The AutoCount code for a source code, and the rule that decided it (or why not)."""
        key = (table, code)  # a StrEnum member hashes as its text; `.value` is slow in 3.11
        answer = self.resolved.get(key)
        if answer is None:
            answer = self.resolved[key] = self._lookup(table, code)
        return answer

    def _lookup(self, table: Table, code: str) -> tuple[str | None, str]:
        known = self.master.codes(table.value)
        mapped = self.rules.mappings.table(table).get(code)
        if mapped is not None:
            if mapped in known:
                return mapped, f"mapping {table.value}: {code} -> {mapped}"
            return None, f"mapped to {mapped}, which is not among AutoCount's {BOOK[table]}"
        if table in self.rules.mappings.identity and code in known:
            return code, f"identity: {code} is an AutoCount {table.value} code"
        if code in known:
            return None, (f"{code} equals an AutoCount code but identity mapping is not allowed "
                          f"for {table.value}")
        return None, f"no {table.value} mapping for {code}"

    def resolve_uom(self, item: ItemRecord, word: str) -> tuple[str | None, str | None]:
        """AutoCount UOM for a source word, and the alias that got there (None when the word
        itself was the AutoCount UOM)."""
        alias = self.uom_aliases.get(word.strip().casefold())
        target = item.uom(alias) if alias is not None else item.uom(word)
        return (target.uom if target else None), alias

    def unit_of(self, item_code: str, word: str) -> ItemUom | None:
        """AutoCount's UOM (rate, prices) for a source item code and UOM word."""
        key = (item_code, word)
        if key not in self.units:
            target, _ = self.lookup(Table.ITEM, item_code)
            item = self.master.items[target] if target is not None else None
            uom_code = self.resolve_uom(item, word)[0] if item is not None else None
            self.units[key] = item.uom(uom_code) if item and uom_code else None
        return self.units[key]


# Tuples, not dataclasses: a document makes several per line and a frozen dataclass costs
# several times as much to build.
class MappedField(NamedTuple):
    field: str
    source_value: str
    autocount_value: str
    rule: str


class UomConversion(NamedTuple):
    field: str
    item: str
    source_uom: str
    alias: str | None
    autocount_uom: str
    autocount_rate: Decimal
    source_rate: Decimal | None
    qty: Decimal
    base_qty: Decimal
    base_uom: str


@dataclass(frozen=True, slots=True)
class CleanLine:
    """The mappings and UOM conversion of a line whose codes raise no finding, with the line's
    own place (`lines[i]`) and quantity left out so that every line with the same codes can
    share it."""

    goods: tuple[MappedField, ...]  # the item and its UOM
    conversion: UomConversion
    tax: tuple[MappedField, ...]
    # The same as JSON rows, made once: a document stores its clean lines as a reference to
    # these (`acgate.service.records`), not as four rows of their own each.
    rows: tuple[tuple[tuple[str, ...], ...], tuple[str | None, ...], tuple[tuple[str, ...], ...]]

    @classmethod
    def of(cls, goods: tuple[MappedField, ...], conversion: UomConversion,
           tax: tuple[MappedField, ...]) -> CleanLine:
        c = conversion
        return cls(goods, conversion, tax, (
            tuple(tuple(m) for m in goods),
            (c.field, c.item, c.source_uom, c.alias, c.autocount_uom, str(c.autocount_rate),
             None if c.source_rate is None else str(c.source_rate), c.base_uom),
            tuple(tuple(m) for m in tax)))


class CheckedLine(NamedTuple):
    """A line whose codes were clean: its place, its quantity and the shared mappings."""

    position: int  # in the document's lines, from 0
    qty: Decimal
    clean: CleanLine

    def mapped(self) -> list[MappedField]:
        prefix = f"lines[{self.position}]"
        return [m._replace(field=prefix + m.field) for m in (*self.clean.goods, *self.clean.tax)]

    def conversion(self) -> UomConversion:
        c = self.clean.conversion
        return c._replace(field=f"lines[{self.position}]{c.field}", qty=self.qty,
                          base_qty=self.qty * c.autocount_rate)


@dataclass(frozen=True, slots=True)
class DuplicateCheck:
    kind: str
    key: str
    found: tuple[str, ...]


@dataclass(slots=True)
class Assessment:
    """The readiness verdict on one version, with everything its trace must show."""

    outcome: Outcome
    findings: list[Finding]
    # What the checks mapped, in the order they met it: a field's code, a UOM conversion, or a
    # clean line's codes and conversion at once.
    mapping: list[MappedField | UomConversion | CheckedLine] = field(default_factory=list)
    duplicate_checks: list[DuplicateCheck] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    counts_in_ledger: bool = True
    scheduled_for: dt.datetime | None = None
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def mapped(self) -> list[MappedField]:
        found: list[MappedField] = []
        for entry in self.mapping:
            if isinstance(entry, CheckedLine):
                found += entry.mapped()
            elif isinstance(entry, MappedField):
                found.append(entry)
        return found

    @property
    def conversions(self) -> list[UomConversion]:
        return [entry.conversion() if isinstance(entry, CheckedLine) else entry
                for entry in self.mapping if not isinstance(entry, MappedField)]


@dataclass(slots=True)
class Run:
    """One check of one version: the inputs, and the assessment being filled in."""

    doc: Document
    history: History
    company: Company
    facts: Facts
    now: dt.datetime
    sink: FindingSink
    result: Assessment
    # The rules of the document's type, which most checks ask for: looked up once.
    type_rules: TypeRules

    @property
    def rules(self) -> CompanyRules:
        return self.company.rules

    @property
    def company_id(self) -> str:
        return self.rules.company

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.rules.zone).date()

"""AutoCount master data as acgate holds it locally: what the checks compare a document with."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PartyRecord:
    """A debtor (customer) or creditor (supplier) in AutoCount."""

    code: str
    name: str
    tin: str | None = None
    brn: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    currency: str | None = None
    terms: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class ItemUom:
    uom: str
    rate: Decimal
    price: Decimal | None = None
    purchase_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ItemRecord:
    code: str
    description: str
    base_uom: str
    uoms: tuple[ItemUom, ...]
    active: bool = True
    tax_code: str | None = None
    _by_word: dict[str, ItemUom] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_word", {u.uom.casefold(): u for u in self.uoms})

    def uom(self, word: str) -> ItemUom | None:
        """The item's UOM for a word; AutoCount's SQL Server collation ignores case, so do we."""
        return self._by_word.get(word.strip().casefold())


@dataclass(slots=True)
class MasterData:
    """One company's AutoCount master data. Codes are exact; look-ups never guess."""

    debtors: dict[str, PartyRecord] = field(default_factory=dict)
    creditors: dict[str, PartyRecord] = field(default_factory=dict)
    items: dict[str, ItemRecord] = field(default_factory=dict)
    locations: set[str] = field(default_factory=set)
    tax_codes: dict[str, Decimal] = field(default_factory=dict)
    terms: set[str] = field(default_factory=set)
    agents: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    departments: set[str] = field(default_factory=set)

    def parties(self, kind: str) -> dict[str, PartyRecord]:
        return self.debtors if kind == "customer" else self.creditors

    def codes(self, table: str) -> Collection[str]:
        """The AutoCount codes that a mapping table maps into."""
        by_table: dict[str, Collection[str]] = {
            "customer": self.debtors.keys(), "supplier": self.creditors.keys(),
            "item": self.items.keys(), "location": self.locations,
            "tax": self.tax_codes.keys(), "terms": self.terms, "agent": self.agents,
            "project": self.projects, "department": self.departments,
        }
        return by_table[table]

    def counts(self) -> dict[str, int]:
        return {
            "debtors": len(self.debtors), "creditors": len(self.creditors),
            "items": len(self.items), "locations": len(self.locations),
            "tax_codes": len(self.tax_codes), "terms": len(self.terms),
            "agents": len(self.agents), "projects": len(self.projects),
            "departments": len(self.departments),
        }

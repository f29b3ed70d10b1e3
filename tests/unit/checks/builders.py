"""Builders for readiness-check tests: one sane company, and documents that pass every check
until a test changes the one thing it is about.

The default company (ACME, Asia/Kuala_Lumpur) knows debtor 300-M001 (source customer C-0042),
creditor 400-B001 (source supplier S-7), item WIDGET (source SKU-100; PCS rate 1 at 10.00,
CTN rate 12 at 120.00) and an inactive item OLDWIDGET (source SKU-OLD). A default sales invoice
of 2 cartons at 120.00 with SST10 from branch Penang is `ready`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from acgate.checks.context import Assessment, Company, History
from acgate.checks.engine import assess
from acgate.checks.memory import KnownDocument, MemoryFacts
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import (
    MASTER_TYPES,
    PURCHASE_TYPES,
    DocType,
    Document,
    ItemDocument,
    PartyDocument,
    TradeDocument,
    parse_document,
)
from acgate.domain.findings import Finding
from acgate.domain.masterdata import ItemRecord, ItemUom, MasterData, PartyRecord
from acgate.domain.rules import CompanyRules

KL = ZoneInfo("Asia/Kuala_Lumpur")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=KL)
COMPANY = "ACME"
STATUSES: dict[str, list[str]] = {
    "ready": ["ready"], "waiting": ["draft"], "cancelled": ["cancelled"], "exception": ["on_hold"],
}
_PREFIX = {
    "sales_order": "SO", "delivery_order": "DO", "sales_invoice": "INV", "cash_sale": "CS",
    "credit_note": "CN", "debit_note": "DN", "purchase_request": "PR", "purchase_order": "PO",
    "goods_received": "GR", "purchase_invoice": "PI",
}


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it: nested mappings merge, anything else replaces, and a
    value of None removes the key."""
    out = dict(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


# --- company rules and master data -------------------------------------------------------------

def company_rules(**changes: Any) -> CompanyRules:
    """ACME's rules: every type knows ready/draft/cancelled/on_hold, syncs at once, no approval."""
    base: dict[str, Any] = {
        "company": COMPANY,
        # Master documents are tracked: acgate checks them but does not create them.
        "types": {doc_type.value: {"statuses": STATUSES, "sync": doc_type not in MASTER_TYPES}
                  for doc_type in DocType},
        "mappings": {
            "customer": {"C-0042": "300-M001", "C-USD": "300-U001"},
            "supplier": {"S-7": "400-B001"},
            "item": {"SKU-100": "WIDGET", "SKU-OLD": "OLDWIDGET"},
            "location": {"Penang": "PG", "HQ": "HQ"},
            "tax": {"SST10": "S-10"},
            "agent": {"mei": "AG-MEI"},
            "project": {"fitout": "P-FIT"},
            "department": {"sales": "D-SALES"},
            "terms": {"30 days": "C30"},
            "uom": {"carton": "CTN", "pcs": "PCS"},
        },
    }
    return CompanyRules.model_validate(merged(base, changes))


def widget(**changes: Any) -> ItemRecord:
    item = ItemRecord(
        "WIDGET", "Widget", "PCS",
        (ItemUom("PCS", Decimal(1), Decimal("10.00"), Decimal("8.00")),
         ItemUom("CTN", Decimal(12), Decimal("120.00"), Decimal("96.00"))),
    )
    return dataclasses.replace(item, **changes)


def master_data(**changes: Any) -> MasterData:
    base = MasterData(
        debtors={
            "300-M001": PartyRecord(
                "300-M001", "Syarikat Maju Jaya Sdn Bhd", tin="C20880011020", brn="201901000123",
                email="accounts@majujaya.my", phone="+60 4-222 1234"),
            "300-U001": PartyRecord("300-U001", "Pacific Imports Pte Ltd", currency="USD"),
        },
        creditors={"400-B001": PartyRecord("400-B001", "Bekalan Timur Sdn Bhd")},
        items={"WIDGET": widget(), "OLDWIDGET": widget(code="OLDWIDGET", active=False)},
        locations={"PG", "HQ"},
        tax_codes={"S-10": Decimal("0.10")},
        terms={"C30"}, agents={"AG-MEI"}, projects={"P-FIT"}, departments={"D-SALES"},
    )
    return dataclasses.replace(base, **changes)


def company(rules: CompanyRules | None = None, master: MasterData | None = None) -> Company:
    return Company.build(rules or company_rules(), master or master_data())


# --- documents ----------------------------------------------------------------------------------

def line(number: int = 1, **fields: Any) -> dict[str, Any]:
    """A line of 2 cartons of SKU-100 at 120.00 with SST10; None drops a field."""
    base: dict[str, Any] = {"line": number, "item": "SKU-100", "uom": "carton", "qty": "2",
                            "unit_price": "120.00", "tax_code": "SST10"}
    return merged(base, fields)


def payload(doc_type: str = "sales_invoice", **fields: Any) -> dict[str, Any]:
    """A canonical trade document payload dated yesterday; None drops a field."""
    purchase = DocType(doc_type) in PURCHASE_TYPES
    base: dict[str, Any] = {
        "source": "shopfront", "type": doc_type, "id": f"{_PREFIX[doc_type]}-1", "version": 1,
        "status": "ready", "date": "2026-11-19",
        "party": {"code": "S-7", "name": "Bekalan Timur Sdn Bhd"} if purchase
        else {"code": "C-0042", "name": "Syarikat Maju Jaya Sdn Bhd"},
        "branch": "Penang", "lines": [line()],
    }
    return merged(base, fields)


def parse(data: dict[str, Any]) -> Document:
    result = parse_document(data)
    if isinstance(result, list):
        raise AssertionError("the test payload breaks the contract: "
                             + "; ".join(str(p) for p in result))
    return result


def trade(doc_type: str = "sales_invoice", **fields: Any) -> TradeDocument:
    doc = parse(payload(doc_type, **fields))
    assert isinstance(doc, TradeDocument)
    return doc


def party_doc(doc_type: str = "customer", **fields: Any) -> PartyDocument:
    """A new customer (or supplier) that AutoCount does not know."""
    base: dict[str, Any] = {"source": "crm", "type": doc_type, "id": "P-1", "version": 1,
                            "status": "ready", "code": "C-0100", "name": "Kedai Baru Enterprise"}
    doc = parse(merged(base, fields))
    assert isinstance(doc, PartyDocument)
    return doc


def item_doc(**fields: Any) -> ItemDocument:
    base: dict[str, Any] = {"source": "pim", "type": "item", "id": "SKU-100", "version": 1,
                            "status": "ready", "code": "SKU-100", "description": "Widget",
                            "base_uom": "PCS", "uoms": [{"uom": "CTN", "rate": "12"}]}
    doc = parse(merged(base, fields))
    assert isinstance(doc, ItemDocument)
    return doc


# --- history, facts and running the checks -----------------------------------------------------

def history(**fields: Any) -> History:
    """A document first received an hour ago, never synced, never approved or released."""
    base: dict[str, Any] = {"first_received_at": NOW - dt.timedelta(hours=1), "arrival": 1}
    return History(**{**base, **fields})


def check(doc: Document, *, rules: CompanyRules | None = None,
          master: MasterData | None = None, history: History | None = None,
          facts: MemoryFacts | None = None, now: dt.datetime = NOW) -> Assessment:
    """Assess one version on its own (no other documents unless `facts` names them)."""
    return assess(doc, history or _fresh(), company(rules, master), facts or MemoryFacts(), now)


def _fresh() -> History:
    return history()


@dataclass
class Gate:
    """A tiny holding area: documents are assessed in arrival order and remembered as facts,
    the way the real one feeds later checks."""

    rules: CompanyRules = field(default_factory=company_rules)
    master: MasterData = field(default_factory=master_data)
    now: dt.datetime = NOW
    facts: MemoryFacts = field(default_factory=MemoryFacts)
    arrivals: dict[str, int] = field(default_factory=dict)

    def receive(self, doc: Document, **history_fields: Any) -> Assessment:
        """Assess a version (a new identity arrives last; a known one keeps its place)."""
        arrival = self.arrivals.setdefault(str(doc.identity), len(self.arrivals) + 1)
        result = assess(doc, history(arrival=arrival, **history_fields),
                        company(self.rules, self.master), self.facts, self.now)
        self.facts.put(doc.identity, KnownDocument(
            COMPANY, arrival, result.outcome, doc, result.counts_in_ledger,
            self.facts.in_autocount(doc.identity)))
        self.facts.put_keys(COMPANY, doc.identity, arrival, result.keys)
        self.facts.put_contributions(doc.identity, result.contributions)
        return result

    def settle(self, doc: Document, outcome: Outcome) -> None:
        """Record a later outcome (synced by the dispatcher, rejected by a person)."""
        known = self.facts.known[doc.identity]
        known.outcome = outcome
        known.in_autocount = known.in_autocount or outcome is Outcome.SYNCED


# --- reading results ----------------------------------------------------------------------------

def codes(result: Assessment) -> list[Code]:
    return [f.code for f in result.findings]


def only(result: Assessment, code: Code) -> Finding:
    """The one finding with this code."""
    found = [f for f in result.findings if f.code is code]
    assert len(found) == 1, f"expected one {code}, got {codes(result)}"
    return found[0]


def targets(finding: Finding) -> list[str | None]:
    return [s.target_code for s in finding.suggestions]

"""From a ready version to the `Posting` AutoCount receives: every code mapped, every line in
AutoCount's UOM, and the lines it transfers from."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from decimal import Decimal

from acgate.checks.context import Company
from acgate.domain.documents import DocRef, Document, Line, TradeDocument, party_kind
from acgate.domain.masterdata import ItemRecord
from acgate.domain.posting import Posting, PostingLine, Transfer
from acgate.domain.rules import Table

EXACT = Decimal("0.0001")  # the quantity places AutoCount keeps
KEY_LENGTH = 32  # a remark field takes 40 characters: "acg:" + 32 leaves room


class NotPostable(ValueError):
    """A ready document whose mapping no longer resolves (master data changed since)."""


def idempotency_key(company: str, identity: str, content_hash: str) -> str:
    """acgate's own key for one version: the same version always gets the same key, so
    AutoCount can be searched for it before anything is resent. The clients write it into the
    configured remark field as `acg:<key>`."""
    digest = hashlib.sha256(f"{company}|{identity}|{content_hash}".encode()).digest()
    return base64.b32encode(digest).decode().rstrip("=")[:KEY_LENGTH].lower()


def _mapped(company: Company, table: Table, code: str | None) -> str | None:
    if not code:
        return None
    target, rule = company.lookup(table, code)
    if target is None:
        raise NotPostable(f"{table.value} {code}: {rule}")
    return target


def _line(company: Company, doc: TradeDocument, line: Line,
          transfer: Transfer | None) -> PostingLine:
    item = _mapped(company, Table.ITEM, line.item)
    assert item is not None
    record = company.master.items[item]
    uom, _ = company.resolve_uom(record, line.uom)
    if uom is None:
        raise NotPostable(f"UOM {line.uom} is not a UOM of {item}")
    location = line.location or doc.branch
    qty, unit_price = line.qty, line.unit_price
    if transfer is not None and transfer.from_uom and transfer.from_uom != uom:
        uom, qty, unit_price, transfer = _in_source_uom(record, uom, line, transfer)
    return PostingLine(
        line=line.line, item=item, uom=uom, qty=qty, unit_price=unit_price,
        discount=str(line.discount) if line.discount else None,
        tax_code=_mapped(company, Table.TAX, line.tax_code),
        location=_mapped(company, Table.LOCATION, location) if location
        else company.rules.default_location,
        description=line.description,
        project=_mapped(company, Table.PROJECT, doc.project),
        department=_mapped(company, Table.DEPARTMENT, doc.department),
        transfer=transfer,
    )


def _in_source_uom(record: ItemRecord, uom: str, line: Line, transfer: Transfer
                   ) -> tuple[str, Decimal, Decimal | None, Transfer | None]:
    """A line fulfilling a line in another UOM (24 PCS against an order in CTN of 24) is posted
    in the order's UOM, as AutoCount keeps it on a transfer. When the quantity does not convert
    exactly, the line keeps its own UOM and is posted without the transfer link."""
    own, theirs = record.uom(uom), record.uom(transfer.from_uom or "")
    if own is None or theirs is None:
        return uom, line.qty, line.unit_price, None
    qty = line.qty * own.rate / theirs.rate
    if qty != qty.quantize(EXACT):
        return uom, line.qty, line.unit_price, None
    price = line.unit_price * theirs.rate / own.rate if line.unit_price is not None else None
    return theirs.uom, qty.normalize(), price, transfer


def build_posting(doc: Document, company: Company, key: str, doc_no: str | None,
                  transfer_of: Callable[[DocRef, int], Transfer | None]) -> Posting:
    """The AutoCount document for a ready trade document. `transfer_of(ref, line)` names the
    AutoCount line a line fulfils, once that document has synced."""
    if not isinstance(doc, TradeDocument):
        raise NotPostable(f"{doc.type.value} documents are master data, not postings")
    kind = Table(party_kind(doc.type))
    party = _mapped(company, kind, doc.party.code)
    assert party is not None
    books = company.master.parties(kind.value)
    lines = tuple(
        _line(company, doc, line,
              transfer_of(line.based_on_line, line.based_on_line.line)
              if line.based_on_line else None)
        for line in doc.lines
    )
    return Posting(
        doc_type=doc.type, date=doc.date, party_code=party,
        party_name=books[party].name if party in books else doc.party.name,
        lines=lines, key=key, doc_no=doc_no, reference=doc.reference,
        description=doc.notes, currency=doc.currency, currency_rate=doc.currency_rate,
        agent=_mapped(company, Table.AGENT, doc.agent),
        # AutoCount fills a document's term from its debtor; the Cloud API needs it sent.
        terms=_mapped(company, Table.TERMS, doc.terms) if doc.terms
        else (books[party].terms if party in books else None),
        location=_mapped(company, Table.LOCATION, doc.branch) if doc.branch
        else company.rules.default_location,
    )

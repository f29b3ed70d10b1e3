"""The sandbox's AutoCount book: its documents and AutoCount's rules, as plain Python.

Both HTTP profiles translate their wire format into a `DocumentDraft` and hand it here, so a rule
and its message live in one place. Every change is committed to the store before it is visible.

The messages quoted in contract/autocount-api.md are AutoCount's own; the others follow their
pattern (`X (Key = value) not exists`) and are guesses, as are these rules the contract does not
settle: a line without `Qty` gets 1; an absent price, description, UOM or tax code is taken from
the transfer source line, then from the item (base UOM, the UOM's sales or purchase price); a
transferred line keeps its source line's item and UOM; edits, cancels and deletes are refused in
locked periods as new documents are; a cancelled document cannot be edited.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from acgate.domain.masterdata import ItemRecord, MasterData, PartyRecord
from acgate.sandbox.config import BookConfig, DocKind
from acgate.sandbox.errors import BookError, Duplicate, NotFound
from acgate.sandbox.model import (
    TRANSFER_CODES,
    Document,
    DocumentDraft,
    Line,
    LineDraft,
    TransferRef,
    discount_amount,
    document_from_json,
    document_json,
)
from acgate.sandbox.numbering import NumberFormat
from acgate.sandbox.store import Store

NEW_DOC_NO = "<<New>>"
"""The SDK's sentinel for "allocate the next number"."""

MAX_LENGTHS = {"DocNo": 30, "Ref": 40, "RefNo2": 30,
               **{f"Remark{n}": 40 for n in range(1, 5)}}

_SOURCES: dict[DocKind, frozenset[DocKind]] = {
    DocKind.DELIVERY_ORDER: frozenset({DocKind.SALES_ORDER}),
    DocKind.INVOICE: frozenset({DocKind.SALES_ORDER, DocKind.DELIVERY_ORDER}),
    DocKind.CASH_SALE: frozenset({DocKind.SALES_ORDER, DocKind.DELIVERY_ORDER}),
    DocKind.GOODS_RECEIVED: frozenset({DocKind.PURCHASE_ORDER}),
    DocKind.PURCHASE_INVOICE: frozenset({DocKind.PURCHASE_ORDER, DocKind.GOODS_RECEIVED}),
}
_CODE_OF = {kind: code for code, kind in TRANSFER_CODES.items()}
_DOC_KEY = "#doc_key"
_DTL_KEY = "#dtl_key"


def max_length_message(field: str, limit: int) -> str:
    return f"The field {field} must be a string with a maximum length of {limit}."


class Book:
    """The documents of one book, in memory for reads and in its store for keeps.

    Every method runs to the end without awaiting, on the server's one event loop, so the book
    has one writer and a check and the change it allows cannot interleave with another call.
    """

    def __init__(self, master: MasterData, config: BookConfig, store: Store,
                 clock: Callable[[], dt.datetime]) -> None:
        self.master = master
        self.config = config
        self._store = store
        self._clock = clock
        self._formats = {kind: NumberFormat.parse(text) for kind, text in config.numbering.items()}
        self.version = 0
        """Bumped by every change; the Cloud listing's order follows it."""
        self._load()

    def _load(self) -> None:
        snapshot = self._store.load()
        self._docs = {doc.doc_key: doc for doc in snapshot.documents}
        self._by_no = {(doc.kind, doc.doc_no): doc.doc_key for doc in snapshot.documents}
        self._counters = snapshot.counters

    # Reads

    def find(self, kind: DocKind, doc_no: str) -> Document | None:
        key = self._by_no.get((kind, doc_no))
        return None if key is None else self._docs[key]

    def get(self, kind: DocKind, doc_no: str) -> Document:
        doc = self.find(kind, doc_no)
        if doc is None:
            raise NotFound(f"{kind} (DocNo = {doc_no}) not exists")
        return doc

    def documents(self, kind: DocKind | None = None) -> list[Document]:
        """By document key, the order they were created in."""
        return [doc for _, doc in sorted(self._docs.items())
                if kind is None or doc.kind is kind]

    # Changes through the profiles, under AutoCount's rules

    def create(self, kind: DocKind, draft: DocumentDraft) -> Document:
        doc_no = None if draft.doc_no in (None, "", NEW_DOC_NO) else draft.doc_no
        if doc_no is not None:
            self._check_new_doc_no(kind, doc_no)
        self._check_date(draft.doc_date)
        pending: dict[str, int] = {}
        now = self._clock()
        doc = self._build(kind, draft, self._take(pending, _DOC_KEY), doc_no or "", now, now,
                          None, pending)
        sources = self._transfer_updates(doc, None)
        if doc_no is None:
            doc = replace(doc, doc_no=self._allocate(kind, draft.doc_date, pending))
        self._commit([*sources, doc], counters=pending)
        return doc

    def replace(self, kind: DocKind, doc_no: str, draft: DocumentDraft) -> Document:
        """Replace a document's content; line N keeps its detail key and onward transfers."""
        old = self.get(kind, doc_no)
        if old.cancelled:
            raise BookError(f"{kind} {doc_no} is cancelled and cannot be edited")
        self._check_date(old.doc_date)
        self._check_date(draft.doc_date)
        pending: dict[str, int] = {}
        new = self._build(kind, draft, old.doc_key, old.doc_no, old.created_at, self._clock(),
                          old, pending)
        self._check_onward_kept(old, new)
        sources = self._transfer_updates(new, old)
        self._commit([*sources, new], counters=pending)
        return new

    def cancel(self, kind: DocKind, doc_no: str) -> Document:
        doc = self.get(kind, doc_no)
        if doc.cancelled:
            return doc
        self._check_date(doc.doc_date)
        self._refuse_if_transferred(doc, "cancel")
        sources = self._transfer_updates(None, doc)
        cancelled = replace(doc, cancelled=True, modified_at=self._clock())
        self._commit([*sources, cancelled])
        return cancelled

    def delete(self, kind: DocKind, doc_no: str) -> None:
        doc = self.get(kind, doc_no)
        self._check_date(doc.doc_date)
        self._refuse_if_transferred(doc, "delete")
        self._commit(self._transfer_updates(None, doc), deleted=[doc])

    # Changes a person makes in AutoCount itself, past the rules: for reconciliation tests

    def edit_manually(self, kind: DocKind, doc_no: str, header: dict[str, Any],
                      lines: dict[int, dict[str, Any]]) -> Document:
        doc = self.get(kind, doc_no)
        data = document_json(doc)
        unknown = set(header) - (set(data) - {"kind", "doc_key", "lines", "total"})
        if unknown:
            raise BookError(f"cannot edit {', '.join(sorted(unknown))}")
        data.update(header)
        by_seq = {line["seq"]: line for line in data["lines"]}
        for seq, change in lines.items():
            if seq not in by_seq:
                raise BookError(f"{kind} {doc_no} has no line with Seq = {seq}")
            by_seq[seq].update(change)
        try:
            edited = document_from_json(data)
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            raise BookError(f"cannot edit {kind} {doc_no}: {error!r}") from None
        if edited.doc_no != doc.doc_no and self.find(kind, edited.doc_no) is not None:
            raise Duplicate(f"{kind} (DocNo = {edited.doc_no}) already exists")
        self._commit([edited])
        return edited

    def delete_manually(self, kind: DocKind, doc_no: str) -> None:
        self._commit(deleted=[self.get(kind, doc_no)])

    def reset(self) -> None:
        self._store.clear()
        self._load()
        self.version += 1

    # Rules

    def _check_new_doc_no(self, kind: DocKind, doc_no: str) -> None:
        if len(doc_no) > MAX_LENGTHS["DocNo"]:
            raise BookError(max_length_message("DocNo", MAX_LENGTHS["DocNo"]))
        if (kind, doc_no) in self._by_no:
            raise Duplicate(f"{kind} (DocNo = {doc_no}) already exists")

    def _check_date(self, day: dt.date) -> None:
        in_year = any(day in year for year in self.config.fiscal_years)
        if not in_year or any(day in period for period in self.config.locked_periods):
            raise BookError(f"Transaction date {day:%d/%m/%Y} is locked, "
                            "you can unlock it from Tools...")

    def _party(self, kind: DocKind, code: str) -> PartyRecord:
        parties = self.master.creditors if kind.purchase else self.master.debtors
        party = parties.get(code)
        if party is None:
            name = "Creditor (CreditorCode" if kind.purchase else "Debtor (DebtorCode"
            raise BookError(f"{name} = {code}) not exists")
        return party

    @staticmethod
    def _check_code(value: str | None, codes: Collection[str], what: str) -> None:
        if value is not None and value not in codes:
            raise BookError(f"{what} = {value}) not exists")

    def _build(self, kind: DocKind, draft: DocumentDraft, doc_key: int, doc_no: str,
               created: dt.datetime, modified: dt.datetime, previous: Document | None,
               pending: dict[str, int]) -> Document:
        party = self._party(kind, draft.party_code)
        master = self.master
        self._check_code(draft.credit_term, master.terms, "CreditTerm (CreditTermKey")
        self._check_code(draft.location, master.locations, "Location (Location")
        self._check_code(draft.agent, master.agents, "SalesAgent (SalesAgent")
        for name, value in (("Ref", draft.ref), ("RefNo2", draft.ref_no2),
                            ("Remark1", draft.remark1), ("Remark2", draft.remark2),
                            ("Remark3", draft.remark3), ("Remark4", draft.remark4)):
            if value is not None and len(value) > MAX_LENGTHS[name]:
                raise BookError(max_length_message(name, MAX_LENGTHS[name]))
        rate = Decimal(1) if draft.currency_rate is None else draft.currency_rate
        if rate <= 0:
            raise BookError("CurrencyRate must be greater than 0.")
        old_lines = previous.lines if previous is not None else ()
        lines = []
        for seq, given in enumerate(draft.lines, start=1):
            old = old_lines[seq - 1] if seq <= len(old_lines) else None
            dtl_key = old.dtl_key if old is not None else self._take(pending, _DTL_KEY)
            line = self._line(kind, draft, given, seq, dtl_key)
            lines.append(line if old is None else
                         replace(line, transferred_qty=old.transferred_qty))
        doc = Document(
            kind=kind, doc_key=doc_key, doc_no=doc_no, doc_date=draft.doc_date,
            party_code=party.code, party_name=draft.party_name or party.name,
            created_at=created, modified_at=modified,
            credit_term=draft.credit_term if draft.credit_term is not None else party.terms,
            location=draft.location, ref=draft.ref, ref_no2=draft.ref_no2,
            description=draft.description,
            currency_code=draft.currency_code or party.currency, currency_rate=rate,
            agent=draft.agent, branch=draft.branch, remark1=draft.remark1,
            remark2=draft.remark2, remark3=draft.remark3, remark4=draft.remark4,
            draft=draft.draft, lines=tuple(lines),
        )
        if doc.total < 0:
            raise BookError("Net Total cannot be negative.")
        return doc

    def _line(self, kind: DocKind, draft: DocumentDraft, given: LineDraft, seq: int,
              dtl_key: int) -> Line:
        source = self._source_line(kind, draft.party_code, given.transfer) \
            if given.transfer is not None else None
        item_code = given.item_code or (source.item_code if source is not None else None)
        item = self._item(item_code)
        uom = given.uom or (source.uom if source is not None else None) \
            or (item.base_uom if item is not None else None)
        if item is not None and uom is not None:
            unit = item.uom(uom)
            if unit is None:
                raise BookError(f"UOM (UOM = {uom}) not exists for Item (ItemCode = {item.code})")
            uom = unit.uom
        if source is not None and given.transfer is not None:
            self._check_same_as_source(given.transfer, source, item_code, uom)
        tax_code = given.tax_code or (source.tax_code if source is not None else None) \
            or (item.tax_code if item is not None and draft.fill_tax_code else None)
        self._check_code(tax_code, self.master.tax_codes, "TaxCode (TaxCode")
        location = given.location or (source.location if source is not None else None)
        self._check_code(location, self.master.locations, "Location (Location")
        self._check_code(given.project, self.master.projects, "Project (ProjNo")
        self._check_code(given.department, self.master.departments, "Department (DeptNo")
        qty = given.qty if given.qty is not None else Decimal(1)
        price = self._price(kind, given, source, item, uom)
        discount_amount(given.discount, qty * price)  # refuses a formula it cannot read
        return Line(
            dtl_key=dtl_key, seq=seq, qty=qty, unit_price=price, item_code=item_code,
            description=given.description
            or (source.description if source is not None else None)
            or (item.description if item is not None else None),
            location=location, uom=uom, discount=given.discount, tax_code=tax_code,
            tax_rate=self.master.tax_codes[tax_code] * 100 if tax_code else Decimal(0),
            acc_no=given.acc_no or (self.config.purchase_account if kind.purchase
                                    else self.config.sales_account),
            project=given.project, department=given.department, transfer=given.transfer,
        )

    def _item(self, code: str | None) -> ItemRecord | None:
        if code is None:
            return None
        item = self.master.items.get(code)
        if item is None:
            raise BookError(f"Item (ItemCode = {code}) not exists")
        return item

    @staticmethod
    def _price(kind: DocKind, given: LineDraft, source: Line | None, item: ItemRecord | None,
               uom: str | None) -> Decimal:
        if given.unit_price is not None:
            return given.unit_price
        if source is not None:
            return source.unit_price
        unit = item.uom(uom) if item is not None and uom is not None else None
        listed = None if unit is None else unit.purchase_price if kind.purchase else unit.price
        return listed if listed is not None else Decimal(0)

    # Transfers

    def _source_line(self, kind: DocKind, party_code: str, ref: TransferRef) -> Line:
        source_kind = TRANSFER_CODES.get(ref.from_code)
        if source_kind is None:
            raise BookError(f"FromDocType {ref.from_code} is not one of "
                            + ", ".join(TRANSFER_CODES))
        if source_kind not in _SOURCES.get(kind, frozenset()):
            raise BookError(f"Cannot transfer from {source_kind} to {kind}")
        source = self.find(source_kind, ref.from_doc_no)
        named = f"{source_kind} {ref.from_doc_no}"
        if source is None:
            raise BookError(f"{source_kind} (DocNo = {ref.from_doc_no}) not exists")
        if source.cancelled:
            raise BookError(f"{named} is cancelled and cannot be transferred")
        if source.draft:
            raise BookError(f"{named} is a draft and cannot be transferred")
        if source.party_code != party_code:
            raise BookError(f"{named} belongs to {source.party_code}, not {party_code}")
        line = source.line(ref.from_seq)
        if line is None:
            raise BookError(f"{named} has no line with Seq = {ref.from_seq}")
        return line

    @staticmethod
    def _check_same_as_source(ref: TransferRef, source: Line, item_code: str | None,
                              uom: str | None) -> None:
        named = f"{ref.from_code} {ref.from_doc_no} Seq {ref.from_seq}"
        if item_code != source.item_code:
            raise BookError(f"ItemCode {item_code} differs from {named} ({source.item_code})")
        if (uom or "").casefold() != (source.uom or "").casefold():
            raise BookError(f"UOM {uom} differs from {named} ({source.uom})")

    def _transfer_updates(self, new: Document | None, old: Document | None) -> list[Document]:
        """The source documents with their lines' transferred quantities moved from what `old`
        took to what `new` takes; refuses taking more than a line has outstanding."""
        taken: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
        for index, doc in ((0, old), (1, new)):
            for line in () if doc is None or doc.cancelled else doc.lines:
                source = self._source_of(line)
                if source is not None and line.transfer is not None:
                    taken[source.doc_key, line.transfer.from_seq][index] += line.qty
        updated: dict[int, Document] = {}
        for (key, seq), (before, after) in taken.items():
            source = updated.get(key, self._docs[key])
            taken_line = source.line(seq)
            if taken_line is None or before == after:
                continue
            outstanding = taken_line.outstanding + before
            if after > outstanding:
                raise BookError(f"Transfer quantity {after} is more than the outstanding "
                                f"quantity {outstanding} of {source.kind} {source.doc_no} "
                                f"Seq {seq}")
            updated[key] = source.with_line(replace(
                taken_line, transferred_qty=taken_line.transferred_qty - before + after))
        return list(updated.values())

    def _source_of(self, line: Line) -> Document | None:
        if line.transfer is None or line.transfer.from_code not in TRANSFER_CODES:
            return None
        return self.find(TRANSFER_CODES[line.transfer.from_code], line.transfer.from_doc_no)

    def _onward(self, doc: Document) -> list[str]:
        """The live documents that took lines of `doc`."""
        code = _CODE_OF.get(doc.kind)
        return [f"{other.kind} {other.doc_no}" for other in self.documents()
                if not other.cancelled and any(
                    line.transfer is not None and line.transfer.from_code == code
                    and line.transfer.from_doc_no == doc.doc_no for line in other.lines)]

    def _refuse_if_transferred(self, doc: Document, action: str) -> None:
        if any(line.transferred_qty > 0 for line in doc.lines):
            raise BookError(f"Cannot {action} {doc.kind} {doc.doc_no}: it was transferred to "
                            + ", ".join(self._onward(doc)))

    def _check_onward_kept(self, old: Document, new: Document) -> None:
        for line in old.lines:
            if line.transferred_qty <= 0:
                continue
            kept = new.line(line.seq)
            if kept is None or kept.item_code != line.item_code or kept.uom != line.uom \
                    or kept.qty < line.transferred_qty:
                raise BookError(
                    f"Cannot change {old.kind} {old.doc_no} Seq {line.seq}: "
                    f"{line.transferred_qty} was transferred to " + ", ".join(self._onward(old)))

    # Numbering and commits

    def _take(self, pending: dict[str, int], name: str) -> int:
        pending[name] = pending.get(name, self._counters.get(name, 0)) + 1
        return pending[name]

    def _allocate(self, kind: DocKind, day: dt.date, pending: dict[str, int]) -> str:
        """The next number of the type's format; a number taken by hand is skipped."""
        number_format = self._formats[kind]
        series = f"{kind}:{number_format.series(day)}"
        number = self._counters.get(series, 0)
        while True:
            number += 1
            doc_no = number_format.render(day, number)
            if (kind, doc_no) not in self._by_no:
                pending[series] = number
                return doc_no

    def _commit(self, saved: Sequence[Document] = (), deleted: Sequence[Document] = (),
                counters: dict[str, int] | None = None) -> None:
        self._store.commit(saved, [doc.doc_key for doc in deleted], counters)
        for doc in deleted:
            del self._docs[doc.doc_key]
            del self._by_no[doc.kind, doc.doc_no]
        for doc in saved:
            previous = self._docs.get(doc.doc_key)
            if previous is not None:
                del self._by_no[previous.kind, previous.doc_no]
            self._docs[doc.doc_key] = doc
            self._by_no[doc.kind, doc.doc_no] = doc.doc_key
        self._counters.update(counters or {})
        self.version += 1

"""The Cloud Accounting Integration API profile: `/{book}/invoice` and its siblings.

Guessed where the contract says so, and also: `credit-note`, `purchase-invoice` and
`purchase-order` take the invoice's shape with `creditorCode`/`creditorName` on purchase
documents, whose `salesLocation` (the only location field the contract names) is not required;
`autoFillOption` has `accNo` and `taxCode` flags; a `master.docNo` is used as given; a duplicate
number answers 409 and an unknown number 404; bad keys answer `401 Invalid Key-ID or API-Key.`
and another book id `404 Account book N not found.`; void answers 204, also for a document
already void; PUT merges the fields it is given into the master and into row N (so `{}` keeps a
row) and keeps all rows when `details` is absent; listing rows are the GET's `master`; the GET
listing reads its page (and filter) from a JSON body, else `?page=`. Master reads answer
`{"<resource>": {...}}` (the product's documented shape, with `productMultiPacks` holding the
UOMs other than the base `unit`), listings `{"data", "totalCount"}` by code; `tax-entity` lists
the debtors and creditors that have a TIN.

The listing has no stable order, as AutoCount's: rows come in a seeded shuffle that changes with
every write to the book. Between writes the order holds, so paging through a quiet book is
complete; a write between two page calls moves rows across pages, and only de-duplicating by
`docKey` (and re-listing) is safe. A fresh shuffle on every call would lose rows even in a quiet
book, which the contract does not describe.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from acgate.domain.masterdata import ItemRecord, PartyRecord
from acgate.sandbox.config import DocKind
from acgate.sandbox.errors import BookError, NotFound, TooManyCalls, Unauthorized
from acgate.sandbox.model import Document, DocumentDraft, LineDraft
from acgate.sandbox.state import Sandbox, current, quota_headers
from acgate.sandbox.wire import Fields, JsonResponse, instant_text, parse_json

PAGE_SIZE = 100

DOCUMENTS = {
    "invoice": DocKind.INVOICE,
    "credit-note": DocKind.CREDIT_NOTE,
    "purchase-invoice": DocKind.PURCHASE_INVOICE,
    "purchase-order": DocKind.PURCHASE_ORDER,
}


def access(request: Request, book: str) -> None:
    """Keys, then the book, then the rate limit; the quota goes on every answer."""
    sandbox = current(request)
    key_id = request.headers.get("key-id")
    if key_id is None or sandbox.config.book.cloud_keys.get(key_id) != \
            request.headers.get("api-key"):
        raise Unauthorized("Invalid Key-ID or API-Key.")
    if book != str(sandbox.config.book.book_id):
        raise NotFound(f"Account book {book} not found.")
    quota = sandbox.limiter.take(key_id)
    request.state.quota = quota
    if quota is not None and not quota.allowed:
        raise TooManyCalls(quota.message())


router = APIRouter(prefix="/{book}", dependencies=[Depends(access)])


def _answer(request: Request, content: Any = None, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    all_headers = {**quota_headers(request), **(headers or {})}
    if content is None:
        return Response(status_code=status, headers=all_headers)
    return JsonResponse(content, status_code=status, headers=all_headers)


def _document_kind(resource: str) -> DocKind:
    kind = DOCUMENTS.get(resource)
    if kind is None:
        raise NotFound("Not Found")
    return kind


def _doc_no(request: Request) -> str:
    doc_no = request.query_params.get("docNo")
    if not doc_no:
        raise BookError("The docNo field is required.")
    return doc_no


def _page(value: Any) -> int:
    try:
        page = int(value) if value is not None else 1
    except (TypeError, ValueError):
        raise BookError(f"The value '{value}' is not valid for page.") from None
    return max(page, 1)


@router.post("/{resource}")
async def create(request: Request, resource: str) -> Response:
    kind = _document_kind(resource)
    draft = _draft(kind, parse_json(await request.body()), None)
    doc = current(request).book.create(kind, draft)
    location = f"{request.base_url}{current(request).config.book.book_id}/{resource}" \
               f"?docNo={quote(doc.doc_no)}"
    return _answer(request, status=201, headers={"location": location})


@router.get("/{resource}")
async def read(request: Request, resource: str) -> Response:
    sandbox = current(request)
    if resource in MASTERS:
        return _answer(request, _master_one(sandbox, resource, request.query_params.get("code")))
    doc = sandbox.book.get(_document_kind(resource), _doc_no(request))
    return _answer(request, render(doc))


@router.put("/{resource}")
async def update(request: Request, resource: str) -> Response:
    kind = _document_kind(resource)
    book = current(request).book
    doc = book.get(kind, _doc_no(request))
    body = parse_json(await request.body())
    book.replace(kind, doc.doc_no, _draft(kind, _merged(doc, body), doc.doc_no))
    return _answer(request, status=204)


@router.delete("/{resource}")
async def delete(request: Request, resource: str) -> Response:
    current(request).book.delete(_document_kind(resource), _doc_no(request))
    return _answer(request, status=204)


@router.post("/{resource}/void")
async def void(request: Request, resource: str) -> Response:
    current(request).book.cancel(_document_kind(resource), _doc_no(request))
    return _answer(request, status=204)


@router.api_route("/{resource}/listing", methods=["GET", "POST"])
async def listing(request: Request, resource: str) -> Response:
    sandbox = current(request)
    raw = await request.body()
    body = Fields.of(parse_json(raw) if raw else {}, "$", "ListingRequest")
    page = _page(body.data.get("page", request.query_params.get("page")))
    if resource in MASTERS:
        active_only = request.query_params.get("activeOnly", "").lower() == "true" \
            or body.flag("activeOnly") is True
        rows = [row for _, row in MASTERS[resource](sandbox, active_only)]
    else:
        rows = _documents_listed(sandbox, _document_kind(resource), body)
    start = (page - 1) * PAGE_SIZE
    return _answer(request, {"data": rows[start:start + PAGE_SIZE], "totalCount": len(rows)})


# Documents in and out


def _party(kind: DocKind) -> str:
    return "creditor" if kind.purchase else "debtor"


def _draft(kind: DocKind, body: Any, doc_no: str | None) -> DocumentDraft:
    """The wire document as a draft: every value converted first (as .NET deserialises), then
    the required fields checked (as ASP.NET validates the model)."""
    root = Fields.of(body, "$", "Document")
    master = Fields.of(root.data.get("master") or {}, "$.master", "Master")
    fill = Fields.of(root.data.get("autoFillOption") or {}, "$.autoFillOption", "AutoFillOption")
    fill_acc_no, fill_tax_code = fill.flag("accNo"), fill.flag("taxCode")
    party = _party(kind)
    lines = [LineDraft(
        item_code=row.text("productCode"), description=row.text("description"),
        location=row.text("location"), uom=row.text("unit"), qty=row.number("qty"),
        unit_price=row.number("unitPrice"), discount=row.discount("discount"),
        tax_code=row.text("taxCode"), acc_no=row.text("accNo"), project=row.text("projNo"),
        department=row.text("deptNo"),
    ) for row in root.rows("details", "Detail")]
    doc_date, party_code = master.date("docDate"), master.text(f"{party}Code")
    text = {name: master.text(name) for name in (
        "docNo", f"{party}Name", "creditTerm", "salesLocation", "ref", "description",
        "currencyCode", "salesAgent", "remark1", "remark2", "remark3", "remark4")}
    currency_rate = master.number("currencyRate")
    if root.data.get("master") is None:
        raise BookError("The Master field is required.")
    required = ["docDate", f"{party}Code", f"{party}Name", "creditTerm"]
    missing = next((name for name in (required if kind.purchase else [
        *required, "salesLocation"]) if master.data.get(name) in (None, "")), None)
    if missing is not None or doc_date is None or not party_code:
        missing = missing or "docDate"
        raise BookError(f"The {missing[0].upper()}{missing[1:]} field is required.")
    if fill_acc_no is not True and any(not line.acc_no for line in lines):
        raise BookError("AccNo is required.")
    return DocumentDraft(
        doc_no=doc_no or text["docNo"], doc_date=doc_date, party_code=party_code,
        party_name=text[f"{party}Name"], credit_term=text["creditTerm"],
        location=text["salesLocation"], ref=text["ref"], description=text["description"],
        currency_code=text["currencyCode"], currency_rate=currency_rate,
        agent=text["salesAgent"], remark1=text["remark1"], remark2=text["remark2"],
        remark3=text["remark3"], remark4=text["remark4"], lines=tuple(lines),
        fill_tax_code=fill_tax_code is True,
    )


def _merged(doc: Document, body: Any) -> dict[str, Any]:
    """A PUT body laid over the stored document: given master fields replace, row N merges
    into row N, rows past the given list go."""
    given = Fields.of(body, "$", "Document")
    master = given.data.get("master")
    if master is None:
        raise BookError("The Master field is required.")
    stored = render(doc)
    rows = given.data.get("details")
    details = [
        {**stored["details"][n], **row} if n < len(stored["details"]) and isinstance(row, dict)
        else row for n, row in enumerate(rows)
    ] if isinstance(rows, list) else stored["details"] if rows is None else rows
    return {**given.data, "master": {**stored["master"], **Fields.of(
        master, "$.master", "Master").data}, "details": details}


def render_master(doc: Document) -> dict[str, Any]:
    party = _party(doc.kind)
    return {
        "docKey": doc.doc_key, "docNo": doc.doc_no,
        "docDate": f"{doc.doc_date.isoformat()}T00:00:00",
        f"{party}Code": doc.party_code, f"{party}Name": doc.party_name,
        "creditTerm": doc.credit_term, "salesLocation": doc.location, "ref": doc.ref,
        "description": doc.description, "currencyCode": doc.currency_code,
        "currencyRate": doc.currency_rate, "salesAgent": doc.agent,
        "remark1": doc.remark1, "remark2": doc.remark2, "remark3": doc.remark3,
        "remark4": doc.remark4, "total": doc.total, "cancelled": doc.cancelled,
        "createdDateTime": instant_text(doc.created_at),
        "lastModifiedDateTime": instant_text(doc.modified_at),
    }


def render(doc: Document) -> dict[str, Any]:
    return {"master": render_master(doc), "details": [{
        "dtlKey": line.dtl_key, "seq": line.seq, "productCode": line.item_code,
        "accNo": line.acc_no, "description": line.description, "location": line.location,
        "qty": line.qty, "unit": line.uom, "unitPrice": line.unit_price,
        "discount": line.discount, "taxCode": line.tax_code, "taxRate": line.tax_rate,
        "subTotalExTax": line.sub_total_ex_tax, "tax": line.tax, "subTotal": line.sub_total,
        "projNo": line.project, "deptNo": line.department,
    } for line in doc.lines]}


def _documents_listed(sandbox: Sandbox, kind: DocKind, body: Fields) -> list[dict[str, Any]]:
    docs = sandbox.book.documents(kind)
    random.Random(f"{sandbox.config.seed}:{sandbox.book.version}").shuffle(docs)
    keep = _filter(kind, Fields.of(body.data.get("filter") or {}, "$.filter", "Filter"))
    return [render_master(doc) for doc in docs if keep(doc)]


def _filter(kind: DocKind, given: Fields) -> Callable[[Document], bool]:
    def span(name: str) -> tuple[dt.date | None, dt.date | None]:
        part = Fields.of(given.data.get(name) or {}, f"{given.path}.{name}", "DateRange")
        return part.date("from"), part.date("to")

    def inside(day: dt.date, bounds: tuple[dt.date | None, dt.date | None]) -> bool:
        start, end = bounds
        return (start is None or day >= start) and (end is None or day <= end)

    dates, created = span("date"), span("createdDate")
    party_field = f"{_party(kind)}Code"
    chosen = Fields.of(given.data.get(party_field) or {}, f"{given.path}.{party_field}",
                       "MultiSelect").data.get("multiSelect")
    codes = None if chosen is None else {str(code) for code in chosen}
    return lambda doc: inside(doc.doc_date, dates) and inside(doc.created_at.date(), created) \
        and (codes is None or doc.party_code in codes)


# Master data


def _party_row(party: PartyRecord, code_field: str) -> dict[str, Any]:
    return {code_field: party.code, "companyName": party.name, "creditTerm": party.terms,
            "currencyCode": party.currency, "tin": party.tin, "registrationNo": party.brn,
            "emailAddress": party.email, "phone1": party.phone, "address": party.address,
            "isActive": party.active}


def _product(item: ItemRecord) -> dict[str, Any]:
    base = item.uom(item.base_uom)
    return {
        "product": {"productCode": item.code, "productName": item.description,
                    "unit": item.base_uom, "price": base.price if base else None,
                    "taxCode": item.tax_code, "isActive": item.active},
        "productMultiPacks": [{"multiPack": u.uom, "multiPackRate": u.rate, "price": u.price}
                              for u in item.uoms if u.uom != item.base_uom],
    }


Rows = list[tuple[str, dict[str, Any]]]
"""Master rows by code."""


def _codes(values: Iterable[str], field: str) -> Rows:
    return [(code, {field: code, "description": code, "isActive": True})
            for code in sorted(values)]


def _parties(parties: dict[str, PartyRecord], field: str, active_only: bool) -> Rows:
    return [(code, _party_row(parties[code], field)) for code in sorted(parties)
            if parties[code].active or not active_only]


MASTERS: dict[str, Callable[[Sandbox, bool], Rows]] = {
    "debtor": lambda s, active: _parties(s.config.master.debtors, "debtorCode", active),
    "creditor": lambda s, active: _parties(s.config.master.creditors, "creditorCode", active),
    "product": lambda s, active: [
        (code, _product(item)) for code, item in sorted(s.config.master.items.items())
        if item.active or not active],
    "location": lambda s, _: _codes(s.config.master.locations, "location"),
    "sales-agent": lambda s, _: _codes(s.config.master.agents, "salesAgent"),
    "department": lambda s, _: _codes(s.config.master.departments, "deptNo"),
    "tax-entity": lambda s, _: [
        (p.code, {"code": p.code, "name": p.name, "tin": p.tin, "registrationNo": p.brn})
        for p in [*s.config.master.debtors.values(), *s.config.master.creditors.values()]
        if p.tin],
}


def _master_one(sandbox: Sandbox, resource: str, code: str | None) -> dict[str, Any]:
    if not code:
        raise BookError("The code field is required.")
    for found, row in MASTERS[resource](sandbox, False):
        if found == code:
            return row if resource == "product" else {resource: row}
    raise NotFound(f"{resource} (code = {code}) not exists")

"""The on-premise bridge profile: `/api/{DocType}`, in the SDK's field names.

The contract is ours; where it is silent these are choices: details travel in `Details`;
purchase documents name their party `CreditorCode`/`CreditorName` (the contract lists only
`DebtorName`) and, as the contract lists, their agent and location `SalesAgent` and
`SalesLocation` as every type does; a partial transfer reference (one of `FromDocType`,
`FromDocNo`, `FromDtlSeq` without the others) is refused; a bad key answers `401 Invalid
X-API-KEY`, an unknown `{DocType}` or number 404; PUT answers 200 `{"DocNo", "DocKey"}` and
ignores a `DocNo` in the body; cancel answers 200 `{"DocNo", "DocKey", "Cancelled": true}`;
`/list` answers `{"data", "page", "totalCount"}`, 100 headers a page by `DocKey`; master lists
answer `{"data"}`. There is no rate limit on the bridge, as there is none on a customer's own
server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from acgate.domain.masterdata import MasterData, PartyRecord
from acgate.sandbox.config import DocKind
from acgate.sandbox.errors import BookError, NotFound, Unauthorized
from acgate.sandbox.model import Document, DocumentDraft, LineDraft, TransferRef
from acgate.sandbox.state import current
from acgate.sandbox.wire import Fields, JsonResponse, instant_text, parse_json

PAGE_SIZE = 100


def access(request: Request) -> None:
    if request.headers.get("x-api-key") not in current(request).config.book.bridge_keys:
        raise Unauthorized("Invalid X-API-KEY")


router = APIRouter(prefix="/api", dependencies=[Depends(access)])


def _kind(name: str) -> DocKind:
    try:
        return DocKind(name)
    except ValueError:
        raise NotFound(f"Unknown document type {name}") from None


def _doc_no(request: Request) -> str:
    doc_no = request.query_params.get("DocNo")
    if not doc_no:
        raise BookError("DocNo is required.")
    return doc_no


@router.post("/{doc_type}")
async def create(request: Request, doc_type: str) -> Response:
    kind = _kind(doc_type)
    doc = current(request).book.create(kind, _draft(kind, parse_json(await request.body())))
    return JsonResponse({"DocNo": doc.doc_no, "DocKey": doc.doc_key}, status_code=201)


@router.get("/{doc_type}")
async def read(request: Request, doc_type: str) -> Response:
    return JsonResponse(render(current(request).book.get(_kind(doc_type), _doc_no(request))))


@router.put("/{doc_type}")
async def replace(request: Request, doc_type: str) -> Response:
    kind = _kind(doc_type)
    draft = _draft(kind, parse_json(await request.body()))
    doc = current(request).book.replace(kind, _doc_no(request), draft)
    return JsonResponse({"DocNo": doc.doc_no, "DocKey": doc.doc_key})


@router.post("/{doc_type}/cancel")
async def cancel(request: Request, doc_type: str) -> Response:
    doc = current(request).book.cancel(_kind(doc_type), _doc_no(request))
    return JsonResponse({"DocNo": doc.doc_no, "DocKey": doc.doc_key, "Cancelled": True})


@router.get("/{name}/list")
async def listing(request: Request, name: str) -> Response:
    sandbox = current(request)
    if name in MASTERS:
        return JsonResponse({"data": MASTERS[name](sandbox.config.master)})
    kind = _kind(name)
    query = Fields(request.query_params, "$query")
    start, end = query.date("from"), query.date("to")
    try:
        page = max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        raise BookError("page must be a whole number") from None
    docs = [render_header(doc) for doc in sandbox.book.documents(kind)
            if (start is None or doc.doc_date >= start) and (end is None or doc.doc_date <= end)]
    first = (page - 1) * PAGE_SIZE
    return JsonResponse({"data": docs[first:first + PAGE_SIZE], "page": page,
                         "totalCount": len(docs)})


# Documents in and out


def _party(kind: DocKind) -> str:
    return "Creditor" if kind.purchase else "Debtor"


def _transfer(row: Fields) -> TransferRef | None:
    code, doc_no, seq = row.text("FromDocType"), row.text("FromDocNo"), row.integer("FromDtlSeq")
    if code is None and doc_no is None and seq is None:
        return None
    if code is None or doc_no is None or seq is None:
        raise BookError("FromDocType, FromDocNo and FromDtlSeq are given together or not at all")
    return TransferRef(code, doc_no, seq)


def _draft(kind: DocKind, body: Any) -> DocumentDraft:
    head = Fields.of(body, "$", kind.value)
    party = _party(kind)
    lines = tuple(LineDraft(
        item_code=row.text("ItemCode"), description=row.text("Description"),
        location=row.text("Location"), uom=row.text("UOM"), qty=row.number("Qty"),
        unit_price=row.number("UnitPrice"), discount=row.discount("Discount"),
        tax_code=row.text("TaxCode"), acc_no=row.text("AccNo"), project=row.text("ProjNo"),
        department=row.text("DeptNo"), transfer=_transfer(row),
    ) for row in head.rows("Details", "Detail"))
    doc_date, party_code = head.date("DocDate"), head.text(f"{party}Code")
    if doc_date is None:
        raise BookError("DocDate is required.")
    if not party_code:
        raise BookError(f"{party}Code is required.")
    return DocumentDraft(
        doc_no=head.text("DocNo"), doc_date=doc_date, party_code=party_code,
        party_name=head.text(f"{party}Name"), credit_term=head.text("DisplayTerm"),
        location=head.text("SalesLocation"), ref=head.text("Ref"),
        ref_no2=head.text("RefNo2"), description=head.text("Description"),
        currency_code=head.text("CurrencyCode"), currency_rate=head.number("CurrencyRate"),
        agent=head.text("SalesAgent"), branch=head.text("BranchCode"),
        remark1=head.text("Remark1"), remark2=head.text("Remark2"),
        remark3=head.text("Remark3"), remark4=head.text("Remark4"),
        draft=head.flag("SaveAsDraft") is True, lines=lines, fill_tax_code=True,
    )


def render_header(doc: Document) -> dict[str, Any]:
    party = _party(doc.kind)
    return {
        "DocKey": doc.doc_key, "DocNo": doc.doc_no, "DocDate": doc.doc_date.isoformat(),
        f"{party}Code": doc.party_code, f"{party}Name": doc.party_name, "Ref": doc.ref,
        "RefNo2": doc.ref_no2, "Description": doc.description,
        "CurrencyCode": doc.currency_code, "CurrencyRate": doc.currency_rate,
        "SalesAgent": doc.agent, "DisplayTerm": doc.credit_term,
        "SalesLocation": doc.location, "BranchCode": doc.branch,
        "Remark1": doc.remark1, "Remark2": doc.remark2, "Remark3": doc.remark3,
        "Remark4": doc.remark4, "SaveAsDraft": doc.draft, "Cancelled": doc.cancelled,
        "Total": doc.total, "CreatedTimeStamp": instant_text(doc.created_at),
        "LastModified": instant_text(doc.modified_at),
    }


def render(doc: Document) -> dict[str, Any]:
    return {**render_header(doc), "Details": [{
        "DtlKey": line.dtl_key, "Seq": line.seq, "ItemCode": line.item_code,
        "Location": line.location, "Description": line.description, "UOM": line.uom,
        "Qty": line.qty, "UnitPrice": line.unit_price, "Discount": line.discount,
        "TaxCode": line.tax_code, "TaxRate": line.tax_rate,
        "SubTotalExTax": line.sub_total_ex_tax, "Tax": line.tax, "SubTotal": line.sub_total,
        "ProjNo": line.project, "DeptNo": line.department, "AccNo": line.acc_no,
        "FromDocType": line.transfer.from_code if line.transfer else None,
        "FromDocNo": line.transfer.from_doc_no if line.transfer else None,
        "FromDtlSeq": line.transfer.from_seq if line.transfer else None,
        "TransferedQty": line.transferred_qty,
    } for line in doc.lines]}


# Master data


def _party_row(party: PartyRecord) -> dict[str, Any]:
    return {"AccNo": party.code, "CompanyName": party.name, "DisplayTerm": party.terms,
            "CurrencyCode": party.currency, "TIN": party.tin, "RegisterNo": party.brn,
            "EmailAddress": party.email, "Phone1": party.phone, "Address": party.address,
            "IsActive": party.active}


def _codes(field: str, values: set[str]) -> list[dict[str, Any]]:
    return [{field: code, "Description": code} for code in sorted(values)]


MASTERS: dict[str, Callable[[MasterData], list[dict[str, Any]]]] = {
    "Debtor": lambda m: [_party_row(m.debtors[code]) for code in sorted(m.debtors)],
    "Creditor": lambda m: [_party_row(m.creditors[code]) for code in sorted(m.creditors)],
    "Item": lambda m: [{
        "ItemCode": item.code, "Description": item.description, "BaseUOM": item.base_uom,
        "TaxCode": item.tax_code, "IsActive": item.active,
        "ItemUOM": [{"UOM": u.uom, "Rate": u.rate, "Price": u.price} for u in item.uoms],
    } for _, item in sorted(m.items.items())],
    "Location": lambda m: _codes("Location", m.locations),
    "TaxCode": lambda m: [{"TaxCode": code, "TaxRate": rate * 100}
                          for code, rate in sorted(m.tax_codes.items())],
    "Project": lambda m: _codes("ProjNo", m.projects),
    "Department": lambda m: _codes("DeptNo", m.departments),
    "SalesAgent": lambda m: _codes("SalesAgent", m.agents),
    "Term": lambda m: _codes("DisplayTerm", m.terms),
}

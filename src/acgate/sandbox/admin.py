"""`/_admin`: what tests and the demo use to steer and inspect the sandbox. Never faulted,
never rate limited, no keys: the sandbox listens on 127.0.0.1 only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import JSONResponse, Response

from acgate.sandbox.config import DocKind
from acgate.sandbox.model import document_json
from acgate.sandbox.state import current

router = APIRouter(prefix="/_admin")


class ManualEdit(BaseModel):
    """A change made by a person in AutoCount itself, past AutoCount's rules: header fields
    and lines (by Seq) in the names of `GET /_admin/documents`, or the document deleted."""

    model_config = ConfigDict(extra="forbid")

    kind: DocKind
    doc_no: str
    set: dict[str, Any] = {}
    lines: dict[int, dict[str, Any]] = {}
    delete: bool = False


@router.get("/faults")
async def faults(request: Request) -> dict[str, Any]:
    return current(request).faults.settings.model_dump(mode="json")


@router.post("/faults")
async def set_faults(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some fault switches (`{"error_next": 2}`); the others stay as they are."""
    try:
        settings = current(request).faults.update(changes)
    except ValidationError as error:
        raise HTTPException(422, str(error)) from None
    return settings.model_dump(mode="json")


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Empty the book and its numbering, restore the configured faults, forget call counts."""
    current(request).reset()
    return {"ok": True}


@router.get("/documents")
async def documents(request: Request) -> dict[str, Any]:
    """Every document of every type, by document key, in the stored form."""
    book = current(request).book
    return {"version": book.version, "documents": [document_json(d) for d in book.documents()]}


@router.post("/edit")
async def edit(request: Request, change: ManualEdit) -> Response:
    book = current(request).book
    if change.delete:
        book.delete_manually(change.kind, change.doc_no)
        return Response(status_code=204)
    doc = book.edit_manually(change.kind, change.doc_no, change.set, change.lines)
    return JSONResponse(document_json(doc))

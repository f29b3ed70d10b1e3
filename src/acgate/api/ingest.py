"""Intake over HTTP: one document, a batch, a file upload, or a signed webhook.

Sources authenticate with their API key (`Authorization: Bearer <key>`) and may send only their
own documents; people whose role may ingest use their session instead. JSON bodies are read by
the same readers as files, so a decimal sent as a JSON number is judged exactly as in a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Header, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from acgate.api.common import PREFIX, AppDep, findings_out
from acgate.api.errors import ApiProblem, answering, errors
from acgate.api.models import CheckedOut, FieldProblemOut, IngestOut, IntakeProblemOut
from acgate.bootstrap import App
from acgate.domain.access import Action, Forbidden
from acgate.domain.documents import DocType, raw_identity
from acgate.http.auth import SESSION_COOKIE, caller, source_key
from acgate.service.ingest import MAX_PROBLEMS_KEPT
from acgate.service.people import WebhookProblem, WebhookRefused
from acgate.sources.readers import RawRecord, read_payloads_from_bytes

router = APIRouter(prefix=PREFIX, tags=["intake"])

BODY_LIMIT = 32 * 1024 * 1024
FILE_LIMIT = 64 * 1024 * 1024
# The readers name records after their file; a request body has none, so this stand-in name is
# replaced by where the body came from.
_STAND_IN = "request.json"
_STAND_IN_LINES = "request.jsonl"
_WHITESPACE = b" \t\r\n\xef\xbb\xbf"
_ONE, _LIST = b"{", b"["
_SHAPE = {_ONE: "one document as a JSON object", _LIST: "a JSON list of documents"}
_ROUTE = {_ONE: f"{PREFIX}/documents", _LIST: f"{PREFIX}/documents/batch"}
_KEY_FIX = ("send an active API key of the documents' source as `Authorization: Bearer <key>` "
            "(`acgate sources add-key SOURCE` makes one), or sign in")

_DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A canonical source document (contract: documents.md).",
    "required": ["source", "type", "id", "status"],
    "properties": {
        "source": {"type": "string"}, "type": {"enum": [t.value for t in DocType]},
        "id": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
        "updated_at": {"type": "string"}, "status": {"type": "string"},
        "company": {"type": "string"},
    },
    "additionalProperties": True,
}
_BATCH_SCHEMA: dict[str, Any] = {"type": "array", "items": _DOCUMENT_SCHEMA}
_LINES_SCHEMA: dict[str, Any] = {
    "type": "string", "description": "JSON Lines: one canonical document as a JSON object a "
                                     "line."}


def _json_body(schema: dict[str, Any], lines: bool = False) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    if lines:
        content["application/x-ndjson"] = {"schema": _LINES_SCHEMA}
    return {"requestBody": {"required": True, "content": content}}


@dataclass(frozen=True, slots=True)
class Ingester:
    """Who is sending documents: a source's key (only its own source) or a person (any)."""

    actor: str
    source: str | None
    origin: str


async def ingester(request: Request, app: AppDep) -> Ingester:
    """A source by its API key when the request carries one, else a signed-in person whose
    role may ingest."""
    if "authorization" in request.headers:
        try:
            key = source_key(request, app)
        except HTTPException as error:
            raise ApiProblem(401, str(error.detail), fix=_KEY_FIX) from None
        via = f"key {key.key_id}"
        return Ingester(f"source {key.source} ({via})", key.source, f"REST API ({via})")
    if SESSION_COOKIE not in request.cookies:
        # Most callers here are source systems: tell them about the key, not only the session.
        raise ApiProblem(401, "no API key and no session", fix=_KEY_FIX)
    who = await caller(request, app)
    try:
        who.principal.require(Action.INGEST)
    except Forbidden as error:
        raise HTTPException(403, str(error)) from None
    return Ingester(who.actor, None, f"REST API ({who.actor})")


Sender = Annotated[Ingester, Depends(ingester)]


# JSON Lines as a body, by the media types its senders use.
JSON_LINES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl",
                        "application/x-jsonlines", "application/jsonlines",
                        "application/json-lines"})


def _is_json(content_type: str) -> bool:
    # No content type is taken as JSON, as most HTTP clients send JSON without saying so.
    media = _media(content_type)
    return media in ("", "application/json") or media.endswith("+json")


def _media(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def _is_json_lines(request: Request) -> bool:
    return _media(request.headers.get("content-type", "")) in JSON_LINES


async def _body(request: Request, lines: bool = False) -> bytes:
    """The body, when it is JSON (or, where `lines`, JSON Lines)."""
    content_type = request.headers.get("content-type", "")
    if not (_is_json(content_type) or (lines and _media(content_type) in JSON_LINES)):
        if _media(content_type) in JSON_LINES:
            raise ApiProblem(415, "JSON Lines are taken as a list of documents",
                             fix=f"post them to {PREFIX}/documents/batch with this content "
                                 "type, or send one document as application/json")
        raise ApiProblem(415, "documents are sent as a JSON body",
                         fix="send Content-Type: application/json (a list of documents, or "
                             "JSON Lines as application/x-ndjson, to "
                             f"{PREFIX}/documents/batch), or upload a file to "
                             f"{PREFIX}/documents/file")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > BODY_LIMIT:
            raise ApiProblem(413, f"the body is over {BODY_LIMIT // 2**20} MiB",
                             fix="send fewer documents per request")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_shape(body: bytes, *accepted: bytes) -> None:
    """An empty body, or a list where one document is expected (or the other way round), is a
    mistake of the request (422). Any other body is read: what is not JSON becomes an intake
    problem kept with its text, as in a file."""
    first = body.lstrip(_WHITESPACE)[:1]
    if not first:
        raise ApiProblem(422, "the body is empty",
                         fix="send " + " or ".join(_SHAPE[shape] for shape in accepted))
    if first in _SHAPE and first not in accepted:
        [wanted] = accepted
        raise ApiProblem(422, f"send {_SHAPE[wanted]}",
                         fix=f"post {_SHAPE[first]} to {_ROUTE[first]}")


def _check_lines(body: bytes) -> None:
    if not body.strip(_WHITESPACE):
        raise ApiProblem(422, "the body is empty",
                         fix="send JSON Lines: one document as a JSON object a line")


def _records(body: bytes, origin: str, lines: bool = False) -> Iterator[RawRecord]:
    stand_in = _STAND_IN_LINES if lines else _STAND_IN
    for record in read_payloads_from_bytes(body, stand_in):
        record.origin = origin + record.origin.removeprefix(stand_in)
        yield record


def _names_another_source(payload: dict[str, Any], allowed: str) -> bool:
    """Whether the document names a source other than `allowed`. One that names none (missing,
    null or blank) is left to intake, which reports the contract problem and stores it under no
    source."""
    source = payload.get("source")
    if isinstance(source, str):
        return source.strip() not in ("", allowed)
    return source is not None


def _wrong_source(record: RawRecord, payload: dict[str, Any], allowed: str) -> IntakeProblemOut:
    identity = raw_identity(payload)
    return IntakeProblemOut(
        origin=record.origin, identity=str(identity) if identity else None, kind="wrong_source",
        code=None, problems=[FieldProblemOut(
            field="source", problem=f"this key sends documents of {allowed!r} only; the "
                                    f"document says {payload.get('source')!r}",
            fix=f"send it with the API key of its own source, or set source to {allowed!r}")])


def take(app: App, sender: Ingester, records: Iterable[RawRecord], each: bool) -> IngestOut:
    """Run intake; a key's documents of another source are refused one by one, the rest
    taken. `each`: report every checked document (JSON requests, not file uploads)."""
    refused: list[IntakeProblemOut] = []

    def admitted() -> Iterator[RawRecord]:
        for record in records:
            payload = record.payload
            if (sender.source is None or payload is None
                    or not _names_another_source(payload, sender.source)):
                yield record
            else:
                refused.append(_wrong_source(record, payload, sender.source))

    report = app.intake.ingest(admitted(), actor=sender.actor, keep_verdicts=each)
    kept = [IntakeProblemOut.model_validate(p) for p in report.as_dict()["problems"]]
    return IngestOut(
        received=report.received + len(refused), new_documents=report.new_documents,
        new_versions=report.new_versions, redeliveries=report.redeliveries, stale=report.stale,
        refused=report.refused + len(refused), outcomes=dict(report.outcomes),
        codes=dict(report.codes), problem_count=report.problem_count + len(refused),
        problems=(kept + refused)[:MAX_PROBLEMS_KEPT],
        documents=[CheckedOut(identity=str(v.work.identity), outcome=v.outcome, owner=v.owner,
                              findings=findings_out([f.as_dict() for f in v.findings]))
                   for v in report.checked])


_INTAKE_ERRORS = errors(401, 403, 413, 415, 422)


@router.post("/documents", responses=_INTAKE_ERRORS, openapi_extra=_json_body(_DOCUMENT_SCHEMA))
async def ingest_document(request: Request, app: AppDep, sender: Sender) -> IngestOut:
    """Take one document (a JSON object). The report says what became of it: each problem
    names the document, the field path and the fix."""
    body = await _body(request)
    _check_shape(body, _ONE)
    return await run_in_threadpool(take, app, sender, _records(body, sender.origin), True)


@router.post("/documents/batch", responses=_INTAKE_ERRORS,
             openapi_extra=_json_body(_BATCH_SCHEMA, lines=True))
async def ingest_batch(request: Request, app: AppDep, sender: Sender) -> IngestOut:
    """Take a JSON list of documents, or JSON Lines (`Content-Type: application/x-ndjson`, one
    document a line). Each bad one is reported by its position and the good ones are kept."""
    lines = _is_json_lines(request)
    body = await _body(request, lines=True)
    if lines:
        _check_lines(body)
    else:
        _check_shape(body, _LIST)
    return await run_in_threadpool(
        take, app, sender, _records(body, f"{sender.origin} batch", lines), True)


@router.post("/documents/file", responses=errors(400, 401, 403, 413, 415, 422))
def ingest_file(app: AppDep, sender: Sender,
                file: Annotated[UploadFile, File(
                    description="JSON, JSON Lines (.jsonl), CSV or XLSX, by its name's suffix "
                                "(contract: documents.md)")]) -> IngestOut:
    """Take every document in an uploaded file. The report counts them and lists each problem
    by file and row; it does not list every document."""
    data = file.file.read(FILE_LIMIT + 1)
    if len(data) > FILE_LIMIT:
        raise ApiProblem(413, f"the file is over {FILE_LIMIT // 2**20} MiB",
                         fix="split it, or run `acgate ingest` on the server")
    with answering():
        records = read_payloads_from_bytes(data, file.filename or "")
    return take(app, sender, records, False)


@router.post("/webhooks/{source}", responses=errors(401, 409, 413, 415, 422),
             openapi_extra=_json_body({"anyOf": [_DOCUMENT_SCHEMA, _BATCH_SCHEMA]}))
async def webhook(
    source: str, request: Request, app: AppDep,
    x_acgate_timestamp: Annotated[str | None, Header(
        description="Required: Unix seconds when the source signed it; refused when more than "
                    "five minutes from acgate's clock.")] = None,
    x_acgate_signature: Annotated[str | None, Header(
        description="Required: `sha256=` and the hex HMAC-SHA256, keyed with the signing "
                    "secret, of `timestamp + \".\" + body`.")] = None,
    x_acgate_delivery: Annotated[str | None, Header(
        description="The delivery's id; a second delivery with it is refused as replayed "
                    "(without it, the signature counts as the id).")] = None,
) -> IngestOut:
    """A source's signed delivery of one document or a list. A bad signature or stale timestamp
    is 401; a replayed delivery is 409, and nothing is stored twice."""
    body = await _body(request)
    if not x_acgate_timestamp or not x_acgate_signature:
        raise ApiProblem(401, "a webhook must be signed",
                         fix="send X-Acgate-Timestamp and X-Acgate-Signature")
    _check_shape(body, _ONE, _LIST)  # before the delivery is recorded as taken
    try:
        key = await run_in_threadpool(app.people.verify_webhook, source, x_acgate_timestamp,
                                      body, x_acgate_signature, x_acgate_delivery)
    except WebhookRefused as error:
        if error.problem is WebhookProblem.REPLAYED:
            raise ApiProblem(409, str(error), fix="nothing to do: the first delivery was "
                                                  "taken") from None
        raise ApiProblem(401, str(error), fix="sign `timestamp.body` with the source's signing "
                                              "secret, with the current time") from None
    via = f"webhook, key {key.key_id}"
    sender = Ingester(f"source {key.source} ({via})", key.source, f"REST API ({via})")
    try:
        return await run_in_threadpool(take, app, sender, _records(body, sender.origin), True)
    except Exception:
        # Intake stores whole batches or nothing, and recognises what a retry sends again: the
        # source's retry of this delivery must be taken, not refused as a replay.
        await run_in_threadpool(app.people.forget_webhook_delivery, source,
                                x_acgate_signature, x_acgate_delivery)
        raise

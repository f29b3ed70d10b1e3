"""The holding area over HTTP: the queue, its summary, a record's trace, and what people do
to a record (release, reject, assign, comment, retry, re-check)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from acgate.api.common import PREFIX, VIEWING, AppDep, Viewer, findings_out, record_out
from acgate.api.errors import ApiProblem, answering, errors
from acgate.api.models import (
    AssignIn,
    CommentIn,
    OpenFindingsOut,
    Problem,
    QueueOut,
    QueueRowOut,
    ReasonIn,
    RecordOut,
    SummaryOut,
    TraceOut,
)
from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import DocType
from acgate.domain.rules import _duration
from acgate.http.auth import Caller, allowed
from acgate.service.people import PeopleError
from acgate.service.review import find_document
from acgate.service.trace import build_trace
from acgate.storage.queue import QueueFilter, count_queue, list_queue, summary

router = APIRouter(prefix=PREFIX, tags=["holding area"])

Releaser = Annotated[Caller, Depends(allowed(Action.RELEASE))]
Rejecter = Annotated[Caller, Depends(allowed(Action.REJECT))]
Assigner = Annotated[Caller, Depends(allowed(Action.ASSIGN))]
Commenter = Annotated[Caller, Depends(allowed(Action.COMMENT))]
Retrier = Annotated[Caller, Depends(allowed(Action.RETRY))]
# A re-check decides nothing a person answers for; it applies the rules as of now. Whoever may
# work the queue may ask for one.
Rechecker = Assigner

# Far enough back for any record; a larger age would only overflow the clock's arithmetic.
MAX_AGE = dt.timedelta(days=36500)
MAX_OFFSET = 10**9

Text = Annotated[str | None, Query(max_length=255)]


def _age(text: str | None) -> dt.timedelta | None:
    if text is None:
        return None
    try:
        age = _duration(text)
    except ValueError as error:
        raise _bad_age(str(error)) from None
    if age > MAX_AGE:
        raise _bad_age(f"{text.strip()} is more than {MAX_AGE.days} days")
    return age


def _code(text: str | None) -> str | None:
    """A finding code as a filter: any case, but one of the codes; a misspelt one would list
    nothing, as if nothing were held for it."""
    if text is None:
        return None
    code = text.strip().upper()
    if code not in Code.__members__:
        raise ApiProblem(422, f"{text!r} is not a finding code", problems=[Problem(
            field="code", problem=f"{text!r} is not a finding code",
            fix="use one of " + ", ".join(c.value for c in Code))])
    return code


def known_company(app: App, company: str | None) -> str | None:
    """A company named as a filter must be one the workspace has rules for: a misspelt one
    would list nothing, as if it had no records."""
    if not company:
        return None
    with answering():
        return app.directory.company_of(company)


def _bad_age(problem: str) -> ApiProblem:
    return ApiProblem(422, "older_than is not an age", problems=[Problem(
        field="older_than", problem=problem, fix="write it as 30m, 24h, 3d or 2w")])


@router.get("/queue", responses=errors(401, 403, 404, 422))
def queue(
    who: Viewer, app: AppDep,
    outcome: Annotated[list[Outcome] | None, Query(
        description="Repeat for several; default: held and waiting.")] = None,
    code: Annotated[str | None, Query(
        max_length=64, description="Only records with this finding code (exceptions.md), "
                                   "such as UOM_RATE_MISMATCH.")] = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
    doc_type: Annotated[DocType | None, Query(alias="type")] = None,
    party: Annotated[str | None, Query(max_length=128,
                                       description="The source's party code.")] = None,
    company: Annotated[str | None, Query(max_length=64)] = None,
    older_than: Annotated[str | None, Query(
        max_length=32, pattern=r"^\s*[0-9]+\s*[smhdw]\s*$",
        description="Received longer ago than this: 30m, 24h, 3d, 2w.")] = None,
    mine: Annotated[bool, Query(description="Only the caller's queue: records owned by a role "
                                            "they work for, or assigned to them.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> QueueOut:
    """Held and waiting records (or the outcomes asked for), oldest first, with the total."""
    wanted = QueueFilter(outcomes=tuple(outcome or (Outcome.HELD, Outcome.WAITING)),
                         code=_code(code), owner=owner, assignee=assignee, doc_type=doc_type,
                         party=party, company=known_company(app, company),
                         older_than=_age(older_than),
                         mine=who.principal if mine else None, limit=limit, offset=offset)
    now = app.clock()
    with app.store.transaction() as repo:
        rows = list_queue(repo, wanted, now)
        total = count_queue(repo, wanted, now)
    return QueueOut(total=total, limit=limit, offset=offset, rows=[
        QueueRowOut(identity=str(row.identity), company=row.company, version=row.version,
                    outcome=row.outcome, owner=row.owner, assignee=row.assignee, party=row.party,
                    first_received_at=row.first_received_at,
                    age_hours=round(row.age(now).total_seconds() / 3600, 1),
                    findings=findings_out([f.as_dict() for f in row.findings]))
        for row in rows])


@router.get("/summary", responses=errors(401, 403, 404, 422), dependencies=[VIEWING])
def holding_summary(app: AppDep, company: Text = None) -> SummaryOut:
    """Records by outcome, and open findings by code and owner."""
    name = known_company(app, company)
    with app.store.transaction() as repo:
        counts = summary(repo, name)
    return SummaryOut(outcomes=counts["outcomes"], open_findings=[
        OpenFindingsOut.model_validate(row) for row in counts["open_findings"]])


_REF = ("source/type/id, the source's id alone when it names one document, or the AutoCount "
        "document number")
_RECORD_ERRORS = errors(400, 401, 403, 404, 409, 422)


@router.get("/documents/{ref:path}", responses=errors(401, 403, 404, 409, 422),
            dependencies=[VIEWING], description=f"Everything that happened to a record. "
                                                f"`ref`: {_REF}.")
def trace(ref: str, app: AppDep) -> TraceOut:
    with answering(ref), app.store.transaction() as repo:
        found = build_trace(repo, ref)
    return TraceOut.model_validate(found.as_dict())


@router.post("/documents/{ref:path}/release", responses=_RECORD_ERRORS)
def release(ref: str, body: ReasonIn, who: Releaser, app: AppDep) -> RecordOut:
    """Let a held or waiting record through, with the reason, in the caller's name."""
    with answering(ref):
        verdict = app.review.release(ref, who.actor, body.reason)
        return record_out(app, str(verdict.work.identity))


@router.post("/documents/{ref:path}/reject", responses=_RECORD_ERRORS)
def reject(ref: str, body: ReasonIn, who: Rejecter, app: AppDep) -> RecordOut:
    """This version will never sync; a newer version from the source re-opens it."""
    with answering(ref):
        stored = app.review.reject(ref, who.actor, body.reason)
        return record_out(app, str(stored.identity))


@router.post("/documents/{ref:path}/assign", responses=_RECORD_ERRORS)
def assign(ref: str, body: AssignIn, who: Assigner, app: AppDep) -> RecordOut:
    """Give a record to a named user; it joins their queue."""
    try:
        # A record assigned to a misspelt name, a disabled user or a viewer would sit in a
        # queue nobody works.
        assignee = app.people.assignable(body.to)
    except PeopleError as error:
        raise ApiProblem(422, str(error), record=ref, problems=[Problem(
            field="to", problem=str(error),
            fix=f"GET {PREFIX}/users lists the users (as an integration admin); "
                "`acgate users list` on the server")]) from None
    with answering(ref):
        identity = _identity(app, ref)
        app.review.assign(identity, who.actor, assignee.username, body.reason)
        return record_out(app, identity)


@router.post("/documents/{ref:path}/comment", responses=_RECORD_ERRORS)
def comment(ref: str, body: CommentIn, who: Commenter, app: AppDep) -> RecordOut:
    """Add a note to the record's trace."""
    with answering(ref):
        identity = _identity(app, ref)
        app.review.comment(identity, who.actor, body.text)
        return record_out(app, identity)


@router.post("/documents/{ref:path}/retry", responses=_RECORD_ERRORS)
def retry(ref: str, body: ReasonIn, who: Retrier, app: AppDep) -> RecordOut:
    """Send a failed or refused sync again, once its cause is fixed."""
    with answering(ref):
        verdict = app.review.retry(ref, who.actor, body.reason)
        return record_out(app, str(verdict.work.identity))


@router.post("/documents/{ref:path}/recheck", responses=errors(401, 403, 404, 409, 422))
def recheck(ref: str, who: Rechecker, app: AppDep) -> RecordOut:
    """Check the record again as of now (a wait may have expired, a window opened)."""
    with answering(ref):
        with app.store.transaction() as repo:
            stored = find_document(repo, ref)
            app.review.recheck_ids(repo, [stored.id], who.actor, "re-check asked for")
        return record_out(app, str(stored.identity))


def _identity(app: App, ref: str) -> str:
    """The record's source/type/id, so the action and the answer name the same record."""
    with app.store.transaction() as repo:
        return str(find_document(repo, ref).identity)

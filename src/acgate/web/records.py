"""The record page: the readiness checklist, findings with their one-click ways out, the
field-level changes between versions, the trace timeline and AutoCount's answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.checklist import blocks, unwaivable
from acgate.domain.codes import WAY_OUT, Outcome
from acgate.http.auth import Viewer, application
from acgate.service.overview import record_view
from acgate.service.review import RETRYABLE, ReviewError, UnknownDocument
from acgate.web.errors import error_page
from acgate.web.templating import render

router = APIRouter(include_in_schema=False)

@router.get("/records/{ref:path}")
def record_page(request: Request, ref: str, who: Viewer,
                app: Annotated[App, Depends(application)]) -> Response:
    try:
        view = record_view(app.store, ref)
    except UnknownDocument as error:
        return error_page(request, 404, str(error), who=who, back="/queue")
    except ReviewError as error:  # a bare id that several sources use
        return error_page(request, 409, str(error), who=who, back="/queue")
    data = view.trace.as_dict()
    outcome = view.trace.document.outcome
    standing = [f for f in view.findings if blocks(f)]
    firm = unwaivable(standing)
    context = {
        "view": view, "data": data,
        "held_or_waiting": outcome in (Outcome.HELD, Outcome.WAITING),
        # A release the service would refuse is not offered: the page says what ends these
        # instead, and which other findings a release could waive once they are gone.
        "firm": firm, "waivable": [f for f in standing if f not in firm], "way_out": WAY_OUT,
        "rejectable": outcome not in (Outcome.SYNCED, Outcome.REJECTED),
        "retryable": any(f.get("code") in RETRYABLE for f in view.trace.document.carried),
        "assignees": [u for u in app.people.users() if not u.disabled]
        if who.principal.can(Action.ASSIGN) else [],
    }
    return render(request, "record.html", context, who)

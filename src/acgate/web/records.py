"""The record page: the readiness checklist, findings with their one-click ways out, the
field-level changes between versions, the trace timeline and AutoCount's answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.codes import Outcome
from acgate.http.auth import Viewer, application
from acgate.service.overview import record_view
from acgate.service.review import RETRYABLE, ReviewError, UnknownDocument
from acgate.web.templating import render

router = APIRouter(include_in_schema=False)

@router.get("/records/{ref:path}")
def record_page(request: Request, ref: str, who: Viewer,
                app: Annotated[App, Depends(application)]) -> Response:
    try:
        view = record_view(app.store, ref)
    except UnknownDocument as error:
        return render(request, "not_found.html", {"message": str(error)}, who, status=404)
    except ReviewError as error:  # a bare id that several sources use
        return render(request, "not_found.html", {"message": str(error)}, who, status=409)
    data = view.trace.as_dict()
    outcome = view.trace.document.outcome
    context = {
        "view": view, "data": data,
        "releasable": outcome in (Outcome.HELD, Outcome.WAITING),
        "rejectable": outcome not in (Outcome.SYNCED, Outcome.REJECTED),
        "retryable": any(f.get("code") in RETRYABLE for f in view.trace.document.carried),
        "assignees": [u for u in app.people.users() if not u.disabled]
        if who.principal.can(Action.ASSIGN) else [],
    }
    return render(request, "record.html", context, who)

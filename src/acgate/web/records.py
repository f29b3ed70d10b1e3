"""The record page: the readiness checklist, findings with their one-click ways out, the
field-level changes between versions, the trace timeline and AutoCount's answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.checklist import blocks, unwaivable
from acgate.domain.codes import WAY_OUT, Code, Outcome
from acgate.domain.findings import Finding
from acgate.domain.rules import Table
from acgate.http.auth import Viewer, application
from acgate.service.overview import mapping_targets, record_view
from acgate.service.review import RETRYABLE, ReviewError, UnknownDocument
from acgate.web.errors import error_page
from acgate.web.forms import choice
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
    # A batch window that has opened since the last check no longer holds the record: a
    # release re-checks it first, so the page offers one.
    firm = [f for f in unwaivable(standing) if not _window_opened(f, app.clock())]
    open_record = outcome in (Outcome.HELD, Outcome.WAITING)
    context = {
        "view": view, "data": data,
        "held_or_waiting": open_record,
        # A release the service would refuse is not offered: the page says what ends these
        # instead, and which other findings a release could waive once they are gone.
        "firm": firm, "waivable": [f for f in standing if f not in firm], "way_out": WAY_OUT,
        "rejectable": outcome not in (Outcome.SYNCED, Outcome.REJECTED),
        "retryable": any(f.get("code") in RETRYABLE for f in view.trace.document.carried),
        "assignees": app.people.assignees()
        if who.principal.can(Action.ASSIGN) else [],
        "missing_mappings": _missing_mappings(app, view.trace.document.company, standing)
        if open_record and who.principal.can(Action.MAP) else [],
    }
    return render(request, "record.html", context, who)


def _window_opened(finding: Finding, now: dt.datetime) -> bool:
    if finding.code is not Code.SCHEDULED_BATCH or finding.expected is None:
        return False
    try:
        return dt.datetime.fromisoformat(str(finding.expected)) <= now
    except ValueError:
        return False


def _missing_mappings(app: App, company: str,
                      standing: list[Finding]) -> list[tuple[str, str, list[str]]]:
    """(table, source code, AutoCount codes to choose from) for each mapping whose absence
    holds the record: a finding with no candidate to suggest still has a way out on the page."""
    missing: dict[tuple[str, str], list[str]] = {}
    for finding in standing:
        if finding.blocker is None:
            continue
        table = choice(Table, finding.blocker[0])
        if table is None:  # a dependency, not a mapping
            continue
        key = (table.value, finding.blocker[1])
        if key not in missing:
            missing[key] = mapping_targets(app.store, app.directory, company, table)
    return [(table, source, codes) for (table, source), codes in missing.items()]

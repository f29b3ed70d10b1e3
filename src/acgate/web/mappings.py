"""The mappings editor: per company and table, the rules file's mappings, those people added, and
a form to add one (an AutoCount code from the company's master data)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.rules import Table
from acgate.http.auth import Caller, Viewer, allowed, application
from acgate.service.overview import mapping_targets
from acgate.storage.views import added_mappings
from acgate.web.actions import mapping_notice
from acgate.web.forms import choice
from acgate.web.templating import redirect, render

router = APIRouter(include_in_schema=False)


def _link(company: str, table: str) -> str:
    return "/mappings?" + urlencode({"company": company, "table": table})


@router.get("/mappings")
def mappings_page(request: Request, who: Viewer, app: Annotated[App, Depends(application)],
                  company: str = "", table: str = "") -> Response:
    companies = sorted(app.directory.rules)
    chosen = company if company in companies else (companies[0] if companies else "")
    shown = choice(Table, table) or Table.UOM
    with app.store.transaction() as repo:
        added = added_mappings(repo, chosen) if chosen else []
    rules = app.directory.rules.get(chosen)
    context = {
        "companies": companies, "company": chosen, "table": shown.value,
        "tables": [t.value for t in Table], "link": _link,
        "counts": {t.value: sum(1 for m in added if m.table == t.value) for t in Table},
        "added": [m for m in added if m.table == shown.value],
        "from_file": sorted(rules.mappings.table(shown).items()) if rules else [],
        "identity": bool(rules and shown in rules.mappings.identity),
        "targets": mapping_targets(app.store, app.directory, chosen, shown)
        if chosen and who.principal.can(Action.MANAGE_MAPPINGS) else [],
    }
    return render(request, "mappings.html", context, who)


@router.post("/mappings")
def add_mapping(app: Annotated[App, Depends(application)],
                who: Annotated[Caller, Depends(allowed(Action.MANAGE_MAPPINGS))],
                company: Annotated[str, Form()], table: Annotated[str, Form()],
                source: Annotated[str, Form()], target: Annotated[str, Form()],
                reason: Annotated[str, Form()] = "") -> Response:
    notice = mapping_notice(app, who, company, table, source, target, reason)
    return redirect(_link(company, table), notice)

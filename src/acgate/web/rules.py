"""The rules view: each company's effective rules (the rules file with people's mappings), as
`acgate rules explain` gives them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.http.auth import Viewer, application
from acgate.service.overview import effective_rules
from acgate.sources.rules_file import explain_rules, rules_as_dict
from acgate.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/rules")
def rules_page(request: Request, who: Viewer,
               app: Annotated[App, Depends(application)]) -> Response:
    companies = [{"rules": rules_as_dict(rules), "text": explain_rules(rules)}
                 for rules in effective_rules(app.store, app.directory).values()]
    return render(request, "rules.html", {"companies": companies}, who)

"""The integration log: every call acgate made to AutoCount, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.http.auth import Viewer, application
from acgate.storage.views import SyncLogFilter, count_sync_log, sync_log
from acgate.web.forms import address, page_count, page_number
from acgate.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
# What a sync attempt may come back as (the dispatcher's words).
RESULTS = ("accepted", "rejected", "failed", "unsupported", "in_doubt", "unavailable",
           "rate_limited", "paused")


@router.get("/log")
def integration_log(request: Request, who: Viewer, app: Annotated[App, Depends(application)],
                    result: str = "", company: str = "", page: str = "1") -> Response:
    # An edited address is read as the queue reads one: an unknown value is ignored, a page
    # number that is none gives the first page; never an error.
    number = page_number(page)
    result = result if result in RESULTS else ""
    company = company if company in app.directory.rules else ""
    wanted = SyncLogFilter(company=company or None, result=result or None, limit=PAGE_SIZE,
                           offset=(number - 1) * PAGE_SIZE)
    with app.store.transaction() as repo:
        attempts = sync_log(repo, wanted)
        total = count_sync_log(repo, wanted)
    pages = page_count(total, PAGE_SIZE)

    def link(to: int) -> str:
        return address("/log", {"result": result, "company": company, "page": to})

    return render(request, "log.html", {
        "attempts": attempts, "total": total, "page": number, "pages": pages, "link": link,
        "result": result, "results": RESULTS, "company": company,
        "companies": sorted(app.directory.rules)}, who)

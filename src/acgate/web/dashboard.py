"""The exception dashboard: what is held and waiting, whose it is, how old, and how records
flowed in and out over the last two weeks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.http.auth import Viewer, application
from acgate.service.overview import dashboard
from acgate.web.chart import flow_chart
from acgate.web.templating import render, zone_of

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard_page(request: Request, who: Viewer,
                   app: Annotated[App, Depends(application)]) -> Response:
    board = dashboard(app.store, app.clock(), zone_of(app))
    return render(request, "dashboard.html", {"board": board, "chart": flow_chart(board.flow)},
                  who)

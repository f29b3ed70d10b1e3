"""The pages people use (built on `acgate.http.auth`): server-rendered, htmx for partial updates,
every asset served from `web/static`, so nothing is fetched from elsewhere."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from acgate.web import (
    actions,
    dashboard,
    log,
    mappings,
    queue,
    records,
    rules,
    session,
    users,
)

STATIC = Path(__file__).parent / "static"


def register(api: FastAPI) -> None:
    """Add the pages, their form actions and their static assets to the app."""
    for module in (session, dashboard, queue, records, actions, log, mappings, rules, users):
        api.include_router(module.router)
    # Public: the login page needs its stylesheet before anyone has signed in.
    api.mount("/static", StaticFiles(directory=STATIC), name="static")

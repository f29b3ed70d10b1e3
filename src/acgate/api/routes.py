"""The REST API under /api/v1 (built on `acgate.http.auth`); its OpenAPI document is at
/api/openapi.json."""

from __future__ import annotations

from fastapi import FastAPI

from acgate.api import admin, company, holding, ingest, session
from acgate.api.errors import register_errors


def register(api: FastAPI) -> None:
    """Add the REST routes to the app."""
    register_errors(api)
    for module in (session, ingest, holding, company, admin):
        api.include_router(module.router)

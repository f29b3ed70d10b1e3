"""The pages people use (built on `acgate.http.auth`)."""

from __future__ import annotations

from fastapi import FastAPI


def register(api: FastAPI) -> None:
    """Add the pages to the app."""
    del api

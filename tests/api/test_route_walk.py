"""Every route of the app refuses a request that proves nobody: the API answers 401 and the
pages send the browser to the login page (htmx, by `HX-Redirect`, as it would otherwise swap the
login page into part of the page). Only signing in, health, the OpenAPI document and its viewer,
and static files are open; the signed ingest routes refuse a missing or wrong key or signature
with 401 like the rest."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from acgate.service.people import sign_webhook

OPEN = {
    ("GET", "/api/health"), ("GET", "/api/openapi.json"), ("GET", "/api/docs"),
    ("GET", "/docs/oauth2-redirect"), ("POST", "/api/v1/session"),
}
SIGNED_INGEST = {"/api/v1/documents", "/api/v1/documents/batch", "/api/v1/documents/file",
                 "/api/v1/webhooks/{source}"}
DUMMY = {"path": "shop/sales_order/SO-1", "int": "1"}


def _is_login(path: str) -> bool:
    return path == "/login" or path.startswith("/login/")


def _fill(path: str) -> str:
    """A path template with every parameter filled with a harmless value."""
    return re.sub(r"\{(\w+)(?::(\w+))?\}", lambda m: DUMMY.get(m[2] or "", "x"), path)


def guarded(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, template, path) of every route that must refuse an anonymous request."""
    found = []
    # Routers included in the app stay nested; this walks them down to each route.
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            continue  # static files: public by design
        path = route.path
        assert path is not None and route.methods, route
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            if (method, path) in OPEN or _is_login(path):
                continue
            found.append((method, path, _fill(path)))
    return found


def test_the_walk_covers_the_api(web: FastAPI) -> None:
    templates = {template for _, template, _ in guarded(web)}
    assert templates >= SIGNED_INGEST | {
        "/api/v1/queue", "/api/v1/documents/{ref:path}", "/api/v1/users",
        "/api/v1/source-keys", "/api/v1/mappings"}
    assert len([t for t in templates if t.startswith("/api/v1/")]) >= 20


@pytest.mark.parametrize("client_kind", ["no credentials", "forged credentials", "htmx"])
def test_every_route_refuses_an_anonymous_request(web: FastAPI, anonymous: TestClient,
                                                  client_kind: str) -> None:
    headers = {}
    if client_kind != "no credentials":
        # A cookie and a key that name nobody count for nothing.
        anonymous.cookies.set("acgate_session", "forged")
        headers = {"Authorization": "Bearer ak_000000000000.forged",
                   "X-CSRF-Token": "forged"}
    if client_kind == "htmx":
        # A page left open after its session ended.
        headers |= {"HX-Request": "true", "HX-Current-URL": "http://testserver/queue"}
    refused_wrongly = []
    for method, template, path in guarded(web):
        answer = anonymous.request(method, path, headers=headers)
        if path.startswith("/api/"):
            ok = answer.status_code == 401 and "error" in answer.json()
        elif client_kind == "htmx":
            ok = answer.status_code == 401 and "location" not in answer.headers and \
                answer.headers.get("HX-Redirect") == "/login?next=/queue"
        else:
            ok = answer.status_code in (302, 303, 307) and \
                answer.headers["location"].startswith("/login")
        if not ok:
            refused_wrongly.append(f"{method} {template}: {answer.status_code}")
    assert refused_wrongly == []


def test_the_public_routes_answer_without_signing_in(anonymous: TestClient) -> None:
    assert anonymous.get("/api/health").json()["status"] == "ok"
    assert anonymous.get("/api/openapi.json").json()["info"]["title"] == "acgate"
    assert anonymous.get("/api/docs").status_code == 200


def test_a_webhook_signed_with_no_key_of_the_source_is_refused(anonymous: TestClient) -> None:
    body = b'{"source": "shop"}'
    timestamp = "1795000000"
    answer = anonymous.post("/api/v1/webhooks/shop", content=body, headers={
        "X-Acgate-Timestamp": timestamp,
        "X-Acgate-Signature": "sha256=" + sign_webhook("guessed", timestamp, body)})
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]

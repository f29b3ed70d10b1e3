"""Who is asking, and may they: the session cookie for people, a bearer key for sources.

Every route depends on one of these; a route with neither is public, and only the login page,
health and the signed ingest are. Writes by people also need the session's CSRF token, in the
`X-CSRF-Token` header (htmx sends it on every request) or a `csrf_token` form field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from acgate.bootstrap import App
from acgate.domain.access import Action, Forbidden, Principal
from acgate.service.people import NotAuthenticated, Session
from acgate.storage.people import ApiKey

SESSION_COOKIE = "acgate_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


def application(request: Request) -> App:
    app: App = request.app.state.acgate
    return app


@dataclass(frozen=True, slots=True)
class Caller:
    """A signed-in person on this request."""

    principal: Principal
    session: Session

    @property
    def actor(self) -> str:
        return self.principal.username


async def _csrf_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def caller(request: Request, app: Annotated[App, Depends(application)]) -> Caller:
    """The signed-in person, with the CSRF check for anything that changes state."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    try:
        session = app.people.session(token)
    except NotAuthenticated:
        raise LoginRequired() from None
    if request.method not in _SAFE and not session.csrf_ok(await _csrf_token(request)):
        raise CsrfRefused(403, "the request carries no valid CSRF token; reload the page")
    return Caller(session.user.principal, session)


class CsrfRefused(HTTPException):
    """403: a change without the session's CSRF token. A page tells the person to reload; the
    API tells its client where the token is."""


class Refused(HTTPException):
    """403: the caller's role may not take `action`. The API answers only the detail; a page
    also names the action and the roles that may take it, so it keeps both."""

    def __init__(self, who: Caller, action: Action, detail: str) -> None:
        super().__init__(403, detail)
        self.who = who
        self.action = action


def allowed(action: Action) -> Callable[..., object]:
    """A dependency: the caller, if their role may take `action` (else `Refused`)."""

    async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        try:
            who.principal.require(action)
        except Forbidden as error:
            raise Refused(who, action, str(error)) from None
        return who

    return check


def source_key(request: Request, app: Annotated[App, Depends(application)]) -> ApiKey:
    """A source system, by `Authorization: Bearer <key>`."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise HTTPException(401, "send the source's API key as `Authorization: Bearer <key>`")
    try:
        return app.people.authenticate_key(presented)
    except NotAuthenticated as error:
        raise HTTPException(401, str(error)) from None


Viewer = Annotated[Caller, Depends(allowed(Action.VIEW))]

"""Signing in and out over HTTP: a server-side session in an HttpOnly cookie, and the CSRF token
every change must carry in `X-CSRF-Token`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from acgate.api.common import PREFIX, AppDep
from acgate.api.errors import ApiProblem, errors
from acgate.api.models import LoginIn, SessionOut, UserOut
from acgate.domain.access import Action
from acgate.http.auth import SESSION_COOKIE, Caller, caller
from acgate.service.people import LockedOut, NotAuthenticated
from acgate.storage.people import User

router = APIRouter(prefix=PREFIX, tags=["session"])

SignedIn = Annotated[Caller, Depends(caller)]


def user_out(user: User) -> UserOut:
    return UserOut(username=user.username, display_name=user.display_name, role=user.role,
                   disabled=user.disabled, created_at=user.created_at)


def _session_out(user: User, csrf_token: str, expires_at: dt.datetime) -> SessionOut:
    principal = user.principal
    return SessionOut(user=user_out(user), csrf_token=csrf_token, expires_at=expires_at,
                      permissions=[a for a in Action if principal.can(a)],
                      queue_owners=sorted(principal.queue_owners))


@router.post("/session", responses=errors(400, 401, 422, 429))
async def sign_in(body: LoginIn, request: Request, response: Response,
                  app: AppDep) -> SessionOut:
    """Sign in: sets the `acgate_session` cookie (HttpOnly, SameSite=Lax)."""
    try:
        # argon2 is slow on purpose; keep it off the event loop.
        started = await run_in_threadpool(app.people.log_in, body.username, body.password)
    except LockedOut as error:
        raise ApiProblem(429, str(error), fix="wait the seconds `Retry-After` gives, then sign "
                         "in with the right password",
                         headers={"Retry-After": str(error.seconds)}) from None
    except NotAuthenticated as error:
        raise ApiProblem(401, str(error), fix="check the username and password") from None
    response.set_cookie(SESSION_COOKIE, started.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    session = started.session
    return _session_out(session.user, session.csrf_token, session.expires_at)


# Signed in, with the CSRF token: another site cannot sign a person out.
@router.delete("/session", status_code=204, responses=errors(401, 403),
               dependencies=[Depends(caller)])
def sign_out(request: Request, app: AppDep) -> Response:
    """End this session on the server and drop the cookie."""
    app.people.log_out(request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", responses=errors(401))
def me(who: SignedIn) -> SessionOut:
    """Who is signed in, what they may do, and the CSRF token to send with changes."""
    session = who.session
    return _session_out(session.user, session.csrf_token, session.expires_at)

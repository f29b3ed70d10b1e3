"""Signing in and out of the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.http.auth import SESSION_COOKIE, Caller, application, caller
from acgate.service.people import LockedOut, NotAuthenticated
from acgate.web.templating import local_path, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request,
               next_page: Annotated[str, Query(alias="next")] = "/") -> Response:
    return render(request, "login.html", {"next": local_path(next_page), "username": "",
                                          "error": None}, None)


@router.post("/login")
def log_in(request: Request, app: Annotated[App, Depends(application)],
           username: Annotated[str, Form()], password: Annotated[str, Form()],
           next_page: Annotated[str, Form(alias="next")] = "/") -> Response:
    try:
        started = app.people.log_in(username, password)
    except NotAuthenticated as error:
        return _refused(request, next_page, username, error)
    response = redirect(local_path(next_page))
    # The token is the whole credential: never readable by scripts, not sent cross-site.
    response.set_cookie(SESSION_COOKIE, started.token, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


def _refused(request: Request, next_page: str, username: str,
             error: NotAuthenticated) -> Response:
    """The form again, saying why; a lock-out also says when to come back."""
    page = render(request, "login.html", {"next": local_path(next_page), "username": username,
                                          "error": str(error)}, None, status=401)
    if isinstance(error, LockedOut):
        page.status_code = 429
        page.headers["Retry-After"] = str(error.seconds)
    return page


@router.get("/logout")
def log_out_page(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    """A typed address or an old bookmark: a button to sign out, never the sign-out itself (a
    GET any other site could make would end the session). Nobody signed in is sent to sign in,
    as on every page."""
    return render(request, "logout.html", {}, who)


@router.post("/logout")
def log_out(request: Request, app: Annotated[App, Depends(application)],
            _: Annotated[Caller, Depends(caller)]) -> Response:
    app.people.log_out(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

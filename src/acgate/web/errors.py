"""Errors as the pages answer them: a page in the site's layout that says what was refused or went
wrong and the way on, or for htmx a fragment for the page's error area. (The API under /api/
answers JSON; `acgate.http.app` decides which face a request came from.)"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from acgate.domain.access import Action, Role, roles_that_may
from acgate.http.auth import Caller, Refused
from acgate.web.templating import Notice, is_fragment, keep_notice, local_path, render

# Where an htmx request's error goes: base.html has this area on every page, and its htmx
# config swaps error answers, which htmx leaves unswapped by default.
ERROR_AREA = "#htmx-error"

# What each action lets a person do, in the words of the pages.
DOING: dict[Action, str] = {
    Action.VIEW: "see acgate's pages",
    Action.ASSIGN: "assign records",
    Action.COMMENT: "comment on records",
    Action.RELEASE: "release held or waiting records",
    Action.REJECT: "reject records",
    Action.MAP: "add a mapping from a finding's suggestion",
    Action.RETRY: "retry a sync",
    Action.INGEST: "upload files",
    Action.MANAGE_RULES: "manage the companies' rules",
    Action.MANAGE_MAPPINGS: "add mappings in the mappings editor",
    Action.MANAGE_USERS: "manage users",
    Action.MANAGE_SOURCES: "manage the source systems' API keys",
}
_HEADINGS = {401: "Signed out", 403: "Not allowed", 404: "Not found", 409: "Not possible now",
             422: "Not understood", 500: "Something went wrong"}
SESSION_ENDED = "your session has ended: sign in again to go back to the page you were on"
SESSION_ENDED_AFTER_POST = "your session had ended, so nothing was changed: sign in again " \
                           "to go back to the page you were on"
# Starlette's own errors carry only the status phrase; a person needs a sentence.
_PLAIN = {404: "there is no page at this address",
          405: "this address does not take that kind of request"}


def _role_name(role: Role) -> str:
    return role.value.replace("_", " ")


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _page_of_this_site(request: Request, url: str) -> str:
    """The path and query of `url` if it is a page of this site, else the dashboard: the
    browser sends the URL, and a link elsewhere must never come of it."""
    parts = urlsplit(url)
    if parts.netloc != request.url.netloc:
        return "/"
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def _came_from(request: Request) -> str:
    """The page the person came from, if it is on this site, else the dashboard."""
    return _page_of_this_site(request, request.headers.get("referer", ""))


def _this_page(request: Request) -> str:
    """The address of the page asked for, as the browser wrote it: its query kept, and an id's
    `&`, `?` or `%` still escaped (the decoded path would name another record)."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else quote(request.url.path, safe="/")
    query = request.url.query
    return local_path(path + (f"?{query}" if query else ""))


def sign_in_again(request: Request) -> Response:
    """No valid session on a page route (never signed in, expired, revoked): the whole browser
    window goes to the login page, which brings the person back after signing in."""
    if not is_fragment(request):
        if request.method in ("GET", "HEAD"):
            response = RedirectResponse("/login?next=" + quote(_this_page(request), safe="/"),
                                        status_code=303)
        else:
            # A form's action is no page to come back to (signing in would then open it by GET,
            # which it does not take): the page the form was on is, and it says nothing was done.
            response = RedirectResponse("/login?next=" + quote(_came_from(request), safe="/"),
                                        status_code=303)
            keep_notice(response, Notice("error", SESSION_ENDED_AFTER_POST))
        return response
    # htmx's XHR would follow a redirect itself and swap the login page into the little area
    # the request was for. HX-Redirect makes htmx navigate the window instead; htmx reads it
    # before base.html's responseHandling, so the 401 is not swapped (its body, for the error
    # area, is only a fallback). `next` is the page the person is on (HX-Current-URL), not the
    # fragment's URL, which is no page to come back to.
    here = _page_of_this_site(request, request.headers.get("HX-Current-URL", ""))
    page = error_page(request, 401, "your session has ended; sign in again",
                      headers={"HX-Redirect": "/login?next=" + quote(here, safe="/")})
    # The window changes under the person's hands, and a button they pressed did nothing: the
    # login page says why.
    keep_notice(page, Notice("error", SESSION_ENDED_AFTER_POST if request.method == "POST"
                             else SESSION_ENDED))
    return page


def error_page(request: Request, status: int, message: str, *, who: Caller | None = None,
               action: Action | None = None, back: str | None = None,
               headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """The error as a page, or for htmx as a fragment retargeted to the page's error area.
    `action`: the one the caller's role may not take, so the page can say who may."""
    context = {
        "heading": _HEADINGS.get(status, HTTPStatus(status).phrase),
        "message": message,
        "may": _either([_role_name(r) for r in roles_that_may(action)]) if action else None,
        # The pages change things only by POST; a person cannot tell from an error page that
        # nothing happened, so it says so.
        "unchanged": request.method == "POST",
        "back": back or _came_from(request),
        "fragment": is_fragment(request),
    }
    if context["fragment"]:
        response = render(request, "_error.html", context, who, status=status)
        # Into the error area, and never into the address bar: the request did not happen.
        response.headers.update({"HX-Retarget": ERROR_AREA, "HX-Reswap": "innerHTML",
                                 "HX-Push-Url": "false"})
    else:
        response = render(request, "error.html", context, who, status=status)
    response.headers.update(headers or {})
    return response


def http_error_page(request: Request, error: HTTPException) -> HTMLResponse:
    """A page for an HTTP error raised on a page route."""
    if isinstance(error, Refused):
        principal = error.who.principal
        return error_page(request, 403, f"{principal.username} ({_role_name(principal.role)}) "
                                        f"may not {DOING[error.action]}",
                          who=error.who, action=error.action)
    detail = str(error.detail)
    if detail == HTTPStatus(error.status_code).phrase:
        detail = _PLAIN.get(error.status_code, detail)
    return error_page(request, error.status_code, detail, headers=error.headers)

"""Rendering pages: one autoescaping Jinja2 environment, what every page's template may use, and
the one-line notice that follows a form's redirect."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.codes import MEANING
from acgate.http.auth import Caller

TEMPLATES = Path(__file__).parent / "templates"
NOTICE_COOKIE = "acgate_notice"
# Pages load nothing but what acgate serves itself: no CDN, no inline script, no framing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Notice:
    """What the last action did ("ok") or why it could not ("error")."""

    kind: str
    text: str


def zone_of(app: App) -> ZoneInfo:
    """Times are shown in the companies' time zone when they share one, else in UTC."""
    zones = {rules.timezone for rules in app.directory.rules.values()}
    return ZoneInfo(zones.pop()) if len(zones) == 1 else UTC


def record_url(ref: object) -> str:
    """The record page of `source/type/id` (an id may hold any character, slashes included)."""
    return "/records/" + quote(str(ref), safe="/")


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: a `next` or `back` field must
    never send a person to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


@pass_context
def _stamp(context: Context, value: dt.datetime | str | None) -> str:
    if value is None:
        return "-"
    instant = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    zone: ZoneInfo = context["zone"]
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _age(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d {hours % 24}h"


def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(stamp=_stamp, age=_age, record_url=record_url)
    environment.globals.update(Action=Action,
                               MEANING={code.value: text for code, text in MEANING.items()})
    return environment


ENVIRONMENT = _environment()


def _notice(request: Request) -> Notice | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(unquote(raw))
        return Notice(str(data["kind"]), str(data["text"]))
    except (ValueError, KeyError, TypeError):
        return None


def render(request: Request, template: str, context: dict[str, Any], who: Caller | None,
           status: int = 200) -> HTMLResponse:
    """A page (or, for htmx, a fragment) from `template`, for the signed-in `who`."""
    app: App = request.app.state.acgate
    notice = _notice(request)
    shared = {
        "request": request, "me": who.principal if who else None,
        "csrf": who.session.csrf_token if who else "",
        "can": (lambda action: who.principal.can(action)) if who else (lambda action: False),
        "notice": notice, "path": request.url.path, "zone": zone_of(app), "now": app.clock(),
    }
    html = ENVIRONMENT.get_template(template).render({**shared, **context})
    response = HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-store", "Vary": "HX-Request",
        "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"})
    if notice is not None:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def redirect(target: str, notice: Notice | None = None) -> RedirectResponse:
    """See other (303) after a form, with the notice the next page shows once."""
    response = RedirectResponse(target, status_code=303)
    if notice is not None:
        keep_notice(response, notice)
    return response


def keep_notice(response: Response, notice: Notice) -> None:
    """The next page the browser opens shows `notice` once."""
    value = quote(json.dumps({"kind": notice.kind, "text": notice.text[:1500]}))
    response.set_cookie(NOTICE_COOKIE, value, max_age=120, path="/", httponly=True,
                        samesite="lax")


def is_fragment(request: Request) -> bool:
    """An htmx request that swaps part of the page (a history restore wants the whole page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")

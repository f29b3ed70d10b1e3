"""The users page: who may sign in, with which role, and who is locked out; an integration
admin adds people, changes their role, disables them and lifts a lock-out (the same use cases as
`acgate users`), and reads the access log: who signed in, who was locked out, who changed whose
role."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action, Role
from acgate.http.auth import Caller, allowed, application
from acgate.service.people import AccessKind, PeopleError
from acgate.storage.people import AccessLogFilter
from acgate.web.forms import address, choice, page_count, page_number
from acgate.web.templating import Notice, is_fragment, redirect, render

router = APIRouter(prefix="/users", include_in_schema=False)

Application = Annotated[App, Depends(application)]
Admin = Annotated[Caller, Depends(allowed(Action.MANAGE_USERS))]
Username = Annotated[str, Form()]

ACCESS_LOG_PAGE = 50
# The access log's kinds as its filter offers them, in the words its entries use.
ACCESS_KIND_LABELS: Mapping[AccessKind, str] = {
    AccessKind.LOGGED_IN: "signed in", AccessKind.LOGGED_OUT: "signed out",
    AccessKind.LOCKED_OUT: "locked out", AccessKind.LOGIN_REFUSED: "sign-in refused",
    AccessKind.USER_ADDED: "user added", AccessKind.ROLE_CHANGED: "role changed",
    AccessKind.USER_DISABLED: "user disabled", AccessKind.USER_ENABLED: "user enabled",
    AccessKind.PASSWORD_CHANGED: "password changed",
    AccessKind.LOCKOUT_LIFTED: "lock-out lifted",
    AccessKind.SESSIONS_ENDED: "signed out everywhere",
    AccessKind.API_KEY_CREATED: "API key issued", AccessKind.API_KEY_REVOKED: "API key revoked",
}


@dataclass(frozen=True, slots=True)
class AccessLogQuery:
    """The access log's filter as the users page's form and links spell it; an unknown kind is
    ignored, so an edited address shows the whole log rather than an error."""

    user: str = ""
    kind: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AccessLogQuery:
        kind = params.get("kind", "").strip()
        # Usernames are kept casefolded; the one typed into the filter may not be. No username
        # holds a NUL, and PostgreSQL refuses one in a text parameter.
        user = params.get("user", "").replace("\x00", "").strip().casefold()[:64]
        return cls(user=user, kind=kind if choice(AccessKind, kind) else "",
                   page=page_number(params.get("page", "1")))

    def access_log_filter(self) -> AccessLogFilter:
        return AccessLogFilter(username=self.user or None, kind=self.kind or None,
                               limit=ACCESS_LOG_PAGE, offset=(self.page - 1) * ACCESS_LOG_PAGE)

    def link(self, **changes: str | int) -> str:
        """The users page's address with this filter, changed as given."""
        return address("/users", {"user": self.user, "kind": self.kind, "page": self.page,
                                  **changes})


def _done(change: Callable[[], object], success: str) -> Response:
    try:
        change()
    except PeopleError as error:
        return redirect("/users", Notice("error", str(error)))
    return redirect("/users", Notice("ok", success))


@router.get("")
def users_page(request: Request, who: Admin, app: Application) -> Response:
    query = AccessLogQuery.from_params(request.query_params)
    log = app.people.access_log(query.access_log_filter())
    context = {"query": query, "log": log, "pages": page_count(log.total, ACCESS_LOG_PAGE)}
    if is_fragment(request):
        return render(request, "access_log.html", context, who)
    return render(request, "users.html", {
        **context, "users": app.people.users(), "roles": [r.value for r in Role],
        "lockouts": app.people.lockouts(), "kinds": ACCESS_KIND_LABELS}, who)


@router.post("/add")
def add_user(app: Application, who: Admin, username: Username,
             role: Annotated[str, Form()], password: Annotated[str, Form()],
             display_name: Annotated[str, Form()] = "") -> Response:
    chosen = choice(Role, role)
    if chosen is None:
        return redirect("/users", Notice("error", f"{role!r} is not a role"))
    return _done(lambda: app.people.add_user(username, chosen, password, who.actor,
                                             display_name),
                 f"{username.strip().casefold()} added as {role}")


@router.post("/role")
def change_role(app: Application, who: Admin, username: Username,
                role: Annotated[str, Form()]) -> Response:
    chosen = choice(Role, role)
    if chosen is None:
        return redirect("/users", Notice("error", f"{role!r} is not a role"))
    return _done(lambda: app.people.set_role(username, chosen, who.actor),
                 f"{username} is now {role}; their open sessions ended")


@router.post("/disable")
def disable(app: Application, who: Admin, username: Username) -> Response:
    return _done(lambda: app.people.disable(username, who.actor),
                 f"{username} disabled; their open sessions ended")


@router.post("/enable")
def enable(app: Application, who: Admin, username: Username) -> Response:
    return _done(lambda: app.people.enable(username, who.actor), f"{username} enabled")


@router.post("/unlock")
def unlock(app: Application, who: Admin, username: Username,
           reason: Annotated[str, Form()] = "") -> Response:
    # A blank reason reaches the use case, whose refusal says what is missing.
    return _done(lambda: app.people.unlock(username, who.actor, reason),
                 f"{username} may sign in again: the lock-out is lifted")

"""The users page: who may sign in, with which role; an integration admin adds people, changes
their role and disables them (the same use cases as `acgate users`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action, Role
from acgate.http.auth import Caller, allowed, application
from acgate.service.people import PeopleError
from acgate.web.forms import choice
from acgate.web.templating import Notice, redirect, render

router = APIRouter(prefix="/users", include_in_schema=False)

Application = Annotated[App, Depends(application)]
Admin = Annotated[Caller, Depends(allowed(Action.MANAGE_USERS))]
Username = Annotated[str, Form()]


def _done(change: Callable[[], object], success: str) -> Response:
    try:
        change()
    except PeopleError as error:
        return redirect("/users", Notice("error", str(error)))
    return redirect("/users", Notice("ok", success))


@router.get("")
def users_page(request: Request, who: Admin, app: Application) -> Response:
    return render(request, "users.html", {"users": app.people.users(),
                                          "roles": [r.value for r in Role]}, who)


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

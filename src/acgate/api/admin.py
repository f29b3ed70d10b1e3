"""Users, the access log and source API keys over HTTP, for the integration admin (as
`acgate users` and `acgate sources` on the server, and the users page)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from acgate.api.common import PREFIX, AppDep
from acgate.api.errors import ApiProblem, answering, errors
from acgate.api.models import (
    AccessLogEntryOut,
    AccessLogOut,
    KeyIn,
    KeyOut,
    ManagedUserOut,
    NewKeyOut,
    ReasonIn,
    RoleIn,
    UserIn,
)
from acgate.api.session import user_out
from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.http.auth import Caller, allowed
from acgate.service.people import AccessKind, AccessLogEntry, PeopleError
from acgate.storage.people import AccessLogFilter, ApiKey, User, api_key_by_id

router = APIRouter(prefix=PREFIX, tags=["users and sources"])

UserAdmin = Annotated[Caller, Depends(allowed(Action.MANAGE_USERS))]
SourceAdmin = Annotated[Caller, Depends(allowed(Action.MANAGE_SOURCES))]
Username = Annotated[str, Path(max_length=64)]


def _existing(app: App, username: str) -> User:
    try:
        return app.people.user(username)
    except PeopleError as error:
        raise ApiProblem(404, str(error), record=username) from None


def managed_out(user: User, locked_until: dt.datetime | None) -> ManagedUserOut:
    return ManagedUserOut(**dict(user_out(user)), locked_until=locked_until)


def _answer(app: App, user: User) -> ManagedUserOut:
    """A user after a change, with their lock-out as it stands now: a name can be locked out
    before it is a user's, and no change but lifting it ends one."""
    return managed_out(user, app.people.locked_until(user.username))


@router.get("/users", dependencies=[Depends(allowed(Action.MANAGE_USERS))],
            responses=errors(401, 403))
def users(app: AppDep) -> list[ManagedUserOut]:
    """Everyone who may sign in, and who may no longer; who is locked out now, until when."""
    lockouts = app.people.lockouts()
    return [managed_out(user, lockouts.get(user.username)) for user in app.people.users()]


@router.post("/users", status_code=201, responses=errors(400, 401, 403, 409, 422))
def add_user(body: UserIn, who: UserAdmin, app: AppDep) -> ManagedUserOut:
    """Add a person who may sign in."""
    name = body.username.casefold()
    try:
        app.people.user(name)
    except PeopleError:
        pass  # nobody has the name: the one answer that lets us go on
    else:
        raise ApiProblem(409, f"there is already a user {name!r}", record=name,
                         fix=f"change their role with PUT {PREFIX}/users/{name}/role")
    with answering(name, refused=422):
        added = app.people.add_user(name, body.role, body.password, who.actor,
                                    body.display_name)
    return _answer(app, added)


@router.put("/users/{username}/role", responses=errors(400, 401, 403, 404, 409, 422))
def set_role(username: Username, body: RoleIn, who: UserAdmin,
             app: AppDep) -> ManagedUserOut:
    """Give a user another role; their open sessions end so it applies at once."""
    user = _existing(app, username)
    with answering(user.username):
        changed = app.people.set_role(user.username, body.role, who.actor)
    return _answer(app, changed)


@router.post("/users/{username}/disable", responses=errors(401, 403, 404, 409, 422))
def disable_user(username: Username, who: UserAdmin, app: AppDep) -> ManagedUserOut:
    """Stop a user signing in; their open sessions end."""
    user = _existing(app, username)
    with answering(user.username):
        changed = app.people.disable(user.username, who.actor)
    return _answer(app, changed)


@router.post("/users/{username}/enable", responses=errors(401, 403, 404, 409, 422))
def enable_user(username: Username, who: UserAdmin, app: AppDep) -> ManagedUserOut:
    """Let a disabled user sign in again."""
    user = _existing(app, username)
    with answering(user.username):
        changed = app.people.enable(user.username, who.actor)
    return _answer(app, changed)


@router.post("/users/{username}/unlock", responses=errors(400, 401, 403, 404, 409, 422))
def unlock_user(username: Username, body: ReasonIn, who: UserAdmin,
                app: AppDep) -> ManagedUserOut:
    """Lift a running lock-out after failed sign-ins, with the reason, for the access log: the
    user may sign in at once with the password they have (setting a new one lifts it too)."""
    user = _existing(app, username)
    with answering(user.username):
        changed = app.people.unlock(user.username, who.actor, body.reason)
    return _answer(app, changed)


def access_log_entry_out(entry: AccessLogEntry) -> AccessLogEntryOut:
    return AccessLogEntryOut(at=entry.at, actor=entry.actor, kind=entry.kind, what=entry.what,
                             username=entry.username, lockout=entry.lockout,
                             reason=entry.reason, data=entry.data)


@router.get("/access-log", dependencies=[Depends(allowed(Action.MANAGE_USERS))],
            responses=errors(401, 403, 422))
def access_log(
    app: AppDep,
    # No NUL: PostgreSQL refuses it in a text parameter, and no username holds one.
    user: Annotated[str | None, Query(
        max_length=64, pattern=r"^[^\x00]*$",
        description="Only what this username did or had done to it.")] = None,
    kind: AccessKind | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> AccessLogOut:
    """The access log, newest first: sign-ins and sign-outs, lock-outs and the sign-ins they
    refused, and every change to users and source keys, with who made it."""
    log = app.people.access_log(AccessLogFilter(
        username=user.strip().casefold() if user else None, kind=kind.value if kind else None,
        limit=limit, offset=offset))
    return AccessLogOut(total=log.total, limit=limit, offset=offset,
                        rows=[access_log_entry_out(entry) for entry in log.entries])


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(key_id=key.key_id, source=key.source, created_by=key.created_by,
                  created_at=key.created_at, revoked_at=key.revoked_at,
                  last_used_at=key.last_used_at, active=key.active)


@router.get("/source-keys", dependencies=[Depends(allowed(Action.MANAGE_SOURCES))],
            responses=errors(401, 403, 422))
def source_keys(app: AppDep,
                source: Annotated[str | None, Query(max_length=128)] = None) -> list[KeyOut]:
    """Every source API key by its id (never the key), revoked ones too."""
    return [key_out(key) for key in app.people.keys(source)]


@router.post("/source-keys", status_code=201, responses=errors(400, 401, 403, 422))
def add_source_key(body: KeyIn, who: SourceAdmin, app: AppDep) -> NewKeyOut:
    """A new API key for a source system. The secret is in this answer and nowhere else."""
    with answering(body.source, refused=422):
        made = app.people.add_key(body.source, who.actor)
    return NewKeyOut(key=key_out(made.key), secret=made.secret,
                     signing_secret=made.signing_secret)


@router.delete("/source-keys/{key_id}", responses=errors(401, 403, 404, 409, 422))
def revoke_source_key(key_id: Annotated[str, Path(max_length=64)], who: SourceAdmin,
                      app: AppDep) -> KeyOut:
    """Refuse a key from now on."""
    with app.store.transaction() as repo:
        found = api_key_by_id(repo, key_id.strip())
    if found is None:
        raise ApiProblem(404, f"no API key {key_id!r}", record=key_id,
                         fix=f"GET {PREFIX}/source-keys lists them")
    with answering(key_id):
        return key_out(app.people.revoke_key(key_id, who.actor))

"""`acgate users` and `acgate sources`: who signs in with which role, and the source systems'
API keys. Whoever runs these on the server is trusted, as with every other command."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from acgate.cli.app import (
    Actor,
    AsJson,
    Reason,
    Workspace,
    actor_name,
    app,
    console,
    emit_json,
    fail,
    opened,
)
from acgate.domain.access import Role
from acgate.service.people import PeopleError

users_app = typer.Typer(no_args_is_help=True,
                        help="People who sign in to the web pages and the REST API.")
sources_app = typer.Typer(no_args_is_help=True,
                          help="Source systems' API keys (REST API and signed webhooks).")
app.add_typer(users_app, name="users")
app.add_typer(sources_app, name="sources")

Username = Annotated[str, typer.Argument(help="Login name, e.g. mei.ling.")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input.")]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(username: Username,
              role: Annotated[Role, typer.Option(help="What they may do.")],
              display_name: Annotated[str | None, typer.Option(
                  help="Name shown on the pages (default: the username).")] = None,
              password_stdin: PasswordStdin = False, workspace: Workspace = None,
              actor: Actor = None) -> None:
    """Add a person who may sign in (asks for the password twice)."""
    application = opened(workspace)
    password = _read_password(password_stdin)
    try:
        user = application.people.add_user(username, role, password, actor_name(actor),
                                           display_name)
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"user {user.username} added as {user.role.value}")


@users_app.command("role")
def users_role(username: Username,
               role: Annotated[Role, typer.Argument(help="Their new role.")],
               workspace: Workspace = None, actor: Actor = None) -> None:
    """Give a user another role (their open sessions end)."""
    application = opened(workspace)
    try:
        user = application.people.set_role(username, role, actor_name(actor))
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"{user.username} is now {user.role.value}")


@users_app.command("disable")
def users_disable(username: Username, workspace: Workspace = None,
                  actor: Actor = None) -> None:
    """Stop a user signing in; their open sessions end."""
    application = opened(workspace)
    try:
        user = application.people.disable(username, actor_name(actor))
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"{user.username} disabled")


@users_app.command("enable")
def users_enable(username: Username, workspace: Workspace = None,
                 actor: Actor = None) -> None:
    """Let a disabled user sign in again."""
    application = opened(workspace)
    try:
        user = application.people.enable(username, actor_name(actor))
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"{user.username} enabled")


@users_app.command("password")
def users_password(username: Username, password_stdin: PasswordStdin = False,
                   workspace: Workspace = None, actor: Actor = None) -> None:
    """Set a user's password (asks twice); their open sessions end."""
    application = opened(workspace)
    password = _read_password(password_stdin)
    try:
        application.people.change_password(username, password, actor_name(actor))
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"password of {username} changed")


@users_app.command("unlock")
def users_unlock(username: Username, reason: Reason, workspace: Workspace = None,
                 actor: Actor = None) -> None:
    """Lift a lock-out after failed sign-ins, with your reason: they may sign in at once."""
    application = opened(workspace)
    try:
        user = application.people.unlock(username, actor_name(actor), reason)
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"{user.username} may sign in again: the lock-out is lifted")


@users_app.command("list")
def users_list(workspace: Workspace = None, as_json: AsJson = False) -> None:
    """Everyone who may sign in, and who may no longer; who is locked out now, until when."""
    application = opened(workspace)
    lockouts = application.people.lockouts()
    found = [(user, lockouts.get(user.username)) for user in application.people.users()]
    if as_json:
        emit_json([{**user.as_dict(), "locked_until": until.isoformat() if until else None}
                   for user, until in found])
        return
    table = Table(title=f"{len(found)} users")
    for column in ("username", "name", "role", "status", "added"):
        table.add_column(column)
    for user, until in found:
        status = "disabled" if user.disabled else "active"
        if until is not None:
            status += f", locked out until {until.isoformat(timespec='minutes')}"
        table.add_row(user.username, user.display_name, user.role.value, status,
                      user.created_at.date().isoformat())
    console.print(table)


@sources_app.command("add-key")
def sources_add_key(source: Annotated[str, typer.Argument(
                        help="The `source` the system's documents carry.")],
                    workspace: Workspace = None, actor: Actor = None) -> None:
    """Make an API key for a source system; it is printed once and never again."""
    application = opened(workspace)
    try:
        made = application.people.add_key(source, actor_name(actor))
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"API key {made.key.key_id} for {made.key.source} (shown only now; acgate "
                  "keeps only its hash):", highlight=False)
    # Plain prints, so that a pipe or a copy takes exactly the secret.
    print(f"key: {made.secret}")
    print(f"webhook signing secret: {made.signing_secret}")


@sources_app.command("list-keys")
def sources_list_keys(source: Annotated[str | None, typer.Option(
                          help="Only this source's keys.")] = None,
                      workspace: Workspace = None, as_json: AsJson = False) -> None:
    """Every source API key by its id (never the key), revoked ones too."""
    application = opened(workspace)
    found = application.people.keys(source)
    if as_json:
        emit_json([key.as_dict() for key in found])
        return
    table = Table(title=f"{len(found)} API keys")
    for column in ("key id", "source", "status", "created", "by", "last used"):
        table.add_column(column)
    for key in found:
        table.add_row(key.key_id, key.source, "active" if key.active else "revoked",
                      key.created_at.isoformat(timespec="minutes"), key.created_by,
                      key.last_used_at.isoformat(timespec="minutes") if key.last_used_at
                      else "never")
    console.print(table)


@sources_app.command("revoke-key")
def sources_revoke_key(key_id: Annotated[str, typer.Argument(help="As list-keys shows it.")],
                       workspace: Workspace = None, actor: Actor = None) -> None:
    """Refuse a source API key from now on."""
    application = opened(workspace)
    try:
        key = application.people.revoke_key(key_id, actor_name(actor))
    except PeopleError as error:
        raise fail(str(error)) from None
    console.print(f"API key {key.key_id} for {key.source} revoked")

"""People and sources: users and roles, sign-in and sessions, CSRF, source API keys and signed
webhooks; each change an event naming who made it; the `acgate users` and `sources` commands."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner, Result

from acgate.bootstrap import App
from acgate.cli.app import full_app
from acgate.domain.access import Role
from acgate.service.people import (
    FAILURES_FORGOTTEN,
    LOCKOUT,
    MAX_FAILURES,
    LockedOut,
    NotAuthenticated,
    People,
    PeopleError,
    WebhookProblem,
    WebhookRefused,
    sign_webhook,
)
from acgate.storage import tables
from acgate.storage.database import open_database
from acgate.storage.people import AccessLogFilter
from acgate.storage.store import Store

from .support import Cli, Clock

PASSWORD = "correct horse battery"


class CountingHasher(PasswordHasher):
    """argon2 with cheap parameters (the tests sign in often), counting verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0
        # Runs once, in the middle of the next verification: another login arriving meanwhile.
        self.meanwhile: Callable[[], None] | None = None

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def people(app: App, hasher: CountingHasher) -> People:
    """The app's people service on a cheap password hasher."""
    return People(app.store, app.clock, hasher=hasher)


PEOPLE_KINDS = ("user_added", "role_changed", "user_disabled", "user_enabled",
                "password_changed", "sessions_ended", "logged_in", "logged_out",
                "api_key_created", "api_key_revoked", "locked_out", "login_refused",
                "lockout_lifted")


def people_events(app: App) -> list[tuple[str, str]]:
    """(kind, actor) of every event about people and sources, oldest first."""
    with app.store.transaction() as repo:
        rows = repo.connection.execute(select(tables.events).where(
            tables.events.c.document_id.is_(None), tables.events.c.kind.in_(PEOPLE_KINDS),
        ).order_by(tables.events.c.id))
        return [(row.kind, row.actor) for row in rows]


def last_event(app: App) -> Any:
    with app.store.transaction() as repo:
        return repo.connection.execute(
            select(tables.events).order_by(tables.events.c.id.desc())).first()


def database_text(app: App) -> str:
    """Every row of every table, as text."""
    with app.store.transaction() as repo:
        return "\n".join(repr(row) for table in tables.metadata.sorted_tables
                         for row in repo.connection.execute(select(table)))


# ---- users and signing in ---------------------------------------------------------------------

def test_a_user_signs_in_and_the_session_names_them(people: People) -> None:
    people.add_user("Mei.Ling", Role.ACCOUNTS, PASSWORD, "admin", display_name="Mei Ling")

    started = people.log_in("mei.ling", PASSWORD)
    session = people.session(started.token)

    assert session.user.username == "mei.ling"
    assert session.user.display_name == "Mei Ling"
    assert session.user.principal.role is Role.ACCOUNTS
    assert session.csrf_token == started.session.csrf_token


def test_a_wrong_password_or_an_unknown_name_is_refused_alike(
        people: People, hasher: CountingHasher) -> None:
    people.add_user("mei.ling", Role.ACCOUNTS, PASSWORD, "admin")

    with pytest.raises(NotAuthenticated, match="wrong username or password"):
        people.log_in("mei.ling", "not the password")
    with pytest.raises(NotAuthenticated, match="wrong username or password"):
        people.log_in("nobody", PASSWORD)

    # An unknown name is checked against a hash all the same, so it takes as long.
    assert hasher.verified == 2


# ---- failed logins ----------------------------------------------------------------------------

WRONG = "not the password"


def fail_in_a_row(people: People, username: str, times: int) -> None:
    """`times` wrong passwords, each refused as wrong (none locks the name out)."""
    for _ in range(times):
        with pytest.raises(NotAuthenticated, match="wrong username or password"):
            people.log_in(username, WRONG)


def test_the_last_failure_allowed_locks_the_name_out_until_the_lockout_ends(
        people: People, clock: Clock) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)

    with pytest.raises(LockedOut, match="try again in 15 minutes") as locked:
        people.log_in("ahmad", WRONG)
    assert locked.value.seconds == LOCKOUT.total_seconds()
    clock.advance(LOCKOUT - dt.timedelta(seconds=90))
    with pytest.raises(LockedOut, match="try again in 2 minutes") as refused:
        people.log_in("Ahmad ", PASSWORD)
    assert refused.value.seconds == 90

    clock.advance(dt.timedelta(seconds=90))
    assert people.log_in("ahmad", PASSWORD).session.user.username == "ahmad"


def test_an_admin_setting_a_new_password_lifts_a_lockout(people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)
    with pytest.raises(LockedOut):
        people.log_in("ahmad", WRONG)

    people.change_password("ahmad", "a-new-passphrase-42", "admin")

    assert people.log_in("ahmad", "a-new-passphrase-42").session.user.username == "ahmad"


def test_an_admin_lifting_a_lockout_lets_the_old_password_in_at_once(
        app: App, people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)
    with pytest.raises(LockedOut):
        people.log_in("ahmad", WRONG)
    with pytest.raises(PeopleError, match="needs a reason"):
        people.unlock("ahmad", "admin", " ")

    people.unlock("Ahmad", "admin", "locked himself out, checked by phone")

    assert people.locked_until("ahmad") is None
    assert people.log_in("ahmad", PASSWORD).session.user.username == "ahmad"
    lifted = people.access_log(AccessLogFilter(kind="lockout_lifted")).entries
    assert [(e.actor, e.username, e.reason) for e in lifted] == [
        ("admin", "ahmad", "lock-out of ahmad lifted: locked himself out, checked by phone")]
    with pytest.raises(PeopleError, match="ahmad is not locked out"):
        people.unlock("ahmad", "admin", "again")
    # The failures before the lock-out are spent: a full row of them is allowed again.
    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)


def test_failures_are_forgotten_after_a_quarter_hour_without_one(people: People,
                                                                 clock: Clock) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)

    clock.advance(FAILURES_FORGOTTEN + dt.timedelta(seconds=1))

    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)
    people.log_in("ahmad", PASSWORD)


def test_failures_count_for_every_process_on_the_database(app: App, people: People,
                                                          hasher: CountingHasher,
                                                          clock: Clock) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    engine = open_database(app.store.engine.url.render_as_string(hide_password=False))
    other = People(Store(engine), clock, hasher=hasher)
    try:
        for process in [people, other] * (MAX_FAILURES // 2) + [people] * (MAX_FAILURES % 2):
            with pytest.raises(NotAuthenticated):
                process.log_in("ahmad", WRONG)

        with pytest.raises(LockedOut):
            other.log_in("ahmad", PASSWORD)
        clock.advance(LOCKOUT)
        other.log_in("ahmad", PASSWORD)
    finally:
        engine.dispose()


def test_guesses_sent_at_once_get_no_more_tries_than_one_after_another(
        people: People, hasher: CountingHasher) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)
    raced: list[NotAuthenticated] = []

    def another_guess() -> None:
        with pytest.raises(LockedOut) as refused:
            people.log_in("ahmad", PASSWORD)
        raced.append(refused.value)

    hasher.meanwhile = another_guess
    with pytest.raises(LockedOut):
        people.log_in("ahmad", WRONG)

    assert len(raced) == 1
    # The guess that arrived while the last one allowed was checked never had its password tried.
    assert hasher.verified == MAX_FAILURES


def test_a_lockout_and_each_login_it_refuses_are_events(app: App, people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    before = people_events(app)

    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)
    for password in (WRONG, PASSWORD, PASSWORD):
        with pytest.raises(LockedOut):
            people.log_in("ahmad", password)

    assert people_events(app) == [*before, ("locked_out", "ahmad"), ("login_refused", "ahmad"),
                                  ("login_refused", "ahmad")]
    with app.store.transaction() as repo:
        locked = repo.connection.execute(select(tables.events).where(
            tables.events.c.kind == "locked_out")).one()
    assert locked.reason == f"ahmad locked out for 15 minutes after {MAX_FAILURES} failed " \
                           "sign-ins in a row"
    assert locked.data["username"] == "ahmad"
    assert locked.data["failures"] == MAX_FAILURES
    assert dt.datetime.fromisoformat(locked.data["until"]) == locked.at + LOCKOUT


@pytest.mark.parametrize("username", ["nobody", "x" * 200])
def test_a_name_no_user_has_is_locked_out_alike(app: App, people: People,
                                                username: str) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, username, MAX_FAILURES - 1)

    with pytest.raises(LockedOut, match="try again in 15 minutes"):
        people.log_in(username, WRONG)
    with pytest.raises(LockedOut, match="try again in 15 minutes"):
        people.log_in(username, PASSWORD)

    assert people_events(app)[-2:] == [("locked_out", username[:64]),
                                       ("login_refused", username[:64])]
    people.log_in("ahmad", PASSWORD)


def test_failed_logins_are_kept_only_while_they_count(app: App, people: People,
                                                      clock: Clock) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, "nobody", 1)
    fail_in_a_row(people, "ahmad", 1)
    people.log_in("ahmad", PASSWORD)
    fail_in_a_row(people, "someone", MAX_FAILURES - 1)
    with pytest.raises(LockedOut):
        people.log_in("someone", WRONG)

    def kept() -> list[str]:
        with app.store.transaction() as repo:
            return sorted(repo.connection.execute(
                select(tables.login_failures.c.username)).scalars())

    assert kept() == ["nobody", "someone"]
    clock.advance(max(FAILURES_FORGOTTEN, LOCKOUT) + dt.timedelta(seconds=1))
    fail_in_a_row(people, "anybody", 1)
    assert kept() == ["anybody"]


def test_passwords_are_stored_as_argon2id_hashes(app: App) -> None:
    app.people.add_user("mei.ling", Role.ACCOUNTS, PASSWORD, "admin")

    with app.store.transaction() as repo:
        stored = repo.connection.execute(select(tables.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in database_text(app)
    assert app.people.authenticate("mei.ling", PASSWORD).username == "mei.ling"


@pytest.mark.parametrize(("username", "password", "problem"), [
    ("mei ling", PASSWORD, "not a username"),
    ("mei.ling", "short", "at least 10 characters"),
])
def test_a_user_needs_a_proper_name_and_password(people: People, username: str, password: str,
                                                 problem: str) -> None:
    with pytest.raises(PeopleError, match=problem):
        people.add_user(username, Role.VIEWER, password, "admin")


def test_a_name_is_taken_once(people: People) -> None:
    people.add_user("mei.ling", Role.ACCOUNTS, PASSWORD, "admin")

    with pytest.raises(PeopleError, match="already a user"):
        people.add_user("MEI.LING", Role.VIEWER, PASSWORD, "admin")


def test_a_disabled_user_cannot_sign_in_and_their_sessions_end(app: App,
                                                               people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    token = people.log_in("ahmad", PASSWORD).token

    people.disable("ahmad", "admin")

    with pytest.raises(NotAuthenticated):
        people.session(token)
    with pytest.raises(NotAuthenticated):
        people.log_in("ahmad", PASSWORD)
    assert last_event(app).data == {"username": "ahmad", "sessions_ended": 1}

    people.enable("ahmad", "admin")
    assert people.session(people.log_in("ahmad", PASSWORD).token).user.username == "ahmad"


def test_a_new_role_ends_open_sessions_and_applies_at_once(people: People) -> None:
    people.add_user("ahmad", Role.VIEWER, PASSWORD, "admin")
    old = people.log_in("ahmad", PASSWORD).token

    user = people.set_role("ahmad", Role.OPERATIONS, "admin")

    assert user.role is Role.OPERATIONS
    with pytest.raises(NotAuthenticated):
        people.session(old)
    assert people.session(people.log_in("ahmad", PASSWORD).token).user.role is Role.OPERATIONS


def test_a_new_password_replaces_the_old_and_ends_sessions(people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    old = people.log_in("ahmad", PASSWORD).token

    people.change_password("ahmad", "a brand new password", "ahmad")

    with pytest.raises(NotAuthenticated):
        people.session(old)
    with pytest.raises(NotAuthenticated):
        people.log_in("ahmad", PASSWORD)
    people.log_in("ahmad", "a brand new password")


def test_the_last_integration_admin_stays(people: People) -> None:
    people.add_user("root", Role.INTEGRATION_ADMIN, PASSWORD, "setup")

    with pytest.raises(PeopleError, match="last integration admin"):
        people.disable("root", "root")
    with pytest.raises(PeopleError, match="last integration admin"):
        people.set_role("root", Role.VIEWER, "root")

    people.add_user("second", Role.INTEGRATION_ADMIN, PASSWORD, "root")
    assert people.disable("root", "second").disabled


# ---- sessions ---------------------------------------------------------------------------------

def test_a_session_slides_while_used_and_ends_when_idle(people: People, clock: Clock) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    token = people.log_in("ahmad", PASSWORD).token

    for _ in range(3):
        clock.advance(dt.timedelta(hours=1, minutes=30))
        assert people.session(token).expires_at == clock() + dt.timedelta(hours=2)

    clock.advance(dt.timedelta(hours=2, seconds=1))
    with pytest.raises(NotAuthenticated):
        people.session(token)


def test_a_session_ends_at_its_lifetime_however_busy(people: People, clock: Clock) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    start = clock()
    token = people.log_in("ahmad", PASSWORD).token

    while clock() < start + dt.timedelta(hours=11):
        clock.advance(dt.timedelta(minutes=50))
        people.session(token)
    assert people.session(token).expires_at == start + dt.timedelta(hours=12)

    clock.advance(start + dt.timedelta(hours=12) - clock())
    with pytest.raises(NotAuthenticated):
        people.session(token)


def test_signing_out_ends_the_session(people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    token = people.log_in("ahmad", PASSWORD).token

    people.log_out(token)

    with pytest.raises(NotAuthenticated):
        people.session(token)
    people.log_out(token)  # once more: nothing to do


def test_an_unknown_token_is_no_session(people: People) -> None:
    with pytest.raises(NotAuthenticated):
        people.session("made-up")


def test_only_a_hash_of_the_session_token_is_stored(app: App, people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    token = people.log_in("ahmad", PASSWORD).token

    assert token not in database_text(app)


def test_the_csrf_token_is_bound_to_its_session(people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    first = people.session(people.log_in("ahmad", PASSWORD).token)
    second = people.session(people.log_in("ahmad", PASSWORD).token)

    assert first.csrf_ok(first.csrf_token)
    assert not first.csrf_ok(second.csrf_token)
    assert not first.csrf_ok(None)
    assert not first.csrf_ok("")
    assert not first.csrf_ok("ünïcode")


# ---- source API keys --------------------------------------------------------------------------

def test_an_api_key_is_shown_once_and_stored_hashed(app: App, people: People) -> None:
    made = people.add_key("shop", "admin")

    assert made.secret.startswith(made.key.key_id + ".")
    text = database_text(app)
    assert made.secret not in text
    assert made.secret.split(".", 1)[1] not in text
    [listed] = people.keys()
    assert (listed.key_id, listed.source, listed.active) == (made.key.key_id, "shop", True)
    assert made.secret not in json.dumps(listed.as_dict())


def test_an_api_key_identifies_its_source_until_revoked(people: People, clock: Clock) -> None:
    made = people.add_key("shop", "admin")

    key = people.authenticate_key(made.secret)
    assert (key.source, key.key_id) == ("shop", made.key.key_id)
    assert people.keys("shop")[0].last_used_at == clock()

    with pytest.raises(NotAuthenticated):
        people.authenticate_key(made.secret[:-1] + ("A" if made.secret[-1] != "A" else "B"))
    with pytest.raises(NotAuthenticated):
        people.authenticate_key("ak_000000000000.whatever")
    with pytest.raises(NotAuthenticated):
        people.authenticate_key("no dot at all")

    people.revoke_key(made.key.key_id, "admin")

    with pytest.raises(NotAuthenticated):
        people.authenticate_key(made.secret)
    assert not people.keys("shop")[0].active
    with pytest.raises(PeopleError, match="already revoked"):
        people.revoke_key(made.key.key_id, "admin")
    with pytest.raises(PeopleError, match="no API key"):
        people.revoke_key("ak_nope", "admin")


# ---- signed webhooks --------------------------------------------------------------------------

BODY = b'{"source": "shop", "type": "sales_order", "id": "SO-1"}'


def signed(secret: str, at: dt.datetime, body: bytes = BODY) -> tuple[str, bytes, str]:
    """(timestamp, body, signature) as a source sends them at `at`."""
    timestamp = str(int(at.timestamp()))
    return timestamp, body, sign_webhook(secret, timestamp, body)


def refused(people: People, source: str, timestamp: str, body: bytes, signature: str,
            delivery_id: str | None = None) -> WebhookProblem:
    with pytest.raises(WebhookRefused) as caught:
        people.verify_webhook(source, timestamp, body, signature, delivery_id)
    return caught.value.problem


def test_a_signed_delivery_is_taken(people: People, clock: Clock) -> None:
    made = people.add_key("shop", "admin")
    timestamp, body, signature = signed(made.signing_secret, clock())

    key = people.verify_webhook("shop", timestamp, body, f"sha256={signature}")

    assert key.key_id == made.key.key_id


def test_a_wrong_signature_is_refused(people: People, clock: Clock) -> None:
    made = people.add_key("shop", "admin")
    people.add_key("warehouse", "admin")
    timestamp, body, signature = signed(made.signing_secret, clock())
    later = str(int(timestamp) + 1)

    assert refused(people, "shop", timestamp, body + b" ", signature) \
        is WebhookProblem.BAD_SIGNATURE
    assert refused(people, "shop", later, body, signature) is WebhookProblem.BAD_SIGNATURE
    assert refused(people, "warehouse", timestamp, body, signature) \
        is WebhookProblem.BAD_SIGNATURE
    assert refused(people, "nobody", timestamp, body, signature) is WebhookProblem.BAD_SIGNATURE
    assert refused(people, "shop", timestamp, body, "ünïcode") is WebhookProblem.BAD_SIGNATURE
    assert refused(people, "shop", "yesterday", body, signature) is WebhookProblem.MALFORMED
    assert refused(people, "shop", timestamp, body, signature, delivery_id="has space") \
        is WebhookProblem.MALFORMED


@pytest.mark.parametrize("offset", [dt.timedelta(minutes=-5, seconds=-1),
                                    dt.timedelta(minutes=5, seconds=1)])
def test_a_timestamp_more_than_five_minutes_off_is_refused(people: People, clock: Clock,
                                                           offset: dt.timedelta) -> None:
    made = people.add_key("shop", "admin")

    assert refused(people, "shop", *signed(made.signing_secret, clock() + offset)) \
        is WebhookProblem.STALE


def test_a_timestamp_within_five_minutes_is_taken(people: People, clock: Clock) -> None:
    made = people.add_key("shop", "admin")
    delivery = signed(made.signing_secret, clock())

    clock.advance(dt.timedelta(minutes=4, seconds=59))
    people.verify_webhook("shop", *delivery)


def test_a_replayed_delivery_is_recognised(people: People, clock: Clock) -> None:
    made = people.add_key("shop", "admin")
    delivery = signed(made.signing_secret, clock())
    people.verify_webhook("shop", *delivery)

    clock.advance(dt.timedelta(minutes=1))
    assert refused(people, "shop", *delivery) is WebhookProblem.REPLAYED


def test_a_delivery_id_is_taken_once_however_it_is_signed(people: People,
                                                          clock: Clock) -> None:
    made = people.add_key("shop", "admin")
    people.verify_webhook("shop", *signed(made.signing_secret, clock()), delivery_id="d-1")

    clock.advance(dt.timedelta(minutes=2))
    again = signed(made.signing_secret, clock())
    assert refused(people, "shop", *again, delivery_id="d-1") is WebhookProblem.REPLAYED
    people.verify_webhook("shop", *again, delivery_id="d-2")


def test_a_revoked_keys_signature_is_refused_and_a_second_key_still_signs(
        people: People, clock: Clock) -> None:
    old = people.add_key("shop", "admin")
    new = people.add_key("shop", "admin")
    people.revoke_key(old.key.key_id, "admin")

    assert refused(people, "shop", *signed(old.signing_secret, clock())) \
        is WebhookProblem.BAD_SIGNATURE
    assert people.verify_webhook("shop", *signed(new.signing_secret, clock())).key_id \
        == new.key.key_id


# ---- the audit trail --------------------------------------------------------------------------

def test_each_change_is_one_event_naming_who_made_it(app: App, people: People) -> None:
    steps = [
        (lambda: people.add_user("root", Role.INTEGRATION_ADMIN, PASSWORD, "setup"),
         ("user_added", "setup")),
        (lambda: people.add_user("ahmad", Role.VIEWER, PASSWORD, "root"),
         ("user_added", "root")),
        (lambda: people.set_role("ahmad", Role.OPERATIONS, "root"), ("role_changed", "root")),
        (lambda: people.log_out(people.log_in("ahmad", PASSWORD).token),
         ("logged_in", "ahmad"), ("logged_out", "ahmad")),
        (lambda: people.change_password("ahmad", "another password", "ahmad"),
         ("password_changed", "ahmad")),
        (lambda: people.end_sessions("ahmad", "root"), ("sessions_ended", "root")),
        (lambda: people.disable("ahmad", "root"), ("user_disabled", "root")),
        (lambda: people.enable("ahmad", "root"), ("user_enabled", "root")),
        (lambda: people.add_key("shop", "root"), ("api_key_created", "root")),
        (lambda: people.revoke_key(people.keys()[0].key_id, "root"),
         ("api_key_revoked", "root")),
    ]
    for step, *expected in steps:
        before = people_events(app)
        step()
        assert people_events(app) == [*before, *expected]

    with app.store.transaction() as repo:
        reasons = [row.reason for row in repo.connection.execute(select(tables.events))]
    assert "ahmad: viewer -> operations" in reasons


def test_refusals_and_reads_leave_no_event(app: App, people: People, clock: Clock) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    made = people.add_key("shop", "admin")
    before = people_events(app)

    with pytest.raises(NotAuthenticated):
        people.log_in("ahmad", "not the password")
    with pytest.raises(PeopleError):
        people.enable("ahmad", "admin")
    people.users()
    people.keys()
    people.authenticate_key(made.secret)
    people.verify_webhook("shop", *signed(made.signing_secret, clock()))

    assert people_events(app) == before


# ---- the CLI ----------------------------------------------------------------------------------

def acgate(cli: Cli, *args: str, typed: str) -> Result:
    """`acgate` with `typed` as what the person types (or pipes) in."""
    environment = {"ACGATE_NOW": cli.clock.iso(), "COLUMNS": "250", "ACGATE_USER": "tester"}
    if os.environ.get("ACGATE_DATABASE_URL"):
        environment["ACGATE_DATABASE_URL"] = os.environ["ACGATE_DATABASE_URL"]
    return CliRunner().invoke(full_app(), [*args, "--workspace", str(cli.workspace)],
                              input=typed, env=environment, catch_exceptions=False)


def test_users_are_managed_from_the_command_line(app: App, cli: Cli) -> None:
    added = acgate(cli, "users", "add", "mei.ling", "--role", "accounts", "--password-stdin",
                   typed=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "mei.ling added as accounts" in added.output
    assert app.people.authenticate("mei.ling", PASSWORD).role is Role.ACCOUNTS

    assert cli("users", "role", "mei.ling", "operations").exit_code == 0
    assert cli("users", "disable", "mei.ling").exit_code == 0
    assert cli.json("users", "list") == [{
        "username": "mei.ling", "display_name": "mei.ling", "role": "operations",
        "disabled": True, "created_at": cli.clock().astimezone(dt.UTC).isoformat(),
        "locked_until": None}]
    assert cli("users", "enable", "mei.ling").exit_code == 0
    assert "mei.ling" in cli("users", "list").output

    assert [actor for kind, actor in people_events(app)] == ["tester"] * 4


def test_users_add_asks_for_the_password_twice(app: App, cli: Cli) -> None:
    mismatch = acgate(cli, "users", "add", "ahmad", "--role", "viewer",
                      typed=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")

    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output
    assert app.people.authenticate("ahmad", PASSWORD).role is Role.VIEWER


def test_the_command_line_explains_a_refusal(cli: Cli) -> None:
    result = acgate(cli, "users", "add", "ahmad", "--role", "viewer", "--password-stdin",
                    typed="short\n")

    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert "no user 'ghost'" in cli("users", "disable", "ghost").output


def test_the_command_line_lists_a_lockout_and_lifts_it(app: App, cli: Cli,
                                                       people: People) -> None:
    people.add_user("ahmad", Role.OPERATIONS, PASSWORD, "admin")
    fail_in_a_row(people, "ahmad", MAX_FAILURES - 1)
    with pytest.raises(LockedOut):
        people.log_in("ahmad", WRONG)
    until = (cli.clock() + LOCKOUT).astimezone(dt.UTC)  # as stored, like every time listed

    listed = cli("users", "list").output
    assert f"active, locked out until {until.isoformat(timespec='minutes')}" in listed
    assert [(u["username"], u["locked_until"]) for u in cli.json("users", "list")] == [
        ("ahmad", until.isoformat())]
    assert "--reason" in cli("users", "unlock", "ahmad").output  # a reason is required

    lifted = cli("users", "unlock", "ahmad", "--reason", "checked by phone")

    assert lifted.exit_code == 0, lifted.output
    assert "ahmad may sign in again" in lifted.output
    assert "locked out" not in cli("users", "list").output
    assert cli.json("users", "list")[0]["locked_until"] is None
    assert people.log_in("ahmad", PASSWORD).session.user.username == "ahmad"
    assert people_events(app)[-2:] == [("lockout_lifted", "tester"), ("logged_in", "ahmad")]
    again = cli("users", "unlock", "ahmad", "-r", "again")
    assert again.exit_code == 1
    assert "ahmad is not locked out" in again.output
    assert "no user 'ghost'" in cli("users", "unlock", "ghost", "-r", "why").output


def test_source_keys_are_managed_from_the_command_line(app: App, cli: Cli) -> None:
    made = cli("sources", "add-key", "shop")
    assert made.exit_code == 0, made.output
    lines = dict(line.split(": ", 1) for line in made.stdout.splitlines() if ": " in line)
    secret = lines["key"]
    key = app.people.authenticate_key(secret)

    listed = cli("sources", "list-keys")
    assert key.key_id in listed.output
    assert secret not in listed.output
    assert cli.json("sources", "list-keys")[0]["key_id"] == key.key_id

    revoked = cli("sources", "revoke-key", key.key_id)
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(NotAuthenticated):
        app.people.authenticate_key(secret)

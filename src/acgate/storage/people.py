"""Reads and writes of people and sources: users, sessions, failed logins, source API keys,
webhook deliveries, and the access log (the events about them).

Secrets never reach these functions: sessions and keys are found by the hash of what was
presented, and a password only as its argon2 hash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from acgate.domain.access import Principal, Role
from acgate.storage.repository import Repository
from acgate.storage.tables import (
    ACCESS_LOG_EVENTS,
    api_keys,
    events,
    login_failures,
    sessions,
    users,
    webhook_deliveries,
)


@dataclass(frozen=True, slots=True)
class User:
    """A person who may sign in (never their password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    created_at: dt.datetime

    @property
    def principal(self) -> Principal:
        return Principal(self.username, self.role)

    def as_dict(self) -> dict[str, Any]:
        return {"username": self.username, "display_name": self.display_name,
                "role": self.role.value, "disabled": self.disabled,
                "created_at": self.created_at.isoformat()}


@dataclass(frozen=True, slots=True)
class StoredSession:
    id: int
    user: User
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    csrf_secret: str


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A source system's API key as people see it: its public id, never the key."""

    key_id: str
    source: str
    created_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_dict(self) -> dict[str, Any]:
        def stamp(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"key_id": self.key_id, "source": self.source, "created_by": self.created_by,
                "created_at": stamp(self.created_at), "revoked_at": stamp(self.revoked_at),
                "last_used_at": stamp(self.last_used_at)}


_USER_COLUMNS = (users.c.id, users.c.username, users.c.display_name, users.c.role,
                 users.c.disabled, users.c.created_at)


def _user(row: Any) -> User:
    return User(row.id, row.username, row.display_name, Role(row.role), bool(row.disabled),
                row.created_at)


def _key(row: Any) -> ApiKey:
    return ApiKey(row.key_id, row.source, row.created_by, row.created_at, row.revoked_at,
                  row.last_used_at)


# ---- users ------------------------------------------------------------------------------------

def add_user(repo: Repository, username: str, display_name: str, role: Role,
             password_hash: str, at: dt.datetime) -> User:
    user_id = repo.connection.execute(insert(users).values(
        username=username, display_name=display_name, role=role.value,
        password_hash=password_hash, disabled=False, created_at=at).returning(users.c.id)
    ).scalar_one()
    return User(user_id, username, display_name, role, False, at)


def user_by_name(repo: Repository, username: str) -> User | None:
    row = repo.connection.execute(
        select(*_USER_COLUMNS).where(users.c.username == username)).first()
    return _user(row) if row else None


def password_hash_of(repo: Repository, username: str) -> tuple[User, str] | None:
    row = repo.connection.execute(
        select(*_USER_COLUMNS, users.c.password_hash).where(users.c.username == username)
    ).first()
    return (_user(row), row.password_hash) if row else None


def list_users(repo: Repository) -> list[User]:
    query = select(*_USER_COLUMNS).order_by(users.c.username)
    return [_user(row) for row in repo.connection.execute(query)]


def count_enabled(repo: Repository, role: Role) -> int:
    query = select(func.count()).select_from(users).where(
        users.c.role == role.value, users.c.disabled.is_(False))
    return int(repo.connection.execute(query).scalar() or 0)


def update_user(repo: Repository, user_id: int, **values: Any) -> None:
    """Set columns of one user: `role`, `disabled`, `display_name` or `password_hash`."""
    repo.connection.execute(update(users).where(users.c.id == user_id).values(**values))


# ---- sessions ---------------------------------------------------------------------------------

def add_session(repo: Repository, user_id: int, token_hash: str, csrf_secret: str,
                at: dt.datetime, expires_at: dt.datetime) -> None:
    repo.connection.execute(insert(sessions).values(
        token_hash=token_hash, user_id=user_id, created_at=at, last_seen_at=at,
        expires_at=expires_at, csrf_secret=csrf_secret))


def session_by_token_hash(repo: Repository, token_hash: str) -> StoredSession | None:
    query = select(
        *_USER_COLUMNS, sessions.c.id.label("session_id"),
        sessions.c.created_at.label("started_at"), sessions.c.last_seen_at,
        sessions.c.expires_at, sessions.c.revoked_at, sessions.c.csrf_secret,
    ).select_from(sessions.join(users, users.c.id == sessions.c.user_id)).where(
        sessions.c.token_hash == token_hash)
    row = repo.connection.execute(query).first()
    if row is None:
        return None
    return StoredSession(row.session_id, _user(row), row.started_at, row.last_seen_at,
                         row.expires_at, row.revoked_at, row.csrf_secret)


def touch_session(repo: Repository, session_id: int, at: dt.datetime,
                  expires_at: dt.datetime) -> None:
    repo.connection.execute(update(sessions).where(sessions.c.id == session_id)
                            .values(last_seen_at=at, expires_at=expires_at))


def revoke_session(repo: Repository, session_id: int, at: dt.datetime) -> None:
    repo.connection.execute(update(sessions).where(
        sessions.c.id == session_id, sessions.c.revoked_at.is_(None)).values(revoked_at=at))


def revoke_sessions_of(repo: Repository, user_id: int, at: dt.datetime) -> int:
    """Revoke every open session of a user; how many there were."""
    result = repo.connection.execute(update(sessions).where(
        sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None),
        sessions.c.expires_at > at).values(revoked_at=at))
    return result.rowcount


# ---- failed logins ----------------------------------------------------------------------------

def locked_until(repo: Repository, username: str) -> dt.datetime | None:
    """When the last lock-out of `username` ends (or ended); None if it was never locked out or
    has logged in since."""
    return repo.connection.execute(select(login_failures.c.locked_until).where(
        login_failures.c.username == username)).scalar_one_or_none()


def count_failure(repo: Repository, username: str, at: dt.datetime,
                  forget_before: dt.datetime) -> int:
    """Count one more failed login of `username`, starting again from one when the last was
    before `forget_before`; how many there are in a row now.

    Each count is one UPDATE, so logins racing on PostgreSQL each get a number of their own. The
    first failure inserts the row in a savepoint; losing that race to another, it counts again.
    """
    counted = _count_again(repo, username, at, forget_before)
    if counted is not None:
        return counted
    try:
        with repo.connection.begin_nested():
            repo.connection.execute(insert(login_failures).values(
                username=username, failures=1, last_failed_at=at))
    except IntegrityError:
        # The row may be gone again already (a successful login); then this is the first.
        return _count_again(repo, username, at, forget_before) or 1
    return 1


def _count_again(repo: Repository, username: str, at: dt.datetime,
                 forget_before: dt.datetime) -> int | None:
    failures = login_failures.c.failures
    counted: int | None = repo.connection.execute(
        update(login_failures).where(login_failures.c.username == username).values(
            failures=case((login_failures.c.last_failed_at < forget_before, 1),
                          else_=failures + 1),
            last_failed_at=at).returning(failures)).scalar_one_or_none()
    return counted


def lockouts(repo: Repository, at: dt.datetime,
             username: str | None = None) -> dict[str, dt.datetime]:
    """The usernames refused at `at` (only `username`, when given), with when each lock-out
    ends. The one rule of who is locked out now, for the users page, the API, the CLI and
    lifting a lock-out alike."""
    query = select(login_failures.c.username, login_failures.c.locked_until).where(
        login_failures.c.locked_until > at)
    if username is not None:
        query = query.where(login_failures.c.username == username)
    return {row.username: row.locked_until for row in repo.connection.execute(query)}


def lock_out(repo: Repository, username: str, until: dt.datetime) -> None:
    """Refuse `username` until `until`; the failures that led here are spent."""
    repo.connection.execute(update(login_failures).where(login_failures.c.username == username)
                            .values(failures=0, locked_until=until))


def forget_failures(repo: Repository, username: str) -> None:
    repo.connection.execute(delete(login_failures).where(login_failures.c.username == username))


def prune_failures(repo: Repository, forget_before: dt.datetime, at: dt.datetime) -> None:
    """Drop the rows that no longer count: failures forgotten, no lock-out running at `at`."""
    repo.connection.execute(delete(login_failures).where(
        login_failures.c.last_failed_at < forget_before,
        or_(login_failures.c.locked_until.is_(None), login_failures.c.locked_until <= at)))


# ---- source API keys --------------------------------------------------------------------------

def add_api_key(repo: Repository, key_id: str, source: str, key_hash: str, created_by: str,
                at: dt.datetime) -> ApiKey:
    repo.connection.execute(insert(api_keys).values(
        key_id=key_id, source=source, key_hash=key_hash, created_by=created_by, created_at=at))
    return ApiKey(key_id, source, created_by, at, None, None)


def api_key_by_id(repo: Repository, key_id: str) -> tuple[ApiKey, str] | None:
    """The key with this public id, and its stored hash."""
    row = repo.connection.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
    return (_key(row), row.key_hash) if row else None


def active_api_keys_of(repo: Repository, source: str) -> list[tuple[ApiKey, str]]:
    """A source's unrevoked keys with their stored hashes (two while a key is rotated)."""
    query = select(api_keys).where(api_keys.c.source == source,
                                   api_keys.c.revoked_at.is_(None)).order_by(api_keys.c.id)
    return [(_key(row), row.key_hash) for row in repo.connection.execute(query)]


def list_api_keys(repo: Repository, source: str | None = None) -> list[ApiKey]:
    query = select(api_keys).order_by(api_keys.c.source, api_keys.c.id)
    if source is not None:
        query = query.where(api_keys.c.source == source)
    return [_key(row) for row in repo.connection.execute(query)]


def revoke_api_key(repo: Repository, key_id: str, at: dt.datetime) -> None:
    repo.connection.execute(update(api_keys).where(api_keys.c.key_id == key_id)
                            .values(revoked_at=at))


def touch_api_key(repo: Repository, key_id: str, at: dt.datetime) -> None:
    repo.connection.execute(update(api_keys).where(api_keys.c.key_id == key_id)
                            .values(last_used_at=at))


# ---- webhook deliveries -----------------------------------------------------------------------

def record_delivery(repo: Repository, source: str, delivery: str, at: dt.datetime) -> bool:
    """Remember a delivery; False when it was already received (a replay).

    The unique constraint decides, inside a savepoint, so two copies arriving at once on
    PostgreSQL cannot both be taken and the losing one does not abort the whole transaction.
    """
    try:
        with repo.connection.begin_nested():
            repo.connection.execute(insert(webhook_deliveries).values(
                source=source, delivery=delivery, received_at=at))
    except IntegrityError:
        return False
    return True


def forget_delivery(repo: Repository, source: str, delivery: str) -> None:
    repo.connection.execute(delete(webhook_deliveries).where(
        webhook_deliveries.c.source == source, webhook_deliveries.c.delivery == delivery))


def prune_deliveries(repo: Repository, before: dt.datetime) -> None:
    repo.connection.execute(delete(webhook_deliveries)
                            .where(webhook_deliveries.c.received_at < before))


# ---- the access log ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AccessLogFilter:
    """Which entries of the access log to read: by or about one username, of one kind."""

    username: str | None = None
    kind: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event of the access log as it was recorded."""

    at: dt.datetime
    actor: str
    kind: str
    reason: str | None
    data: dict[str, Any]

    @property
    def username(self) -> str | None:
        """The user the event is about, when it is about one (not for an API key)."""
        named = self.data.get("username")
        return named if isinstance(named, str) else None


def _access_log_where(query: Any, wanted: AccessLogFilter) -> Any:
    query = query.where(ACCESS_LOG_EVENTS)
    if wanted.username:
        # By them (a sign-in, a change they made) or about them (a change made to them).
        query = query.where(or_(events.c.actor == wanted.username,
                                events.c.data["username"].as_string() == wanted.username))
    if wanted.kind:
        query = query.where(events.c.kind == wanted.kind)
    return query


def access_log(repo: Repository, wanted: AccessLogFilter) -> list[LoggedEvent]:
    """Newest first (in the order recorded): the access log is read to see who did what
    lately."""
    query = _access_log_where(
        select(events.c.at, events.c.actor, events.c.kind, events.c.reason, events.c.data),
        wanted,
    ).order_by(events.c.id.desc()).limit(wanted.limit).offset(wanted.offset)
    return [LoggedEvent(row.at, row.actor, row.kind, row.reason, row.data or {})
            for row in repo.connection.execute(query)]


def count_access_log(repo: Repository, wanted: AccessLogFilter) -> int:
    query = _access_log_where(select(func.count()).select_from(events), wanted)
    return int(repo.connection.execute(query).scalar() or 0)

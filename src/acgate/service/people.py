"""People and sources: users and their roles, sign-in (locked out after repeated failures) and
server-side sessions, source API keys and signed webhooks.

Every change is one event (with no document) naming who made it; together they are the access
log, which an integration admin reads on the users page. Permission checks belong to the
faces (`acgate.domain.access.Principal.require`); these use cases trust the actor they are given,
as `Review` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from acgate.domain.access import Action, Role
from acgate.storage import people as stored
from acgate.storage.people import AccessLogFilter, ApiKey, LoggedEvent, User
from acgate.storage.repository import Repository
from acgate.storage.store import Store

SESSION_IDLE = dt.timedelta(hours=2)
SESSION_LIFETIME = dt.timedelta(hours=12)
# Sliding a session or marking a key used is a write; once a minute is precise enough and keeps
# page views from queueing behind each other for SQLite's write lock.
TOUCH_EVERY = dt.timedelta(minutes=1)
WEBHOOK_TOLERANCE = dt.timedelta(minutes=5)
# Delivery ids are remembered this long; a replayed signature is stale after five minutes anyway.
DELIVERIES_KEPT = dt.timedelta(days=1)
MIN_PASSWORD = 10
# Guessing passwords: after this many failed logins in a row with one username, every login with
# it is refused for LOCKOUT, the right password too. A failure is forgotten once
# FAILURES_FORGOTTEN passes without another.
MAX_FAILURES = 5
FAILURES_FORGOTTEN = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_LONGEST_USERNAME = 64
_SOURCE = re.compile(r"[^\s/]{1,128}")  # the first part of source/type/id
_DELIVERY_ID = re.compile(r"[\x21-\x7e]{1,100}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class AccessKind(StrEnum):
    """What an entry of the access log records."""

    LOGGED_IN = "logged_in"
    LOGGED_OUT = "logged_out"
    LOCKED_OUT = "locked_out"
    LOGIN_REFUSED = "login_refused"
    USER_ADDED = "user_added"
    ROLE_CHANGED = "role_changed"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    PASSWORD_CHANGED = "password_changed"
    LOCKOUT_LIFTED = "lockout_lifted"
    SESSIONS_ENDED = "sessions_ended"
    API_KEY_CREATED = "api_key_created"
    API_KEY_REVOKED = "api_key_revoked"


# Guessing at a password: these are what an admin scans the access log for.
_LOCKOUT_KINDS = frozenset({AccessKind.LOCKED_OUT, AccessKind.LOGIN_REFUSED})


class PeopleError(ValueError):
    """A change to people or sources that cannot be made, with what to do instead."""


class NotAuthenticated(Exception):
    """What was presented (password, session token, API key, signature) identifies nobody. The
    message is the same whatever was wrong, so it tells a guesser nothing."""


class LockedOut(NotAuthenticated):
    """Too many failed logins in a row with this username: it is refused, whatever the password,
    until `seconds` have passed. Unknown usernames are locked out alike, so this tells a guesser
    nothing about who exists."""

    def __init__(self, wait: dt.timedelta) -> None:
        self.seconds = max(math.ceil(wait.total_seconds()), 1)
        super().__init__("too many failed sign-ins with this username: try again in "
                         f"{_minutes(self.seconds)}")


class WebhookProblem(StrEnum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    STALE = "stale"
    REPLAYED = "replayed"


class WebhookRefused(NotAuthenticated):
    """A signed delivery that is not taken; `problem` says why (a replay is often answered
    differently from a forgery)."""

    def __init__(self, problem: WebhookProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Session:
    """A valid session: who it belongs to and the CSRF token its forms must carry."""

    user: User
    expires_at: dt.datetime
    csrf_token: str

    def csrf_ok(self, presented: str | None) -> bool:
        """Whether `presented` (a form field or header) is this session's CSRF token."""
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.csrf_token.encode())


@dataclass(frozen=True, slots=True)
class SessionStart:
    """A new session. `token` goes into the cookie and is never stored; only its hash is."""

    token: str
    session: Session


@dataclass(frozen=True, slots=True)
class AccessLogEntry:
    """One entry of the access log as people read it: who did what, for whom."""

    at: dt.datetime
    actor: str
    kind: str
    what: str
    username: str | None  # whom it is about, when it is about a user
    lockout: bool
    reason: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AccessLog:
    """A page of the access log, and how many entries its filter selects in all."""

    entries: list[AccessLogEntry]
    total: int


@dataclass(frozen=True, slots=True)
class NewKey:
    """A new source API key. `secret` (the whole key) and `signing_secret` are shown once."""

    key: ApiKey
    secret: str
    signing_secret: str


def digest(text: str) -> str:
    """SHA-256 hex: how session tokens and API keys are stored. Both are 256-bit random, so a
    fast hash is enough; a slow one would only slow every request."""
    return hashlib.sha256(text.encode()).hexdigest()


def signing_secret_of(api_key: str) -> str:
    """The secret a source signs webhooks with: the SHA-256 of its API key. A verifier has to
    hold the signing secret, so it is what acgate stores, and never the key itself."""
    return digest(api_key)


def sign_webhook(signing_secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 hex over `timestamp + "." + body`, as a source computes it."""
    message = timestamp.encode() + b"." + body
    return hmac.new(signing_secret.encode(), message, hashlib.sha256).hexdigest()


class People:
    def __init__(self, store: Store, clock: Callable[[], dt.datetime],
                 hasher: PasswordHasher | None = None, idle: dt.timedelta = SESSION_IDLE,
                 lifetime: dt.timedelta = SESSION_LIFETIME) -> None:
        self.store = store
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.idle = idle
        self.lifetime = lifetime
        self._dummy_hash: str | None = None

    # ---- users ------------------------------------------------------------------------------
    def add_user(self, username: str, role: Role, password: str, actor: str,
                 display_name: str | None = None) -> User:
        """Add a person who may sign in with `password`."""
        name = _username(username)
        password_hash = self.hasher.hash(_password(password))
        now = self.clock()
        with self.store.transaction() as repo:
            if stored.user_by_name(repo, name) is not None:
                raise PeopleError(f"there is already a user {name!r}; change their role with "
                                  "`acgate users role`")
            user = stored.add_user(repo, name, (display_name or "").strip() or name, role,
                                   password_hash, now)
            repo.append_events([_event(now, actor, AccessKind.USER_ADDED,
                                       f"{name} added as {role.value}",
                                       {"username": name, "role": role.value})])
            return user

    def user(self, username: str) -> User:
        """The user named `username` (PeopleError if there is none)."""
        with self.store.transaction() as repo:
            return _existing(repo, username)

    def assignees(self) -> list[User]:
        """Everyone a record may be assigned to (`assignable`), by name."""
        return [user for user in self.users()
                if not user.disabled and user.principal.can(Action.RELEASE)]

    def assignable(self, username: str) -> User:
        """The user a record may be assigned to: one who can sign in and act on it. A record
        given to a disabled user or a viewer would sit in a queue nobody can work."""
        user = self.user(username)
        if user.disabled:
            raise PeopleError(f"{user.username} is disabled and cannot sign in; enable them "
                              "first, or assign the record to someone else")
        if not user.principal.can(Action.RELEASE):
            raise PeopleError(f"{user.username} is a {user.role.value} and may not act on a "
                              "record; assign it to someone who may, or give them a role that "
                              "may")
        return user

    def users(self) -> list[User]:
        """Every user, by name."""
        with self.store.transaction() as repo:
            return stored.list_users(repo)

    def set_role(self, username: str, role: Role, actor: str) -> User:
        """Give a user another role; their open sessions end, so the new role applies at once."""
        now = self.clock()
        with self.store.transaction() as repo:
            user = _existing(repo, username)
            if user.role is role:
                raise PeopleError(f"{user.username} is already {role.value}")
            _keep_an_admin(repo, user, "change the role of")
            stored.update_user(repo, user.id, role=role.value)
            ended = stored.revoke_sessions_of(repo, user.id, now)
            repo.append_events([_event(now, actor, AccessKind.ROLE_CHANGED,
                                       f"{user.username}: {user.role.value} -> {role.value}",
                                       {"username": user.username, "role": role.value,
                                        "previous": user.role.value, "sessions_ended": ended})])
            return replace(user, role=role)

    def disable(self, username: str, actor: str) -> User:
        """Stop a user signing in, and end their open sessions."""
        now = self.clock()
        with self.store.transaction() as repo:
            user = _existing(repo, username)
            if user.disabled:
                raise PeopleError(f"{user.username} is already disabled")
            _keep_an_admin(repo, user, "disable")
            stored.update_user(repo, user.id, disabled=True)
            ended = stored.revoke_sessions_of(repo, user.id, now)
            repo.append_events([_event(now, actor, AccessKind.USER_DISABLED,
                                       f"{user.username} disabled",
                                       {"username": user.username, "sessions_ended": ended})])
            return replace(user, disabled=True)

    def enable(self, username: str, actor: str) -> User:
        """Let a disabled user sign in again."""
        now = self.clock()
        with self.store.transaction() as repo:
            user = _existing(repo, username)
            if not user.disabled:
                raise PeopleError(f"{user.username} is not disabled")
            stored.update_user(repo, user.id, disabled=False)
            repo.append_events([_event(now, actor, AccessKind.USER_ENABLED,
                                       f"{user.username} enabled",
                                       {"username": user.username})])
            return replace(user, disabled=False)

    def change_password(self, username: str, password: str, actor: str) -> None:
        """Set a new password; every open session of the user ends (sign in again), and a
        lock-out after failed sign-ins is lifted: the person set the password for them."""
        password_hash = self.hasher.hash(_password(password))
        now = self.clock()
        with self.store.transaction() as repo:
            user = _existing(repo, username)
            stored.update_user(repo, user.id, password_hash=password_hash)
            stored.forget_failures(repo, user.username)
            ended = stored.revoke_sessions_of(repo, user.id, now)
            repo.append_events([_event(now, actor, AccessKind.PASSWORD_CHANGED,
                                       f"password of {user.username} changed",
                                       {"username": user.username, "sessions_ended": ended})])

    def unlock(self, username: str, actor: str, reason: str) -> User:
        """Lift a running lock-out after failed sign-ins, with the reason: the user may sign in
        at once with the password they have, and their failures count again from none. Their
        password and sessions are left alone, as the lock-out never touched them."""
        why = reason.strip()
        if not why:
            raise PeopleError("lifting a lock-out needs a reason: say why, for the access log")
        now = self.clock()
        with self.store.transaction() as repo:
            user = _existing(repo, username)
            until = stored.lockouts(repo, now, user.username).get(user.username)
            if until is None:
                raise PeopleError(f"{user.username} is not locked out")
            stored.forget_failures(repo, user.username)
            repo.append_events([_event(now, actor, AccessKind.LOCKOUT_LIFTED,
                                       f"lock-out of {user.username} lifted: {why}",
                                       {"username": user.username, "until": until.isoformat(),
                                        "reason": why})])
            return user

    def end_sessions(self, username: str, actor: str) -> int:
        """Sign a user out everywhere; how many sessions ended."""
        now = self.clock()
        with self.store.transaction() as repo:
            user = _existing(repo, username)
            ended = stored.revoke_sessions_of(repo, user.id, now)
            repo.append_events([_event(now, actor, AccessKind.SESSIONS_ENDED,
                                       f"{ended} sessions of {user.username} ended",
                                       {"username": user.username, "sessions_ended": ended})])
            return ended

    # ---- signing in -------------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> User:
        """The enabled user with this name and password, else NotAuthenticated; LockedOut
        (a NotAuthenticated) while the name is locked out, and at the failure that locks it.

        An unknown name costs one argon2 verification like a known one, so response time does
        not tell which names exist.
        """
        name = username.strip().casefold()
        # Counted under a name that fits the column: one longer is nobody's anyway.
        counted_as = name[:_LONGEST_USERNAME]
        now = self.clock()
        attempt = self._admit(counted_as, now)
        # Made at the first sign-in of anyone, so that first call tells nothing either.
        dummy = self._dummy()
        with self.store.transaction() as repo:
            found = stored.password_hash_of(repo, name)
        # Verified outside the transaction: argon2 is slow on purpose, and SQLite's write lock
        # is taken when a transaction begins.
        password_hash = found[1] if found else dummy
        try:
            self.hasher.verify(password_hash, password)
            matches = True
        except (VerificationError, InvalidHashError):
            matches = False
        if found is None or not matches or found[0].disabled:
            raise self._failed(counted_as, attempt, now)
        user = found[0]
        with self.store.transaction() as repo:
            stored.forget_failures(repo, counted_as)
            if self.hasher.check_needs_rehash(password_hash):
                # Stronger parameters since the password was set: upgrade the hash while we
                # hold the password. Not a change a person made, so no event.
                stored.update_user(repo, user.id, password_hash=self.hasher.hash(password))
        return user

    def _admit(self, name: str, now: dt.datetime) -> int:
        """This login's number in a row of failures, or LockedOut (recorded as an event).

        A login counts as failed before its password is checked, and a success takes the count
        back: guesses sent in parallel, from any process, then cannot all be checked before
        the first failure is written.
        """
        with self.store.transaction() as repo:
            until = stored.locked_until(repo, name)
            if until is None or until <= now:
                attempt = stored.count_failure(repo, name, now, now - FAILURES_FORGOTTEN)
                stored.prune_failures(repo, now - FAILURES_FORGOTTEN, now)
                if attempt <= MAX_FAILURES:
                    return attempt
                # More in flight than are allowed; the one that reached the limit locks the
                # name if it fails, or frees it if it succeeds.
                until = now + LOCKOUT
            repo.append_events([_event(now, name, AccessKind.LOGIN_REFUSED,
                                       f"sign-in as {name} refused: locked out",
                                       {"username": name, "until": until.isoformat()})])
        raise LockedOut(until - now)

    def _failed(self, name: str, attempt: int, now: dt.datetime) -> NotAuthenticated:
        """The refusal of a failed login, which locks the name out if it was the last allowed.
        Every failure was counted already, when it was admitted."""
        if attempt < MAX_FAILURES:
            return NotAuthenticated("wrong username or password")
        until = now + LOCKOUT
        with self.store.transaction() as repo:
            stored.lock_out(repo, name, until)
            repo.append_events([_event(
                now, name, AccessKind.LOCKED_OUT,
                f"{name} locked out for {_minutes(LOCKOUT.total_seconds())} after {attempt} "
                "failed sign-ins in a row",
                {"username": name, "failures": attempt, "until": until.isoformat()})])
        return LockedOut(until - now)

    def log_in(self, username: str, password: str) -> SessionStart:
        """Authenticate and start a server-side session."""
        user = self.authenticate(username, password)
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + min(self.idle, self.lifetime)
        with self.store.transaction() as repo:
            stored.add_session(repo, user.id, digest(token), csrf, now, expires)
            repo.append_events([_event(now, user.username, AccessKind.LOGGED_IN,
                                       f"{user.username} signed in",
                                       {"username": user.username})])
        return SessionStart(token, Session(user, expires, csrf))

    def session(self, token: str) -> Session:
        """The session a cookie's token names, if it is still valid; it slides while in use.

        Raises NotAuthenticated for an unknown, revoked or expired token, or a disabled user.
        """
        now = self.clock()
        with self.store.transaction() as repo:
            found = stored.session_by_token_hash(repo, digest(token))
            if (found is None or found.revoked_at is not None or found.expires_at <= now
                    or found.user.disabled):
                raise NotAuthenticated("not signed in, or the session has ended")
            expires = found.expires_at
            if now - found.last_seen_at >= TOUCH_EVERY:
                expires = min(now + self.idle, found.created_at + self.lifetime)
                stored.touch_session(repo, found.id, now, expires)
            return Session(found.user, expires, found.csrf_secret)

    def log_out(self, token: str) -> None:
        """End the session a token names; an unknown or ended one is left alone."""
        now = self.clock()
        with self.store.transaction() as repo:
            found = stored.session_by_token_hash(repo, digest(token))
            if found is None or found.revoked_at is not None or found.expires_at <= now:
                return
            stored.revoke_session(repo, found.id, now)
            repo.append_events([_event(now, found.user.username, AccessKind.LOGGED_OUT,
                                       f"{found.user.username} signed out",
                                       {"username": found.user.username})])

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    # ---- the access log ---------------------------------------------------------------------
    def access_log(self, wanted: AccessLogFilter) -> AccessLog:
        """A page of the access log, newest first, each entry in words."""
        with self.store.transaction() as repo:
            found = stored.access_log(repo, wanted)
            total = stored.count_access_log(repo, wanted)
        return AccessLog([_entry(event) for event in found], total)

    def lockouts(self) -> dict[str, dt.datetime]:
        """The usernames refused now for failed sign-ins, with when each lock-out ends."""
        now = self.clock()
        with self.store.transaction() as repo:
            return stored.lockouts(repo, now)

    def locked_until(self, username: str) -> dt.datetime | None:
        """When the running lock-out of `username` ends; None while it is not locked out."""
        name = username.strip().casefold()
        now = self.clock()
        with self.store.transaction() as repo:
            return stored.lockouts(repo, now, name).get(name)

    # ---- source API keys --------------------------------------------------------------------
    def add_key(self, source: str, actor: str) -> NewKey:
        """A new API key for a source system. Its secret is in the result and nowhere else."""
        name = source.strip()
        if not _SOURCE.fullmatch(name):
            raise PeopleError(f"{source!r} is not a source name: use the `source` your "
                              "documents carry (no spaces or slashes)")
        key_id = f"ak_{secrets.token_hex(6)}"
        secret = f"{key_id}.{secrets.token_urlsafe(32)}"
        now = self.clock()
        with self.store.transaction() as repo:
            key = stored.add_api_key(repo, key_id, name, digest(secret), actor, now)
            repo.append_events([_event(now, actor, AccessKind.API_KEY_CREATED,
                                       f"API key {key_id} for {name} created",
                                       {"source": name, "key_id": key_id})])
        return NewKey(key, secret, signing_secret_of(secret))

    def keys(self, source: str | None = None) -> list[ApiKey]:
        """API keys, revoked ones included, by source."""
        with self.store.transaction() as repo:
            return stored.list_api_keys(repo, source)

    def revoke_key(self, key_id: str, actor: str) -> ApiKey:
        """Refuse a key from now on."""
        now = self.clock()
        with self.store.transaction() as repo:
            found = stored.api_key_by_id(repo, key_id.strip())
            if found is None:
                raise PeopleError(f"no API key {key_id!r}; `acgate sources list-keys` shows them")
            key = found[0]
            if not key.active:
                raise PeopleError(f"API key {key.key_id} is already revoked")
            stored.revoke_api_key(repo, key.key_id, now)
            repo.append_events([_event(now, actor, AccessKind.API_KEY_REVOKED,
                                       f"API key {key.key_id} for {key.source} revoked",
                                       {"source": key.source, "key_id": key.key_id})])
            return replace(key, revoked_at=now)

    def authenticate_key(self, presented: str) -> ApiKey:
        """The active key a request presents (`Authorization: Bearer <key>`), else
        NotAuthenticated. The key names its own id, so one row is read and compared."""
        key_id, _, _ = presented.strip().partition(".")
        presented_hash = digest(presented.strip())
        now = self.clock()
        with self.store.transaction() as repo:
            found = stored.api_key_by_id(repo, key_id)
            if (found is None or not found[0].active
                    or not hmac.compare_digest(found[1], presented_hash)):
                raise NotAuthenticated("unknown or revoked API key")
            key = found[0]
            _touch_key(repo, key, now)
            return key

    def verify_webhook(self, source: str, timestamp: str, body: bytes, signature: str,
                       delivery_id: str | None = None) -> ApiKey:
        """Accept a signed delivery from `source`, or raise WebhookRefused.

        `signature` is HMAC-SHA256 (hex, `sha256=` prefix allowed) of `timestamp + "." + body`
        with the signing secret of any of the source's active keys; `timestamp` is Unix seconds
        within five minutes of acgate's clock. A delivery (its id, else its signature) is taken
        once: the same one again is refused as replayed.
        """
        signature = _bare_signature(signature)
        timestamp = timestamp.strip()
        if not _TIMESTAMP.fullmatch(timestamp) or (
                delivery_id is not None and not _DELIVERY_ID.fullmatch(delivery_id)):
            raise WebhookRefused(WebhookProblem.MALFORMED,
                                 "send the timestamp as Unix seconds and a delivery id of at "
                                 "most 100 printable characters")
        now = self.clock()
        with self.store.transaction() as repo:
            signer = next((key for key, key_hash in stored.active_api_keys_of(repo, source)
                           if hmac.compare_digest(
                               sign_webhook(key_hash, timestamp, body).encode(),
                               signature.encode())),
                          None)
            if signer is None:
                raise WebhookRefused(WebhookProblem.BAD_SIGNATURE,
                                     f"the signature matches no active key of {source!r}")
            # Compared as seconds: a timestamp after the year 9999 is no datetime, only stale.
            sent = int(timestamp)
            if abs(now.timestamp() - sent) > WEBHOOK_TOLERANCE.total_seconds():
                raise WebhookRefused(WebhookProblem.STALE,
                                     f"the timestamp {sent} is more than five minutes from "
                                     f"acgate's clock ({int(now.timestamp())}, "
                                     f"{now.isoformat()})")
            delivery = _delivery(signature, delivery_id)
            if not stored.record_delivery(repo, source, delivery, now):
                raise WebhookRefused(WebhookProblem.REPLAYED,
                                     "this delivery was already received")
            stored.prune_deliveries(repo, now - DELIVERIES_KEPT)
            _touch_key(repo, signer, now)
            return signer

    def forget_webhook_delivery(self, source: str, signature: str,
                                delivery_id: str | None = None) -> None:
        """A delivery acgate took but failed to store (an error while storing it) may come
        again: its retry must be taken, not refused as a replay of what was never kept."""
        with self.store.transaction() as repo:
            stored.forget_delivery(repo, source,
                                   _delivery(_bare_signature(signature), delivery_id))


def _bare_signature(signature: str) -> str:
    return signature.strip().lower().removeprefix("sha256=")


def _delivery(signature: str, delivery_id: str | None) -> str:
    """What identifies a delivery: its id, else its (bare) signature."""
    return f"id:{delivery_id}" if delivery_id is not None else f"sig:{signature}"


def _username(given: str) -> str:
    name = given.strip().casefold()
    if not _USERNAME.fullmatch(name):
        raise PeopleError(f"{given!r} is not a username: use letters, digits, '.', '_', '-' or "
                          "'@' (at most 64), as in mei.ling")
    return name


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise PeopleError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def _minutes(seconds: float) -> str:
    # Rounded up: told to wait 14 minutes, a person coming back then would be refused again.
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def _existing(repo: Repository, username: str) -> User:
    user = stored.user_by_name(repo, username.strip().casefold())
    if user is None:
        raise PeopleError(f"no user {username!r}; `acgate users list` shows them")
    return user


def _keep_an_admin(repo: Repository, user: User, verb: str) -> None:
    # Someone must be left who can manage users from the pages.
    if (user.role is Role.INTEGRATION_ADMIN and not user.disabled
            and stored.count_enabled(repo, Role.INTEGRATION_ADMIN) <= 1):
        raise PeopleError(f"cannot {verb} {user.username}, the last integration admin; "
                          "add another integration admin first")


def _touch_key(repo: Repository, key: ApiKey, now: dt.datetime) -> None:
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        stored.touch_api_key(repo, key.key_id, now)


def _event(at: dt.datetime, actor: str, kind: AccessKind, reason: str,
           data: dict[str, object]) -> dict[str, object]:
    # Neither a document nor a company: that is how the access log tells its events apart.
    return {"document_id": None, "version_id": None, "company": None, "at": at,
            "actor": actor, "kind": kind.value, "reason": reason, "data": data}


# ---- the access log in words ------------------------------------------------------------------

def _role(value: object) -> str:
    return str(value).replace("_", " ")


def _sessions(data: Mapping[str, Any]) -> str:
    ended = int(data.get("sessions_ended") or 0)
    if not ended:
        return ""
    return "; 1 open session ended" if ended == 1 else f"; {ended} open sessions ended"


def _locked_out(event: LoggedEvent) -> str:
    until = dt.datetime.fromisoformat(event.data["until"])
    return (f"locked out for {_minutes((until - event.at).total_seconds())} after "
            f"{event.data['failures']} failed sign-ins in a row")


def _role_changed(event: LoggedEvent) -> str:
    return (f"role changed from {_role(event.data['previous'])} to {_role(event.data['role'])}"
            + _sessions(event.data))


def _sessions_ended(event: LoggedEvent) -> str:
    return "signed out everywhere" + (_sessions(event.data) or "; no session was open")


_WORDING: Mapping[AccessKind, Callable[[LoggedEvent], str]] = {
    AccessKind.LOGGED_IN: lambda event: "signed in",
    AccessKind.LOGGED_OUT: lambda event: "signed out",
    AccessKind.LOCKED_OUT: _locked_out,
    AccessKind.LOGIN_REFUSED: lambda event: "sign-in refused while locked out",
    AccessKind.USER_ADDED: lambda event: f"user added as {_role(event.data['role'])}",
    AccessKind.ROLE_CHANGED: _role_changed,
    AccessKind.USER_DISABLED: lambda event: "user disabled" + _sessions(event.data),
    AccessKind.USER_ENABLED: lambda event: "user enabled",
    AccessKind.PASSWORD_CHANGED: lambda event: "password changed" + _sessions(event.data),
    AccessKind.LOCKOUT_LIFTED: lambda event: f"lock-out lifted: {event.data['reason']}",
    AccessKind.SESSIONS_ENDED: _sessions_ended,
    AccessKind.API_KEY_CREATED:
        lambda event: f"API key {event.data['key_id']} issued to source {event.data['source']}",
    AccessKind.API_KEY_REVOKED:
        lambda event: f"API key {event.data['key_id']} of source {event.data['source']} revoked",
}


def _what(event: LoggedEvent) -> str:
    """The event in words, or the reason recorded with it when this acgate does not know its
    kind or its data's shape (an event written by an older or newer one)."""
    try:
        return _WORDING[AccessKind(event.kind)](event)
    except (KeyError, TypeError, ValueError):
        return event.reason or event.kind.replace("_", " ")


def _entry(event: LoggedEvent) -> AccessLogEntry:
    return AccessLogEntry(event.at, event.actor, event.kind, _what(event), event.username,
                          event.kind in _LOCKOUT_KINDS, event.reason, event.data)

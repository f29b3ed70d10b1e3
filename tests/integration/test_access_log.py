"""The access log on the users page: who signed in, who was locked out, who changed whose role,
newest first and in words, filtered and paged; and who is locked out right now."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, inspect

from acgate.bootstrap import App
from acgate.domain.access import Role
from acgate.http.app import create_app
from acgate.service.people import (
    LOCKOUT,
    MAX_FAILURES,
    AccessKind,
    LockedOut,
    NotAuthenticated,
)
from acgate.storage.people import AccessLogFilter
from acgate.web.users import ACCESS_KIND_LABELS, ACCESS_LOG_PAGE

from .support import Clock, access_log_rows
from .test_pages import PASSWORD, Browser, Person, shown, sign_in_with
from .test_pages import people as people  # the signed-in browsers of test_pages, one per role

MINUTE = dt.timedelta(minutes=1)
# USERS of test_pages, added by "setup" in this order when the test starts.
ADDED = [("2026-11-20 10:00", "setup", "user added as integration admin", "ian"),
         ("2026-11-20 10:00", "setup", "user added as viewer", "vera"),
         ("2026-11-20 10:00", "setup", "user added as operations", "olga"),
         ("2026-11-20 10:00", "setup", "user added as accounts", "alice")]


def sign_ins_a_lockout_and_a_role_change(app: App, people: Browser, clock: Clock) -> Person:
    """olga signs in at 10:00; alice is locked out at 10:05 and refused at 10:06; ian signs in
    at 10:10 and makes vera an operations clerk. Returns ian's browser."""
    people("olga")
    clock.advance(5 * MINUTE)
    browser = TestClient(create_app(app))
    for _ in range(MAX_FAILURES):
        sign_in_with(browser, "alice", "wrong password")
    clock.advance(MINUTE)
    assert sign_in_with(browser, "alice", PASSWORD).status_code == 429
    clock.advance(4 * MINUTE)
    ian = people("ian")
    ian.post("/users/role", {"username": "vera", "role": "operations"})
    return ian


def test_the_access_log_lists_sign_ins_a_lockout_and_a_role_change_newest_first(
        app: App, people: Browser, clock: Clock) -> None:
    ian = sign_ins_a_lockout_and_a_role_change(app, people, clock)

    page = ian.get("/users")

    assert access_log_rows(page.text) == [
        ("2026-11-20 10:10", "ian", "role changed from viewer to operations", "vera"),
        ("2026-11-20 10:10", "ian", "signed in", "ian"),
        ("2026-11-20 10:06", "alice", "lock-out sign-in refused while locked out", "alice"),
        ("2026-11-20 10:05", "alice",
         "lock-out locked out for 15 minutes after 5 failed sign-ins in a row", "alice"),
        ("2026-11-20 10:00", "olga", "signed in", "olga"),
        *ADDED,
    ]
    assert "9 entries" in shown(page)
    assert len(re.findall(r'<tr class="lockout">', page.text)) == 2


def test_the_access_log_filters_by_user_and_by_kind(app: App, people: Browser,
                                                    clock: Clock) -> None:
    ian = sign_ins_a_lockout_and_a_role_change(app, people, clock)

    def whats(address: str) -> list[tuple[str, ...]]:
        return [row[1:] for row in access_log_rows(ian.get(address).text)]

    assert whats("/users?user=alice") == [
        ("alice", "lock-out sign-in refused while locked out", "alice"),
        ("alice", "lock-out locked out for 15 minutes after 5 failed sign-ins in a row",
         "alice"),
        ("setup", "user added as accounts", "alice")]
    # By them or about them, however the name is typed.
    assert whats("/users?user=+Vera+") == [
        ("ian", "role changed from viewer to operations", "vera"),
        ("setup", "user added as viewer", "vera")]
    assert whats("/users?kind=locked_out") == [
        ("alice", "lock-out locked out for 15 minutes after 5 failed sign-ins in a row",
         "alice")]
    assert whats("/users?user=ian&kind=logged_in") == [("ian", "signed in", "ian")]
    assert access_log_rows(ian.get("/users?user=nobody").text) == [
        ("Nothing in the access log matches this filter.",)]
    # An edited address with a kind there is none of shows the whole log.
    assert len(whats("/users?kind=passkey_added")) == 9

    filtered = ian.get("/users?user=alice&kind=locked_out")
    assert 'value="alice"' in filtered.text
    assert '<option value="locked_out" selected>locked out</option>' in filtered.text


def test_the_access_log_answers_htmx_with_its_entries_only(app: App, people: Browser,
                                                           clock: Clock) -> None:
    ian = sign_ins_a_lockout_and_a_role_change(app, people, clock)

    fragment = ian.get("/users?kind=login_refused", headers={"HX-Request": "true"})

    assert "<html" not in fragment.text and "Add a user" not in fragment.text
    assert access_log_rows(fragment.text) == [
        ("2026-11-20 10:06", "alice", "lock-out sign-in refused while locked out", "alice")]
    assert "1 entry" in fragment.text
    assert fragment.headers["content-security-policy"].startswith("default-src 'self'")


def test_the_access_log_pages_from_the_newest(app: App, people: Browser,
                                              clock: Clock) -> None:
    ian = people("ian")
    for _ in range(ACCESS_LOG_PAGE + 5):
        clock.advance(MINUTE)
        app.people.end_sessions("vera", "ian")

    first = ian.get("/users")
    second = ian.get("/users?page=2", headers={"HX-Request": "true"})

    newest = access_log_rows(first.text)
    assert len(newest) == ACCESS_LOG_PAGE
    assert newest[0] == ("2026-11-20 10:55", "ian", "signed out everywhere; no session was open",
                         "vera")
    assert "60 entries, page 1 of 2" in shown(first)
    assert '<a href="/users?page=2" hx-get="/users?page=2" hx-target="#access-log" ' \
           'hx-push-url="true" rel="next">older</a>' in first.text
    oldest = access_log_rows(second.text)
    assert [row[0] for row in oldest[:5]] == ["2026-11-20 10:05", "2026-11-20 10:04",
                                              "2026-11-20 10:03", "2026-11-20 10:02",
                                              "2026-11-20 10:01"]
    assert oldest[5:] == [("2026-11-20 10:00", "ian", "signed in", "ian"), *ADDED]
    assert 'href="/users" hx-get="/users" hx-target="#access-log" hx-push-url="true" ' \
           'rel="prev">newer</a>' in second.text
    filtered = ian.get("/users?kind=sessions_ended&page=2").text
    assert 'href="/users?kind=sessions_ended"' in filtered
    assert len(access_log_rows(filtered)) == 5
    assert access_log_rows(ian.get("/users?page=9").text) == [
        ("No entries on page 9: see the newest.",)]


def _status_of(page: str, username: str) -> str:
    row = re.search(rf'<th scope="row">{username}</th>(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td\b[^>]*>(.*?)</td>", row.group(1), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", cells[2]).split())


def test_a_user_locked_out_now_is_shown_so_until_the_lockout_ends(
        app: App, people: Browser, clock: Clock) -> None:
    ian = sign_ins_a_lockout_and_a_role_change(app, people, clock)

    page = ian.get("/users").text
    assert _status_of(page, "alice") == "active locked out until 2026-11-20 10:20"
    assert _status_of(page, "olga") == "active"

    clock.advance(LOCKOUT)
    assert _status_of(ian.get("/users").text, "alice") == "active"


def test_an_admin_lifts_a_lockout_from_the_page_and_the_user_signs_in_at_once(
        app: App, people: Browser, clock: Clock) -> None:
    ian = sign_ins_a_lockout_and_a_role_change(app, people, clock)
    # Offered for the one user locked out now.
    assert re.findall(r'action="/users/unlock".*?name="username" value="([^"]+)"',
                      ian.get("/users").text, re.S) == ["alice"]

    assert "needs a reason" in shown(ian.post("/users/unlock", {"username": "alice"}))
    lifted = ian.post("/users/unlock", {"username": "alice", "reason": "checked by phone"})

    assert "alice may sign in again: the lock-out is lifted" in shown(lifted)
    assert _status_of(lifted.text, "alice") == "active"
    assert 'action="/users/unlock"' not in lifted.text
    assert access_log_rows(lifted.text)[0] == (
        "2026-11-20 10:10", "ian", "lock-out lifted: checked by phone", "alice")
    assert sign_in_with(TestClient(create_app(app)), "alice", PASSWORD).status_code == 303
    assert "alice is not locked out" in shown(
        ian.post("/users/unlock", {"username": "alice", "reason": "again"}))


@pytest.mark.parametrize("username", ["alice", "olga", "vera"])
def test_only_an_integration_admin_reads_the_access_log(app: App, people: Browser,
                                                        username: str) -> None:
    person = people(username)
    for headers in ({}, {"HX-Request": "true"}):
        answer = person.get("/users?kind=logged_in", headers=headers)
        assert answer.status_code == 403
        assert "access-log" not in answer.text and "Access log" not in answer.text


def test_each_kind_people_records_reads_in_words(app: App, people: Browser) -> None:
    staff = app.people
    staff.add_user("mei", Role.VIEWER, PASSWORD, "ian")
    staff.set_role("mei", Role.ACCOUNTS, "ian")
    staff.log_in("mei", PASSWORD)
    staff.change_password("mei", "another password", "ian")
    staff.log_in("mei", "another password")
    staff.end_sessions("mei", "ian")
    staff.log_out(staff.log_in("mei", "another password").token)
    staff.disable("mei", "ian")
    staff.enable("mei", "ian")
    key = staff.add_key("shop", "ian").key.key_id
    staff.revoke_key(key, "ian")
    for _ in range(MAX_FAILURES + 1):
        with pytest.raises(NotAuthenticated):
            staff.log_in("mei", "wrong password")
    staff.unlock("mei", "ian", "checked by phone")

    entries = staff.access_log(AccessLogFilter(username="mei", limit=100)).entries
    said = {(entry.kind, entry.what) for entry in entries}

    assert said == {
        ("user_added", "user added as viewer"),
        ("role_changed", "role changed from viewer to accounts"),
        ("logged_in", "signed in"),
        ("password_changed", "password changed; 1 open session ended"),
        ("sessions_ended", "signed out everywhere; 1 open session ended"),
        ("logged_out", "signed out"),
        ("user_disabled", "user disabled"),
        ("user_enabled", "user enabled"),
        ("locked_out", "locked out for 15 minutes after 5 failed sign-ins in a row"),
        ("login_refused", "sign-in refused while locked out"),
        ("lockout_lifted", "lock-out lifted: checked by phone"),
    }
    keys = staff.access_log(AccessLogFilter(username="ian", limit=100)).entries
    assert [entry.what for entry in keys if entry.kind.startswith("api_key")] == [
        f"API key {key} of source shop revoked", f"API key {key} issued to source shop"]
    assert {kind for kind, _ in said} | {"api_key_created", "api_key_revoked"} \
        == set(AccessKind) == set(ACCESS_KIND_LABELS)


def test_an_entry_this_acgate_cannot_word_reads_as_its_recorded_reason(
        app: App, people: Browser) -> None:
    ian = people("ian")
    with app.store.transaction() as repo:
        repo.append_events([
            {"document_id": None, "version_id": None, "company": None, "at": app.clock(),
             "actor": "ian", "kind": kind, "reason": reason, "data": data}
            for kind, reason, data in [
                ("passkey_added", "passkey added for alice", {"username": "alice"}),
                ("role_changed", "vera: viewer -> accounts", {"username": "vera"})]])

    assert access_log_rows(ian.get("/users").text)[:2] == [
        ("2026-11-20 10:00", "ian", "vera: viewer -> accounts", "vera"),
        ("2026-11-20 10:00", "ian", "passkey added for alice", "alice")]


def test_events_of_documents_and_companies_are_not_in_the_access_log(
        app: App, people: Browser) -> None:
    # The app's master data was loaded by "setup" for the company: an event with no document.
    entries = app.people.access_log(AccessLogFilter(username="setup")).entries
    assert {entry.kind for entry in entries} == {"user_added"}


def test_the_access_log_is_read_through_an_index_not_the_events_table(
        app: App, people: Browser) -> None:
    assert "ix_events_access_log" in {
        index["name"] for index in inspect(app.store.engine).get_indexes("events")}
    if app.store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics; a tiny table is scanned whole")
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM events" in statement:
            statements.append((statement, parameters))

    event.listen(app.store.engine, "before_cursor_execute", keep)
    try:
        for wanted in (AccessLogFilter(), AccessLogFilter(username="alice"),
                       AccessLogFilter(kind="locked_out"), AccessLogFilter(offset=100)):
            app.people.access_log(wanted)
    finally:
        event.remove(app.store.engine, "before_cursor_execute", keep)

    assert len(statements) == 8  # a page and its count for each filter
    with app.store.engine.connect() as connection:
        for statement, parameters in statements:
            plan = [row[-1] for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters)]
            assert not any(step.startswith("SCAN events") or "TEMP B-TREE" in step
                           for step in plan), (statement, plan)


def test_a_locked_out_name_no_user_has_is_in_the_log_not_in_the_users_table(
        app: App, people: Browser) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(NotAuthenticated):
            app.people.log_in("mallory", "guessed password")
    with pytest.raises(LockedOut):
        app.people.log_in("mallory", "guessed password")

    page = people("ian").get("/users").text

    assert [row[1:] for row in access_log_rows(page)[1:3]] == [
        ("mallory", "lock-out sign-in refused while locked out", "mallory"),
        ("mallory", "lock-out locked out for 15 minutes after 5 failed sign-ins in a row",
         "mallory")]
    assert '<th scope="row">mallory</th>' not in page

"""The pages over HTTP (in-process): signing in, what each role sees and may do, the actions'
effect on the holding area and its trace, the queue's filters and causes, the editors."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from acgate.autocount.errors import Rejected
from acgate.autocount.memory import MemoryTarget
from acgate.autocount.target import Accepted
from acgate.bootstrap import App
from acgate.domain.access import Role
from acgate.domain.codes import SPECS, WAY_OUT, Code, Outcome
from acgate.domain.posting import Posting
from acgate.http.app import create_app
from acgate.http.auth import SESSION_COOKIE
from acgate.service.dispatch import Dispatcher
from acgate.service.overview import dashboard
from acgate.service.people import LOCKOUT, MAX_FAILURES, SESSION_IDLE, SESSION_LIFETIME
from acgate.web.errors import SESSION_ENDED, SESSION_ENDED_AFTER_POST
from acgate.web.templating import NOTICE_COOKIE, UTC, record_url

from .support import (
    Clock,
    Files,
    configure,
    delivery,
    events,
    ingest,
    line,
    order,
    outcome,
    stored,
    trace_of,
)

PASSWORD = "correct horse battery"
USERS = {"alice": Role.ACCOUNTS, "olga": Role.OPERATIONS, "vera": Role.VIEWER,
         "ian": Role.INTEGRATION_ADMIN}
CARTON = [line(uom="carton", qty="1", unit_price="140.00")]
# A stated rate AutoCount disagrees with: held, but a person may release it.
RATE = [line(uom="ctn", qty="1", unit_price="140.00", uom_rate="10")]
# Held on both: an unknown UOM word no release may waive, and that rate.
MIXED = [*CARTON, line(2, uom="ctn", qty="1", unit_price="140.00", uom_rate="10")]

Browser = Callable[[str], "Person"]


class Person:
    """One signed-in person's client: their cookies, and their session's CSRF token."""

    def __init__(self, app: App, username: str) -> None:
        self.client = TestClient(create_app(app))
        answer = self.client.post("/login", data={"username": username, "password": PASSWORD},
                                  follow_redirects=False)
        assert answer.status_code == 303, answer.text
        self.csrf = app.people.session(self.client.cookies[SESSION_COOKIE]).csrf_token

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any], csrf: bool = True) -> Any:
        """A form as the page sends it; redirects are followed, so the answer is the page the
        person lands on, with the notice."""
        form = {**data, "csrf_token": self.csrf} if csrf else data
        return self.client.post(path, data=form)


@pytest.fixture
def people(app: App) -> Browser:
    app.people.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for name, role in USERS.items():
        app.people.add_user(name, role, PASSWORD, "setup")
    return lambda username: Person(app, username)


def notice(page: Any) -> str:
    found = re.search(r'<p class="notice \w+" role="\w+">(.*?)</p>', page.text, re.S)
    return html.unescape(found.group(1).strip()) if found else ""


def post_forms(page: str) -> list[str]:
    return re.findall(r'<form\b[^>]*\bmethod="post"[^>]*\baction="([^"]+)"', page)


# ---- signing in ---------------------------------------------------------------------------

def test_signing_in_sets_a_cookie_scripts_cannot_read(app: App, people: Browser) -> None:
    client = TestClient(create_app(app))
    answer = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                         "next": "/queue?code=UOM_UNKNOWN"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/queue?code=UOM_UNKNOWN"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_after_signing_in_only_a_local_page_is_followed(app: App, people: Browser,
                                                         target: str) -> None:
    client = TestClient(create_app(app))
    answer = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                         "next": target}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_a_wrong_password_shows_the_form_again(app: App, people: Browser) -> None:
    client = TestClient(create_app(app))
    answer = client.post("/login", data={"username": "alice", "password": "wrong password"})
    assert answer.status_code == 401
    assert "wrong username or password" in answer.text
    assert SESSION_COOKIE not in client.cookies


def sign_in_with(client: TestClient, username: str, password: str) -> Any:
    return client.post("/login", data={"username": username, "password": password},
                       follow_redirects=False)


LOCKED_OUT = "too many failed sign-ins with this username: try again in 15 minutes"


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_too_many_wrong_passwords_lock_the_form_and_say_how_long_to_wait(
        app: App, people: Browser, username: str) -> None:
    client = TestClient(create_app(app))
    for _ in range(MAX_FAILURES - 1):
        assert notice(sign_in_with(client, username, "wrong password")) \
            == "wrong username or password"

    last = sign_in_with(client, username, "wrong password")
    refused = sign_in_with(client, username, PASSWORD)

    for answer in (last, refused):
        assert answer.status_code == 429
        assert answer.headers["retry-after"] == str(int(LOCKOUT.total_seconds()))
        assert notice(answer) == LOCKED_OUT
        assert f'value="{username}"' in answer.text  # the form, with the name kept
    assert SESSION_COOKIE not in client.cookies


def test_the_right_password_signs_in_once_the_lockout_is_over(app: App, people: Browser,
                                                               clock: Clock) -> None:
    client = TestClient(create_app(app))
    for _ in range(MAX_FAILURES):
        sign_in_with(client, "alice", "wrong password")

    clock.advance(LOCKOUT - dt.timedelta(seconds=1))
    assert sign_in_with(client, "alice", PASSWORD).status_code == 429
    clock.advance(dt.timedelta(seconds=1))
    assert sign_in_with(client, "alice", PASSWORD).status_code == 303
    assert SESSION_COOKIE in client.cookies
    assert [e.kind for e in _people_events(app)][-3:] == ["locked_out", "login_refused",
                                                           "logged_in"]


def test_signing_in_clears_the_wrong_passwords_before_it(app: App, people: Browser) -> None:
    client = TestClient(create_app(app))
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            assert sign_in_with(client, "alice", "wrong password").status_code == 401
        assert sign_in_with(client, "alice", PASSWORD).status_code == 303


@pytest.mark.parametrize("path", ["/", "/queue", "/log", "/mappings", "/rules", "/users",
                                  "/records/shop/sales_order/SO-1"])
def test_a_page_sends_a_stranger_to_sign_in(app: App, path: str) -> None:
    answer = TestClient(create_app(app)).get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path}"


def test_signing_out_needs_the_token_and_ends_the_session(app: App, people: Browser) -> None:
    alice = people("alice")
    assert alice.post("/logout", {}, csrf=False).status_code == 403
    assert alice.get("/", follow_redirects=False).status_code == 200

    landed = alice.post("/logout", {})
    assert landed.url.path == "/login"
    assert alice.get("/", follow_redirects=False).status_code == 303
    assert [e.kind for e in _people_events(app)][-1] == "logged_out"


def test_the_sign_out_address_opened_by_get_asks_first_and_signs_no_one_out(
        app: App, people: Browser) -> None:
    alice = people("alice")
    page = alice.get("/logout", follow_redirects=False)

    assert page.status_code == 200
    assert "You are about to sign out, alice." in shown(page)
    main = re.search(r"<main\b[^>]*>(.*)</main>", page.text, re.S)
    assert main and re.search(r'<form method="post" action="/logout">\s*<input type="hidden" '
                              rf'name="csrf_token" value="{alice.csrf}">\s*'
                              r'<button type="submit">Sign out</button>', main.group(1))
    assert alice.get("/", follow_redirects=False).status_code == 200
    assert "logged_out" not in [e.kind for e in _people_events(app)]

    assert alice.post("/logout", {}).url.path == "/login"
    assert alice.get("/", follow_redirects=False).status_code == 303


def _people_events(app: App) -> list[Any]:
    from sqlalchemy import select

    from acgate.storage.tables import events as table

    with app.store.transaction() as repo:
        return list(repo.connection.execute(
            select(table).where(table.c.document_id.is_(None)).order_by(table.c.id)))


# ---- a session that ends while a page is open ----------------------------------------------

# htmx names the page in the address bar on every request it makes from that page.
ON_THE_QUEUE = {"HX-Request": "true",
                "HX-Current-URL": "http://testserver/queue?outcome=held&mine=1"}


def end_session(how: str, app: App, clock: Clock, person: Person) -> None:
    if how == "idle":
        clock.advance(SESSION_IDLE)
    elif how == "lifetime":
        # In use all along, so only the absolute lifetime can end it.
        for _ in range(int(SESSION_LIFETIME / dt.timedelta(hours=1))):
            assert person.get("/", follow_redirects=False).status_code == 200
            clock.advance(dt.timedelta(hours=1))
    elif how == "revoked":
        app.people.log_out(person.client.cookies[SESSION_COOKIE])
    else:
        person.client.cookies.clear()
        person.client.cookies.set(SESSION_COOKIE, "names-no-session")


def next_field(page: Any) -> str:
    found = re.search(r'<input type="hidden" name="next" value="([^"]*)">', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


@pytest.mark.parametrize("how", ["idle", "lifetime", "revoked", "unknown"])
def test_htmx_after_the_session_ended_sends_the_window_to_sign_in_and_back(
        app: App, people: Browser, clock: Clock, how: str) -> None:
    alice = people("alice")
    end_session(how, app, clock, alice)

    filtered = alice.get("/queue?outcome=held&mine=1&code=UOM_UNKNOWN", headers=ON_THE_QUEUE,
                         follow_redirects=False)

    # No redirect: htmx's XHR would follow it and swap the login page into the results.
    assert filtered.status_code == 401 and "location" not in filtered.headers
    assert filtered.headers["HX-Redirect"] == "/login?next=/queue%3Foutcome%3Dheld%26mine%3D1"
    login = alice.get(filtered.headers["HX-Redirect"])
    assert "<h1>Sign in to acgate</h1>" in login.text
    assert notice(login) == SESSION_ENDED
    assert next_field(login) == "/queue?outcome=held&mine=1"

    landed = alice.client.post("/login", data={"username": "alice", "password": PASSWORD,
                                               "next": next_field(login)})
    assert landed.status_code == 200
    assert f"{landed.url.path}?{landed.url.query.decode()}" == "/queue?outcome=held&mine=1"
    assert 'id="queue-results"' in landed.text


def test_an_htmx_action_after_the_session_ended_is_not_taken_and_the_login_says_so(
        app: App, files: Files, people: Browser, clock: Clock) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    olga = people("olga")
    clock.advance(SESSION_IDLE)
    before = events(app, "SO-1")

    answer = olga.client.post(
        "/actions/comment", data={"ref": "SO-1", "text": "asked the shop",
                                  "csrf_token": olga.csrf},
        headers={"HX-Request": "true",
                 "HX-Current-URL": "http://testserver/records/shop/sales_order/SO-1"},
        follow_redirects=False)

    assert answer.headers["HX-Redirect"] == "/login?next=/records/shop/sales_order/SO-1"
    login = olga.get(answer.headers["HX-Redirect"])
    assert notice(login) == SESSION_ENDED_AFTER_POST
    assert next_field(login) == "/records/shop/sales_order/SO-1"
    assert events(app, "SO-1") == before


@pytest.mark.parametrize("current", [
    "https://evil.example/queue", "http://testserver.evil.example/queue",
    "http://testserver//evil.example/x", "javascript:alert(1)", None])
def test_htmx_is_never_sent_back_to_another_site_after_signing_in(
        app: App, people: Browser, clock: Clock, current: str | None) -> None:
    alice = people("alice")
    clock.advance(SESSION_IDLE)
    headers = {"HX-Request": "true"} | ({"HX-Current-URL": current} if current else {})

    answer = alice.get("/queue?code=UOM_UNKNOWN", headers=headers, follow_redirects=False)

    assert answer.headers["HX-Redirect"] == "/login?next=/"
    assert next_field(alice.get(answer.headers["HX-Redirect"])) == "/"


@pytest.mark.parametrize("headers", [
    {}, {**ON_THE_QUEUE, "HX-History-Restore-Request": "true"}], ids=["page", "history restore"])
def test_a_whole_page_after_the_session_ended_still_redirects_to_sign_in(
        app: App, people: Browser, clock: Clock, headers: dict[str, str]) -> None:
    alice = people("alice")
    clock.advance(SESSION_IDLE)

    answer = alice.get("/queue", headers=headers, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/queue"
    assert "HX-Redirect" not in answer.headers


@pytest.mark.parametrize("doc_id", ["SO-1", "SO-<1>&\"2'?"])
def test_signing_in_goes_back_to_the_record_asked_for_even_with_odd_characters(
        app: App, files: Files, people: Browser, doc_id: str) -> None:
    ingest(app, files, order(doc_id, lines=CARTON))
    client = TestClient(create_app(app))

    sent = client.get(record_url(f"shop/sales_order/{doc_id}"), follow_redirects=False)
    login = client.get(sent.headers["location"])
    landed = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                         "next": next_field(login)})

    assert landed.status_code == 200
    heading = re.search(r'<h1 class="record">(.*?)</h1>', landed.text)
    assert heading and html.unescape(heading.group(1)) == f"shop/sales_order/{doc_id}"


def test_signing_in_goes_back_to_the_queue_with_its_filter(app: App, people: Browser) -> None:
    client = TestClient(create_app(app))

    sent = client.get("/queue?outcome=all&code=UOM_UNKNOWN", follow_redirects=False)
    login = client.get(sent.headers["location"])

    assert next_field(login) == "/queue?outcome=all&code=UOM_UNKNOWN"
    landed = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                         "next": next_field(login)})
    assert '<option selected>UOM_UNKNOWN</option>' in landed.text


def test_a_form_sent_after_the_session_ended_signs_in_back_to_its_page_not_to_the_action(
        app: App, files: Files, people: Browser, clock: Clock) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    olga = people("olga")
    clock.advance(SESSION_IDLE)
    before = events(app, "SO-1")

    # A plain form (no htmx), sent from the record's page.
    answer = olga.client.post(
        "/actions/comment", data={"ref": "SO-1", "text": "asked the shop",
                                  "csrf_token": olga.csrf},
        headers={"Referer": "http://testserver/records/shop/sales_order/SO-1"},
        follow_redirects=False)

    assert answer.status_code == 303
    login = olga.get(answer.headers["location"])
    assert notice(login) == SESSION_ENDED_AFTER_POST
    assert next_field(login) == "/records/shop/sales_order/SO-1"
    landed = olga.client.post("/login", data={"username": "olga", "password": PASSWORD,
                                              "next": next_field(login)})
    assert landed.status_code == 200 and landed.url.path == "/records/shop/sales_order/SO-1"
    assert events(app, "SO-1") == before


def test_the_api_still_answers_json_401_to_htmx_after_the_session_ended(
        app: App, people: Browser, clock: Clock) -> None:
    alice = people("alice")
    clock.advance(SESSION_IDLE)

    answer = alice.get("/api/v1/queue", headers=ON_THE_QUEUE, follow_redirects=False)

    assert answer.status_code == 401
    assert answer.json()["error"] == "not signed in, or the session has ended"
    assert answer.json()["fix"].startswith("sign in with POST /api/v1/session")
    assert "HX-Redirect" not in answer.headers


# ---- what each role sees --------------------------------------------------------------------

@pytest.mark.parametrize("username", list(USERS))
def test_every_page_opens_for_every_role(app: App, files: Files, people: Browser,
                                         username: str) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    person = people(username)
    for path in ("/", "/queue", "/queue?mine=1", "/log", "/mappings", "/rules",
                 "/records/shop/sales_order/SO-1", "/records/SO-1"):
        page = person.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert person.get("/users").status_code == (200 if username == "ian" else 403)


def test_a_viewer_gets_no_form_that_changes_anything(app: App, files: Files,
                                                     people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON), order("SO-2", lines=CARTON))
    vera = people("vera")
    for path in ("/", "/queue", "/records/SO-1", "/mappings", "/log", "/rules"):
        assert post_forms(vera.get(path).text) == ["/logout"], path


def test_each_role_gets_the_forms_it_may_use(app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=MIXED))
    olga = post_forms(people("olga").get("/records/SO-1").text)
    assert {"/actions/map", "/actions/reject", "/actions/assign",
            "/actions/comment"} <= set(olga)
    assert "/actions/retry" not in olga  # no failed sync to retry
    assert "/mappings" not in post_forms(people("olga").get("/mappings").text)
    assert "/mappings" in post_forms(people("alice").get("/mappings").text)
    assert "Users" not in people("alice").get("/").text
    assert 'href="/users"' in people("ian").get("/").text


def shown(page: Any) -> str:
    """The text a person reads in the page's main area (tags dropped, entities read)."""
    main = re.search(r"<main\b[^>]*>(.*)</main>", page.text, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(1) if main else page.text)
    return " ".join(html.unescape(text).split())


@pytest.mark.parametrize(("username", "path", "data", "refused", "who_may"), [
    ("vera", "/actions/release", {"ref": "SO-1", "reason": "looks fine"},
     "vera (viewer) may not release held or waiting records",
     "operations, accounts or integration admin"),
    ("vera", "/actions/map", {"company": "acme", "table": "uom", "source": "carton",
                              "target": "CTN"},
     "vera (viewer) may not add a mapping from a finding's suggestion",
     "operations, accounts or integration admin"),
    ("olga", "/actions/retry", {"ref": "SO-1", "reason": "period unlocked"},
     "olga (operations) may not retry a sync", "accounts or integration admin"),
    ("olga", "/mappings", {"company": "acme", "table": "uom", "source": "carton",
                           "target": "CTN"},
     "olga (operations) may not add mappings in the mappings editor",
     "accounts or integration admin"),
    ("alice", "/users/add", {"username": "eve", "role": "integration_admin",
                             "password": "long enough password"},
     "alice (accounts) may not manage users", "integration admin"),
], ids=["viewer-release", "viewer-map", "operations-retry", "operations-mappings",
        "accounts-users"])
def test_an_action_the_role_may_not_take_is_refused_with_a_page_that_says_who_may(
        app: App, files: Files, people: Browser, username: str, path: str,
        data: dict[str, str], refused: str, who_may: str) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    answer = people(username).post(path, data)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert "<h1>Not allowed</h1>" in answer.text
    assert f"{refused}. Who may: {who_may}." in shown(answer)
    assert "Nothing was changed." in shown(answer)
    assert outcome(app, "SO-1") is Outcome.HELD
    assert [e["kind"] for e in events(app, "SO-1")] == ["received"]


def test_a_viewer_opening_an_admin_page_gets_a_page_saying_why_not(
        app: App, people: Browser) -> None:
    vera = people("vera")
    answer = vera.get("/users", headers={"referer": "http://testserver/queue?code=UOM_UNKNOWN"})

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "<title>Not allowed · acgate</title>" in answer.text
    assert 'href="/queue"' in answer.text  # the site's layout, navigation included
    assert shown(answer) == (
        "Not allowed vera (viewer) may not manage users. Who may: integration admin. If your "
        "work needs it, ask an integration admin for such a role. Back to the page you came "
        "from")
    assert '<a href="/queue?code=UOM_UNKNOWN">Back to the page you came from</a>' \
        in answer.text
    # A link from elsewhere is not followed back.
    elsewhere = vera.get("/users", headers={"referer": "https://evil.example/x"})
    assert '<a href="/">Back to the dashboard</a>' in elsewhere.text


def test_a_refused_htmx_request_gets_a_fragment_for_the_pages_error_area(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    vera = people("vera")
    answer = vera.client.post("/actions/release", data={"ref": "SO-1", "reason": "fine"},
                              headers={"HX-Request": "true", "X-CSRF-Token": vera.csrf})

    assert answer.status_code == 403
    assert "<html" not in answer.text and 'role="alert"' in answer.text
    assert shown(answer) == (
        "Not allowed: vera (viewer) may not release held or waiting records. Who may: "
        "operations, accounts or integration admin. If your work needs it, ask an integration "
        "admin for such a role. Nothing was changed.")
    # htmx leaves the page as it was and shows this in base.html's error area.
    assert answer.headers["hx-retarget"] == "#htmx-error"
    assert answer.headers["hx-reswap"] == "innerHTML"
    assert answer.headers["hx-push-url"] == "false"
    assert 'id="htmx-error"' in vera.get("/queue").text
    assert outcome(app, "SO-1") is Outcome.HELD


def test_an_action_without_the_csrf_token_is_refused(app: App, files: Files,
                                                     people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    answer = people("alice").post("/actions/reject", {"ref": "SO-1", "reason": "duplicate"},
                                  csrf=False)
    assert answer.status_code == 403
    assert "the request carries no valid CSRF token; reload the page." in shown(answer)
    assert "Nothing was changed." in shown(answer)
    assert outcome(app, "SO-1") is Outcome.HELD


def test_an_address_with_no_page_is_an_html_page_not_json(app: App, people: Browser) -> None:
    answer = people("vera").get("/no-such-page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in answer.text
    assert "there is no page at this address." in shown(answer)


def test_an_unexpected_failure_on_a_page_is_a_page_too(app: App, people: Browser,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("acgate.web.rules.effective_rules", broken)
    signed_in = people("vera").client.cookies
    client = TestClient(create_app(app), raise_server_exceptions=False, cookies=signed_in)
    answer = client.get("/rules")

    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Something went wrong</h1>" in answer.text
    assert ("acgate could not do that: RuntimeError; try again; if it persists, the "
            "integration admin can read the server log.") in shown(answer)
    assert "the database went away" not in answer.text


def test_a_form_missing_a_field_is_answered_with_a_page(app: App, files: Files,
                                                        people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    answer = people("olga").post("/actions/release", {"reason": "no record named"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "the request lacks what this page needs (ref: Field required)" in shown(answer)


# ---- acting on records ------------------------------------------------------------------------

def test_a_suggestion_adds_the_mapping_and_moves_every_record_on(app: App, files: Files,
                                                                 people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON), order("SO-2", lines=CARTON))
    alice = people("alice")
    record = alice.get("/records/shop/sales_order/SO-1").text
    assert "add the UOM alias carton -&gt; CTN" in record

    landed = alice.post("/actions/map", {"company": "acme", "table": "uom", "source": "carton",
                                         "target": "CTN",
                                         "back": "/records/shop/sales_order/SO-1"})

    assert landed.url.path == "/records/shop/sales_order/SO-1"
    assert notice(landed) == ("mapping uom carton -> CTN added: 2 records re-checked, "
                              "2 moved on")
    assert outcome(app, "SO-1") is Outcome.READY and outcome(app, "SO-2") is Outcome.READY
    moved = events(app, "SO-2")[-1]
    assert (moved["actor"], moved["kind"]) == ("alice", "mapping_added")
    assert NOTICE_COOKIE not in alice.client.cookies  # shown once


def test_a_mapping_to_a_code_autocount_lacks_is_refused_with_why(app: App, files: Files,
                                                                  people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    landed = people("alice").post("/actions/map", {"company": "acme", "table": "uom",
                                                   "source": "carton", "target": "CRATE"})
    assert "'CRATE' is not among AutoCount's uom codes" in notice(landed)
    assert outcome(app, "SO-1") is Outcome.HELD


def test_release_reject_assign_and_comment_name_the_person(app: App, files: Files,
                                                           people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=RATE), order("SO-2", lines=RATE))
    olga = people("olga")

    assert "needs a reason" in notice(olga.post("/actions/release", {"ref": "SO-1"}))
    assert outcome(app, "SO-1") is Outcome.HELD
    landed = olga.post("/actions/release", {"ref": "SO-1", "reason": "10 a carton agreed"})
    assert notice(landed) == "SO-1 released: now ready"
    olga.post("/actions/reject", {"ref": "SO-2", "reason": "sent twice"})
    olga.post("/actions/assign", {"ref": "SO-2", "assignee": "alice"})
    olga.post("/actions/comment", {"ref": "SO-2", "text": "asked the shop"})

    assert outcome(app, "SO-1") is Outcome.READY and outcome(app, "SO-2") is Outcome.REJECTED
    assert stored(app, "SO-2").assignee == "alice"
    assert [(e["actor"], e["kind"]) for e in events(app, "SO-2")[1:]] == [
        ("olga", "rejected"), ("olga", "assigned"), ("olga", "commented")]
    assert "<strong class=\"actor\">olga</strong>" in olga.get("/records/SO-2").text


def test_assigning_to_someone_unknown_is_refused(app: App, files: Files,
                                                 people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    landed = people("olga").post("/actions/assign", {"ref": "SO-1", "assignee": "nobody"})
    assert "no user 'nobody'" in notice(landed)
    assert stored(app, "SO-1").assignee is None


def test_a_record_is_not_assigned_to_a_viewer_who_could_not_work_it(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    olga = people("olga")

    assert "vera is a viewer and may not act on a record" in notice(
        olga.post("/actions/assign", {"ref": "SO-1", "assignee": "vera"}))
    assert stored(app, "SO-1").assignee is None
    page = olga.get("/records/SO-1").text
    assert '<option value="alice">' in page and '<option value="vera">' not in page


# ---- the queue ------------------------------------------------------------------------------

def test_the_queue_filters_and_groups_what_holds_it_by_cause(app: App, files: Files,
                                                             people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON), order("SO-2", lines=CARTON),
           order("SO-3", lines=[line(item="NOPE-1")]), order("SO-4"))
    olga = people("olga")

    page = olga.get("/queue").text
    assert "3 records" in page
    assert re.search(r"<strong>2</strong> records wait on uom <code>carton</code>", page)
    assert re.search(r"<strong>1</strong> record waits on item <code>NOPE-1</code>", page)
    only = olga.get("/queue?company=acme&table=uom&blocker=carton").text
    assert "2 records" in only and "SO-3" not in only
    by_code = olga.get("/queue?code=ITEM_UNMAPPED").text
    assert "1 record" in by_code and "SO-3" in by_code and "SO-1" not in by_code
    assert "SO-4" in olga.get("/queue?outcome=ready").text



def test_records_waiting_on_another_document_are_not_listed_as_a_missing_mapping(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, delivery("DO-1", "SO-9"), order("SO-3", lines=[line(item="NOPE-1")]))
    assert outcome(app, "DO-1") is Outcome.WAITING

    page = people("olga").get("/queue").text

    assert "2 records" in page
    assert re.search(r"<strong>1</strong> record waits on item <code>NOPE-1</code>", page)
    assert "SO-9</code>" not in page

def test_the_queue_answers_htmx_with_its_results_only(app: App, files: Files,
                                                      people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    fragment = people("olga").get("/queue?code=UOM_UNKNOWN", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "1 record" in fragment.text and "SO-1" in fragment.text
    assert fragment.headers["vary"] == "HX-Request"


def test_my_queue_holds_my_roles_records_and_those_assigned_to_me(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON), order("SO-2", status="on_hold"))
    people("alice").post("/actions/assign", {"ref": "SO-2", "assignee": "ian"})
    assert stored(app, "SO-2").owner == "operations"

    mine = {name: people(name).get("/queue?mine=1").text for name in ("alice", "olga", "ian")}
    assert "SO-1" in mine["alice"] and "SO-2" not in mine["alice"]
    assert "SO-2" in mine["olga"] and "SO-1" not in mine["olga"]
    assert "SO-2" in mine["ian"]


def test_a_viewer_is_offered_no_queue_of_their_own(app: App, files: Files,
                                                  people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON), order("SO-2", status="on_hold"))
    vera = people("vera")
    for path in ("/", "/queue", "/log"):
        page = vera.get(path).text
        assert "/queue?mine=1" not in page and "My queue" not in page, path
    olga = people("olga")
    assert 'href="/queue?mine=1"' in olga.get("/").text
    assert 'id="f-mine"' in olga.get("/queue").text

    bookmarked = vera.get("/queue?mine=1")
    assert "A viewer works no owner's queue: only records assigned to vera by name" \
        in shown(bookmarked)
    assert "0 records" in bookmarked.text
    assert 'id="f-mine"' in bookmarked.text  # still ticked, so it can be unticked

    # Assigned while she worked operations: still hers by name once she only views.
    olga.post("/actions/assign", {"ref": "SO-2", "assignee": "olga"})
    app.people.set_role("olga", Role.VIEWER, "setup")
    demoted = people("olga").get("/queue?mine=1").text
    assert "1 record" in demoted and "SO-2" in demoted and "SO-1" not in demoted


def test_bulk_actions_take_the_rows_ticked_or_the_whole_filter(app: App, files: Files,
                                                               people: Browser) -> None:
    ingest(app, files, *(order(f"SO-{n}", lines=CARTON) for n in range(1, 5)))
    olga = people("olga")

    landed = olga.post("/actions/assign", {"assignee": "alice", "scope": "filter",
                                           "query": "code=UOM_UNKNOWN"})
    assert notice(landed) == "4 records assigned to alice"
    assert {stored(app, f"SO-{n}").assignee for n in range(1, 5)} == {"alice"}

    landed = olga.post("/actions/reject", {"ref": ["shop/sales_order/SO-1",
                                                   "shop/sales_order/SO-2"],
                                           "reason": "test orders", "back": "/queue"})
    assert landed.url.path == "/queue"
    assert notice(landed) == "2 records rejected"
    assert [outcome(app, f"SO-{n}") for n in range(1, 5)] == [
        Outcome.REJECTED, Outcome.REJECTED, Outcome.HELD, Outcome.HELD]


def test_a_bulk_action_refused_for_one_reason_says_it_once(app: App, files: Files,
                                                           people: Browser) -> None:
    ingest(app, files, *(order(f"SO-{n}", lines=CARTON) for n in range(1, 4)))
    olga = people("olga")

    landed = olga.post("/actions/reject", {"ref": [f"shop/sales_order/SO-{n}"
                                                   for n in range(1, 4)], "reason": " "})

    assert notice(landed) == "0 of 3 rejected; a reject needs a reason: say why, for the audit " \
                             "trail"
    assert [outcome(app, f"SO-{n}") for n in range(1, 4)] == [Outcome.HELD] * 3
    one = olga.post("/actions/comment", {"ref": "SO-1", "text": " "})
    assert notice(one) == "a comment needs its text: write the note"


def test_a_page_past_the_last_says_so_and_links_back_not_that_nothing_matches(
        app: App, files: Files, clock: Clock, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON), order("SO-2"))
    Dispatcher(app.store, app.directory, lambda company: MemoryTarget(), clock).run_once()
    olga = people("olga")

    queue = shown(olga.get("/queue?code=UOM_UNKNOWN&page=7"))
    assert "No records on page 7: see the first page" in queue
    assert "No records match this filter" not in queue
    log = shown(olga.get("/log?page=7"))
    assert "No sync attempts on page 7: see the newest" in log


@pytest.mark.parametrize("address", ["/log?page=0", "/log?page=abc", "/log?page=-3",
                                     "/log?result=nonsense&company=nowhere"])
def test_an_edited_log_address_shows_the_log_not_an_error(app: App, files: Files, clock: Clock,
                                                          people: Browser, address: str) -> None:
    ingest(app, files, order("SO-1"))
    Dispatcher(app.store, app.directory, lambda company: MemoryTarget(), clock).run_once()

    page = people("olga").get(address)

    assert page.status_code == 200
    assert "1 sync attempt" in shown(page) and "shop/sales_order/SO-1" in page.text


# ---- the record page --------------------------------------------------------------------------

def test_the_record_page_shows_the_checklist_and_what_changed(app: App, files: Files,
                                                              people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    ingest(app, files, order("SO-1", version=2, lines=[line(uom="carton", qty="3",
                                                            unit_price="140.00")]),
           name="v2.jsonl")
    page = people("vera").get("/records/shop/sales_order/SO-1").text

    checklist = re.findall(r'<li class="(pass|fail)">\s*<span class="mark"[^>]*>.</span>\s*'
                           r"<strong>([^<]+)</strong>", page)
    assert len(checklist) == 7
    assert [label for status, label in checklist if status == "fail"] == ["Item and UOM match"]
    assert "<h3>v1 → v2</h3>" in page
    assert re.search(r"<code>lines\[line=1\]\.qty</code></th><td class=\"before\">1</td>"
                     r"<td class=\"after\">3</td>", page)


def test_an_unknown_record_is_not_found(app: App, people: Browser) -> None:
    page = people("vera").get("/records/shop/sales_order/NOPE")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert shown(page) == ("Not found no document 'shop/sales_order/NOPE'; use source/type/id "
                           "as `acgate queue` shows it. Back to the queue")


RELEASE_BLOCKED = "Why it cannot be released"


def release_offered(page: Any) -> bool:
    return "/actions/release" in post_forms(page.text)


@pytest.mark.parametrize(("document", "code"), [
    (order("SO-1", lines=CARTON), Code.UOM_UNKNOWN),
    (order("SO-1", status="draft"), Code.STATUS_NOT_READY),
    (delivery("SO-1", based_on="SO-9"), Code.DEPENDENCY_PENDING),
], ids=["UOM_UNKNOWN", "STATUS_NOT_READY", "DEPENDENCY_PENDING"])
def test_a_firm_finding_offers_no_release_but_says_why_and_the_way_out(
        app: App, files: Files, people: Browser, document: dict[str, Any], code: Code) -> None:
    ingest(app, files, document)
    assert SPECS[code].firm
    page = people("olga").get("/records/SO-1")

    assert page.status_code == 200
    assert not release_offered(page)
    assert 'type="submit">Release</button>' not in page.text
    text = shown(page)
    assert f"{RELEASE_BLOCKED} A release cannot waive this finding" in text
    assert f"{code.value} " in text and f"Way out: {WAY_OUT[code]}" in text
    assert "which a release could waive" not in text
    # Rejecting stays a way out.
    assert "/actions/reject" in post_forms(page.text)


def test_a_firm_finding_shows_its_own_suggestion_as_the_way_out(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    text = shown(people("alice").get("/records/SO-1"))
    assert (f"Way out: {WAY_OUT[Code.UOM_UNKNOWN]}; suggested: add the UOM alias carton -> "
            "PCS; add the UOM alias carton -> CTN.") in text


def test_beside_a_firm_finding_a_releasable_one_is_said_not_to_move_it_on(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=MIXED))
    page = people("olga").get("/records/SO-1")

    assert not release_offered(page)
    assert ("It also has UOM_RATE_MISMATCH, which a release could waive; but releasing now "
            "would not move it on while UOM_UNKNOWN stands. Deal with that first: release is "
            "offered here once it is gone.") in shown(page)


def test_a_record_with_only_releasable_findings_still_offers_release(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=RATE))
    page = people("olga").get("/records/SO-1")

    assert "UOM_RATE_MISMATCH" in page.text and not SPECS[Code.UOM_RATE_MISMATCH].firm
    assert release_offered(page)
    assert RELEASE_BLOCKED not in page.text
    # The release form is what the page offers: it lets the record on.
    landed = people("olga").post("/actions/release", {"ref": "SO-1", "reason": "agreed"})
    assert notice(landed) == "SO-1 released: now ready"


def test_a_held_record_whose_batch_window_has_opened_can_be_released(
        app: App, files: Files, people: Browser, clock: Clock) -> None:
    configure(app, {"types": {"sales_order": {"timing": "batch", "schedule": "0 18 * * *"}}})
    # Held on its totals (a person may release that) while its batch window is still ahead.
    ingest(app, files, order("SO-1", totals={"subtotal": "30.00", "total": "30.00"}))
    assert {f["code"] for f in trace_of(app, "SO-1").as_dict()["findings"]} \
        == {"TOTALS_MISMATCH", "SCHEDULED_BATCH"}
    clock.advance(dt.timedelta(days=1))  # the window opened; nothing re-checked a held record

    page = people("alice").get("/records/SO-1")
    assert release_offered(page) and RELEASE_BLOCKED not in page.text
    landed = people("alice").post("/actions/release", {"ref": "SO-1", "reason": "totals agreed"})

    assert notice(landed) == "SO-1 released: now ready"
    assert outcome(app, "SO-1") is Outcome.READY
    assert [(e["actor"], e["kind"], e["reason"]) for e in events(app, "SO-1")][-1] \
        == ("alice", "released", "totals agreed")


class Refusing(MemoryTarget):
    """An AutoCount book that refuses every document, as a locked period would."""

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        raise Rejected("CreditTerm (CreditTermKey = COD) not exists", 400)


def test_a_refused_sync_offers_retry_not_release(app: App, files: Files, clock: Clock,
                                                  people: Browser) -> None:
    ingest(app, files, order("SO-1"))
    book = Refusing()
    Dispatcher(app.store, app.directory, lambda company: book, clock).run_once()
    assert outcome(app, "SO-1") is Outcome.HELD

    page = people("alice").get("/records/SO-1")

    assert not release_offered(page) and "/actions/retry" in post_forms(page.text)
    text = shown(page)
    assert (f"SYNC_REJECTED AutoCount refused it: CreditTerm (CreditTermKey = COD) not exists. "
            f"Way out: {WAY_OUT[Code.SYNC_REJECTED]}; suggested: fix the cause, then retry the "
            "sync.") in text
    assert "When the cause is dealt with, retry the sync below." in text
    assert '<a href="#retry">retry the sync</a>' in page.text


def map_form(page: Any, table: str, source: str) -> list[str] | None:
    """The AutoCount codes offered by the record page's form that adds the mapping of `source`
    in `table`, or None if the page has no such form."""
    for form in re.findall(r'<form\b[^>]*action="/actions/map"[^>]*>(.*?)</form>', page.text,
                           re.S):
        if (f'name="table" value="{table}"' in form
                and f'name="source" value="{html.escape(source)}"' in form):
            return re.findall(r"<option>([^<]+)</option>", form)
    return None


@pytest.mark.parametrize(("username", "document", "table", "source", "target"), [
    ("alice", order("SO-1", lines=[line(item="NOPE-1")]), "item", "NOPE-1", "WID-100"),
    ("olga", order("SO-1", branch="Ipoh"), "location", "Ipoh", "PG"),
], ids=["ITEM_UNMAPPED", "LOCATION_UNMAPPED"])
def test_a_missing_mapping_with_no_candidate_can_be_added_from_the_record_page(
        app: App, files: Files, people: Browser, username: str, document: dict[str, Any],
        table: str, source: str, target: str) -> None:
    ingest(app, files, document, {**document, "id": "SO-2"})
    person = people(username)
    page = person.get("/records/SO-1")
    assert outcome(app, "SO-1") is Outcome.HELD
    assert "add the missing mapping" in shown(page)  # the way out the page names

    offered = map_form(page, table, source)

    assert offered is not None and target in offered
    landed = person.post("/actions/map", {"company": "acme", "table": table, "source": source,
                                          "target": target,
                                          "back": "/records/shop/sales_order/SO-1"})
    assert landed.url.path == "/records/shop/sales_order/SO-1"
    assert notice(landed) == (f"mapping {table} {source} -> {target} added: 2 records "
                              "re-checked, 2 moved on")
    assert outcome(app, "SO-1") is Outcome.READY and outcome(app, "SO-2") is Outcome.READY
    assert map_form(landed, table, source) is None  # nothing left to map


def test_a_viewer_gets_no_form_to_add_a_missing_mapping(app: App, files: Files,
                                                       people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=[line(item="NOPE-1")]))
    page = people("vera").get("/records/SO-1")
    assert map_form(page, "item", "NOPE-1") is None
    assert post_forms(page.text) == ["/logout"]


@pytest.mark.parametrize(("document", "field"), [
    (order("SO-1", status="on_hold"), "field status : source on_hold"),
    (order("SO-1", date="2026-11-31"), "field date"),
], ids=["SOURCE_EXCEPTION", "INVALID_DOCUMENT"])
def test_a_finding_without_a_source_or_expected_value_does_not_show_none(
        app: App, files: Files, people: Browser, document: dict[str, Any], field: str) -> None:
    ingest(app, files, document)
    text = shown(people("olga").get("/records/SO-1"))
    assert outcome(app, "SO-1") is Outcome.HELD
    assert field in text
    assert "None" not in text


def test_a_duplicate_links_to_the_document_it_duplicates(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", reference="PO-77"), order("SO-2", reference="PO-77"))
    page = people("olga").get("/records/SO-2").text

    assert outcome(app, "SO-2") is Outcome.HELD
    assert '<a href="/records/shop/sales_order/SO-1">shop/sales_order/SO-1</a>' in page


# ---- editors ----------------------------------------------------------------------------------

def test_the_mappings_editor_adds_a_mapping_and_lists_who_added_it(
        app: App, files: Files, people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    alice = people("alice")
    form = alice.get("/mappings?company=acme&table=uom").text
    assert "<option>CTN</option>" in form and "<option>BOX</option>" in form

    landed = alice.post("/mappings", {"company": "acme", "table": "uom", "source": "carton",
                                      "target": "CTN", "reason": "24 a carton"})

    assert landed.url.query.decode() == "company=acme&table=uom"
    assert "1 record re-checked, 1 moved on" in notice(landed)
    assert re.search(r"<code>carton</code></td><td><code>CTN</code></td><td>alice</td>",
                     landed.text)
    assert outcome(app, "SO-1") is Outcome.READY


def test_an_admin_adds_a_user_changes_the_role_and_disables_them(
        app: App, people: Browser) -> None:
    ian = people("ian")
    landed = ian.post("/users/add", {"username": "Mei.Ling", "display_name": "Mei Ling",
                                     "role": "viewer", "password": "a long password"})
    assert notice(landed) == "mei.ling added as viewer"
    assert "at least 10 characters" in notice(ian.post(
        "/users/add", {"username": "bob", "role": "viewer", "password": "short"}))

    ian.post("/users/role", {"username": "mei.ling", "role": "accounts"})
    assert app.people.user("mei.ling").role is Role.ACCOUNTS
    ian.post("/users/disable", {"username": "mei.ling"})
    assert app.people.user("mei.ling").disabled
    kinds = [(e.actor, e.kind) for e in _people_events(app)][-3:]
    assert kinds == [("ian", "user_added"), ("ian", "role_changed"), ("ian", "user_disabled")]


# ---- the dashboard ----------------------------------------------------------------------------

def test_the_dashboard_counts_the_holding_area_and_its_flow(app: App, files: Files,
                                                            clock: Clock,
                                                            people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON), order("SO-2", status="draft"),
           order("SO-3"))
    clock.advance(dt.timedelta(days=2))
    ingest(app, files, order("SO-4", lines=CARTON), name="later.jsonl")
    app.review.reject("SO-3", "alice", "test")

    board = dashboard(app.store, clock(), UTC)

    assert (board.held, board.waiting) == (2, 1)
    assert {c.key: (c.held, c.waiting) for c in board.by_code} == {
        "UOM_UNKNOWN": (2, 0), "STATUS_NOT_READY": (0, 1)}
    assert {c.key: c.total for c in board.by_age} == {
        "under 1 day": 1, "1 to 3 days": 2, "3 to 7 days": 0, "over 7 days": 0}
    assert [(d.received, d.rejected) for d in board.flow if d.received or d.rejected] == [
        (3, 0), (1, 1)]
    assert [str(r.identity) for r in board.oldest] == ["shop/sales_order/SO-1",
                                                       "shop/sales_order/SO-4"]
    page = people("vera").get("/").text
    assert '<rect class="bar received"' in page
    assert "<title>" in page
    # Each code in words beside it, the contract's meaning, on the board and in the queue.
    meaning = "The UOM, after aliases, is not a UOM of that item in AutoCount"
    assert f'<span class="meaning">{meaning}</span>' in page
    assert f'<span class="code" title="{meaning}">UOM_UNKNOWN</span>' in people("vera").get(
        "/queue").text

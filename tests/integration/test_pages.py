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

from acgate.bootstrap import App
from acgate.domain.access import Role
from acgate.domain.codes import Outcome
from acgate.http.app import create_app
from acgate.http.auth import SESSION_COOKIE
from acgate.service.overview import dashboard
from acgate.web.templating import NOTICE_COOKIE, UTC

from .support import Clock, Files, events, ingest, line, order, outcome, stored

PASSWORD = "correct horse battery"
USERS = {"alice": Role.ACCOUNTS, "olga": Role.OPERATIONS, "vera": Role.VIEWER,
         "ian": Role.INTEGRATION_ADMIN}
CARTON = [line(uom="carton", qty="1", unit_price="140.00")]

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


def _people_events(app: App) -> list[Any]:
    from sqlalchemy import select

    from acgate.storage.tables import events as table

    with app.store.transaction() as repo:
        return list(repo.connection.execute(
            select(table).where(table.c.document_id.is_(None)).order_by(table.c.id)))


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
    ingest(app, files, order("SO-1", lines=CARTON))
    olga = post_forms(people("olga").get("/records/SO-1").text)
    assert {"/actions/map", "/actions/release", "/actions/reject", "/actions/assign",
            "/actions/comment"} <= set(olga)
    assert "/actions/retry" not in olga  # no failed sync to retry
    assert "/mappings" not in post_forms(people("olga").get("/mappings").text)
    assert "/mappings" in post_forms(people("alice").get("/mappings").text)
    assert "Users" not in people("alice").get("/").text
    assert 'href="/users"' in people("ian").get("/").text


@pytest.mark.parametrize(("username", "path", "data"), [
    ("vera", "/actions/release", {"ref": "SO-1", "reason": "looks fine"}),
    ("vera", "/actions/map", {"company": "acme", "table": "uom", "source": "carton",
                              "target": "CTN"}),
    ("olga", "/actions/retry", {"ref": "SO-1", "reason": "period unlocked"}),
    ("olga", "/mappings", {"company": "acme", "table": "uom", "source": "carton",
                           "target": "CTN"}),
    ("alice", "/users/add", {"username": "eve", "role": "integration_admin",
                             "password": "long enough password"}),
])
def test_an_action_the_role_may_not_take_is_refused(app: App, files: Files, people: Browser,
                                                    username: str, path: str,
                                                    data: dict[str, str]) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    answer = people(username).post(path, data)
    assert answer.status_code == 403
    assert "may not" in answer.json()["error"]
    assert outcome(app, "SO-1") is Outcome.HELD
    assert [e["kind"] for e in events(app, "SO-1")] == ["received"]


def test_an_action_without_the_csrf_token_is_refused(app: App, files: Files,
                                                     people: Browser) -> None:
    ingest(app, files, order("SO-1", lines=CARTON))
    answer = people("alice").post("/actions/reject", {"ref": "SO-1", "reason": "duplicate"},
                                  csrf=False)
    assert answer.status_code == 403
    assert "CSRF" in answer.json()["error"]
    assert outcome(app, "SO-1") is Outcome.HELD


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
    rate = [line(uom="ctn", qty="1", unit_price="140.00", uom_rate="10")]
    ingest(app, files, order("SO-1", lines=rate), order("SO-2", lines=rate))
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
    assert "no document" in page.text


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

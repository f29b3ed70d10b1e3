"""Users, source keys, master data, rules and companies over HTTP, each change by the signed-in
admin."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from acgate.bootstrap import App
from acgate.service.people import LOCKOUT, MAX_FAILURES
from acgate.storage.tables import events
from integration.support import MASTER, Clock, access_log_rows

from .conftest import PASSWORD, SignIn


def test_an_admin_adds_a_user_who_can_then_sign_in(sign_in: SignIn,
                                                    anonymous: TestClient) -> None:
    admin = sign_in("ian")

    added = admin.post("/api/v1/users", json={"username": "Mei.Ling", "role": "accounts",
                                              "password": PASSWORD, "display_name": "Mei Ling"})

    assert added.status_code == 201, added.text
    assert added.json()["username"] == "mei.ling"
    assert anonymous.post("/api/v1/session", json={
        "username": "mei.ling", "password": PASSWORD}).status_code == 200
    listed = [u["username"] for u in admin.get("/api/v1/users").json()]
    assert "mei.ling" in listed
    again = admin.post("/api/v1/users", json={"username": "mei.ling", "role": "viewer",
                                              "password": PASSWORD})
    assert again.status_code == 409
    assert again.json()["fix"] == "change their role with PUT /api/v1/users/mei.ling/role"
    short = admin.post("/api/v1/users", json={"username": "kim", "role": "viewer",
                                              "password": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.json()["error"]


def test_disabling_a_user_ends_their_sessions_and_keeps_one_admin(sign_in: SignIn,
                                                                  app: App) -> None:
    admin, clerk = sign_in("ian"), sign_in("omar")

    disabled = admin.post("/api/v1/users/omar/disable")

    assert disabled.status_code == 200
    assert disabled.json()["disabled"] is True
    assert clerk.get("/api/v1/me").status_code == 401
    assert admin.post("/api/v1/users/omar/disable").status_code == 409
    assert admin.post("/api/v1/users/omar/enable").json()["disabled"] is False
    last = admin.put("/api/v1/users/ian/role", json={"role": "viewer"})
    assert last.status_code == 409
    assert "last integration admin" in last.json()["error"]
    assert admin.post("/api/v1/users/nobody/disable").status_code == 404
    actors = {e.kind: e.actor for e in _people_events(app)}
    assert actors["user_disabled"] == actors["user_enabled"] == "ian"


def _people_events(app: App) -> list[Any]:
    with app.store.transaction() as repo:
        return list(repo.connection.execute(select(events).where(events.c.document_id.is_(None))))


def test_a_source_key_is_shown_once_and_can_be_revoked(sign_in: SignIn,
                                                       anonymous: TestClient) -> None:
    admin = sign_in("ian")

    made = admin.post("/api/v1/source-keys", json={"source": "shop"})

    assert made.status_code == 201
    secret, key_id = made.json()["secret"], made.json()["key"]["key_id"]
    listed = admin.get("/api/v1/source-keys").json()
    assert [(k["key_id"], k["active"]) for k in listed] == [(key_id, True)]
    assert secret not in json.dumps(listed)
    assert admin.delete(f"/api/v1/source-keys/{key_id}").status_code == 200
    assert admin.delete(f"/api/v1/source-keys/{key_id}").status_code == 409
    assert admin.delete("/api/v1/source-keys/ak_000000000000").status_code == 404
    bad = admin.post("/api/v1/source-keys", json={"source": "shop front"})
    assert bad.status_code == 422
    assert "not a source name" in bad.json()["error"]


def test_master_data_is_counted_and_replaced_by_an_upload(sign_in: SignIn) -> None:
    viewer = sign_in("vera")
    before = viewer.get("/api/v1/master/acme").json()
    assert (before["loaded_from"], before["counts"]["items"]) == ("master.json", 2)
    bigger = {**MASTER, "items": [*MASTER["items"], {
        "code": "NEW-1", "description": "New", "base_uom": "PCS",
        "uoms": [{"uom": "PCS", "rate": "1"}]}]}

    loaded = sign_in("aisha").post("/api/v1/master/acme", files={
        "file": ("autocount.json", json.dumps(bigger).encode(), "application/json")})

    assert loaded.status_code == 200, loaded.text
    assert (loaded.json()["loaded_from"], loaded.json()["counts"]["items"]) == (
        "autocount.json", 3)
    assert sign_in("omar").post("/api/v1/master/acme", files={
        "file": ("autocount.json", b"{}", "application/json")}).status_code == 403


CSV_EXPORT = {
    "debtors.csv": "AccNo,CompanyName,CurrencyCode\n300-M001,Syarikat Maju Jaya Sdn Bhd,MYR\n",
    "creditors.csv": "CreditorCode,CompanyName,CurrencyCode\n400-P001,Pembekal Utama,MYR\n",
    "items.csv": "ItemCode,Description,BaseUOM\nWID-100,Widget,PCS\nGAD-200,Gadget,PCS\n"
                 "NEW-1,New,PCS\n",
    "item_uoms.csv": "ItemCode,UOM,Rate,Price\nWID-100,PCS,1,12.50\nWID-100,CTN,12,140\n"
                     "GAD-200,PCS,1,5\nNEW-1,PCS,1,3\n",
    "locations.csv": "Location\nHQ\nPG\n",
    "tax_codes.csv": "TaxCode,TaxRate\nS-10,10\n",
    "terms.csv": "DisplayTerm\nC30\n",
}


def test_a_csv_export_is_uploaded_whole_and_one_table_alone_empties_nothing(
        sign_in: SignIn) -> None:
    """Master data is replaced as a whole. One CSV file sent alone would have left the company
    with that table only (every record held on a missing item); it is refused, and the CSV
    files of an export are sent together, as `acgate master load` takes them."""
    clerk = sign_in("aisha")

    alone = clerk.post("/api/v1/master/acme", files={
        "file": ("items.csv", CSV_EXPORT["items.csv"].encode(), "text/csv")})

    assert alone.status_code == 422, alone.text
    error = alone.json()
    assert "would leave acme with no debtors, creditors, locations, tax_codes, terms" in \
        error["error"]
    assert {p["field"] for p in error["problems"]} == {"file"}
    assert "send every CSV file of the export in one request" in error["fix"]
    assert sign_in("vera").get("/api/v1/master/acme").json()["counts"]["debtors"] == 2
    whole = clerk.post("/api/v1/master/acme", files=[
        ("file", (name, text.encode(), "text/csv")) for name, text in CSV_EXPORT.items()])
    assert whole.status_code == 200, whole.text
    loaded = whole.json()
    assert loaded["loaded_from"] == ", ".join(CSV_EXPORT)
    assert {k: v for k, v in loaded["counts"].items() if v} == {
        "debtors": 1, "creditors": 1, "items": 3, "locations": 2, "tax_codes": 1, "terms": 1}
    named = clerk.post("/api/v1/master/acme", data={"table": "items"}, files=[
        ("file", ("a.csv", b"ItemCode\nX\n", "text/csv")),
        ("file", ("b.csv", b"ItemCode\nY\n", "text/csv"))])
    assert named.status_code == 422
    assert named.json()["problems"][0]["field"] == "table"


def test_a_bad_master_file_names_each_row_and_field(sign_in: SignIn) -> None:
    broken = {**MASTER, "items": [{"code": "X-1", "base_uom": "PCS",
                                   "uoms": [{"uom": "PCS", "rate": "-1"}]}]}

    answer = sign_in("aisha").post("/api/v1/master/acme", files={
        "file": ("autocount.json", json.dumps(broken).encode(), "application/json")})

    assert answer.status_code == 422
    error = answer.json()
    assert "nothing was loaded" in error["error"]
    assert error["problems"]
    assert all(p["record"] and p["fix"] for p in error["problems"])


def test_rules_and_companies_are_readable_and_an_unknown_company_is_404(sign_in: SignIn) -> None:
    viewer = sign_in("vera")

    assert viewer.get("/api/v1/companies").json() == [
        {"company": "acme", "name": "Acme Trading Sdn Bhd"}]
    rules = viewer.get("/api/v1/rules/acme").json()
    assert rules["company"] == "acme"
    assert rules["types"]["sales_order"]["max_wait"]
    for path in ("/api/v1/rules/nope", "/api/v1/master/nope"):
        answer = viewer.get(path)
        assert answer.status_code == 404
        assert "company 'nope' has no rules file" in answer.json()["error"]


# ---- the access log -----------------------------------------------------------------------------

def _lock_out_and_change_a_role(sign_in: SignIn, anonymous: TestClient) -> TestClient:
    """omar is locked out by wrong passwords; ian signs in and makes vera an operations clerk."""
    for _ in range(MAX_FAILURES):
        anonymous.post("/api/v1/session", json={"username": "omar", "password": "wrong one"})
    admin = sign_in("ian")
    assert admin.put("/api/v1/users/vera/role", json={"role": "operations"}).status_code == 200
    return admin


def test_the_access_log_answers_newest_first_in_words(sign_in: SignIn,
                                                      anonymous: TestClient) -> None:
    admin = _lock_out_and_change_a_role(sign_in, anonymous)

    log = admin.get("/api/v1/access-log").json()

    assert log["total"] == 7 and (log["limit"], log["offset"]) == (100, 0)
    seen = [{key: row[key] for key in ("actor", "kind", "what", "username", "lockout")}
            for row in log["rows"]]
    assert seen[:3] == [
        {"actor": "ian", "kind": "role_changed", "what": "role changed from viewer to operations",
         "username": "vera", "lockout": False},
        {"actor": "ian", "kind": "logged_in", "what": "signed in", "username": "ian",
         "lockout": False},
        {"actor": "omar", "kind": "locked_out",
         "what": "locked out for 15 minutes after 5 failed sign-ins in a row",
         "username": "omar", "lockout": True},
    ]
    assert [row["what"] for row in log["rows"][3:]] == [
        "user added as integration admin", "user added as accounts",
        "user added as operations", "user added as viewer"]
    locked = log["rows"][2]
    assert locked["at"] == "2026-11-20T02:00:00Z"
    assert dt.datetime.fromisoformat(locked["data"]["until"]) \
        == dt.datetime.fromisoformat(locked["at"]) + LOCKOUT


def test_the_access_log_over_http_is_what_the_users_page_shows(sign_in: SignIn,
                                                               anonymous: TestClient) -> None:
    admin = _lock_out_and_change_a_role(sign_in, anonymous)

    for query in ("", "?user=omar", "?kind=role_changed"):
        rows = admin.get(f"/api/v1/access-log{query}").json()["rows"]
        page = admin.get(f"/users{query}")
        assert [row[1:] for row in access_log_rows(page.text)] == [
            (row["actor"], ("lock-out " if row["lockout"] else "") + row["what"],
             row["username"] or "-") for row in rows], query


def test_the_access_log_filters_and_pages_over_http(sign_in: SignIn,
                                                    anonymous: TestClient) -> None:
    admin = _lock_out_and_change_a_role(sign_in, anonymous)

    def kinds(query: str) -> list[str]:
        answer = admin.get(f"/api/v1/access-log?{query}")
        assert answer.status_code == 200, answer.text
        return [row["kind"] for row in answer.json()["rows"]]

    assert kinds("user=omar") == ["locked_out", "user_added"]
    assert kinds("user=%20IAN%20") == ["role_changed", "logged_in", "user_added"]
    assert kinds("kind=locked_out") == ["locked_out"]
    assert kinds("user=vera&kind=role_changed") == ["role_changed"]
    assert kinds("user=nobody") == []
    everything = kinds("")
    paged = admin.get("/api/v1/access-log?limit=2&offset=1").json()
    assert (paged["total"], paged["limit"], paged["offset"]) == (7, 2, 1)
    assert [row["kind"] for row in paged["rows"]] == everything[1:3]
    assert admin.get("/api/v1/access-log?kind=nonsense").status_code == 422


@pytest.mark.parametrize("username", ["vera", "omar", "aisha"])
def test_only_an_integration_admin_reads_the_access_log_over_http(
        sign_in: SignIn, anonymous: TestClient, username: str) -> None:
    answer = sign_in(username).get("/api/v1/access-log")

    assert answer.status_code == 403
    assert "may not manage_users" in answer.json()["error"]
    assert anonymous.get("/api/v1/access-log").status_code == 401


# ---- lock-outs ----------------------------------------------------------------------------------

def _lock_out(anonymous: TestClient, username: str) -> None:
    for _ in range(MAX_FAILURES):
        anonymous.post("/api/v1/session", json={"username": username, "password": "wrong one"})


def _locked_until(admin: TestClient) -> dict[str, str | None]:
    answer = admin.get("/api/v1/users")
    assert answer.status_code == 200, answer.text
    return {user["username"]: user["locked_until"] for user in answer.json()}


def test_a_locked_out_user_is_listed_with_when_the_lockout_ends_until_it_does(
        sign_in: SignIn, anonymous: TestClient, clock: Clock) -> None:
    admin = sign_in("ian")
    _lock_out(anonymous, "omar")

    listed = _locked_until(admin)

    assert listed == {"aisha": None, "ian": None, "omar": "2026-11-20T02:15:00Z", "vera": None}
    until = dt.datetime.fromisoformat(str(listed["omar"]))
    assert until.tzinfo is not None and until == clock() + LOCKOUT
    # Answers about one user say it too, whatever the change.
    assert admin.post("/api/v1/users/omar/disable").json()["locked_until"] == listed["omar"]
    clock.advance(LOCKOUT)
    assert _locked_until(admin)["omar"] is None


def test_an_admin_lifts_a_lockout_with_a_reason_and_the_user_signs_in_at_once(
        sign_in: SignIn, anonymous: TestClient) -> None:
    admin = sign_in("ian")
    _lock_out(anonymous, "omar")
    assert anonymous.post("/api/v1/session", json={
        "username": "omar", "password": PASSWORD}).status_code == 429

    lifted = admin.post("/api/v1/users/Omar/unlock", json={"reason": "typo, checked by phone"})

    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["username"], lifted.json()["locked_until"]) == ("omar", None)
    assert _locked_until(admin)["omar"] is None
    assert anonymous.post("/api/v1/session", json={
        "username": "omar", "password": PASSWORD}).status_code == 200
    log = admin.get("/api/v1/access-log?user=omar").json()["rows"]
    assert [(row["actor"], row["kind"], row["what"]) for row in log[:2]] == [
        ("omar", "logged_in", "signed in"),
        ("ian", "lockout_lifted", "lock-out lifted: typo, checked by phone")]
    locked = next(row for row in log if row["kind"] == "locked_out")
    assert dt.datetime.fromisoformat(log[1]["data"]["until"]) \
        == dt.datetime.fromisoformat(locked["data"]["until"])  # the lock-out it lifted


def test_lifting_a_lockout_needs_one_running_a_user_and_a_reason(
        sign_in: SignIn, anonymous: TestClient, app: App) -> None:
    admin = sign_in("ian")
    _lock_out(anonymous, "omar")
    before = len(_people_events(app))

    not_locked = admin.post("/api/v1/users/vera/unlock", json={"reason": "asked to"})
    assert not_locked.status_code == 409
    assert not_locked.json()["error"] == "vera is not locked out"
    unknown = admin.post("/api/v1/users/nobody/unlock", json={"reason": "asked to"})
    assert unknown.status_code == 404
    assert unknown.json()["record"] == "nobody"
    for body in ({}, {"reason": "  "}):
        assert admin.post("/api/v1/users/omar/unlock", json=body).status_code == 422
    for clerk in ("vera", "aisha"):
        assert sign_in(clerk).post("/api/v1/users/omar/unlock",
                                   json={"reason": "asked to"}).status_code == 403
    assert anonymous.post("/api/v1/users/omar/unlock",
                          json={"reason": "asked to"}).status_code == 401
    token = admin.headers.pop("X-CSRF-Token")
    assert admin.post("/api/v1/users/omar/unlock",
                      json={"reason": "asked to"}).status_code == 403
    admin.headers["X-CSRF-Token"] = token

    assert len(_people_events(app)) == before + 2  # vera and aisha signed in; nothing lifted
    assert _locked_until(admin)["omar"] is not None

"""The holding area over HTTP: the queue and its filters, a record's trace, and every action,
each recorded with the signed-in person as the actor."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from acgate.autocount.errors import Rejected
from acgate.autocount.memory import MemoryTarget
from acgate.autocount.target import Accepted
from acgate.bootstrap import App
from acgate.domain.access import Role
from acgate.domain.codes import WAY_OUT, Code
from acgate.domain.posting import Posting
from acgate.service.dispatch import Dispatcher
from acgate.sources.records import RawRecord
from integration.support import COMPANY, Clock, line, order, trade

from .conftest import PASSWORD, SignIn

SO_1 = "shop/sales_order/SO-1"
RATE_MISMATCH = [line(uom="ctn", qty="1", unit_price="140.00", uom_rate="10")]
CARTON = [line(uom="carton", qty="1", unit_price="140.00")]


def ingest(app: App, *documents: dict[str, Any]) -> None:
    app.intake.ingest([RawRecord(f"test item {n}", doc) for n, doc in enumerate(documents, 1)],
                      actor="setup")


def trace(client: TestClient, ref: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/documents/{ref}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_accounts_releases_with_a_reason_and_the_trace_names_them(app: App,
                                                                   sign_in: SignIn) -> None:
    ingest(app, order("SO-1", lines=RATE_MISMATCH))
    clerk = sign_in("aisha")

    answer = clerk.post(f"/api/v1/documents/{SO_1}/release",
                        json={"reason": "carton of 10 agreed"})

    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert (record["identity"], record["outcome"]) == (SO_1, "ready")
    assert record["findings"][0]["released_by"] == "aisha: carton of 10 agreed"
    last = trace(clerk, "SO-1")["events"][-1]
    assert (last["kind"], last["actor"], last["reason"]) == (
        "released", "aisha", "carton of 10 agreed")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"why": "x"}])
def test_a_release_needs_a_reason(app: App, sign_in: SignIn, body: dict[str, str]) -> None:
    ingest(app, order("SO-1", lines=RATE_MISMATCH))

    answer = sign_in("aisha").post(f"/api/v1/documents/{SO_1}/release", json=body)

    assert answer.status_code == 422
    error = answer.json()
    assert error["error"] == "the request does not fit the API"
    assert {p["field"] for p in error["problems"]} & {"reason", "why"}


def test_a_refused_action_names_the_record_and_what_to_do(app: App, sign_in: SignIn) -> None:
    ingest(app, order("SO-1", lines=CARTON), order("SO-2"))
    clerk = sign_in("aisha")

    firm = clerk.post(f"/api/v1/documents/{SO_1}/release", json={"reason": "ship it"})
    assert firm.status_code == 409
    assert firm.json()["record"] == SO_1
    assert "UOM_UNKNOWN" in firm.json()["error"]
    assert "add the missing mapping" in firm.json()["error"]
    ready = clerk.post("/api/v1/documents/SO-2/release", json={"reason": "why not"})
    assert ready.status_code == 409
    missing = clerk.post("/api/v1/documents/shop/sales_order/SO-404/release",
                         json={"reason": "x"})
    assert missing.status_code == 404
    assert missing.json() == {"error": "no document 'shop/sales_order/SO-404'; use "
                                       "source/type/id as `acgate queue` shows it",
                              "fix": "use source/type/id as the queue shows it",
                              "record": "shop/sales_order/SO-404"}


def test_the_api_refuses_a_role_in_json_even_from_a_browser(app: App, sign_in: SignIn) -> None:
    """The pages answer a refusal with HTML; the API's clients keep their JSON, whatever the
    request looks like."""
    ingest(app, order("SO-1", lines=RATE_MISMATCH))
    viewer = sign_in("vera")

    for headers in ({}, {"HX-Request": "true", "Accept": "text/html"}):
        answer = viewer.post(f"/api/v1/documents/{SO_1}/release", json={"reason": "fine"},
                             headers=headers)
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {
            "error": "vera (viewer) may not release; ask an integration admin for a role that "
                     "may",
            "fix": "only operations, accounts, integration_admin may release; an integration "
                   "admin gives a role with PUT /api/v1/users/{username}/role"}
        assert "hx-retarget" not in answer.headers
    nowhere = viewer.get("/api/v1/no-such-thing")
    assert (nowhere.status_code, nowhere.json()) == (404, {
        "error": "there is no route GET /api/v1/no-such-thing",
        "fix": "GET /api/openapi.json (or /api/docs) lists every route and what it takes"})
    assert trace(viewer, "SO-1")["outcome"] == "held"


def test_reject_assign_and_comment_are_each_an_event_by_the_caller(app: App,
                                                                    sign_in: SignIn) -> None:
    ingest(app, order("SO-1", lines=RATE_MISMATCH), order("SO-2", lines=RATE_MISMATCH))
    clerk = sign_in("omar")

    assigned = clerk.post("/api/v1/documents/SO-1/assign",
                          json={"to": "Aisha", "reason": "she agreed the price"})
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == "aisha"
    assert clerk.post("/api/v1/documents/SO-1/comment",
                      json={"text": "customer called"}).status_code == 200
    rejected = clerk.post("/api/v1/documents/SO-2/reject", json={"reason": "duplicate"})
    assert rejected.json()["outcome"] == "rejected"

    kinds = [(e["kind"], e["actor"], e["reason"]) for e in trace(clerk, "SO-1")["events"][1:]]
    assert kinds == [("assigned", "omar", "she agreed the price"),
                     ("commented", "omar", "customer called")]
    assert trace(clerk, "SO-2")["events"][-1]["actor"] == "omar"
    nobody = clerk.post("/api/v1/documents/SO-1/assign", json={"to": "nobody"})
    assert nobody.status_code == 422
    assert "no user 'nobody'" in nobody.json()["error"]


def test_my_queue_has_my_roles_records_and_those_assigned_to_me(app: App,
                                                                 sign_in: SignIn) -> None:
    ingest(app, order("SO-1", lines=CARTON),  # UOM_UNKNOWN: accounts
           order("SO-2", status="draft"),  # STATUS_NOT_READY: operations
           order("SO-3", status="draft"))
    clerk = sign_in("omar")
    clerk.post("/api/v1/documents/SO-1/assign", json={"to": "omar"})

    def mine(user: str) -> list[str]:
        rows = sign_in(user).get("/api/v1/queue", params={"mine": "true"}).json()["rows"]
        return [row["identity"] for row in rows]

    assert mine("omar") == [SO_1, "shop/sales_order/SO-2", "shop/sales_order/SO-3"]
    assert mine("aisha") == [SO_1]
    assert mine("vera") == []


def test_the_queue_filters_pages_and_counts(app: App, sign_in: SignIn, clock: Clock) -> None:
    ingest(app, order("SO-1", lines=CARTON))
    clock.advance(dt.timedelta(hours=30))
    ingest(app, order("SO-2", lines=CARTON), order("SO-3", status="draft"),
           order("SO-4", party="C-9999"),
           trade("delivery_order", "DO-1", status="picking", lines=[line(unit_price=None)]))
    viewer = sign_in("vera")

    def identities(**params: Any) -> list[str]:
        answer = viewer.get("/api/v1/queue", params=params)
        assert answer.status_code == 200, answer.text
        return [row["identity"].rsplit("/", 1)[1] for row in answer.json()["rows"]]

    assert identities() == ["SO-1", "SO-2", "SO-3", "SO-4", "DO-1"]
    assert identities(code="UOM_UNKNOWN") == ["SO-1", "SO-2"]
    assert identities(owner="operations") == ["SO-3", "DO-1"]
    assert identities(type="delivery_order") == ["DO-1"]
    assert identities(party="C-9999") == ["SO-4"]
    assert identities(older_than="24h") == ["SO-1"]
    assert identities(outcome=["held"], code="PARTY_UNMAPPED") == ["SO-4"]
    page = viewer.get("/api/v1/queue", params={"limit": 2, "offset": 1}).json()
    assert (page["total"], [r["identity"][-4:] for r in page["rows"]]) == (5, ["SO-2", "SO-3"])
    row = page["rows"][0]
    assert (row["outcome"], row["owner"], row["findings"][0]["field"]) == (
        "held", "accounts", "lines[0].uom")
    summary = viewer.get("/api/v1/summary").json()
    assert summary["outcomes"] == {"held": 3, "waiting": 2}
    assert {"code": "UOM_UNKNOWN", "owner": "accounts", "count": 2} in summary["open_findings"]


@pytest.mark.parametrize(("age", "said"), [("soon", "should match pattern"),
                                           ("24", "should match pattern"),
                                           ("99999999999d", "days")])
def test_a_bad_age_names_the_field(sign_in: SignIn, age: str, said: str) -> None:
    answer = sign_in("vera").get("/api/v1/queue", params={"older_than": age})

    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["field"] == "older_than"
    assert said in problem["problem"]


def test_a_mapping_moves_on_the_records_waiting_on_it(app: App, sign_in: SignIn) -> None:
    ingest(app, order("SO-1", lines=CARTON), order("SO-2", lines=CARTON))
    clerk = sign_in("omar")  # may map from a suggestion, not edit mappings at large

    answer = clerk.post("/api/v1/mappings", json={
        "table": "uom", "source_code": "carton", "target_code": "CTN", "reason": "12 a carton"})

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["moved_on"] == [SO_1, "shop/sales_order/SO-2"]
    assert result["mapping"]["added_by"] == "omar"
    assert trace(clerk, "SO-1")["events"][-1]["actor"] == "omar"
    nothing_waits = clerk.post("/api/v1/mappings", json={
        "table": "uom", "source_code": "crate", "target_code": "CTN"})
    assert nothing_waits.status_code == 403
    assert nothing_waits.json()["fix"] == "ask someone who may manage mappings"
    editor = sign_in("aisha").post("/api/v1/mappings", json={
        "table": "uom", "source_code": "crate", "target_code": "CTN"})
    assert editor.status_code == 200
    unknown = sign_in("aisha").post("/api/v1/mappings", json={
        "table": "uom", "source_code": "bag", "target_code": "BAG"})
    assert unknown.status_code == 422
    assert "not among AutoCount's uom codes" in unknown.json()["error"]
    listed = sign_in("vera").get("/api/v1/mappings", params={"table": "uom"}).json()["rows"]
    assert [(m["source_code"], m["target_code"], m["origin"]) for m in listed] == [
        ("pcs", "PCS", "rules"), ("ctn", "CTN", "rules"),
        ("carton", "CTN", "person"), ("crate", "CTN", "person")]


def test_a_recheck_applies_the_rules_as_of_now(app: App, sign_in: SignIn,
                                               clock: Clock) -> None:
    ingest(app, order("SO-1", status="draft"))
    clock.advance(dt.timedelta(hours=49))

    answer = sign_in("omar").post(f"/api/v1/documents/{SO_1}/recheck")

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "held"
    assert "WAIT_EXPIRED" in [f["code"] for f in answer.json()["findings"]]


class RefusingOnce(MemoryTarget):
    """A book that refuses the first document it is sent, as AutoCount does a locked period."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        if not self.refused:
            self.refused = True
            raise Rejected("the period is locked", 400)
        return super().post(posting, need_key=need_key)


def test_a_refused_sync_is_retried_and_logged(app: App, sign_in: SignIn, clock: Clock) -> None:
    ingest(app, order("SO-1"))
    dispatcher = Dispatcher(app.store, app.directory, lambda _: book, clock, worker="w1")
    book = RefusingOnce()
    dispatcher.run_once()
    clerk = sign_in("aisha")

    assert clerk.post("/api/v1/documents/SO-1/retry", json={"reason": "period unlocked"}) \
        .json()["outcome"] == "ready"
    dispatcher.run_once()

    found = trace(clerk, "SO-1")
    number = found["autocount_doc_no"]
    assert number and trace(clerk, number)["identity"] == SO_1
    assert [(a["result"], a["message"]) for a in found["sync_attempts"]] == [
        ("rejected", "the period is locked"), ("accepted", None)]
    log = clerk.get("/api/v1/sync-attempts").json()
    assert log["total"] == 2
    assert [row["result"] for row in log["rows"]] == ["accepted", "rejected"]
    assert clerk.get("/api/v1/sync-attempts", params={"result": "rejected"}).json()["total"] == 1
    again = clerk.post("/api/v1/documents/SO-1/retry", json={"reason": "again"})
    assert again.status_code == 409
    assert again.json()["error"] == f"{SO_1} has no failed sync to retry"


def test_a_refused_release_of_a_failed_sync_names_its_way_out(app: App, sign_in: SignIn,
                                                              clock: Clock) -> None:
    ingest(app, order("SO-1"))
    Dispatcher(app.store, app.directory, lambda _: RefusingOnce(), clock, worker="w1").run_once()
    clerk = sign_in("aisha")

    answer = clerk.post(f"/api/v1/documents/{SO_1}/release", json={"reason": "ship it"})

    # A release cannot end a refused sync: the answer says what does (a retry), not a mapping.
    assert answer.status_code == 409
    assert answer.json()["error"] == (f"{SO_1} cannot be released while it has SYNC_REJECTED. "
                                      f"Way out: SYNC_REJECTED: {WAY_OUT[Code.SYNC_REJECTED]}")
    assert [e["kind"] for e in trace(clerk, "SO-1")["events"]][-1] == "sync_attempt"


def test_every_refusal_names_the_fix(app: App, sign_in: SignIn, web: FastAPI) -> None:
    """A script driving the API gets, with every error, what is wrong and what to do: a role
    refused, a missing CSRF token, a route or method that does not exist, a body that is not
    JSON, a field that is missing or not taken, and an action the record's state refuses."""
    ingest(app, order("SO-1", lines=RATE_MISMATCH), order("SO-2"))
    clerk, viewer = sign_in("omar"), sign_in("vera")

    refused = viewer.post(f"/api/v1/documents/{SO_1}/reject", json={"reason": "duplicate"})
    assert refused.status_code == 403
    assert refused.json()["fix"].startswith("only operations, accounts, integration_admin may "
                                            "reject")
    with TestClient(web) as scripted:
        token = scripted.post("/api/v1/session", json={"username": "omar",
                                                       "password": PASSWORD})
        assert token.status_code == 200
        no_token = scripted.post(f"/api/v1/documents/{SO_1}/comment", json={"text": "x"})
    assert no_token.status_code == 403
    assert no_token.json() == {
        "error": "the request carries no valid CSRF token",
        "fix": "send the `csrf_token` that POST /api/v1/session or GET /api/v1/me answers, as "
               "the X-CSRF-Token header"}
    wrong_method = clerk.delete("/api/v1/queue")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "/api/v1/queue does not take DELETE"
    assert wrong_method.json()["fix"].startswith("use GET on it; ")
    unsigned = TestClient(web).get("/api/v1/queue")
    assert unsigned.status_code == 401
    assert "POST /api/v1/session" in unsigned.json()["fix"]

    for body, field, fix in [
        (b"{reason", "body", "send the body as a JSON object with Content-Type: "
                             "application/json"),
        (b"", "body", "send the body as a JSON object"),
        (b'["x"]', "body", "send the body as a JSON object"),
        (b"{}", "reason", "add the field"),
        (b'{"reason": " "}', "reason", "write it: it must not be blank"),
        (b'{"reason": "x", "why": "y"}', "why", "remove the field: this route does not take "
                                               "it"),
    ]:
        answer = clerk.post(f"/api/v1/documents/{SO_1}/release", content=body,
                            headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, body
        error = answer.json()
        assert error["fix"] == "correct each field `problems` names and send the request again"
        assert [(p["field"], p["fix"].startswith(fix)) for p in error["problems"]] == [
            (field, True)], (body, error)
    assert "not valid JSON at character 1" in clerk.post(
        f"/api/v1/documents/{SO_1}/release", content=b"{reason",
        headers={"Content-Type": "application/json"}).json()["problems"][0]["problem"]

    ready = clerk.post("/api/v1/documents/SO-2/release", json={"reason": "why not"})
    assert ready.status_code == 409
    assert ready.json()["fix"] == ("GET /api/v1/documents/SO-2 shows where the record stands, "
                                   "its findings and their ways out")
    assert trace(clerk, "SO-1")["outcome"] == "held"


def test_the_queue_refuses_a_filter_that_names_nothing(app: App, sign_in: SignIn) -> None:
    """A misspelt finding code or company listed nothing, as if nothing were held for it; they
    are refused with the values to use, and a code in lower case is the code (as on the CLI)."""
    ingest(app, order("SO-1", lines=RATE_MISMATCH), order("SO-2", status="draft"))
    viewer = sign_in("vera")

    by_code = viewer.get("/api/v1/queue", params={"code": "uom_rate_mismatch"})
    assert [r["identity"] for r in by_code.json()["rows"]] == [SO_1]
    misspelt = viewer.get("/api/v1/queue", params={"code": "UOM_RATE_MISMATCHES"})
    assert misspelt.status_code == 422
    [problem] = misspelt.json()["problems"]
    assert problem["field"] == "code"
    assert "UOM_RATE_MISMATCH, TAX_CODE_UNMAPPED" in problem["fix"]
    for path in ("/api/v1/queue", "/api/v1/summary", "/api/v1/sync-attempts"):
        unknown = viewer.get(path, params={"company": "acme-typo"})
        assert unknown.status_code == 404, path
        assert "'acme-typo' has no rules file" in unknown.json()["error"]
        assert unknown.json()["fix"] == "GET /api/v1/companies lists them"
        assert viewer.get(path, params={"company": COMPANY}).status_code == 200
    assert viewer.get("/api/v1/queue", params={"company": COMPANY}).json()["total"] == 2


def test_a_record_is_assigned_only_to_someone_who_can_work_it(app: App,
                                                             sign_in: SignIn) -> None:
    ingest(app, order("SO-1", lines=RATE_MISMATCH))
    clerk = sign_in("omar")
    app.people.add_user("dina", Role.ACCOUNTS, PASSWORD, "setup")
    app.people.disable("dina", "setup")

    for name, said in [("vera", "vera is a viewer and may not act on a record"),
                       ("dina", "dina is disabled and cannot sign in"),
                       ("nobody", "no user 'nobody'")]:
        answer = clerk.post(f"/api/v1/documents/{SO_1}/assign", json={"to": name})
        assert answer.status_code == 422, name
        assert said in answer.json()["error"]
        [problem] = answer.json()["problems"]
        assert problem["field"] == "to"
        assert problem["fix"].startswith("GET /api/v1/users lists the users")
    assert trace(clerk, SO_1)["assignee"] is None
    assert clerk.post(f"/api/v1/documents/{SO_1}/assign",
                      json={"to": "aisha"}).json()["assignee"] == "aisha"


def test_mappings_page_as_the_other_lists(app: App, sign_in: SignIn) -> None:
    viewer = sign_in("vera")

    whole = viewer.get("/api/v1/mappings").json()
    assert whole["total"] == len(whole["rows"]) > 2
    assert (whole["limit"], whole["offset"]) == (200, 0)
    first = viewer.get("/api/v1/mappings", params={"limit": 2}).json()
    rest = viewer.get("/api/v1/mappings", params={"limit": 1000, "offset": 2}).json()
    assert first["total"] == rest["total"] == whole["total"]
    assert first["rows"] + rest["rows"] == whole["rows"]
    assert viewer.get("/api/v1/mappings", params={"limit": 0}).status_code == 422

"""Intake over HTTP: by a source's API key (its own documents only), by a person's session, as
a file upload, and as signed webhooks that refuse forgeries, stale timestamps and replays."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from acgate.bootstrap import App
from acgate.service.people import NewKey, sign_webhook
from integration.support import Clock, line, order

from .conftest import SignIn

SO_1 = "shop/sales_order/SO-1"


@pytest.fixture
def shop_key(app: App) -> NewKey:
    return app.people.add_key("shop", "setup")


def bearer(key: NewKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.secret}"}


def trace(client: TestClient, ref: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/documents/{ref}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_source_posts_a_document_with_its_key(anonymous: TestClient, shop_key: NewKey,
                                                sign_in: SignIn) -> None:
    answer = anonymous.post("/api/v1/documents", json=order("SO-1"), headers=bearer(shop_key))

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["received"], report["new_documents"], report["problem_count"]) == (1, 1, 0)
    [document] = report["documents"]
    assert (document["identity"], document["outcome"]) == (SO_1, "ready")
    found = trace(sign_in("vera"), SO_1)
    assert found["versions"][0]["origin"] == f"REST API (key {shop_key.key.key_id})"
    assert found["events"][0]["actor"] == f"source shop (key {shop_key.key.key_id})"


def test_a_key_sends_only_its_own_sources_documents(anonymous: TestClient, shop_key: NewKey,
                                                    sign_in: SignIn) -> None:
    batch = [order("SO-1"), order("SO-2", source="wms"), order("SO-3")]

    answer = anonymous.post("/api/v1/documents/batch", json=batch, headers=bearer(shop_key))

    assert answer.status_code == 200
    report = answer.json()
    assert (report["received"], report["new_documents"], report["refused"]) == (3, 2, 1)
    [problem] = report["problems"]
    assert problem["kind"] == "wrong_source"
    assert problem["identity"] == "wms/sales_order/SO-2"
    assert problem["origin"] == f"REST API (key {shop_key.key.key_id}) batch item 2"
    [field] = problem["problems"]
    assert field["field"] == "source"
    assert "'shop' only" in field["problem"] and "API key of its own source" in field["fix"]
    viewer = sign_in("vera")
    assert viewer.get("/api/v1/documents/wms/sales_order/SO-2").status_code == 404
    assert viewer.get("/api/v1/queue", params={"outcome": "ready"}).json()["total"] == 2


def test_a_document_that_names_no_source_is_reported_as_breaking_the_contract(
        anonymous: TestClient, shop_key: NewKey) -> None:
    nameless = {key: value for key, value in order("SO-1").items() if key != "source"}
    batch = [nameless, order("SO-2", source=None), order("SO-3", source=" "),
             order("SO-4", source=7)]

    answer = anonymous.post("/api/v1/documents/batch", json=batch, headers=bearer(shop_key))

    report = answer.json()
    assert (report["received"], report["refused"], report["new_documents"]) == (4, 4, 0)
    assert [(p["kind"], p["problems"][0]["field"]) for p in report["problems"]] == [
        ("invalid", "source")] * 3 + [("wrong_source", "source")]


def test_a_revoked_or_unknown_key_is_refused(anonymous: TestClient, shop_key: NewKey,
                                             sign_in: SignIn) -> None:
    revoked = sign_in("ian").delete(f"/api/v1/source-keys/{shop_key.key.key_id}")
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False

    for headers in (bearer(shop_key), {"Authorization": "Bearer ak_123.nope"},
                    {"Authorization": shop_key.secret}, {}):
        answer = anonymous.post("/api/v1/documents", json=order("SO-1"), headers=headers)
        assert answer.status_code == 401
        # A source system is told how to send its key, not to sign in with a session.
        assert "`Authorization: Bearer <key>`" in answer.json()["fix"], headers


def test_a_document_that_breaks_the_contract_is_reported_by_record_field_and_fix(
        anonymous: TestClient, shop_key: NewKey) -> None:
    broken = order("SO-1", lines=[line(qty="-2")])

    answer = anonymous.post("/api/v1/documents", json=broken, headers=bearer(shop_key))

    report = answer.json()
    assert report["problem_count"] == 1
    [problem] = report["problems"]
    assert (problem["identity"], problem["kind"], problem["code"]) == (
        SO_1, "invalid", "INVALID_DOCUMENT")
    [field] = problem["problems"]
    assert field["field"] == "lines[0].qty"
    assert field["problem"] and field["fix"]
    # Kept, held for the integration admin, never silently dropped.
    assert report["documents"][0]["outcome"] == "held"


def test_a_json_number_is_judged_exactly_as_in_a_file(anonymous: TestClient,
                                                      shop_key: NewKey) -> None:
    body = json.dumps(order("SO-1")).replace('"unit_price": "12.50"', '"unit_price": 12.5000001')

    answer = anonymous.post("/api/v1/documents", content=body,
                            headers={**bearer(shop_key), "Content-Type": "application/json"})

    [problem] = answer.json()["problems"]
    assert problem["problems"][0]["field"] == "lines[0].unit_price"


def test_a_key_twice_or_nan_refuses_only_its_own_document_in_a_batch(
        anonymous: TestClient, shop_key: NewKey, app: App) -> None:
    twice = '{"source": "shop", "type": "sales_order", "id": "SO-2", "id": "SO-3"}'
    nan = json.dumps(order("SO-4")).replace('"12.50"', "NaN")
    body = f'[{json.dumps(order("SO-1"))}, {twice},\n {nan}]'

    answer = anonymous.post("/api/v1/documents/batch", content=body,
                            headers={**bearer(shop_key), "Content-Type": "application/json"})

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["received"], report["new_documents"], report["refused"]) == (3, 1, 2)
    assert [d["identity"] for d in report["documents"]] == [SO_1]
    origin = f"REST API (key {shop_key.key.key_id}) batch item"
    assert [(p["origin"], p["kind"]) for p in report["problems"]] == [
        (f"{origin} 2", "unreadable"), (f"{origin} 3", "unreadable")]
    assert "'id' appears twice" in report["problems"][0]["problems"][0]["problem"]
    assert "NaN is not a number" in report["problems"][1]["problems"][0]["problem"]
    with app.store.transaction() as repo:
        kept = [row.raw for row in reversed(repo.intake_errors())]
    assert kept == [twice, nan]


def test_what_is_not_a_document_is_kept_as_it_was_sent(anonymous: TestClient,
                                                       shop_key: NewKey, app: App) -> None:
    as_json = {**bearer(shop_key), "Content-Type": "application/json"}
    batch = anonymous.post("/api/v1/documents/batch", headers=as_json,
                           content='["junk",  [1.50, {"a": 2}], 7]')
    one = anonymous.post("/api/v1/documents", headers=as_json, content='"SO-1" ')

    problems = batch.json()["problems"] + one.json()["problems"]
    assert [p["problems"][0]["problem"].rpartition(" ")[2] for p in problems] == [
        "string", "list", "number", "string"]
    with app.store.transaction() as repo:
        kept = [row.raw for row in reversed(repo.intake_errors())]
    assert kept == ['"junk"', '[1.50, {"a": 2}]', "7", '"SO-1" ']


def test_one_document_and_a_batch_each_take_their_own_shape(anonymous: TestClient,
                                                             shop_key: NewKey) -> None:
    one = anonymous.post("/api/v1/documents", json=[order()], headers=bearer(shop_key))
    assert one.status_code == 422
    assert "/api/v1/documents/batch" in one.json()["fix"]
    batch = anonymous.post("/api/v1/documents/batch", json=order(), headers=bearer(shop_key))
    assert batch.status_code == 422
    as_json = {**bearer(shop_key), "Content-Type": "application/json"}
    for path, content in (("/api/v1/documents", b"{not json"),
                          ("/api/v1/documents/batch", b"not json")):
        # Not JSON at all is not a wrong shape: it is kept and reported, as in a file.
        unreadable = anonymous.post(path, content=content, headers=as_json)
        assert unreadable.status_code == 200, path
        [problem] = unreadable.json()["problems"]
        assert problem["kind"] == "unreadable"
        assert problem["problems"][0]["fix"] == "send valid JSON: one object for each document"


def test_an_empty_body_is_refused_and_nothing_is_recorded(
        anonymous: TestClient, shop_key: NewKey, clock: Clock, app: App) -> None:
    for n, body in enumerate((b"", b" \r\n", b"\xef\xbb\xbf")):
        for path, headers in (
                ("/api/v1/documents", {**bearer(shop_key), "Content-Type": "application/json"}),
                ("/api/v1/documents/batch", {**bearer(shop_key)}),
                ("/api/v1/webhooks/shop", signed(shop_key, clock, body, f"d-{n}"))):
            answer = anonymous.post(path, content=body, headers=headers)
            assert answer.status_code == 422, (path, body)
            assert answer.json()["error"] == "the body is empty"
            assert answer.json()["fix"].startswith("send ")
    with app.store.transaction() as repo:
        assert repo.intake_errors() == []


def test_a_body_of_another_content_type_is_refused_and_nothing_is_recorded(
        anonymous: TestClient, shop_key: NewKey, clock: Clock, app: App) -> None:
    csv = b"source,type,id\nshop,sales_order,SO-1\n"
    for path, headers in (
            ("/api/v1/documents", bearer(shop_key)), ("/api/v1/documents/batch", bearer(shop_key)),
            ("/api/v1/webhooks/shop", signed(shop_key, clock, csv))):
        answer = anonymous.post(path, content=csv, headers={**headers, "Content-Type": "text/csv"})
        assert answer.status_code == 415, path
        assert "/api/v1/documents/file" in answer.json()["fix"]
    with app.store.transaction() as repo:
        assert repo.intake_errors() == []
    typed = anonymous.post("/api/v1/documents", content=json.dumps(order("SO-1")), headers={
        **bearer(shop_key), "Content-Type": "application/json; charset=utf-8"})
    assert typed.json()["new_documents"] == 1


def test_a_source_posts_json_lines_as_a_batch(anonymous: TestClient, shop_key: NewKey,
                                              sign_in: SignIn) -> None:
    """A source that streams JSON Lines sends them as they are: each line is a document,
    reported by its line, and a bad line refuses only its own document."""
    body = "\n".join([json.dumps(order("SO-1")), "{not json", json.dumps(order("SO-3")), ""])

    answer = anonymous.post("/api/v1/documents/batch", content=body.encode(), headers={
        **bearer(shop_key), "Content-Type": "application/x-ndjson"})

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["received"], report["new_documents"], report["refused"]) == (3, 2, 1)
    assert [d["identity"] for d in report["documents"]] == [SO_1, "shop/sales_order/SO-3"]
    [problem] = report["problems"]
    assert problem["origin"] == f"REST API (key {shop_key.key.key_id}) batch line 2"
    assert problem["kind"] == "unreadable"
    found = trace(sign_in("vera"), "shop/sales_order/SO-3")
    assert found["versions"][0]["origin"] == f"REST API (key {shop_key.key.key_id}) batch line 3"
    one = anonymous.post("/api/v1/documents", content=body.encode(), headers={
        **bearer(shop_key), "Content-Type": "application/x-ndjson"})
    assert one.status_code == 415
    assert "/api/v1/documents/batch" in one.json()["fix"]
    empty = anonymous.post("/api/v1/documents/batch", content=b"\n", headers={
        **bearer(shop_key), "Content-Type": "application/jsonl"})
    assert (empty.status_code, empty.json()["error"]) == (422, "the body is empty")


CSV = """\
source,type,id,version,status,date,party.code,lines.line,lines.item,lines.uom,lines.qty,lines.unit_price
shop,sales_order,SO-1,1,approved,2026-11-20,C-0042,1,WID-100,pcs,2,12.50
shop,sales_order,SO-1,1,approved,2026-11-20,C-0042,2,WID-100,carton,1,140.00
shop,sales_order,SO-2,1,approved,2026-11-20,C-0042,1,WID-100,pcs,zero,12.50
"""


def test_a_person_uploads_a_csv_file(sign_in: SignIn) -> None:
    clerk = sign_in("omar")

    answer = clerk.post("/api/v1/documents/file",
                        files={"file": ("orders.csv", CSV.encode(), "text/csv")})

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["received"], report["new_documents"]) == (2, 2)
    assert report["codes"] == {"UOM_UNKNOWN": 1, "INVALID_DOCUMENT": 1}
    [problem] = report["problems"]
    assert problem["origin"] == "orders.csv row 4"
    assert problem["problems"][0]["field"] == "lines[0].qty"
    assert report["documents"] == []
    found = trace(clerk, SO_1)
    assert found["versions"][0]["origin"] == "orders.csv rows 2-3"
    assert found["events"][0]["actor"] == "omar"


def test_an_upload_in_an_unknown_format_is_refused(sign_in: SignIn) -> None:
    answer = sign_in("omar").post("/api/v1/documents/file",
                                  files={"file": ("orders.pdf", b"%PDF", "application/pdf")})

    assert answer.status_code == 415
    assert "orders.pdf" in answer.json()["error"]


def test_a_viewer_may_not_ingest(sign_in: SignIn) -> None:
    answer = sign_in("vera").post("/api/v1/documents", json=order())

    assert answer.status_code == 403


# ---- signed webhooks -----------------------------------------------------------------------------

def signed(key: NewKey, clock: Clock, body: bytes, delivery: str | None = "d-1",
           timestamp: int | None = None) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(clock().timestamp()))
    headers = {"X-Acgate-Timestamp": stamp, "Content-Type": "application/json",
               "X-Acgate-Signature": "sha256=" + sign_webhook(key.signing_secret, stamp, body)}
    if delivery:
        headers["X-Acgate-Delivery"] = delivery
    return headers


def test_a_signed_webhook_is_taken_once(anonymous: TestClient, shop_key: NewKey, clock: Clock,
                                        sign_in: SignIn) -> None:
    body = json.dumps([order("SO-1"), order("SO-2")]).encode()

    answer = anonymous.post("/api/v1/webhooks/shop", content=body,
                            headers=signed(shop_key, clock, body))

    assert answer.status_code == 200, answer.text
    assert answer.json()["new_documents"] == 2
    replayed = anonymous.post("/api/v1/webhooks/shop", content=body,
                              headers=signed(shop_key, clock, body))
    assert replayed.status_code == 409
    assert replayed.json()["error"] == "this delivery was already received"
    found = trace(sign_in("vera"), SO_1)
    assert [e["kind"] for e in found["events"]] == ["received"]
    assert found["events"][0]["actor"] == f"source shop (webhook, key {shop_key.key.key_id})"


def test_a_delivery_that_failed_to_be_stored_is_taken_when_sent_again(
        web: FastAPI, app: App, shop_key: NewKey, clock: Clock, sign_in: SignIn,
        monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps(order("SO-1")).encode()
    headers = signed(shop_key, clock, body)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(app.intake, "ingest", broken)
        with TestClient(web, raise_server_exceptions=False) as client:
            assert client.post("/api/v1/webhooks/shop", content=body,
                               headers=headers).status_code == 500

    with TestClient(web) as client:
        retried = client.post("/api/v1/webhooks/shop", content=body, headers=headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["new_documents"] == 1
    assert trace(sign_in("vera"), SO_1)["outcome"] == "ready"


def test_a_webhook_without_a_delivery_id_is_replayed_by_its_signature(
        anonymous: TestClient, shop_key: NewKey, clock: Clock) -> None:
    body = json.dumps(order("SO-1")).encode()
    headers = signed(shop_key, clock, body, delivery=None)

    assert anonymous.post("/api/v1/webhooks/shop", content=body,
                          headers=headers).status_code == 200
    assert anonymous.post("/api/v1/webhooks/shop", content=body,
                          headers=headers).status_code == 409


def test_a_forged_stale_or_unsigned_webhook_is_refused(anonymous: TestClient, shop_key: NewKey,
                                                       clock: Clock, sign_in: SignIn) -> None:
    body = json.dumps(order("SO-1")).encode()
    now = int(clock().timestamp())
    tampered = signed(shop_key, clock, body, "d-1")
    stale = signed(shop_key, clock, body, "d-2", timestamp=now - 301)
    future = signed(shop_key, clock, body, "d-3", timestamp=now + 301)
    # Twelve digits, as the format allows, but past the year 9999.
    far_future = signed(shop_key, clock, body, "d-5", timestamp=999_999_999_999)
    other_source = signed(shop_key, clock, body, "d-4")
    unsigned = {"Content-Type": "application/json"}

    cases = [("shop", body.replace(b"SO-1", b"SO-9"), tampered, "signature"),
             ("shop", body, stale, "more than five minutes"),
             ("shop", body, future, "more than five minutes"),
             ("shop", body, far_future, "more than five minutes"),
             ("wms", body, other_source, "signature"),
             ("shop", body, unsigned, "must be signed")]
    for source, content, headers, why in cases:
        answer = anonymous.post(f"/api/v1/webhooks/{source}", content=content, headers=headers)
        assert answer.status_code == 401, why
        assert why in answer.json()["error"]
    assert sign_in("vera").get("/api/v1/queue", params={"outcome": "ready"}).json()["total"] == 0


def test_a_webhook_just_inside_five_minutes_is_taken(anonymous: TestClient, shop_key: NewKey,
                                                     clock: Clock) -> None:
    body = json.dumps(order("SO-1")).encode()
    headers = signed(shop_key, clock, body, timestamp=int(clock().timestamp()) - 300)

    assert anonymous.post("/api/v1/webhooks/shop", content=body,
                          headers=headers).status_code == 200

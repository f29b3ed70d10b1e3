"""Signing in and out over HTTP, the CSRF token, and what each role may do."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from httpx import Response

from acgate.bootstrap import App
from acgate.service.people import LOCKOUT, MAX_FAILURES
from integration.support import Clock

from .conftest import PASSWORD, SignIn


def test_signing_in_sets_an_http_only_session_cookie_and_answers_the_csrf_token(
        anonymous: TestClient) -> None:
    answer = anonymous.post("/api/v1/session", json={"username": "Aisha", "password": PASSWORD})

    assert answer.status_code == 200
    body = answer.json()
    assert body["user"]["username"] == "aisha"
    assert body["user"]["role"] == "accounts"
    assert "release" in body["permissions"] and "manage_users" not in body["permissions"]
    assert body["queue_owners"] == ["accounts"]
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("acgate_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = anonymous.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["csrf_token"] == body["csrf_token"]


def test_a_wrong_password_is_refused_with_a_json_error(anonymous: TestClient) -> None:
    answer = anonymous.post("/api/v1/session", json={"username": "aisha", "password": "nope"})

    assert answer.status_code == 401
    assert answer.json() == {"error": "wrong username or password",
                             "fix": "check the username and password"}
    assert "set-cookie" not in answer.headers


def sign_in_as(client: TestClient, username: str, password: str) -> Response:
    return client.post("/api/v1/session", json={"username": username, "password": password})


def fail_in_a_row(client: TestClient, username: str) -> list[int]:
    """The statuses of as many wrong passwords in a row as lock a username out."""
    return [sign_in_as(client, username, "not the password").status_code
            for _ in range(MAX_FAILURES)]


def test_after_too_many_wrong_passwords_even_the_right_one_waits_out_the_lockout(
        anonymous: TestClient, clock: Clock) -> None:
    # The last failure allowed already answers how long to wait.
    assert fail_in_a_row(anonymous, "aisha") == [401] * (MAX_FAILURES - 1) + [429]

    refused = sign_in_as(anonymous, "aisha", PASSWORD)
    assert refused.status_code == 429
    assert refused.json() == {
        "error": "too many failed sign-ins with this username: try again in 15 minutes",
        "fix": "wait the seconds `Retry-After` gives, then sign in with the right password"}
    assert refused.headers["retry-after"] == str(int(LOCKOUT.total_seconds()))
    assert "set-cookie" not in refused.headers

    clock.advance(LOCKOUT - dt.timedelta(minutes=1))
    almost = sign_in_as(anonymous, "aisha", PASSWORD)
    assert almost.status_code == 429
    assert almost.headers["retry-after"] == "60"
    assert "try again in 1 minute" in almost.json()["error"]

    clock.advance(dt.timedelta(minutes=1))
    assert sign_in_as(anonymous, "aisha", PASSWORD).status_code == 200
    assert anonymous.get("/api/v1/me").json()["user"]["username"] == "aisha"


def test_a_successful_sign_in_starts_the_count_again(anonymous: TestClient) -> None:
    for _ in range(3):
        assert [sign_in_as(anonymous, "aisha", "not the password").status_code
                for _ in range(MAX_FAILURES - 1)] == [401] * (MAX_FAILURES - 1)
        assert sign_in_as(anonymous, "aisha", PASSWORD).status_code == 200


def test_an_unknown_username_is_locked_out_alike(anonymous: TestClient) -> None:
    known, unknown = fail_in_a_row(anonymous, "aisha"), fail_in_a_row(anonymous, "nobody")

    assert unknown == known
    assert sign_in_as(anonymous, "nobody", PASSWORD).json() \
        == sign_in_as(anonymous, "aisha", PASSWORD).json()
    # Each username has a count of its own.
    assert sign_in_as(anonymous, "omar", PASSWORD).status_code == 200


def test_the_lockout_answer_is_documented(anonymous: TestClient) -> None:
    document = anonymous.get("/api/openapi.json").json()

    answer = document["paths"]["/api/v1/session"]["post"]["responses"]["429"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_signing_out_ends_the_session_on_the_server(sign_in: SignIn, app: App) -> None:
    client = sign_in("aisha")
    stolen = client.cookies.get("acgate_session")

    assert client.delete("/api/v1/session").status_code == 204

    assert client.get("/api/v1/me").status_code == 401
    replayed = TestClient(client.app)
    replayed.cookies.set("acgate_session", stolen or "")
    assert replayed.get("/api/v1/me").status_code == 401


def test_a_change_without_the_csrf_token_is_refused(sign_in: SignIn) -> None:
    client = sign_in("aisha")
    token = client.headers.pop("X-CSRF-Token")

    refused = client.post("/api/v1/documents/SO-1/comment", json={"text": "hello"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    wrong = client.post("/api/v1/documents/SO-1/comment", json={"text": "hello"},
                        headers={"X-CSRF-Token": token[::-1]})
    assert wrong.status_code == 403
    assert client.delete("/api/v1/session").status_code == 403
    # Reading needs no token.
    assert client.get("/api/v1/queue").status_code == 200


def test_a_viewer_reads_the_queue_but_may_not_act(sign_in: SignIn) -> None:
    viewer = sign_in("vera")

    assert viewer.get("/api/v1/queue").status_code == 200
    assert viewer.get("/api/v1/summary").status_code == 200
    for path, body in [
        ("/api/v1/documents/SO-1/release", {"reason": "looks fine"}),
        ("/api/v1/documents/SO-1/reject", {"reason": "duplicate"}),
        ("/api/v1/documents/SO-1/assign", {"to": "aisha"}),
        ("/api/v1/mappings", {"table": "uom", "source_code": "carton", "target_code": "CTN"}),
    ]:
        answer = viewer.post(path, json=body)
        assert answer.status_code == 403, path
        assert "vera (viewer) may not" in answer.json()["error"]
    assert viewer.get("/api/v1/users").status_code == 403
    assert viewer.post("/api/v1/source-keys", json={"source": "shop"}).status_code == 403


def test_a_role_change_ends_the_users_sessions(sign_in: SignIn) -> None:
    admin, clerk = sign_in("ian"), sign_in("omar")

    answer = admin.put("/api/v1/users/omar/role", json={"role": "accounts"})

    assert answer.status_code == 200
    assert answer.json()["role"] == "accounts"
    assert clerk.get("/api/v1/me").status_code == 401

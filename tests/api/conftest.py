"""Fixtures for the HTTP tests: the app factory over a real workspace (rules file, master data,
SQLite holding area) on a clock the test moves, one user per role, and clients that sign in as
them the way a browser or script does (session cookie plus the CSRF header)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from acgate.bootstrap import App, open_app
from acgate.domain.access import Role
from acgate.http.app import create_app
from acgate.service.masters import load_master
from acgate.service.people import People
from integration.support import COMPANY, MASTER, RULES_YAML, Clock

PASSWORD = "correct horse battery"
USERS = {"vera": Role.VIEWER, "omar": Role.OPERATIONS, "aisha": Role.ACCOUNTS,
         "ian": Role.INTEGRATION_ADMIN}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ACGATE_* settings never leak into a test."""
    for name in ("ACGATE_HOME", "ACGATE_NOW", "ACGATE_DATABASE_URL", "ACGATE_USER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_workspace(root: Path, clock: Clock) -> App:
    """A workspace with one company's rules and master data, and a user of each role."""
    (root / "rules").mkdir(parents=True)
    (root / "rules" / f"{COMPANY}.yaml").write_text(RULES_YAML)
    (root / "master.json").write_text(json.dumps(MASTER))
    application = open_app(root, now=clock)
    # Cheap argon2: the tests sign in often.
    application.people = People(application.store, clock, hasher=PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1))
    load_master(application.store, application.directory, COMPANY, root / "master.json",
                clock(), "setup")
    for username, role in USERS.items():
        application.people.add_user(username, role, PASSWORD, "setup")
    return application


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[App]:
    application = open_workspace(tmp_path / "ws", clock)
    yield application
    application.store.engine.dispose()


@pytest.fixture
def web(app: App) -> FastAPI:
    return create_app(app)


@pytest.fixture
def anonymous(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web, follow_redirects=False) as client:
        yield client


def signed_in(web: FastAPI, username: str) -> TestClient:
    """A client signed in as `username`: it keeps the session cookie, as a browser does, and
    sends the CSRF token with every request, as the pages' htmx does."""
    client = TestClient(web, follow_redirects=False)
    answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


SignIn = Callable[[str], TestClient]


@pytest.fixture
def sign_in(web: FastAPI) -> Iterator[SignIn]:
    clients: list[TestClient] = []

    def open_client(username: str) -> TestClient:
        clients.append(signed_in(web, username))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()

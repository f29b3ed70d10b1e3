"""Fixtures for integration tests: a real workspace on disk (rules file, master data, SQLite
holding area), an opened `App` on a clock the test moves, and file writers."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from acgate.bootstrap import App, open_app
from acgate.service.masters import load_master

from .support import COMPANY, MASTER, RULES_YAML, Cli, Clock, Files


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ACGATE_* settings never leak into a test."""
    for name in ("ACGATE_HOME", "ACGATE_NOW", "ACGATE_DATABASE_URL", "ACGATE_USER"):
        monkeypatch.delenv(name, raising=False)


POSTGRES = os.environ.get("ACGATE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every integration test runs on SQLite, and on PostgreSQL where CI provides one
    (ACGATE_TEST_POSTGRES_URL, a server URL whose user may create databases)."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    if not POSTGRES:
        pytest.skip("ACGATE_TEST_POSTGRES_URL is not set")
    name = f"acgate_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    monkeypatch.setenv("ACGATE_DATABASE_URL", POSTGRES.rsplit("/", 1)[0] + "/" + name)
    yield "postgresql"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


@pytest.fixture
def workspace(tmp_path: Path, database: str) -> Path:
    """A workspace folder with one company's rules file and its master data export beside it."""
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / f"{COMPANY}.yaml").write_text(RULES_YAML)
    (root / "master.json").write_text(json.dumps(MASTER))
    return root


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(workspace: Path, clock: Clock) -> Iterator[App]:
    """The workspace opened on the test's clock, with its master data loaded."""
    application = open_app(workspace, now=clock)
    load_master(application.store, application.directory, COMPANY, workspace / "master.json",
                clock(), "setup")
    yield application
    application.store.engine.dispose()


@pytest.fixture
def files(tmp_path: Path) -> Files:
    folder = tmp_path / "in"
    folder.mkdir()
    return Files(folder)


@pytest.fixture
def cli(app: App, workspace: Path, clock: Clock) -> Cli:
    """The CLI on the same workspace as `app` (master data loaded)."""
    return Cli(workspace, clock)

"""Opening the holding area's database and bringing its schema up to date."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"



def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def open_database(url: str) -> Engine:
    """An engine for the holding area; SQLite gets WAL so readers never block the writer."""
    engine = create_engine(url, json_serializer=_json_text)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _postgresql_write_lock)
    return engine


READ_ONLY = "acgate_read_only"


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock when a transaction begins, not at its first write: two processes
    # (a worker and a person's command) then queue instead of failing half-way. A read-only
    # snapshot takes no lock at all.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


# Any constant: the one advisory lock every writing transaction of the holding area takes.
WRITE_LOCK_KEY = 0x61636761  # "acga"


def _postgresql_write_lock(connection: Any) -> None:
    # The holding area's writers are serialised as on SQLite (BEGIN IMMEDIATE above): a unit
    # of work reads, decides and writes (intake's plan asked again "under the write lock", the
    # dispatcher's outbox entries, a re-check after a mapping), and under READ COMMITTED two
    # processes doing that at once would both decide on what neither had written yet (two
    # workers queued the same version twice and one crashed on the unique key). The lock is
    # the transaction's: it ends with the commit or rollback. A read-only snapshot takes none.
    if connection.get_execution_options().get(READ_ONLY, False):
        return
    connection.exec_driver_sql("SET LOCAL lock_timeout = '30s'")  # as SQLite's busy_timeout
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def _json_text(value: Any) -> str:
    # JSON columns are written for every record at intake; orjson is several times faster.
    return orjson.dumps(value, default=str).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # A version row (the payload as received and its trace) runs 2-4 KB: with SQLite's default
    # 4 KB pages each row spills into an overflow page of its own, which every write and
    # checkpoint then copies. It takes effect when the database is created (its first table).
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
    dbapi_connection.isolation_level = None


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

"""Upgrading a holding area made by an earlier acgate keeps what it holds correct."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy
from alembic import command

from acgate.storage.database import alembic_config, open_database, sqlite_url
from acgate.storage.store import Store

AT = dt.datetime(2026, 11, 20, 1, 0)


def test_natural_keys_stored_with_their_date_are_found_by_reference_after_0005(
        tmp_path: Path) -> None:
    engine = open_database(sqlite_url(tmp_path / "old.db"))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(sqlalchemy.text(
            "INSERT INTO documents (id, company, source, type, doc_id, first_received_at, "
            "outcome, counts_in_ledger, changed_at, reference) VALUES (1, 'demo', 'shop', "
            "'sales_invoice', 'INV-1', :at, 'synced', 1, :at, ' PO-77 ')"), {"at": AT})
        connection.execute(sqlalchemy.text(
            "INSERT INTO doc_keys (document_id, company, type, key, reference) VALUES "
            "(1, 'demo', 'sales_invoice', 'nat|300-A001|2026-11-20|po-77|148.00', '2026-11-20'),"
            "(1, 'demo', 'sales_invoice', 'ref|300-A001|po-77', 'po-77')"))

    Store(engine).migrate()

    with engine.connect() as connection:
        rows = connection.execute(sqlalchemy.text(
            "SELECT key, reference FROM doc_keys ORDER BY key")).all()
    assert [tuple(row) for row in rows] == [
        ("nat|300-A001|2026-11-20|po-77|148.00", "po-77"),
        ("ref|300-A001|po-77", "po-77"),
    ]

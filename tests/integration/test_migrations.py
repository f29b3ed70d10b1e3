"""Upgrading a holding area made by an earlier acgate keeps what it holds correct."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from acgate.storage.database import alembic_config, open_database, sqlite_url
from acgate.storage.store import Store
from acgate.storage.tables import HAS_DOC_NO, OPEN_ONLY, metadata

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


def test_the_migrations_build_the_schema_the_code_names(tmp_path: Path) -> None:
    engine = open_database(sqlite_url(tmp_path / "new.db"))
    Store(engine).migrate()

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        partial = dict(connection.execute(sqlalchemy.text(
            "SELECT name, sql FROM sqlite_master WHERE name IN ('ix_documents_party', "
            "'ix_documents_owner', 'ix_documents_autocount_doc_no')")).all())

    assert differences == []
    # Autogenerate does not compare a partial index's condition; the queries that use these
    # repeat it word for word.
    assert partial["ix_documents_party"].endswith(f"WHERE {OPEN_ONLY.text}")
    assert partial["ix_documents_owner"].endswith(f"WHERE {OPEN_ONLY.text}")
    assert partial["ix_documents_autocount_doc_no"].endswith(f"WHERE {HAS_DOC_NO.text}")

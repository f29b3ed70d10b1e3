"""The access log (the users page, GET /api/v1/access-log) reads the events about people and
sources newest first. `ix_events_document` finds them, but on PostgreSQL not in id order, so
every page would sort the whole log: a partial index holds just those events in id order; intake,
whose events all name a document, never writes to it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As `acgate.storage.tables.ACCESS_LOG_EVENTS` has it; a migration never imports the live schema.
ACCESS_LOG_EVENTS = sa.text("document_id IS NULL AND company IS NULL")


def upgrade() -> None:
    op.create_index("ix_events_access_log", "events", ["id"], unique=False,
                    sqlite_where=ACCESS_LOG_EVENTS, postgresql_where=ACCESS_LOG_EVENTS)


def downgrade() -> None:
    op.drop_index("ix_events_access_log", table_name="events")

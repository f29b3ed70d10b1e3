"""The party index holds only held and waiting records. Parties come in no order, so a full index
had every document intake stored dirty a page of its own (a fifth of intake's cost at 100,000
documents), and every ready record was moved out of it again when it synced; people look up a
party's open records, and those are all it holds now.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# As `acgate.storage.tables.OPEN_FOR_PARTY` has it; a migration never imports the live schema.
OPEN_FOR_PARTY = sa.text("outcome IN ('held', 'waiting')")
COLUMNS = ["party_code", "outcome", "first_received_at"]


def upgrade() -> None:
    op.drop_index("ix_documents_party", table_name="documents")
    op.create_index("ix_documents_party", "documents", COLUMNS, unique=False,
                    sqlite_where=OPEN_FOR_PARTY, postgresql_where=OPEN_FOR_PARTY)


def downgrade() -> None:
    op.drop_index("ix_documents_party", table_name="documents")
    op.create_index("ix_documents_party", "documents", COLUMNS, unique=False)

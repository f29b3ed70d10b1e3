"""The owner index holds only held and waiting records (only those have an owner), and the
AutoCount number index only synced records (intake stores none). In full indexes every document
intake stored added an entry to each that no query asks for.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# As `acgate.storage.tables` has them; a migration never imports the live schema.
OPEN_ONLY = sa.text("outcome IN ('held', 'waiting')")
HAS_DOC_NO = sa.text("autocount_doc_no IS NOT NULL")
INDEXES = (
    ("ix_documents_owner", ["owner", "outcome", "first_received_at"], OPEN_ONLY),
    ("ix_documents_autocount_doc_no", ["autocount_doc_no"], HAS_DOC_NO),
)


def upgrade() -> None:
    for name, columns, condition in INDEXES:
        op.drop_index(name, table_name="documents")
        op.create_index(name, "documents", columns, unique=False, sqlite_where=condition,
                        postgresql_where=condition)


def downgrade() -> None:
    for name, columns, _condition in INDEXES:
        op.drop_index(name, table_name="documents")
        op.create_index(name, "documents", columns, unique=False)

"""Duplicate keys are looked up by company and reference (`ix_doc_keys_reference`), never by
the key itself: drop the key index, which every intake paid for on every document.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 18:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("doc_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_doc_keys_lookup")


def downgrade() -> None:
    with op.batch_alter_table("doc_keys", schema=None) as batch_op:
        batch_op.create_index("ix_doc_keys_lookup", ["company", "type", "key"], unique=False)

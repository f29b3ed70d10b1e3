"""Indexes for the pages: the queue in its order, by owner and by party; findings by document,
by code and by blocking mapping, covering what the queue's filters and causes read; events by
kind and time for the dashboard.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:06:40.225449
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_documents_queue", ["first_received_at", "id", "outcome"], unique=False
        )
        batch_op.create_index(
            "ix_documents_owner", ["owner", "outcome", "first_received_at"], unique=False
        )
        batch_op.create_index(
            "ix_documents_party", ["party_code", "outcome", "first_received_at"], unique=False
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_kind_at", ["kind", "at"], unique=False)

    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_document")
        batch_op.create_index(
            "ix_findings_document",
            ["document_id", "blocker_table", "blocker_code", "company", "outcome"],
            unique=False,
        )
        batch_op.drop_index("ix_findings_blocker")
        batch_op.create_index(
            "ix_findings_blocker",
            ["blocker_table", "blocker_code", "company", "outcome", "document_id"],
            unique=False,
        )
        batch_op.drop_index("ix_findings_code")
        batch_op.create_index("ix_findings_code", ["code", "company", "document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_code")
        batch_op.create_index("ix_findings_code", ["company", "code"], unique=False)
        batch_op.drop_index("ix_findings_blocker")
        batch_op.create_index(
            "ix_findings_blocker", ["company", "blocker_table", "blocker_code"], unique=False
        )
        batch_op.drop_index("ix_findings_document")
        batch_op.create_index("ix_findings_document", ["document_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_kind_at")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_party")
        batch_op.drop_index("ix_documents_owner")
        batch_op.drop_index("ix_documents_queue")

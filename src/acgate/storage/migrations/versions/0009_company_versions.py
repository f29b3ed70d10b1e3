"""Each company's version: how often its mappings or master data changed. A process keeps the
company it built (rules, mappings, master data) with the version it saw and builds it again when
the version moves on, so a mapping added or master data loaded in one process (the CLI, the web)
is what every other (an API server, a worker) checks with from then on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 22:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "company_versions",
        sa.Column("company", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("company"),
    )


def downgrade() -> None:
    op.drop_table("company_versions")

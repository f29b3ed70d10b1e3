"""Natural duplicate keys are looked up by the document's reference.

Until now a natural key (`nat|party|date|reference|amount`) was stored with its date in the
`reference` column, so a duplicate by natural key was only found within one intake batch. Each
such row now gets its document's reference, normalised as the checks normalise it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT k.document_id, d.reference FROM doc_keys k JOIN documents d "
        "ON d.id = k.document_id WHERE k.key LIKE 'nat|%' AND d.reference IS NOT NULL"
    )).all()
    fixed = {document_id: reference.strip().casefold() for document_id, reference in rows}
    for document_id, reference in fixed.items():
        connection.execute(sa.text(
            "UPDATE doc_keys SET reference = :reference "
            "WHERE document_id = :document_id AND key LIKE 'nat|%'"
        ), {"reference": reference, "document_id": document_id})


def downgrade() -> None:
    """The old values were wrong; there is nothing worth restoring."""

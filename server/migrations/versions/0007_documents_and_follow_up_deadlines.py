"""the documents a customer did not bring; follow-up deadlines

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", recreate="never") as batch:
        batch.add_column(sa.Column("missing_documents", sa.JSON(), nullable=True))
    with op.batch_alter_table("follow_ups", recreate="never") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", recreate="never") as batch:
        batch.drop_column("due_at")
    with op.batch_alter_table("tickets", recreate="never") as batch:
        batch.drop_column("missing_documents")

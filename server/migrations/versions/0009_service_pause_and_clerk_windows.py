"""services paused by a supervisor; the windows a clerk may open

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services", recreate="never") as batch:
        batch.add_column(
            sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("paused_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True))
    # NULL: any window, as before (existing clerks keep opening every window).
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("windows", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("windows")
    with op.batch_alter_table("services", recreate="never") as batch:
        batch.drop_column("paused_since")
        batch.drop_column("paused_reason")
        batch.drop_column("paused")

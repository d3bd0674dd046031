"""engine settings: services' typical minutes, windows' green-channel streak

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# recreate="never": plain ALTER TABLE ... ADD/DROP COLUMN, also on SQLite (3.35 or newer). A
# copy of the table would fail there: tickets and devices refer to these rows.


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("typical_minutes", sa.Float(), nullable=True))

    with op.batch_alter_table("counters", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("priority_streak", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("counters", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("priority_streak")

    with op.batch_alter_table("services", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("typical_minutes")

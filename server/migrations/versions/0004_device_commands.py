"""device commands; the source of each logged change

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "device_commands",
        sa.Column("id", BigId, nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ticket_id", BigId, nullable=True),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_commands_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_device_commands_hall_id_halls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_commands")),
    )
    op.create_index(
        "ix_device_commands_pending",
        "device_commands",
        ["device_id", "id"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_device_commands_ticket", "device_commands", ["ticket_id"], unique=False)
    # A plain ADD COLUMN (no table copy): the log's append-only triggers stay as they are.
    op.add_column("events", sa.Column("source", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "source")
    op.drop_index("ix_device_commands_ticket", table_name="device_commands")
    op.drop_index("ix_device_commands_pending", table_name="device_commands")
    op.drop_table("device_commands")

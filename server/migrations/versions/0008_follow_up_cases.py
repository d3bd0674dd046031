"""follow-up cases: complaints besides bad ratings, an assignee, notes over time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # rating_id becomes nullable (a complaint has no rating): SQLite needs a copy of the
    # table for that, which is safe here because no other table refers to follow_ups.
    with op.batch_alter_table("follow_ups", schema=None) as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), server_default="rating", nullable=False)
        )
        batch.add_column(
            sa.Column("status", sa.String(length=8), server_default="open", nullable=False)
        )
        batch.add_column(sa.Column("ticket_id", BigId, nullable=True))
        batch.add_column(sa.Column("counter_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("clerk_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("recorded_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("rating_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(
            batch.f("fk_follow_ups_ticket_id_tickets"), "tickets", ["ticket_id"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_follow_ups_counter_id_counters"), "counters", ["counter_id"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_follow_ups_clerk_id_users"), "users", ["clerk_id"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_follow_ups_recorded_by_users"), "users", ["recorded_by"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_follow_ups_assignee_id_users"), "users", ["assignee_id"], ["id"]
        )
        batch.create_index("ix_follow_ups_hall_status", ["hall_id", "status", "id"], unique=False)

    # The cases opened so far were all bad ratings: copy the rating's ticket, window and
    # clerk onto the case, and mark the closed ones.
    op.execute(
        "UPDATE follow_ups SET "
        "ticket_id = (SELECT r.ticket_id FROM ratings r WHERE r.id = follow_ups.rating_id), "
        "counter_id = (SELECT r.counter_id FROM ratings r WHERE r.id = follow_ups.rating_id), "
        "clerk_id = (SELECT r.clerk_id FROM ratings r WHERE r.id = follow_ups.rating_id)"
    )
    op.execute("UPDATE follow_ups SET status = 'closed' WHERE closed_at IS NOT NULL")

    op.create_table(
        "follow_up_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_ups.id"],
            name=op.f("fk_follow_up_notes_follow_up_id_follow_ups"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follow_up_notes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_notes")),
    )
    op.create_index(
        "ix_follow_up_notes_follow_up", "follow_up_notes", ["follow_up_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_follow_up_notes_follow_up", table_name="follow_up_notes")
    op.drop_table("follow_up_notes")
    # Complaints have no rating and cannot survive the old schema.
    op.execute("DELETE FROM follow_ups WHERE rating_id IS NULL")
    with op.batch_alter_table("follow_ups", schema=None) as batch:
        batch.drop_index("ix_follow_ups_hall_status")
        for fk in (
            "fk_follow_ups_assignee_id_users",
            "fk_follow_ups_recorded_by_users",
            "fk_follow_ups_clerk_id_users",
            "fk_follow_ups_counter_id_counters",
            "fk_follow_ups_ticket_id_tickets",
        ):
            batch.drop_constraint(fk, type_="foreignkey")
        batch.alter_column("rating_id", existing_type=sa.Integer(), nullable=False)
        for column in (
            "assigned_at",
            "assignee_id",
            "recorded_by",
            "text",
            "channel",
            "clerk_id",
            "counter_id",
            "ticket_id",
            "status",
            "kind",
        ):
            batch.drop_column(column)

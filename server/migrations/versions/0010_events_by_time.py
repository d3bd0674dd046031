"""the event log by time, for reports over a date range

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A report reads a range of days out of a log that grows by some 35,000 rows a day: an
    # index range, not a scan of the whole history. Rows come in time order (id breaks ties).
    op.create_index("ix_events_hall_at", "events", ["hall_id", "at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_hall_at", table_name="events")

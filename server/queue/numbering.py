"""Ticket numbers: per service prefix and business day, taken atomically, never reused.

One statement takes the next number: an upsert on the day's counter row that returns
the new value. On PostgreSQL the row stays locked until the commit, so two issues of
the same prefix queue up behind each other and never see the same value; on SQLite
the writer lock does the same. A transaction that rolls back (a cap reached, a crash)
gives its number back, so no number is skipped either.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hallq.server.models import DayCounter
from hallq.server.queue.rules import format_number

__all__ = ["format_number", "take_next"]


def take_next(session: Session, hall_id: int, prefix: str, day: dt.date) -> int:
    """The next sequence number of ``prefix`` on ``day`` (1 for the day's first ticket)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(DayCounter).values(hall_id=hall_id, prefix=prefix, business_day=day, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[DayCounter.hall_id, DayCounter.prefix, DayCounter.business_day],
        set_={"last": DayCounter.last + 1},
    ).returning(DayCounter.last)
    return session.execute(stmt).scalar_one()

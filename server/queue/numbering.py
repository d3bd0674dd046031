"""Ticket numbers: per service prefix and business day, taken atomically, never reused.

One statement takes the next number: an upsert on the day's counter row that returns
the new value. On PostgreSQL the row stays locked until the commit, so two issues of
the same prefix queue up behind each other and never see the same value; on SQLite
the writer lock does the same. A transaction that rolls back (a cap reached, a crash)
gives its number back, so no number is skipped either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hallq.server.queue.rules import format_number
from hallq.server.tables import DAY_COUNTERS

__all__ = ["format_number", "take_next"]


def _upsert(insert: Any) -> Any:
    stmt = insert(DAY_COUNTERS).values(
        hall_id=bindparam("hall_id"),
        prefix=bindparam("prefix"),
        business_day=bindparam("day"),
        last=1,
    )
    c = DAY_COUNTERS.c
    return stmt.on_conflict_do_update(
        index_elements=[c.hall_id, c.prefix, c.business_day], set_={"last": c.last + 1}
    ).returning(c.last)


_TAKE_NEXT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def take_next(session: Session, hall_id: int, prefix: str, day: dt.date) -> int:
    """The next sequence number of ``prefix`` on ``day`` (1 for the day's first ticket)."""
    stmt = _TAKE_NEXT[session.get_bind().dialect.name]
    return session.execute(stmt, {"hall_id": hall_id, "prefix": prefix, "day": day}).scalar_one()

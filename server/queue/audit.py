"""The event log, searched: by ticket, user, device, kind and time, newest first, a page at a
time by keyset (``before_id``), so that a page costs the same on the first day and after a year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.masking import mask_value
from hallq.server.models import Counter, Device, Event, Service, Ticket, User

MAX_LIMIT = 200


@dataclass(frozen=True)
class Search:
    """What to look for; None: any. ``kind`` ending in "." is a prefix ("ticket.")."""

    ticket_id: int | None = None
    ticket_number: str | None = None
    ticket_day: dt.date | None = None
    user: str | None = None
    device: str | None = None
    kind: str | None = None
    since: dt.datetime | None = None  # from, inclusive
    until: dt.datetime | None = None  # to, exclusive
    before_id: int | None = None
    limit: int = 50


def search(session: Session, hall_id: int, wanted: Search) -> dict[str, Any]:
    """``{"entries": [...], "next": before_id of the next page or None}``; payloads masked."""
    conditions: list[Any] = [Event.hall_id == hall_id]
    if wanted.ticket_id is not None:
        conditions.append(Event.ticket_id == wanted.ticket_id)
    if wanted.ticket_number is not None:
        numbered = select(Ticket.id).where(
            Ticket.hall_id == hall_id, Ticket.number == wanted.ticket_number.upper()
        )
        if wanted.ticket_day is not None:
            numbered = numbered.where(Ticket.business_day == wanted.ticket_day)
        conditions.append(Event.ticket_id.in_(numbered))
    if wanted.user is not None:
        conditions.append(
            Event.user_id.in_(
                select(User.id).where(User.hall_id == hall_id, User.username == wanted.user)
            )
        )
    if wanted.device is not None:
        conditions.append(
            Event.device_id.in_(
                select(Device.id).where(Device.hall_id == hall_id, Device.name == wanted.device)
            )
        )
    if wanted.kind is not None:
        if wanted.kind.endswith("."):
            conditions.append(Event.kind.startswith(wanted.kind, autoescape=True))
        else:
            conditions.append(Event.kind == wanted.kind)
    if wanted.since is not None:
        conditions.append(Event.at >= wanted.since)
    if wanted.until is not None:
        conditions.append(Event.at < wanted.until)
    if wanted.before_id is not None:
        conditions.append(Event.id < wanted.before_id)
    limit = max(1, min(wanted.limit, MAX_LIMIT))
    rows = session.execute(
        select(
            Event,
            Ticket.number,
            Ticket.business_day,
            Service.code.label("service_code"),
            Counter.number.label("counter_number"),
            User.username,
            Device.name.label("device_name"),
        )
        .outerjoin(Ticket, Ticket.id == Event.ticket_id)
        .outerjoin(Service, Service.id == Event.service_id)
        .outerjoin(Counter, Counter.id == Event.counter_id)
        .outerjoin(User, User.id == Event.user_id)
        .outerjoin(Device, Device.id == Event.device_id)
        .where(*conditions)
        .order_by(Event.id.desc())
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "entries": [_entry(row) for row in rows],
        "next": rows[-1].Event.id if more and rows else None,
    }


def _entry(row: Any) -> dict[str, Any]:
    event: Event = row.Event
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "ticket": (
            {"number": row.number, "business_day": str(row.business_day)}
            if row.number is not None
            else None
        ),
        "leg": event.leg,
        "service": row.service_code,
        "counter": row.counter_number,
        "user": row.username,
        "device": row.device_name,
        "source": event.source,
        "payload": mask_value(event.payload or {}),
    }

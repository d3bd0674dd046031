"""What the supervisor's dashboard reads beside the hall's snapshot: each service's longest
wait against its target, each window's current ticket with its times and its devices, every
device's last report, and today's totals.

Plain Python over a SQLAlchemy session (no Flask), like the engine's reads. The snapshot and
its deltas carry the rest live (waiting counts, windows' states and numbers); this read is
taken again after a burst of deltas and every 30 seconds, since waits grow with time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hallq.server.models import Counter, Device, Event, Service, Ticket, Zone
from hallq.server.queue import rules
from hallq.server.queue.hall import HallContext
from hallq.server.queue.reads import iso

# The statuses counted in today's totals, as the ticket's status column holds them.
_TOTALS = {
    "waiting": rules.WAITING,
    "served": "done",
    "no_show": "no_show",
    "cancelled": "cancelled",
}


def _day_start(hall: HallContext, now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(hall.business_day(now), dt.time(), tzinfo=hall.tz)


def dashboard(session: Session, hall: HallContext, now: dt.datetime) -> dict[str, Any]:
    day = hall.business_day(now)
    return {
        "at": now.isoformat(),
        "business_day": day.isoformat(),
        "zones": _zones(session, hall),
        "services": _services(session, hall, now),
        "counters": _counters(session, hall),
        "devices": _devices(session, hall),
        "today": _today(session, hall, now),
    }


def _zones(session: Session, hall: HallContext) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Zone.code, Zone.name)
        .where(Zone.hall_id == hall.id, Zone.active.is_(True))
        .order_by(Zone.code)
    ).all()
    return [{"code": code, "name": dict(name)} for code, name in rows]


def _services(session: Session, hall: HallContext, now: dt.datetime) -> list[dict[str, Any]]:
    """Every active service's waiting tickets (transferred to a window by name included, as
    the snapshot's count has them) and the oldest one's time in the queue."""
    oldest = dict(
        session.execute(
            select(Ticket.service_id, func.min(Ticket.queued_at))
            .where(Ticket.hall_id == hall.id, Ticket.status == rules.WAITING)
            .group_by(Ticket.service_id)
        ).all()
    )
    rows = session.execute(
        select(
            Service.id,
            Service.code,
            Service.target_wait,
            Service.waiting,
            Service.paused,
            Service.paused_reason,
            Service.paused_since,
        )
        .where(Service.hall_id == hall.id, Service.active.is_(True))
        .order_by(Service.sort_order, Service.id)
    ).all()
    out = []
    for row in rows:
        since = oldest.get(row.id)
        longest = max(0, int((now - since).total_seconds())) if since is not None else None
        out.append(
            {
                "code": row.code,
                "target_wait": row.target_wait,
                "waiting": row.waiting,
                "oldest_queued_at": iso(since),
                "longest_wait_s": longest,
                "over_target": longest is not None and longest > row.target_wait * 60,
                # A supervisor's pause: no new tickets (service_pause.py).
                "paused": bool(row.paused),
                "paused_reason": row.paused_reason if row.paused else None,
                "paused_since": iso(row.paused_since) if row.paused else None,
            }
        )
    return out


def _counters(session: Session, hall: HallContext) -> list[dict[str, Any]]:
    """Each active window's current ticket with the times its timer runs from."""
    rows = session.execute(
        select(
            Counter.number,
            Ticket.id,
            Ticket.number.label("ticket"),
            Service.code,
            Ticket.status,
            Ticket.priority,
            Ticket.called_at,
            Ticket.started_at,
        )
        .outerjoin(Ticket, Ticket.id == Counter.current_ticket_id)
        .outerjoin(Service, Service.id == Ticket.service_id)
        .where(Counter.hall_id == hall.id, Counter.active.is_(True))
        .order_by(Counter.number)
    ).all()
    return [
        {
            "number": row.number,
            "current": None
            if row.id is None
            else {
                "id": row.id,
                "number": row.ticket,
                "service": row.code,
                "status": row.status,
                "priority": row.priority,
                "called_at": iso(row.called_at),
                "started_at": iso(row.started_at),
            },
        }
        for row in rows
    ]


def _devices(session: Session, hall: HallContext) -> list[dict[str, Any]]:
    """Every device with a working token, as its agent last reported it (``status`` is
    ``None`` for one whose agent never reported)."""
    rows = session.execute(
        select(
            Device.name,
            Device.kind,
            Zone.code.label("zone"),
            Counter.number.label("counter"),
            Device.status,
            Device.last_seen_at,
        )
        .outerjoin(Zone, Zone.id == Device.zone_id)
        .outerjoin(Counter, Counter.id == Device.counter_id)
        .where(Device.hall_id == hall.id, Device.token_hash.is_not(None))
        .order_by(Device.kind, Device.name)
    ).all()
    out = []
    for row in rows:
        reported = row.status or {}
        out.append(
            {
                "name": row.name,
                "kind": row.kind,
                "zone": row.zone,
                "counter": row.counter,
                "status": reported.get("status"),
                "detail": reported.get("detail"),
                "last_seen_at": iso(row.last_seen_at),
            }
        )
    return out


def _today(session: Session, hall: HallContext, now: dt.datetime) -> dict[str, Any]:
    """Today's tickets by their status now, and the mean wait of today's calls (each leg's
    wait, from the event log: a transferred ticket waited twice)."""
    by_status = dict(
        session.execute(
            select(Ticket.status, func.count())
            .where(Ticket.hall_id == hall.id, Ticket.business_day == hall.business_day(now))
            .group_by(Ticket.status)
        ).all()
    )
    waits = [
        float(p["waited_seconds"])
        for p in session.scalars(
            select(Event.payload).where(
                Event.hall_id == hall.id,
                Event.kind == "ticket.called",
                Event.at >= _day_start(hall, now),
            )
        )
        if p.get("waited_seconds") is not None
    ]
    totals: dict[str, Any] = {"issued": sum(by_status.values())}
    totals.update({key: by_status.get(status, 0) for key, status in _TOTALS.items()})
    totals["mean_wait_s"] = round(sum(waits) / len(waits)) if waits else None
    return totals

"""The read side: what screens see (services with their queues, windows, recent calls,
one ticket's place), built as the wire contract's payloads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.models import Event, Rating, Service, Ticket, Zone
from hallq.server.queue import lookups, notices, rules
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import CounterState, TicketState
from hallq.server.queue.hall import HallContext
from hallq.server.queue.issue import position_in_queue
from hallq.server.tables import DAY_COUNTERS, SERVICES, ZONES


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def ticket_payload(t: TicketState) -> wire.TicketPayload:
    return {
        "id": t.id,
        "number": t.number,
        "business_day": t.business_day.isoformat(),
        "service": t.service_code,
        "zone": t.zone_code,
        "status": t.status,  # type: ignore[typeddict-item]
        "priority": t.priority,  # type: ignore[typeddict-item]
        "language": t.language,
        "leg": t.leg,
        "counter": t.counter_number,
        "target_counter": t.target_counter_number,
        "call_count": t.call_count,
        "issued_at": t.issued_at.isoformat(),
        "queued_at": t.queued_at.isoformat(),
        "called_at": iso(t.called_at),
        "started_at": iso(t.started_at),
        "ended_at": iso(t.ended_at),
    }


def counter_payload(c: CounterState) -> wire.CounterPayload:
    state = c.state
    if state == "open" and c.current_ticket is not None:
        state = "serving"
    return {
        "number": c.number,
        "zone": c.zone_code,
        "label": c.label,
        "state": state,  # type: ignore[typeddict-item]
        "clerk": c.clerk_name if c.state != "closed" else None,
        "current_ticket": c.current_ticket,
        "pause_reason": c.pause_reason,
        "since": iso(c.state_since),
    }


def call_payload(
    hall: HallContext, t: TicketState, counter: int, zone: str, at: dt.datetime, recall: bool
) -> wire.CallPayload:
    return {
        "ticket_id": t.id,
        "number": t.number,
        "counter": counter,
        "zone": zone,
        "service": t.service_code,
        "call_count": t.call_count,
        "recall": recall,
        "languages": list(hall.announce),
        "at": at.isoformat(),
    }


_S, _DC = SERVICES.c, DAY_COUNTERS.c
# Every service's queue figures in one statement; `issued` is today's last number.
_SERVICE_QUEUES = (
    select(
        _S.id,
        _S.code,
        _S.prefix,
        ZONES.c.code.label("zone_code"),
        _S.name,
        _S.waiting,
        _S.queue_version,
        lookups.HOURS_TEXT,
        _S.target_wait,
        _S.daily_cap,
        _S.documents,
        _S.paused,
        _DC.last.label("issued"),
    )
    .join(ZONES, ZONES.c.id == _S.zone_id)
    .outerjoin(
        DAY_COUNTERS,
        (_DC.hall_id == _S.hall_id)
        & (_DC.prefix == _S.prefix)
        & (_DC.business_day == bindparam("day")),
    )
    .where(_S.hall_id == bindparam("hall_id"), _S.active.is_(True))
    .order_by(_S.sort_order, _S.id)
)
_SOME_SERVICE_QUEUES = _SERVICE_QUEUES.where(_S.id.in_(bindparam("ids", expanding=True)))


def services_payload(
    session: Session,
    hall: HallContext,
    estimator: Estimator,
    now: dt.datetime,
    only: Iterable[int] | None = None,
    figures_only: bool = False,
) -> list[Any]:
    """Each service's queue as screens show it. ``figures_only`` leaves out what changes only
    with the hall file (names, documents...): the shape of ``queue.updated``."""
    params: dict[str, Any] = {"hall_id": hall.id, "day": hall.business_day(now)}
    if only is None:
        rows = session.execute(_SERVICE_QUEUES, params).all()
    else:
        rows = session.execute(_SOME_SERVICE_QUEUES, {**params, "ids": list(only)}).all()
    local = hall.local(now)
    windows = estimator.open_windows(hall, [r.id for r in rows])
    out: list[Any] = []
    for service in rows:
        issued = service.issued
        hours = lookups.opening_hours_text(service.hours_text)
        issued = issued or 0
        closed_reason = None
        opens_at = None
        if service.paused:
            closed_reason = "paused"  # a supervisor paused it (service_pause.py)
        elif not hours.is_open(local):
            closed_reason = "hours"
            nxt = hours.next_opening(local)
            opens_at = iso(nxt)
        elif service.daily_cap is not None and issued >= service.daily_cap:
            closed_reason = "cap"
        figures: wire.QueueFigures = {
            "code": service.code,
            "waiting": service.waiting,
            "open": closed_reason is None,
            "closed_reason": closed_reason,
            "opens_at": opens_at,
            "open_windows": windows.get(service.id, 0),
            "eta_minutes": estimator.minutes(hall, service.id, service.waiting + 1),
            "daily_cap": service.daily_cap,
            "issued_today": issued,
        }
        if figures_only:
            # The version travels with the figures to the hub, which strips it before sending.
            out.append({**figures, "_version": service.queue_version})
            continue
        full: wire.ServiceQueuePayload = {
            **figures,
            "prefix": service.prefix,
            "zone": service.zone_code,
            "name": service.name,
            "target_wait": service.target_wait,
            "documents": service.documents,
        }
        out.append(full)
    return out


def counter_payload_of(session: Session, hall: HallContext, number: int) -> wire.CounterPayload:
    """One window as it is now (for ``counter.updated``)."""
    counter = lookups.counter_by_number(session, hall.id, number)
    current = None
    if counter.current_ticket_id is not None:
        current = session.execute(
            select(Ticket.number).where(Ticket.id == counter.current_ticket_id)
        ).scalar()
    return counter_payload(lookups.counter_state(counter, current))


def counters_payload(session: Session, hall: HallContext) -> list[wire.CounterPayload]:
    counters = lookups.all_counters(session, hall.id)
    current_ids = [c.current_ticket_id for c in counters if c.current_ticket_id is not None]
    numbers = (
        dict(
            session.execute(
                select(Ticket.id, Ticket.number).where(Ticket.id.in_(current_ids))
            ).all()
        )
        if current_ids
        else {}
    )
    return [
        counter_payload(lookups.counter_state(c, numbers.get(c.current_ticket_id or -1)))
        for c in counters
    ]


def recent_calls(
    session: Session, hall: HallContext, now: dt.datetime, limit: int = 30
) -> list[wire.CallPayload]:
    """Today's latest calls and recalls, newest first."""
    start_of_day = dt.datetime.combine(hall.business_day(now), dt.time(), tzinfo=hall.tz)
    rows = session.execute(
        select(Event.kind, Event.at, Event.ticket_id, Event.payload, Service.code, Zone.code)
        .join(Service, Service.id == Event.service_id)
        .join(Zone, Zone.id == Service.zone_id)
        .where(
            Event.hall_id == hall.id,
            Event.kind.in_(("ticket.called", "ticket.recalled")),
            Event.at >= start_of_day,
        )
        .order_by(Event.id.desc())
        .limit(limit)
    ).all()
    counter_zones = {c.number: c.zone_code for c in lookups.all_counters(session, hall.id)}
    calls: list[wire.CallPayload] = []
    for kind, at, ticket_id, payload, service_code, _service_zone in rows:
        counter = int(payload.get("counter", 0))
        calls.append(
            {
                "ticket_id": ticket_id,
                "number": payload.get("number", ""),
                "counter": counter,
                "zone": counter_zones.get(counter, _service_zone),
                "service": service_code,
                "call_count": int(payload.get("call_count", 1)),
                "recall": kind == "ticket.recalled",
                "languages": list(hall.announce),
                "at": at.isoformat(),
            }
        )
    return calls


def state_snapshot(
    session: Session, hall: HallContext, estimator: Estimator, now: dt.datetime, seq: int
) -> wire.StatePayload:
    return {
        "protocol": wire.PROTOCOL_VERSION,
        "seq": seq,
        "at": now.isoformat(),
        "hall": hall.public(),
        "services": services_payload(session, hall, estimator, now),
        "counters": counters_payload(session, hall),
        "recent_calls": recent_calls(session, hall, now),
        "notices": notices.notices(session, hall.id),
    }


def ticket_status(
    session: Session,
    hall: HallContext,
    estimator: Estimator,
    row: Any,
    language: str | None = None,
) -> dict[str, Any]:
    """One ticket as its customer and the staff see it: state, place, estimated wait, what is
    missing of its documents (in ``language``, default the ticket's) and its rating."""
    t = lookups.ticket_state_of(row)
    body: dict[str, Any] = dict(ticket_payload(t))
    position = None
    eta = None
    if t.status == rules.WAITING:
        if t.target_counter_number is None:
            position = position_in_queue(session, t.service_id, row.class_rank, t.queued_at, t.id)
            eta = estimator.minutes(hall, t.service_id, position)
        else:
            position, eta = 1, 0
    body.update(
        position=position,
        ahead=None if position is None else position - 1,
        eta_minutes=eta,
        missing_documents=missing_documents(
            session, t, getattr(row, "missing_documents", None), language
        ),
        rating=session.execute(select(Rating.score).where(Rating.ticket_id == t.id)).scalar(),
    )
    return body


def missing_documents(
    session: Session, t: TicketState, indexes: list[int] | None, language: str | None = None
) -> list[str] | None:
    """The documents the customer did not bring, in ``language`` or the ticket's (None: the
    clerk has not checked them)."""
    if indexes is None:
        return None
    documents = lookups.service_by_id(session, t.service_id).documents
    listed = (
        documents.get(language or t.language)
        or documents.get(t.language)
        or next(iter(documents.values()), [])
    )
    return [listed[i] for i in indexes if 0 <= i < len(listed)]

"""What the clerk at a window sees, in one read: the window, its current ticket with the
service's documents, the waiting tickets it may call, its services' figures, and the clerk's
own day (served, mean service time, ratings).

The documents a customer did not bring are marked on the ticket (``mark_missing``): the
customer's page and the printable notice list them at once, in the ticket's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hallq.server.models import Event, Rating, Ticket
from hallq.server.queue import ledger, lookups, rules
from hallq.server.queue.errors import N_, Conflict, Invalid
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import Actor, DomainEvent, TicketUpdated
from hallq.server.queue.hall import HallContext
from hallq.server.queue.reads import counter_payload, iso, ticket_status
from hallq.server.queue.windows import guard
from hallq.server.tables import SERVICES, TICKETS

WAITING_LISTED = 500  # the waiting list a clerk picks from: more than a hall's day at a window
PAUSE_REASONS = ("break", "meeting", "system_failure", "other")

_T = TICKETS.c


def _day_start(hall: HallContext, now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(hall.business_day(now), dt.time(), tzinfo=hall.tz)


def desk(
    session: Session,
    hall: HallContext,
    estimator: Estimator,
    actor: Actor,
    number: int,
    now: dt.datetime,
) -> dict[str, Any]:
    counter = lookups.counter_by_number(session, hall.id, number)
    clerk_id = guard(actor, counter)  # the clerk who holds it, or a supervisor
    current = None
    if counter.current_ticket_id is not None:
        row = lookups.ticket_row(session, hall.id, counter.current_ticket_id)
        current = ticket_status(session, hall, estimator, row)
        service = lookups.service_by_id(session, row.service_id)
        current["documents"] = {lang: list(docs) for lang, docs in service.documents.items()}
        current["missing"] = list(row.missing_documents or [])
        current["checked"] = row.missing_documents is not None
        current["transfers"] = transfers_of(session, row.id)
    current_number = current["number"] if current else None
    codes = counter.service_codes()
    services = lookups.services_by_code(session, hall.id, codes)
    service_ids = [services[code].id for code in codes if code in services]
    waiting_rows = session.execute(
        select(
            _T.id,
            _T.number,
            SERVICES.c.code,
            _T.priority,
            _T.queued_at,
            _T.target_counter_id,
            _T.class_rank,
        )
        .join(SERVICES, SERVICES.c.id == _T.service_id)
        .where(
            _T.hall_id == hall.id,
            _T.status == rules.WAITING,
            (_T.service_id.in_(service_ids) & _T.target_counter_id.is_(None))
            | (_T.target_counter_id == counter.id),
        )
        .order_by(_T.target_counter_id.is_(None), _T.class_rank, _T.queued_at, _T.id)
        .limit(WAITING_LISTED)
    ).all()
    waiting = [
        {
            "id": row.id,
            "number": row.number,
            "service": row.code,
            "priority": row.priority,
            "queued_at": iso(row.queued_at),
            "sent_here": row.target_counter_id == counter.id,
            "waited_minutes": _minutes(now - row.queued_at),
        }
        for row in waiting_rows
    ]
    oldest = dict(
        session.execute(
            select(_T.service_id, func.min(_T.queued_at))
            .where(
                _T.service_id.in_(service_ids),
                _T.status == rules.WAITING,
                _T.target_counter_id.is_(None),
            )
            .group_by(_T.service_id)
        ).all()
    )
    counts = dict(
        session.execute(
            select(_T.service_id, func.count())
            .where(
                _T.service_id.in_(service_ids),
                _T.status == rules.WAITING,
                _T.target_counter_id.is_(None),
            )
            .group_by(_T.service_id)
        ).all()
    )
    figures = [
        {
            "code": code,
            "name": dict(services[code].name),
            "waiting": int(counts.get(services[code].id, 0)),
            "longest_wait_minutes": (
                _minutes(now - oldest[services[code].id]) if services[code].id in oldest else None
            ),
        }
        for code in codes
        if code in services
    ]
    return {
        "counter": counter_payload(lookups.counter_state(counter, current_number)),
        "current": current,
        "waiting": waiting,
        "services": figures,
        "today": clerk_day(session, hall, clerk_id or counter.clerk_id, now),
        "last_rating": last_rating(session, hall, counter.id, now),
        "pause_reasons": list(PAUSE_REASONS),
    }


def transfers_of(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's transfers, oldest first: from which window, to what, and the note the
    clerk who sent it on left for the next one."""
    rows = session.execute(
        select(Event.at, Event.payload)
        .where(Event.ticket_id == ticket_id, Event.kind == "ticket.transferred")
        .order_by(Event.id)
    ).all()
    return [
        {
            "at": iso(at),
            "from_counter": payload.get("counter"),
            "to_service": payload.get("to_service"),
            "to_counter": payload.get("to_counter"),
            "note": payload.get("note"),
        }
        for at, payload in rows
    ]


def _minutes(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def clerk_day(
    session: Session, hall: HallContext, clerk_id: int | None, now: dt.datetime
) -> dict[str, Any]:
    """The clerk's figures today: tickets served, mean service time, ratings."""
    empty = {"served": 0, "mean_service_minutes": None, "ratings": 0, "mean_rating": None}
    if clerk_id is None:
        return {**empty, "low_ratings": 0}
    start = _day_start(hall, now)
    finished = session.scalars(
        select(Event.payload).where(
            Event.hall_id == hall.id,
            Event.kind == "ticket.finished",
            Event.user_id == clerk_id,
            Event.at >= start,
        )
    ).all()
    seconds = [p["service_seconds"] for p in finished if p.get("service_seconds") is not None]
    scores = session.scalars(
        select(Rating.score).where(
            Rating.hall_id == hall.id, Rating.clerk_id == clerk_id, Rating.at >= start
        )
    ).all()
    return {
        "served": len(finished),
        "mean_service_minutes": round(sum(seconds) / len(seconds) / 60, 1) if seconds else None,
        "ratings": len(scores),
        "mean_rating": round(sum(scores) / len(scores), 2) if scores else None,
        "low_ratings": sum(1 for score in scores if score < 3),
    }


def last_rating(
    session: Session, hall: HallContext, counter_id: int, now: dt.datetime
) -> dict[str, Any] | None:
    row = session.execute(
        select(Rating.id, Rating.score, Rating.at, Ticket.number, Rating.ticket_id)
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Rating.counter_id == counter_id, Rating.at >= _day_start(hall, now))
        .order_by(Rating.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return {
        "rating": row.id,
        "ticket_id": row.ticket_id,
        "number": row.number,
        "score": row.score,
        "at": iso(row.at),
    }


# --- the documents a customer did not bring ---------------------------------------------------


@dataclass
class Marked:
    ticket: dict[str, Any]
    events: list[DomainEvent] = field(default_factory=list)


def mark_missing(
    session: Session,
    hall: HallContext,
    estimator: Estimator,
    actor: Actor,
    ticket_id: int,
    missing: list[int],
    now: dt.datetime,
) -> Marked:
    """The clerk ticked what the customer brought: the rest (indexes into the service's
    documents) is stored on the ticket and told to the customer's page."""
    row = lookups.ticket_row(session, hall.id, ticket_id, lock=True)
    if row.status not in rules.AT_WINDOW or row.counter_id is None:
        raise Conflict(
            "not_at_a_window",
            N_("Ticket %(number)s is not at a window: its documents are checked there."),
            number=row.number,
        )
    counter = lookups.counter_by_id(session, row.counter_id)
    clerk_id = guard(actor, counter)
    service = lookups.service_by_id(session, row.service_id)
    count = max((len(docs) for docs in service.documents.values()), default=0)
    wrong = sorted({i for i in missing if not 0 <= i < count})
    if wrong:
        raise Invalid(
            "unknown_document",
            N_("The service lists %(count)s documents; there is no document %(which)s."),
            count=count,
            which=", ".join(str(i + 1) for i in wrong),
        )
    marked = sorted(set(missing))
    session.execute(update(Ticket).where(Ticket.id == ticket_id).values(missing_documents=marked))
    ledger.append(
        session,
        actor,
        "ticket.documents_checked",
        now,
        ticket_id=ticket_id,
        leg=row.leg,
        service_id=row.service_id,
        counter_id=counter.id,
        user_id=clerk_id,
        number=row.number,
        missing=marked,
    )
    fresh = lookups.ticket_row(session, hall.id, ticket_id)
    state = lookups.ticket_state_of(fresh)
    body = ticket_status(session, hall, estimator, fresh)
    return Marked(body, [TicketUpdated(state, move="documents", detail={"missing": marked})])

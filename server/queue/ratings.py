"""Ratings from the pad at the window: one per ticket; a 2 or a 1 opens a follow-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.models import Rating, Ticket
from hallq.server.queue import device_commands, follow_ups, ledger, lookups, rules
from hallq.server.queue.errors import N_, STATUS_TERMS, Conflict, Forbidden, Invalid, NotFound
from hallq.server.queue.events import Actor, DomainEvent, RatingStored
from hallq.server.queue.hall import HallContext

SCORES = range(1, 6)  # 5 very satisfied … 1 very dissatisfied
FOLLOW_UP_BELOW = 3  # a score under this opens a follow-up case


def find_ticket_id(session: Session, hall_id: int, ticket: int | str, business_day: dt.date) -> int:
    """A ticket named by id, or by today's number as a pad shows it (``A023``)."""
    if isinstance(ticket, int):
        return ticket
    found = session.execute(
        select(Ticket.id).where(
            Ticket.hall_id == hall_id,
            Ticket.business_day == business_day,
            Ticket.number == ticket.upper(),
        )
    ).scalar()
    if found is None:
        raise NotFound(
            "unknown_ticket", N_("There is no ticket %(ticket)s in this hall."), ticket=ticket
        )
    return found


@dataclass(frozen=True)
class Rated:
    stored: RatingStored
    events: list[DomainEvent]


def rate_from_pad(
    session: Session,
    hall: HallContext,
    actor: Actor,
    ticket_id: int,
    score: int,
    now: dt.datetime,
    request_id: int | None = None,
) -> Rated:
    """Store the pad's rating, and end the rating request it answers (by its id, or any
    open request of this device for the ticket)."""
    events: list[DomainEvent] = []
    stored = rate(
        session, hall.id, actor, ticket_id, score, now, follow_ups.due_at(hall, now), events
    )
    device_commands.end_pending(
        session,
        actor,
        now,
        device_commands.DONE,
        kind=wire.RATING_REQUEST,
        device_ids=[actor.device_id] if actor.device_id is not None else None,
        ticket_id=ticket_id,
        outcome={"score": score, "request": request_id},
    )
    return Rated(stored, [stored, *events])


def rate(
    session: Session,
    hall_id: int,
    actor: Actor,
    ticket_id: int,
    score: int,
    now: dt.datetime,
    follow_up_due: dt.datetime | None = None,
    events: list[DomainEvent] | None = None,
) -> RatingStored:
    """A rating of the leg served at the rating pad's window: the ticket it serves now, or
    the one it finished last (not one it transferred away), with that leg's clerk.

    A score under 3 opens a follow-up case due at ``follow_up_due`` (see follow_ups.due_at);
    its event is appended to ``events``."""
    if isinstance(score, bool) or score not in SCORES:
        raise Invalid("bad_score", N_("A rating is a whole number from 1 to 5."))
    if actor.role != "counter" or actor.counter_id is None:
        raise Forbidden("counter_device_only", N_("Ratings come from the pad at the window."))
    counter = lookups.counter_by_id(session, actor.counter_id)
    if ticket_id not in (counter.current_ticket_id, counter.last_ticket_id):
        raise Forbidden(
            "not_this_windows_ticket",
            N_("Window %(counter)s may rate only the ticket it is serving or has just served."),
            counter=counter.number,
        )
    row = lookups.ticket_row(session, hall_id, ticket_id)
    if row.status not in (rules.SERVING, rules.DONE):
        raise Conflict(
            "not_served",
            N_("Ticket %(number)s is %(status)s: only a served ticket can be rated."),
            number=row.number,
            status=STATUS_TERMS.get(row.status, row.status),
        )
    clerk_id = row.clerk_id
    try:
        with session.begin_nested():
            rating_id = session.execute(
                insert(Rating).returning(Rating.id),
                {
                    "hall_id": hall_id,
                    "ticket_id": ticket_id,
                    "leg": row.leg,
                    "score": score,
                    "service_id": row.service_id,
                    "counter_id": counter.id,
                    "clerk_id": clerk_id,
                    "device_id": actor.device_id,
                    "at": now,
                },
            ).scalar_one()
    except IntegrityError:
        raise Conflict(
            "already_rated", N_("Ticket %(number)s has already been rated."), number=row.number
        ) from None
    follow_up_id = None
    if score < FOLLOW_UP_BELOW:
        follow_up_id, opened = follow_ups.open_for_rating(
            session, actor, rating_id, ticket_id, counter.id, clerk_id, now, follow_up_due
        )
        if events is not None:
            events.append(opened)
    ledger.append(
        session,
        actor,
        "ticket.rated",
        now,
        ticket_id=ticket_id,
        leg=row.leg,
        service_id=row.service_id,
        counter_id=counter.id,
        user_id=clerk_id,
        number=row.number,
        score=score,
        follow_up_id=follow_up_id,
    )
    return RatingStored(
        rating_id=rating_id,
        ticket_id=ticket_id,
        number=row.number,
        counter_number=counter.number,
        score=score,
        follow_up_id=follow_up_id,
    )

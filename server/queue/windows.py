"""Windows (counters): who holds one, opening, closing, pausing and resuming.

A clerk acts only at the window they opened; the window's own keypad acts for the clerk
who holds it; supervisors and admins may act at any window.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from hallq.server.models import Counter, Ticket, User
from hallq.server.queue import ledger, lookups
from hallq.server.queue.errors import N_, Conflict, Forbidden, Invalid
from hallq.server.queue.events import (
    Actor,
    CounterUpdated,
    DomainEvent,
    QueueChanged,
    TicketUpdated,
)
from hallq.server.queue.hall import HallContext
from hallq.server.queue.lookups import CounterRow

OPEN, PAUSED, CLOSED = "open", "paused", "closed"
MAX_REASON = 200


def guard(actor: Actor, counter: CounterRow) -> int | None:
    """Refuse a caller who may not act at this window; returns the clerk acted for."""
    if actor.oversees:
        return actor.user_id
    if actor.role == "clerk":
        if counter.clerk_id == actor.user_id and counter.state != CLOSED:
            return actor.user_id
        if counter.state == CLOSED or counter.clerk_id is None:
            raise Conflict(
                "window_closed",
                N_("Window %(counter)s is closed: open it before calling tickets."),
                counter=counter.number,
            )
        raise Forbidden(
            "not_your_window",
            N_("Window %(counter)s is held by %(clerk)s; you act only at the window you opened."),
            counter=counter.number,
            clerk=counter.clerk_name or "?",
        )
    if actor.role == "counter":
        if actor.counter_id != counter.id:
            raise Forbidden(
                "wrong_window_device",
                N_("This device belongs to another window, not to window %(counter)s."),
                counter=counter.number,
            )
        if counter.state == CLOSED or counter.clerk_id is None:
            raise Conflict(
                "window_closed",
                N_("Window %(counter)s is closed: a clerk must open it first."),
                counter=counter.number,
            )
        return counter.clerk_id
    raise Forbidden("not_allowed", N_("This device or role may not act at a window."))


def counter_updated(session: Session, counter: CounterRow) -> CounterUpdated:
    """The window's state as it is now, inside the transaction that changed it."""
    fresh = lookups.counter_by_id(session, counter.id)
    number = None
    if fresh.current_ticket_id is not None:
        number = session.execute(
            select(Ticket.number).where(Ticket.id == fresh.current_ticket_id)
        ).scalar_one()
    return CounterUpdated(lookups.counter_state(fresh, number), staffing=True)


def _set(session: Session, counter_id: int, **values: object) -> None:
    session.execute(update(Counter).where(Counter.id == counter_id).values(**values))


def allowed_windows(session: Session, user_id: int) -> list[int] | None:
    """The windows a clerk may open (users.windows); None: any window."""
    windows = session.execute(select(User.windows).where(User.id == user_id)).scalar()
    return [int(n) for n in windows] if windows else None


def allowed_to_open(session: Session, user_id: int, number: int) -> None:
    allowed = allowed_windows(session, user_id)
    if allowed is not None and number not in allowed:
        raise Forbidden(
            "window_not_allowed",
            N_("You may not open window %(counter)s: ask an administrator."),
            counter=number,
            allowed=", ".join(str(n) for n in allowed),
        )


def open_window(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> list[DomainEvent]:
    if actor.user_id is None:
        raise Forbidden("staff_only", N_("Only a signed-in clerk can open a window."))
    counter = lookups.counter_by_number(session, hall.id, number, lock=True)
    if actor.role == "clerk":
        allowed_to_open(session, actor.user_id, number)
    if counter.state != CLOSED and counter.clerk_id == actor.user_id:
        return []  # already yours: pressing again changes nothing
    if counter.state != CLOSED:
        raise Conflict(
            "window_held",
            N_("Window %(counter)s is held by %(clerk)s; they must close it first."),
            counter=number,
            clerk=counter.clerk_name or "?",
        )
    other = session.execute(
        select(Counter.number).where(
            Counter.hall_id == hall.id, Counter.clerk_id == actor.user_id, Counter.state != CLOSED
        )
    ).scalar()
    if other is not None:
        raise Conflict(
            "holds_other_window",
            N_("You already hold window %(other)s; close it before opening window %(counter)s."),
            other=other,
            counter=number,
        )
    _set(
        session, counter.id, state=OPEN, clerk_id=actor.user_id, state_since=now, pause_reason=None
    )
    ledger.append(session, actor, "counter.opened", now, counter_id=counter.id, counter=number)
    # Opening a window changes the estimated waits of the services it serves.
    return [counter_updated(session, counter), _queue_changed(session, hall, counter)]


def close_window(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> list[DomainEvent]:
    counter = lookups.counter_by_number(session, hall.id, number, lock=True)
    if counter.state == CLOSED:
        return []
    if actor.role == "counter" or actor.user_id is None:
        raise Forbidden("staff_only", N_("Only a signed-in clerk can close a window."))
    guard(actor, counter)
    if counter.current_ticket_id is not None:
        current = session.execute(
            select(Ticket.number).where(Ticket.id == counter.current_ticket_id)
        ).scalar_one()
        raise Conflict(
            "ticket_at_window",
            N_(
                "Ticket %(number)s is still at window %(counter)s: finish, requeue or transfer it first."
            ),
            number=current,
            counter=number,
        )
    events: list[DomainEvent] = []
    # Customers sent to this very window must not wait for it forever: they go back to
    # their service's queue, keeping their place.
    stranded = session.execute(
        select(Ticket.id, Ticket.service_id, Ticket.leg).where(
            Ticket.target_counter_id == counter.id, text("status = 'waiting'")
        )
    ).all()
    for ticket_id, service_id, leg in stranded:
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(target_counter_id=None))
        ledger.append(
            session,
            actor,
            "ticket.released",
            now,
            ticket_id=ticket_id,
            leg=leg,
            service_id=service_id,
            counter_id=counter.id,
            reason="window closed",
        )
        events.append(
            TicketUpdated(
                lookups.ticket_state(session, hall.id, ticket_id), "release", {"counter": number}
            )
        )
    _set(session, counter.id, state=CLOSED, clerk_id=None, state_since=now, pause_reason=None)
    ledger.append(
        session,
        actor,
        "counter.closed",
        now,
        counter_id=counter.id,
        counter=number,
        clerk_id=counter.clerk_id,
        by_other=counter.clerk_id != actor.user_id,
    )
    events.append(counter_updated(session, counter))
    events.append(_queue_changed(session, hall, counter))
    return events


def pause_window(
    session: Session, hall: HallContext, actor: Actor, number: int, reason: str, now: dt.datetime
) -> list[DomainEvent]:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason_required", N_("Say why the window pauses (a short reason)."))
    if len(reason) > MAX_REASON:
        raise Invalid(
            "reason_too_long",
            N_("The reason is too long (at most %(max)s characters)."),
            max=MAX_REASON,
        )
    counter = lookups.counter_by_number(session, hall.id, number, lock=True)
    clerk = guard(actor, counter)
    if counter.state == PAUSED:
        raise Conflict(
            "already_paused", N_("Window %(counter)s is already paused."), counter=number
        )
    _set(session, counter.id, state=PAUSED, pause_reason=reason, state_since=now)
    ledger.append(
        session,
        actor,
        "counter.paused",
        now,
        counter_id=counter.id,
        user_id=clerk,
        counter=number,
        reason=reason,
    )
    return [counter_updated(session, counter), _queue_changed(session, hall, counter)]


def resume_window(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> list[DomainEvent]:
    counter = lookups.counter_by_number(session, hall.id, number, lock=True)
    clerk = guard(actor, counter)
    if counter.state != PAUSED:
        raise Conflict("not_paused", N_("Window %(counter)s is not paused."), counter=number)
    paused_for = (now - counter.state_since).total_seconds() if counter.state_since else None
    _set(session, counter.id, state=OPEN, pause_reason=None, state_since=now)
    ledger.append(
        session,
        actor,
        "counter.resumed",
        now,
        counter_id=counter.id,
        user_id=clerk,
        counter=number,
        reason=counter.pause_reason,
        paused_seconds=paused_for,
    )
    return [counter_updated(session, counter), _queue_changed(session, hall, counter)]


def _queue_changed(session: Session, hall: HallContext, counter: CounterRow) -> QueueChanged:
    services = lookups.services_by_code(session, hall.id, counter.service_codes())
    return QueueChanged(frozenset(s.id for s in services.values()))

"""What a window does with its current ticket: recall, start, finish, no-show, requeue,
transfer; cancelling a waiting ticket, and bringing back a no-show. Each move is checked
against the design's state machine (``rules.check_move``) and logged in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from hallq.server.models import Counter, Ticket
from hallq.server.queue import ledger, lookups, rules
from hallq.server.queue.errors import N_, Conflict, Forbidden, Invalid
from hallq.server.queue.events import (
    Actor,
    CounterUpdated,
    DomainEvent,
    QueueChanged,
    TicketCalled,
    TicketState,
    TicketUpdated,
)
from hallq.server.queue.hall import HallContext
from hallq.server.queue.lookups import CounterRow
from hallq.server.queue.windows import CLOSED, guard
from hallq.server.tables import TICKETS

MAX_NOTE = 500


@dataclass(frozen=True)
class MoveResult:
    ticket: TicketState
    events: list[DomainEvent] = field(default_factory=list)
    # Set when the move turned into another (a recall past the limit becomes a no-show).
    became: str | None = None


@dataclass
class _AtWindow:
    counter: CounterRow
    clerk_id: int | None
    ticket: TicketState


def _at_window(session: Session, hall: HallContext, actor: Actor, number: int) -> _AtWindow:
    counter = lookups.counter_by_number(session, hall.id, number, lock=True)
    clerk_id = guard(actor, counter)
    if counter.current_ticket_id is None:
        raise Conflict(
            "no_current_ticket",
            N_("Window %(counter)s has no ticket at the moment: call the next one first."),
            counter=number,
        )
    ticket = lookups.ticket_state_of(
        lookups.ticket_row(session, hall.id, counter.current_ticket_id, lock=True)
    )
    return _AtWindow(counter, clerk_id, ticket)


def _counter_event(at: _AtWindow, *, current: TicketState | None) -> CounterUpdated:
    row = replace(at.counter, current_ticket_id=current.id if current else None)
    return CounterUpdated(lookups.counter_state(row, current.number if current else None))


def _leave_window(session: Session, at: _AtWindow, *, served: bool) -> None:
    values: dict[str, Any] = {"current_ticket_id": None}
    if served:
        # Its customer may still rate the service until the next call.
        values["last_ticket_id"] = at.ticket.id
    session.execute(update(Counter).where(Counter.id == at.counter.id).values(**values))


def _log(
    session: Session, actor: Actor, at: _AtWindow, kind: str, now: dt.datetime, **payload: Any
) -> None:
    ledger.append(
        session,
        actor,
        kind,
        now,
        ticket_id=at.ticket.id,
        leg=at.ticket.leg,
        service_id=at.ticket.service_id,
        counter_id=at.counter.id,
        user_id=at.clerk_id,
        number=at.ticket.number,
        counter=at.counter.number,
        **payload,
    )


def recall(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> MoveResult:
    at = _at_window(session, hall, actor, number)
    rules.check_move("recall", at.ticket.status, at.ticket.number)
    recalls_so_far = at.ticket.call_count - 1
    if recalls_so_far >= hall.rules.no_show_after_recalls:
        # Called and recalled as often as the hall allows: the customer is not here.
        return _no_show(session, hall, actor, at, now, automatic=True)
    session.execute(
        update(Ticket).where(Ticket.id == at.ticket.id).values(call_count=Ticket.call_count + 1)
    )
    ticket = replace(at.ticket, call_count=at.ticket.call_count + 1)
    _log(session, actor, at, "ticket.recalled", now, call_count=ticket.call_count)
    return MoveResult(
        ticket,
        [TicketCalled(ticket, counter_number=number, zone_code=at.counter.zone_code, recall=True)],
    )


def start(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> MoveResult:
    at = _at_window(session, hall, actor, number)
    status = rules.check_move("start", at.ticket.status, at.ticket.number)
    session.execute(
        update(Ticket).where(Ticket.id == at.ticket.id).values(status=status, started_at=now)
    )
    ticket = replace(at.ticket, status=status, started_at=now)
    waited = (
        (at.ticket.called_at - at.ticket.queued_at).total_seconds() if at.ticket.called_at else None
    )
    _log(session, actor, at, "ticket.started", now, waited_seconds=waited)
    # The window shows the same ticket as before: only the ticket's state changed.
    return MoveResult(ticket, [TicketUpdated(ticket, "start")])


def finish(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> MoveResult:
    at = _at_window(session, hall, actor, number)
    status = rules.check_move("finish", at.ticket.status, at.ticket.number)
    session.execute(
        update(Ticket).where(Ticket.id == at.ticket.id).values(status=status, ended_at=now)
    )
    _leave_window(session, at, served=True)
    ticket = replace(at.ticket, status=status, ended_at=now)
    service_seconds = (now - at.ticket.started_at).total_seconds() if at.ticket.started_at else None
    # service_seconds feeds the estimated wait (queue/eta.py) and the reports.
    _log(session, actor, at, "ticket.finished", now, service_seconds=service_seconds)
    return MoveResult(ticket, [TicketUpdated(ticket, "finish"), _counter_event(at, current=None)])


def no_show(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> MoveResult:
    at = _at_window(session, hall, actor, number)
    return _no_show(session, hall, actor, at, now, automatic=False)


def _no_show(
    session: Session,
    hall: HallContext,
    actor: Actor,
    at: _AtWindow,
    now: dt.datetime,
    *,
    automatic: bool,
) -> MoveResult:
    status = rules.check_move("no_show", at.ticket.status, at.ticket.number)
    session.execute(
        update(Ticket).where(Ticket.id == at.ticket.id).values(status=status, ended_at=now)
    )
    _leave_window(session, at, served=False)
    ticket = replace(at.ticket, status=status, ended_at=now)
    _log(
        session,
        actor,
        at,
        "ticket.no_show",
        now,
        automatic=automatic,
        call_count=at.ticket.call_count,
    )
    detail = {"automatic": automatic, "call_count": at.ticket.call_count}
    return MoveResult(
        ticket,
        [TicketUpdated(ticket, "no_show", detail), _counter_event(at, current=None)],
        became="no_show" if automatic else None,
    )


def requeue(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> MoveResult:
    """Back to waiting, keeping its place: its queue time is left as it was."""
    at = _at_window(session, hall, actor, number)
    status = rules.check_move("requeue", at.ticket.status, at.ticket.number)
    lookups.lock_service_queues(session, [at.ticket.service_id])
    session.execute(
        update(Ticket)
        .where(Ticket.id == at.ticket.id)
        .values(status=status, counter_id=None, clerk_id=None, called_at=None, call_count=0)
    )
    lookups.adjust_waiting(session, at.ticket.service_id, +1)
    _leave_window(session, at, served=False)
    ticket = replace(at.ticket, status=status, counter_number=None, called_at=None, call_count=0)
    _log(session, actor, at, "ticket.requeued", now)
    return MoveResult(
        ticket,
        [
            TicketUpdated(ticket, "requeue"),
            _counter_event(at, current=None),
            QueueChanged(frozenset({ticket.service_id})),
        ],
    )


def transfer(
    session: Session,
    hall: HallContext,
    actor: Actor,
    number: int,
    now: dt.datetime,
    *,
    to_service: str | None = None,
    to_counter: int | None = None,
    note: str | None = None,
) -> MoveResult:
    """Same number, a new leg: to another service's queue (at its end), or to a window
    by name (called there before anyone else)."""
    if (to_service is None) == (to_counter is None):
        raise Invalid(
            "transfer_target", N_("Transfer to either a service or a window, not both or neither.")
        )
    if note is not None and len(note) > MAX_NOTE:
        raise Invalid(
            "note_too_long", N_("The note is too long (at most %(max)s characters)."), max=MAX_NOTE
        )
    at = _at_window(session, hall, actor, number)
    status = rules.check_move("transfer", at.ticket.status, at.ticket.number)

    service_id = at.ticket.service_id
    target_counter_id: int | None = None
    if to_service is not None:
        service = lookups.service_by_code(session, hall.id, to_service)
        service_id = service.id
    else:
        assert to_counter is not None
        if to_counter == number:
            raise Invalid(
                "transfer_to_self",
                N_("The ticket is already at window %(counter)s."),
                counter=number,
            )
        target = lookups.counter_by_number(session, hall.id, to_counter)
        if target.state == CLOSED:
            # No one there to call it: it would wait for a window that may not open today.
            raise Conflict(
                "transfer_to_closed_window",
                N_("Window %(counter)s is closed: transfer to an open or paused window."),
                counter=to_counter,
            )
        target_counter_id = target.id
    lookups.lock_service_queues(session, {at.ticket.service_id, service_id})

    leg = at.ticket.leg + 1
    session.execute(
        update(Ticket)
        .where(Ticket.id == at.ticket.id)
        .values(
            status=status,
            service_id=service_id,
            target_counter_id=target_counter_id,
            leg=leg,
            queued_at=now,
            counter_id=None,
            clerk_id=None,
            called_at=None,
            call_count=0,
            started_at=None,
            explanation=None,
        )
    )
    lookups.adjust_waiting(session, service_id, +1)
    # Not "served": the leg goes on elsewhere, and this window may not rate it (a rating
    # belongs to the leg its window finished).
    _leave_window(session, at, served=False)
    _log(
        session,
        actor,
        at,
        "ticket.transferred",
        now,
        to_service=to_service,
        to_counter=to_counter,
        note=note,
        from_status=at.ticket.status,
        served_seconds=(now - at.ticket.started_at).total_seconds()
        if at.ticket.started_at
        else None,
    )
    # The new leg begins: logged with its own leg number and service for the reports.
    ledger.append(
        session,
        actor,
        "ticket.queued",
        now,
        ticket_id=at.ticket.id,
        leg=leg,
        service_id=service_id,
        user_id=at.clerk_id,
        number=at.ticket.number,
        to_counter=to_counter,
        priority=at.ticket.priority,
        language=at.ticket.language,
    )
    ticket = lookups.ticket_state(session, hall.id, at.ticket.id)
    return MoveResult(
        ticket,
        [
            TicketUpdated(
                ticket,
                "transfer",
                {"to_service": to_service, "to_counter": to_counter, "note": note},
            ),
            _counter_event(at, current=None),
            QueueChanged(frozenset({at.ticket.service_id, service_id})),
        ],
    )


def cancel(
    session: Session,
    hall: HallContext,
    actor: Actor,
    ticket_id: int,
    now: dt.datetime,
    reason: str | None = None,
) -> MoveResult:
    if not actor.is_staff:
        raise Forbidden("staff_only", N_("Only staff can cancel a ticket."))
    row = lookups.ticket_row(session, hall.id, ticket_id)
    lookups.lock_service_queues(session, [row.service_id])
    row = lookups.ticket_row(session, hall.id, ticket_id, lock=True)
    status = rules.check_move("cancel", row.status, row.number)
    session.execute(
        update(Ticket).where(Ticket.id == ticket_id).values(status=status, ended_at=now)
    )
    lookups.adjust_waiting(session, row.service_id, -1)
    ledger.append(
        session,
        actor,
        "ticket.cancelled",
        now,
        ticket_id=ticket_id,
        leg=row.leg,
        service_id=row.service_id,
        number=row.number,
        reason=reason,
    )
    ticket = replace(lookups.ticket_state_of(row), status=status, ended_at=now)
    return MoveResult(
        ticket, [TicketUpdated(ticket, "cancel"), QueueChanged(frozenset({row.service_id}))]
    )


_T = TICKETS.c
# A service queue's waiting tickets by class; literal predicates, so both databases use the
# partial queue index.
_QUEUE = text("status = 'waiting' AND target_counter_id IS NULL")
_HIGHER_CLASSES = (
    select(func.count())
    .select_from(TICKETS)
    .where(_T.service_id == bindparam("service_id"), _T.class_rank < bindparam("rank"), _QUEUE)
)
_SAME_CLASS = (
    select(_T.queued_at, _T.id)
    .where(_T.service_id == bindparam("service_id"), _T.class_rank == bindparam("rank"), _QUEUE)
    .order_by(_T.queued_at, _T.id)
)


def reinstate(
    session: Session, hall: HallContext, actor: Actor, ticket_id: int, now: dt.datetime
) -> MoveResult:
    """A customer marked no-show came back: within the hall's grace time, the ticket rejoins
    its service's queue as a new leg, ``reinstate_places`` tickets from the head of its class
    (``rules.reinstate_placement``)."""
    if not actor.is_staff:
        raise Forbidden("staff_only", N_("Only staff can bring back a no-show."))
    row = lookups.ticket_row(session, hall.id, ticket_id)
    lookups.lock_service_queues(session, [row.service_id])
    row = lookups.ticket_row(session, hall.id, ticket_id, lock=True)
    status = rules.check_move("reinstate", row.status, row.number)
    _check_grace(hall, row.number, row.ended_at or now, now)

    # The whole class is read: a queue holds at most a day's tickets, and reinstating is rare.
    params = {"service_id": row.service_id, "rank": row.class_rank}
    higher = session.execute(_HIGHER_CLASSES, params).scalar_one()
    same_class: Sequence[tuple[dt.datetime, int]] = [
        (r.queued_at, r.id) for r in session.execute(_SAME_CLASS, params)
    ]
    place = rules.reinstate_placement(
        ticket_id=row.id,
        higher=higher,
        same_class=same_class,
        places=hall.rules.reinstate_places,
        now=now,
    )
    leg = row.leg + 1
    session.execute(
        update(Ticket)
        .where(Ticket.id == row.id)
        .values(
            status=status,
            leg=leg,
            target_counter_id=None,
            queued_at=place.queued_at,
            counter_id=None,
            clerk_id=None,
            called_at=None,
            call_count=0,
            started_at=None,
            ended_at=None,
            explanation=None,
        )
    )
    lookups.adjust_waiting(session, row.service_id, +1)
    ledger.append(
        session,
        actor,
        "ticket.reinstated",
        now,
        ticket_id=row.id,
        leg=row.leg,
        service_id=row.service_id,
        number=row.number,
        from_leg=row.leg,
        to_leg=leg,
        places=place.ahead,
        places_wanted=hall.rules.reinstate_places,
        no_show_at=row.ended_at.isoformat() if row.ended_at else None,
        no_show_counter=row.counter_number,
    )
    # The new leg begins, as after a transfer: its own leg number for the reports.
    ledger.append(
        session,
        actor,
        "ticket.queued",
        now,
        ticket_id=row.id,
        leg=leg,
        service_id=row.service_id,
        number=row.number,
        to_counter=None,
        priority=row.priority,
        language=row.language,
        reinstated=True,
    )
    ticket = lookups.ticket_state(session, hall.id, row.id)
    return MoveResult(
        ticket,
        [
            TicketUpdated(ticket, "reinstate", {"places": place.ahead, "leg": leg}),
            QueueChanged(frozenset({row.service_id})),
        ],
    )


def _check_grace(hall: HallContext, number: str, no_show_at: dt.datetime, now: dt.datetime) -> None:
    """A no-show comes back within the hall's grace time, and on the business day it had."""
    until = no_show_at + dt.timedelta(minutes=hall.rules.reinstate_within_minutes)
    next_day = dt.datetime.combine(
        hall.business_day(no_show_at) + dt.timedelta(days=1), dt.time(), tzinfo=hall.tz
    )
    until = min(until, next_day)
    if now > until or hall.rules.reinstate_within_minutes == 0:
        raise Conflict(
            "reinstate_too_late",
            N_(
                "Ticket %(number)s became a no-show at %(since)s: it could be brought back "
                "only until %(until)s."
            ),
            number=number,
            since=hall.local(no_show_at).strftime("%H:%M"),
            until=hall.local(until).strftime("%H:%M"),
            until_at=until.isoformat(),
        )

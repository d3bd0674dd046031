"""A supervisor moves a waiting ticket to another service's queue: the customer took a ticket
for the wrong service, or a service cannot serve its queue today.

Unlike a transfer (``moves.transfer``), nobody served the ticket yet: it keeps its number, its
leg and its queue time. The new queue's call order is (class, queue time, id), so the ticket
takes the place in time it would have had if it had been issued for that service at first —
the customer who took the wrong ticket does not start waiting again. For the reports it is not
a transfer (no leg ended at a window) and not a queue join: its wait still counts from the
moment it joined the first queue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from hallq.server.queue import ledger, lookups, rules
from hallq.server.queue.errors import N_, STATUS_TERMS, Conflict, Forbidden, Invalid
from hallq.server.queue.events import Actor, QueueChanged, TicketUpdated
from hallq.server.queue.hall import HallContext
from hallq.server.queue.moves import MAX_NOTE, MoveResult
from hallq.server.tables import COUNTERS, TICKETS

_T = TICKETS.c
_TICKET = select(
    _T.id, _T.number, _T.status, _T.service_id, _T.target_counter_id, _T.leg, _T.queued_at
).where(_T.id == bindparam("ticket_id"), _T.hall_id == bindparam("hall_id"))
# A ticket sent to a window by name is called by that window alone, under the window's lock
# (call_next.call_next), not its queue's: moving it takes the window's lock first, in the
# engine's lock order (the window, then service queues by id).
_LOCK_COUNTER = (
    select(COUNTERS.c.id).where(COUNTERS.c.id == bindparam("counter_id")).with_for_update()
)
# Guarded by its state, should anything have changed it unseen: never a ticket that is no
# longer waiting where it was read.
_MOVE = (
    update(TICKETS)
    .where(
        _T.id == bindparam("ticket_id"),
        _T.status == rules.WAITING,
        _T.service_id == bindparam("from_service"),
    )
    .values(service_id=bindparam("to_service"), target_counter_id=None)
)


def move_waiting(
    session: Session,
    hall: HallContext,
    actor: Actor,
    ticket_id: int,
    to_service: str,
    now: dt.datetime,
    note: str | None = None,
) -> MoveResult:
    """Move waiting ticket ``ticket_id`` to the queue of service ``to_service`` (an active
    service of the hall, not its own), keeping its number, leg, class and queue time. A
    ticket that waited for a window by name (transferred there) joins the new service's
    queue instead. A paused service takes it: a pause stops new tickets, not its queue."""
    if not actor.oversees:
        raise Forbidden(
            "supervisors_only", N_("Only a supervisor or an administrator can move a ticket.")
        )
    if note is not None and len(note) > MAX_NOTE:
        raise Invalid(
            "note_too_long", N_("The note is too long (at most %(max)s characters)."), max=MAX_NOTE
        )
    seen = lookups.ticket_row(session, hall.id, ticket_id)
    _check_waiting(seen.status, seen.number)
    target = lookups.service_by_code(session, hall.id, to_service)
    if target.id == seen.service_id:
        raise Conflict(
            "same_service",
            N_("Ticket %(number)s already waits for %(service)s."),
            number=seen.number,
            service=dict(target.name),
            service_code=target.code,
        )

    # Locks in the engine's order; the ticket itself is not locked (read again under the
    # queues' locks, as a call by number does): a waiting ticket changes only under its
    # queue's lock, or its window's when it was sent to one, and a ticket at a window is
    # locked by the moves there before they lock its queue — locking it here, after the
    # queues, could deadlock with them.
    if seen.target_counter_id is not None:
        session.execute(_LOCK_COUNTER, {"counter_id": seen.target_counter_id}).all()
    lookups.lock_service_queues(session, [seen.service_id, target.id])
    row = session.execute(_TICKET, {"ticket_id": ticket_id, "hall_id": hall.id}).one()
    _check_waiting(row.status, row.number)
    if row.service_id != seen.service_id or row.target_counter_id not in (
        None,
        seen.target_counter_id,
    ):
        # Moved or transferred between the first read and the locks: its queue now is not
        # the one locked here.
        raise Conflict(
            "ticket_moved",
            N_("Ticket %(number)s has just moved to another queue: try again."),
            number=row.number,
        )
    moved = session.execute(
        _MOVE, {"ticket_id": row.id, "from_service": row.service_id, "to_service": target.id}
    ).rowcount
    if moved != 1:  # cannot happen under the locks above; refuse rather than miscount
        raise Conflict(
            "ticket_moved",
            N_("Ticket %(number)s has just moved to another queue: try again."),
            number=row.number,
        )
    lookups.adjust_waiting(session, row.service_id, -1)
    lookups.adjust_waiting(session, target.id, +1)

    source = lookups.service_by_id(session, row.service_id)
    payload: dict[str, Any] = {
        "number": row.number,
        "from_service": source.code,
        "to_service": target.code,
        "note": note,
        # Its place in the new queue comes from this time, kept as it was.
        "queued_at": row.queued_at.isoformat(),
        "kept_queue_time": True,
    }
    if row.target_counter_id is not None:
        payload["from_counter"] = lookups.counter_by_id(session, row.target_counter_id).number
    ledger.append(
        session,
        actor,
        "ticket.moved",
        now,
        ticket_id=row.id,
        leg=row.leg,
        service_id=target.id,
        **payload,
    )
    ticket = lookups.ticket_state(session, hall.id, row.id)
    return MoveResult(
        ticket,
        [
            TicketUpdated(
                ticket,
                "move",
                {"from_service": source.code, "to_service": target.code, "note": note},
            ),
            QueueChanged(frozenset({row.service_id, target.id})),
        ],
    )


def _check_waiting(status: str, number: str) -> None:
    """Refused as the rules refuse a move (``rules.check_move``): only a waiting ticket
    changes queues here; one at a window is transferred from there."""
    if status != rules.WAITING:
        raise Conflict(
            "illegal_move",
            N_(
                "Ticket %(number)s is %(status)s: only a waiting ticket can be moved to "
                "another queue."
            ),
            number=number,
            status=STATUS_TERMS.get(status, status),
            state=status,
            move="move",
        )

"""Calling one ticket by its number, out of the design's order: a customer who came back, or
one the clerk must see now.

The window's checks and the claim are call-next's (``call_next.window_for_call`` and
``call_next.claim``), so the ticket, the window, the queue's count, the log and the events
come out the same. The locks are taken in the same order as call-next's — the window, then
the ticket's service queue (``FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time) —
so a window calling a number and others pressing call-next at once never call one ticket
twice, and call-next never skips the head it did not get.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hallq.server.queue import lookups, rules
from hallq.server.queue.call_next import (
    HEAD_COLUMNS,
    CallResult,
    candidate_of,
    claim,
    window_for_call,
)
from hallq.server.queue.errors import N_, Conflict, NotFound
from hallq.server.queue.events import Actor
from hallq.server.queue.hall import HallContext
from hallq.server.queue.issue import position_in_queue
from hallq.server.tables import TICKETS

_T = TICKETS.c
_COLUMNS = (*HEAD_COLUMNS, _T.status, _T.class_rank)
# Numbers are unique per hall and business day (the table's unique constraint is the index).
_BY_NUMBER = select(*_COLUMNS).where(
    _T.hall_id == bindparam("hall_id"),
    _T.business_day == bindparam("day"),
    _T.number == bindparam("number"),
)
# Read again once its queue is locked, but not locked itself: a ticket at another window is
# locked by the moves there (recall, transfer...) before they lock its queue, so locking it
# here, after the queue, could deadlock with them. A waiting ticket changes only under its
# queue's lock (call-next, cancel, a call by number), which this call holds.
_BY_ID = select(*_COLUMNS).where(_T.id == bindparam("ticket_id"))


def call_ticket(
    session: Session,
    hall: HallContext,
    actor: Actor,
    counter_number: int,
    ticket_number: str,
    now: dt.datetime,
) -> CallResult:
    """Call today's ticket ``ticket_number`` (``a023`` finds ``A023``) at window
    ``counter_number``. It must be waiting, and either of a service of the window's profile or
    transferred to this very window."""
    counter, clerk_id = window_for_call(session, hall, actor, counter_number)
    wanted = ticket_number.strip().upper()
    found = session.execute(
        _BY_NUMBER, {"hall_id": hall.id, "day": hall.business_day(now), "number": wanted}
    ).one_or_none()
    if found is None:
        raise NotFound("unknown_ticket", N_("There is no ticket %(number)s today."), number=wanted)
    lookups.lock_service_queues(session, [found.service_id])
    row = session.execute(_BY_ID, {"ticket_id": found.id}).one()
    if row.service_id != found.service_id:
        # Transferred to another service between the look-up and the lock (PostgreSQL): its
        # new queue is not locked, so call-next elsewhere could be taking it at this moment.
        raise Conflict(
            "ticket_moved",
            N_("Ticket %(number)s has just moved to another queue; call it again."),
            number=row.number,
        )
    rules.check_move("call", row.status, row.number)

    transferred_here = row.target_counter_id == counter.id
    if row.target_counter_id is not None and not transferred_here:
        target = lookups.counter_by_id(session, row.target_counter_id)
        raise Conflict(
            "transferred_elsewhere",
            N_("Ticket %(number)s was transferred to window %(target)s: it is called there."),
            number=row.number,
            target=target.number,
            counter=counter_number,
        )
    service = lookups.service_by_id(session, row.service_id)
    placement = {
        code: (tier_no, weight)
        for tier_no, tier in enumerate(counter.tiers(), start=1)
        for code, weight in tier
    }
    if transferred_here:
        tier, weight = 0, 1.0
    elif service.active and service.code in placement:
        tier, weight = placement[service.code]
    else:
        raise Conflict(
            "not_served_here",
            N_("Window %(counter)s does not serve %(service)s (ticket %(number)s)."),
            counter=counter_number,
            service=dict(service.name),
            service_code=service.code,
            number=row.number,
        )

    chosen = candidate_of(row, service, transferred_here=transferred_here, tier=tier, weight=weight)
    explanation = rules.explain(chosen, now, "called_by_number")
    # How many of its queue the design's order would have called first: the audit's question.
    explanation["ahead"] = (
        0
        if transferred_here
        else position_in_queue(session, row.service_id, row.class_rank, row.queued_at, row.id) - 1
    )
    return claim(session, actor, counter, clerk_id, row, service, explanation, now, by_number=True)

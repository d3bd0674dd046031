"""Call-next: which ticket a window takes, claimed so that no two windows take the same one.

The candidates are the heads of the queues the window may call from: one per service
of its work profile, plus the first ticket transferred to this very window. Each head
is an index seek, so the time does not grow with the length of the queues; the choice
among heads is ``rules.choose``. When the window has called its hall's limit of
green-channel tickets in a row and the choice is one more, the heads of the other
classes are read too (an index seek each) for the fairness bound (``rules.fairness_bound``).

Atomicity: on SQLite the whole call is one ``BEGIN IMMEDIATE`` transaction (one writer
at a time). On PostgreSQL the window's row and then the service queue rows of its
profile are locked (``FOR UPDATE``, in id order) before the heads are read: another
window calling from an overlapping profile waits for the commit and then sees the
next head. Locking the queues rather than skipping locked tickets keeps the strict
order of the design — a skipped-over head would otherwise be called after a later one.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import bindparam, select, text, union_all, update
from sqlalchemy.orm import Session

from hallq.server.queue import ledger, lookups, rules
from hallq.server.queue.errors import N_, Conflict
from hallq.server.queue.events import (
    Actor,
    CounterUpdated,
    DomainEvent,
    QueueChanged,
    TicketCalled,
    TicketState,
)
from hallq.server.queue.hall import HallContext
from hallq.server.queue.lookups import CounterRow, ServiceRow
from hallq.server.queue.windows import OPEN, PAUSED, guard
from hallq.server.tables import COUNTERS, TICKETS

_T = TICKETS.c
# What the call needs to know of a head ticket, so that no further read follows the claim.
HEAD_COLUMNS = (
    _T.id,
    _T.number,
    _T.service_id,
    _T.priority,
    _T.queued_at,
    _T.issued_at,
    _T.target_counter_id,
    _T.business_day,
    _T.language,
    _T.leg,
    _T.appointment,
    _T.status_token,
)
_HEAD_ORDER = (_T.class_rank, _T.queued_at, _T.id)


def _service_head(param: str) -> Any:
    # Literal predicates match the partial index's, so both databases seek it.
    return (
        select(*HEAD_COLUMNS)
        .where(_T.service_id == bindparam(param))
        .where(text("status = 'waiting' AND target_counter_id IS NULL"))
        .order_by(*_HEAD_ORDER)
        .limit(1)
    )


def _class_head(param: str, rank: int) -> Any:
    """The head of one priority class of a service queue: the index seeks to it directly."""
    return (
        select(*HEAD_COLUMNS)
        .where(_T.service_id == bindparam(param), _T.class_rank == rank)
        .where(text("status = 'waiting' AND target_counter_id IS NULL"))
        .order_by(*_HEAD_ORDER)
        .limit(1)
    )


_COUNTER_HEAD = (
    select(*HEAD_COLUMNS)
    .where(_T.target_counter_id == bindparam("counter_id"))
    .where(text("status = 'waiting' AND target_counter_id IS NOT NULL"))
    .order_by(*_HEAD_ORDER)
    .limit(1)
)


@functools.lru_cache(maxsize=32)
def _heads(services: int) -> Any:
    """One round trip for every queue head a window calls from: ``services`` service
    queues (parameters s0, s1, …) and the window's own transfers (``counter_id``)."""
    parts = [_service_head(f"s{i}").subquery().select() for i in range(services)]
    parts.append(_COUNTER_HEAD.subquery().select())
    return union_all(*parts)


# The classes behind the green channel, whose heads a green-channel head hides.
_OTHER_RANKS = tuple(r for name, r in rules.CLASS_RANK.items() if name != rules.PRIORITY)


@functools.lru_cache(maxsize=32)
def _other_class_heads(services: int) -> Any:
    """The head of every class but the green channel in ``services`` service queues."""
    return union_all(
        *(
            _class_head(f"s{i}", rank).subquery().select()
            for i in range(services)
            for rank in _OTHER_RANKS
        )
    )


_CLAIM = (
    update(TICKETS)
    .where(_T.id == bindparam("ticket_id"), _T.status == rules.WAITING)
    .values(
        status=rules.CALLED,
        counter_id=bindparam("counter_id"),
        clerk_id=bindparam("clerk_id"),
        called_at=bindparam("now"),
        call_count=1,
        explanation=bindparam("explanation"),
    )
)
_SET_CURRENT = (
    update(COUNTERS)
    .where(COUNTERS.c.id == bindparam("counter_id"))
    # The previous customer's chance to rate ends with this call (see moves._leave_window).
    .values(
        current_ticket_id=bindparam("ticket_id"),
        last_ticket_id=None,
        priority_streak=bindparam("streak"),
    )
)


@dataclass(frozen=True)
class CallResult:
    ticket: TicketState | None
    events: list[DomainEvent] = field(default_factory=list)
    explanation: dict[str, object] = field(default_factory=dict)
    # The called service's documents, per language: the clerk's checklist.
    documents: Mapping[str, list[str]] = field(default_factory=dict)


def candidate_of(
    row: Any, service: ServiceRow, *, transferred_here: bool, tier: int, weight: float
) -> rules.Candidate:
    """A head ticket (a row of ``HEAD_COLUMNS``) as the call order's rules see it."""
    return rules.Candidate(
        ticket_id=row.id,
        number=row.number,
        service_code=service.code,
        priority=row.priority,
        queued_at=row.queued_at,
        issued_at=row.issued_at,
        transferred_here=transferred_here,
        tier=tier,
        weight=weight,
        target_wait=service.target_wait,
    )


def window_for_call(
    session: Session, hall: HallContext, actor: Actor, number: int
) -> tuple[CounterRow, int | None]:
    """The window, locked, once it may call: open, not paused, no ticket at it. Returns it
    and the clerk the call is made for."""
    counter = lookups.counter_by_number(session, hall.id, number, lock=True)
    clerk_id = guard(actor, counter)
    if counter.state == PAUSED:
        raise Conflict(
            "window_paused",
            N_("Window %(counter)s is paused: resume it before calling the next ticket."),
            counter=number,
        )
    if counter.state != OPEN:
        raise Conflict("window_closed", N_("Window %(counter)s is closed."), counter=number)
    if counter.current_ticket_id is not None:
        current = lookups.ticket_state(session, hall.id, counter.current_ticket_id)
        raise Conflict(
            "ticket_at_window",
            N_(
                "Ticket %(number)s is still at window %(counter)s: "
                "finish it, mark it no-show, requeue or transfer it first."
            ),
            number=current.number,
            counter=number,
        )
    return counter, clerk_id


def claim(
    session: Session,
    actor: Actor,
    counter: CounterRow,
    clerk_id: int | None,
    head: Any,
    service: ServiceRow,
    explanation: dict[str, Any],
    now: dt.datetime,
    **payload: Any,
) -> CallResult:
    """Call ``head`` (a row of ``HEAD_COLUMNS``, of ``service``) at the window, whose row and
    the ticket's service queue the caller has locked: the ticket, the window's current ticket
    and green-channel streak, the queue's count, the log and the events. ``payload`` adds
    to the log row."""
    claimed = session.execute(
        _CLAIM,
        {
            "ticket_id": head.id,
            "counter_id": counter.id,
            "clerk_id": clerk_id,
            "now": now,
            "explanation": explanation,
        },
    ).rowcount
    if claimed != 1:  # cannot happen under the locks above; refuse rather than double-call
        raise Conflict("race_lost", N_("Another window took that ticket; press call again."))
    streak = counter.priority_streak + 1 if head.priority == rules.PRIORITY else 0
    # The previous customer's rating window ends with this call (moves._leave_window).
    session.execute(
        _SET_CURRENT, {"counter_id": counter.id, "ticket_id": head.id, "streak": streak}
    )
    number = counter.number
    ticket = TicketState(
        id=head.id,
        number=head.number,
        business_day=head.business_day,
        service_id=head.service_id,
        service_code=service.code,
        zone_code=service.zone_code,
        status=rules.CALLED,
        priority=head.priority,
        language=head.language,
        leg=head.leg,
        issued_at=head.issued_at,
        queued_at=head.queued_at,
        call_count=1,
        counter_number=number,
        target_counter_number=number if head.target_counter_id == counter.id else None,
        called_at=now,
        appointment=head.appointment,
        status_token=head.status_token,
    )
    lookups.adjust_waiting(session, ticket.service_id, -1)
    ledger.append(
        session,
        actor,
        "ticket.called",
        now,
        ticket_id=ticket.id,
        leg=ticket.leg,
        service_id=ticket.service_id,
        counter_id=counter.id,
        user_id=clerk_id,
        number=ticket.number,
        counter=number,
        call_count=1,
        priority=ticket.priority,
        language=ticket.language,
        waited_seconds=round((now - ticket.queued_at).total_seconds(), 1),
        explanation=explanation,
        **payload,
    )
    return CallResult(
        ticket=ticket,
        explanation=explanation,
        documents=service.documents,
        events=[
            TicketCalled(
                ticket, counter_number=number, zone_code=counter.zone_code, explanation=explanation
            ),
            CounterUpdated(
                lookups.counter_state(replace(counter, current_ticket_id=ticket.id), ticket.number)
            ),
            QueueChanged(frozenset({ticket.service_id})),
        ],
    )


def call_next(
    session: Session, hall: HallContext, actor: Actor, number: int, now: dt.datetime
) -> CallResult:
    counter, clerk_id = window_for_call(session, hall, actor, number)

    tiers = counter.tiers()
    services = lookups.services_by_code(session, hall.id, counter.service_codes(), lock=True)
    by_id = {s.id: s for s in services.values()}
    placement = {
        code: (tier_no, weight)
        for tier_no, tier in enumerate(tiers, start=1)
        for code, weight in tier
    }

    def candidate(row: Any) -> rules.Candidate | None:
        service = by_id.get(row.service_id)
        if row.target_counter_id == counter.id:
            # Sent here by name: first of all, whatever its service (maybe not in the profile).
            if service is None:
                service = by_id[row.service_id] = lookups.service_by_id(session, row.service_id)
            tier, weight = 0, 1.0
        elif service is None:
            return None
        else:
            tier, weight = placement[service.code]
        return candidate_of(
            row,
            service,
            transferred_here=row.target_counter_id == counter.id,
            tier=tier,
            weight=weight,
        )

    params: dict[str, Any] = {f"s{i}": s.id for i, s in enumerate(services.values())}
    params["counter_id"] = counter.id
    rows = {row.id: row for row in session.execute(_heads(len(services)), params)}
    candidates = [c for c in map(candidate, rows.values()) if c is not None]
    if not candidates:
        return CallResult(ticket=None)

    chosen, explanation = rules.choose(candidates, now)
    streak, limit = counter.priority_streak, hall.rules.max_priority_in_a_row
    if services and rules.fairness_may_apply(chosen, streak, limit):
        # A green-channel head hides the other classes behind it in its queue: read them.
        for row in session.execute(_other_class_heads(len(services)), params):
            if row.id not in rows:
                rows[row.id] = row
                found = candidate(row)
                if found is not None:
                    candidates.append(found)
        chosen, explanation = rules.fairness_bound(
            chosen, explanation, candidates, now, streak=streak, limit=limit
        )
    head = rows[chosen.ticket_id]
    return claim(session, actor, counter, clerk_id, head, by_id[head.service_id], explanation, now)

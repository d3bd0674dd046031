"""Issuing a ticket: the kiosk's press, or a clerk's for someone at the desk."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.queue import device_commands, issue_record, lookups, rules
from hallq.server.queue.errors import N_, Conflict, Forbidden, Invalid
from hallq.server.queue.events import (
    Actor,
    DeviceCommandQueued,
    DomainEvent,
    QueueChanged,
    TicketIssued,
    TicketState,
)
from hallq.server.queue.hall import HallContext
from hallq.server.queue.issue_record import NewTicket
from hallq.server.tables import IDEMPOTENCY_KEYS, SERVICES, TICKETS


@dataclass(frozen=True)
class Idempotency:
    """The client's ``Idempotency-Key`` and a fingerprint of what it asked for."""

    caller: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class IssueResult:
    ticket: TicketState
    position: int  # 1 = next to be called in its service
    waiting: int  # the service's waiting count after this issue
    events: list[DomainEvent] = field(default_factory=list)
    replayed: bool = False  # True when an Idempotency-Key returned an earlier ticket
    # What to bring, per language: printed on the ticket, shown on its status page.
    documents: Mapping[str, list[str]] = field(default_factory=dict)


_T = TICKETS.c
_FIND_KEY = select(IDEMPOTENCY_KEYS.c.fingerprint, IDEMPOTENCY_KEYS.c.ticket_id).where(
    IDEMPOTENCY_KEYS.c.caller == bindparam("caller"), IDEMPOTENCY_KEYS.c.key == bindparam("key")
)
_WAITING = select(SERVICES.c.waiting).where(SERVICES.c.id == bindparam("service_id"))
# Who is called before a waiting ticket of its service queue: a higher class, or the same
# class queued earlier. Literal predicates, so both databases use the partial queue index.
_AHEAD = (
    select(func.count())
    .select_from(TICKETS)
    .where(
        _T.service_id == bindparam("service_id"),
        text("status = 'waiting' AND target_counter_id IS NULL"),
        or_(
            _T.class_rank < bindparam("rank"),
            (_T.class_rank == bindparam("rank")) & (_T.queued_at < bindparam("queued_at")),
            (_T.class_rank == bindparam("rank"))
            & (_T.queued_at == bindparam("queued_at"))
            & (_T.id < bindparam("ticket_id")),
        ),
    )
)


def issue_ticket(
    session: Session,
    hall: HallContext,
    actor: Actor,
    *,
    service_code: str,
    now: dt.datetime,
    priority: str = rules.NORMAL,
    language: str | None = None,
    appointment: str | None = None,
    idempotency: Idempotency | None = None,
    replay_first: bool = True,
    booked: bool = False,
    reason: str | None = None,
) -> IssueResult:
    """Issue a ticket; with an ``idempotency`` key already used, return that press's ticket.

    ``booked``: the appointment was checked against its booking (``queue/appointments.py``),
    so a kiosk may issue it. ``reason``: why staff grant the green channel (required for
    it, kept in the log with who granted it).

    ``replay_first=False`` skips looking the key up before issuing: the key's unique index
    then refuses a repeated press (IntegrityError, the transaction rolls back with its
    number) and the caller tries again with the look-up. Repeated presses are rare, so
    the common press saves a query.
    """
    if idempotency is not None and replay_first:
        earlier = _replay(session, hall, idempotency)
        if earlier is not None:
            return earlier

    service = lookups.service_of(session, hall, service_code)
    _check_request(hall, actor, priority, language, appointment, booked, reason)
    language = language or hall.default_language

    if service.paused:
        raise Conflict(
            "service_paused",
            N_("%(service)s is paused for now: no tickets are issued for it."),
            service=dict(service.name),
            service_code=service.code,
        )
    local = hall.local(now)
    if not service.hours.is_open(local):
        opens = service.hours.next_opening(local)
        raise Conflict(
            "service_closed",
            N_("%(service)s is closed now. It opens %(opens)s."),
            service=dict(service.name),
            service_code=service.code,
            opens=opens.strftime("%Y-%m-%d %H:%M") if opens else "—",
            opens_at=opens.isoformat() if opens else None,
        )

    day = hall.business_day(now)
    token = secrets.token_urlsafe(16)
    rank = rules.CLASS_RANK[priority]
    # A kiosk's ticket is printed there: its print job is stored with the ticket.
    prints = actor.role == "kiosk" and actor.device_id is not None
    done = issue_record.record(
        session,
        actor,
        NewTicket(
            hall_id=hall.id,
            day=day,
            prefix=service.prefix,
            service_id=service.id,
            priority=priority,
            language=language,
            appointment=appointment,
            now=now,
            status_token=token,
            idempotency=None
            if idempotency is None
            else (idempotency.caller, idempotency.key, idempotency.fingerprint),
            daily_cap=service.daily_cap,
            reason=reason.strip() if reason else None,
            print_device_id=actor.device_id if prints else None,
            print_expires_at=now + device_commands.max_age(hall, wire.PRINT_JOB)
            if prints
            else None,
        ),
    )
    if done is None:
        # Raising rolls the transaction back, taking the number back with it.
        raise Conflict(
            "daily_cap_reached",
            N_("%(service)s has given all %(cap)s tickets for today."),
            service=dict(service.name),
            service_code=service.code,
            cap=service.daily_cap,
        )
    ticket_id, number, waiting = done.ticket_id, done.number, done.waiting

    # The newest walk-in is last in its queue; others need counting.
    position = (
        waiting
        if rank == rules.LOWEST_RANK
        else position_in_queue(session, service.id, rank, now, ticket_id)
    )

    ticket = TicketState(
        id=ticket_id,
        number=number,
        business_day=day,
        service_id=service.id,
        service_code=service.code,
        zone_code=service.zone_code,
        status=rules.WAITING,
        priority=priority,
        language=language,
        leg=1,
        issued_at=now,
        queued_at=now,
        appointment=appointment,
        status_token=token,
    )
    return IssueResult(
        ticket=ticket,
        position=position,
        waiting=waiting,
        documents=service.documents,
        events=[
            TicketIssued(ticket, device_id=actor.device_id, position=position),
            QueueChanged(frozenset({service.id})),
            *(
                [
                    DeviceCommandQueued(
                        command_id=done.print_job_id,
                        device_id=actor.device_id,
                        kind=wire.PRINT_JOB,
                        ticket_id=ticket_id,
                    )
                ]
                if done.print_job_id is not None and actor.device_id is not None
                else []
            ),
        ],
    )


MAX_REASON = 200


def _check_request(
    hall: HallContext,
    actor: Actor,
    priority: str,
    language: str | None,
    appointment: str | None,
    booked: bool,
    reason: str | None,
) -> None:
    if priority not in rules.CLASS_RANK:
        raise Invalid(
            "unknown_priority",
            N_("Unknown priority class %(priority)s; use normal, priority or appointment."),
            priority=priority,
        )
    if priority == rules.PRIORITY and not actor.is_staff:
        raise Forbidden(
            "green_channel_by_staff",
            N_("Green-channel tickets are granted by staff at the reception desk."),
        )
    if priority == rules.APPOINTMENT and not appointment:
        raise Invalid(
            "appointment_required",
            N_("An appointment ticket needs the booking reference."),
        )
    if priority == rules.PRIORITY and not (reason or "").strip():
        raise Invalid(
            "reason_required",
            N_("Say why this customer takes the green channel (a short reason)."),
        )
    if reason is not None and len(reason) > MAX_REASON:
        raise Invalid(
            "reason_too_long",
            N_("The reason is too long (at most %(max)s characters)."),
            max=MAX_REASON,
        )
    if priority == rules.APPOINTMENT and not actor.is_staff and not booked:
        # A kiosk's word is not enough: appointments are checked in against the bookings.
        raise Forbidden(
            "appointment_by_staff",
            N_("Appointment tickets are given by staff, or at check-in with a booking code."),
        )
    if language is not None and language not in hall.languages:
        raise Invalid(
            "unknown_language",
            N_("This hall offers %(languages)s, not %(language)s."),
            language=language,
            languages=", ".join(hall.languages),
        )


def _replay(session: Session, hall: HallContext, idem: Idempotency) -> IssueResult | None:
    row = session.execute(_FIND_KEY, {"caller": idem.caller, "key": idem.key}).one_or_none()
    if row is None:
        return None
    if row.fingerprint != idem.fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            N_("This Idempotency-Key was already used for a different request."),
        )
    trow = lookups.ticket_row(session, hall.id, row.ticket_id)
    ticket = lookups.ticket_state_of(trow)
    position = (
        position_in_queue(session, ticket.service_id, trow.class_rank, ticket.queued_at, ticket.id)
        if ticket.status == rules.WAITING
        else 0
    )
    waiting = session.execute(_WAITING, {"service_id": ticket.service_id}).scalar_one()
    documents = lookups.service_of(session, hall, ticket.service_code).documents
    return IssueResult(
        ticket=ticket, position=position, waiting=waiting, replayed=True, documents=documents
    )


def position_in_queue(
    session: Session, service_id: int, class_rank: int, queued_at: dt.datetime, ticket_id: int
) -> int:
    """1-based place of a waiting ticket in its service queue (who is called before it)."""
    params = {
        "service_id": service_id,
        "rank": class_rank,
        "queued_at": queued_at,
        "ticket_id": ticket_id,
    }
    return session.execute(_AHEAD, params).scalar_one() + 1

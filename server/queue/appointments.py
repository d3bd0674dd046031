"""Appointments: staff book a customer for a service at a time; at the kiosk the customer
types the booking code and gets an appointment ticket (called before walk-ins), within the
hall's check-in window around the booked time, once.

Plain Python over the caller's session, like the rest of the engine.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hallq.server.masking import mask_name, mask_phone
from hallq.server.models import Appointment, Service
from hallq.server.queue import ledger, lookups, rules
from hallq.server.queue.errors import N_, Conflict, Forbidden, Invalid, NotFound
from hallq.server.queue.events import Actor, DomainEvent
from hallq.server.queue.hall import HallContext
from hallq.server.queue.issue import IssueResult, issue_ticket
from hallq.server.tables import TICKETS

BOOKED, CHECKED_IN, CANCELLED = "booked", "checked_in", "cancelled"
CODE_DIGITS = 6  # typed on a touch screen's number pad, by anyone
MAX_NAME, MAX_REFERENCE, MAX_PHONE = 100, 64, 32


@dataclass(frozen=True)
class Booking:
    id: int
    code: str
    service: str
    at: dt.datetime
    name: str | None  # masked, as every screen shows it (陳**)
    reference: str | None
    phone: str | None  # masked (9***4567)
    status: str
    ticket_id: int | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "service": self.service,
            "at": self.at.isoformat(),
            "name": self.name,
            "reference": self.reference,
            "phone": self.phone,
            "status": self.status,
            "ticket_id": self.ticket_id,
        }


@dataclass
class Booked:
    booking: Booking
    events: list[DomainEvent] = field(default_factory=list)


def _booking(row: Appointment, service_code: str) -> Booking:
    return Booking(
        id=row.id,
        code=row.code,
        service=service_code,
        at=row.at,
        name=mask_name(row.name) if row.name else None,
        reference=row.reference,
        phone=mask_phone(row.phone) if row.phone else None,
        status=row.status,
        ticket_id=row.ticket_id,
    )


def book(
    session: Session,
    hall: HallContext,
    actor: Actor,
    *,
    service_code: str,
    at: dt.datetime,
    name: str | None,
    reference: str | None,
    phone: str | None,
    now: dt.datetime,
) -> Booked:
    if not actor.is_staff:
        raise Forbidden("staff_only", N_("Only staff can book appointments."))
    if not (name or reference):
        raise Invalid("who_required", N_("Say who the appointment is for: a name or a reference."))
    if at.tzinfo is None:
        raise Invalid("time_zone_required", N_("Give the booked time with its time zone."))
    service = lookups.service_by_code(session, hall.id, service_code)
    for _attempt in range(5):
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        try:
            with session.begin_nested():
                row = Appointment(
                    hall_id=hall.id,
                    service_id=service.id,
                    code=code,
                    at=at,
                    name=name,
                    reference=reference,
                    phone=phone,
                    status=BOOKED,
                    created_at=now,
                    created_by=actor.user_id,
                )
                session.add(row)
                session.flush()
            break
        except IntegrityError:  # the code is taken in this hall: draw another
            continue
    else:  # pragma: no cover - a million codes per hall
        raise Conflict("no_free_code", N_("No booking code is free: try again."))
    ledger.append(
        session,
        actor,
        "appointment.booked",
        now,
        service_id=service.id,
        appointment=row.id,
        code=code,
        booked_for=at.isoformat(),
    )
    return Booked(_booking(row, service.code))


def _find(session: Session, hall: HallContext, code: str, *, lock: bool) -> tuple[Appointment, str]:
    query = (
        select(Appointment, Service.code)
        .join(Service, Service.id == Appointment.service_id)
        .where(Appointment.hall_id == hall.id, Appointment.code == code.strip())
    )
    if lock:
        query = query.with_for_update(of=Appointment)
    found = session.execute(query).one_or_none()
    if found is None:
        raise NotFound(
            "unknown_booking",
            N_("There is no booking %(booking)s: check the code, or ask at the reception desk."),
            booking=code,
        )
    return found[0], found[1]


def cancel(
    session: Session, hall: HallContext, actor: Actor, code: str, now: dt.datetime
) -> Booked:
    if not actor.is_staff:
        raise Forbidden("staff_only", N_("Only staff can cancel appointments."))
    row, service_code = _find(session, hall, code, lock=True)
    if row.status != BOOKED:
        raise Conflict(
            "booking_not_open",
            N_("Booking %(booking)s is already used or cancelled."),
            booking=code,
        )
    row.status = CANCELLED
    ledger.append(session, actor, "appointment.cancelled", now, appointment=row.id, code=code)
    return Booked(_booking(row, service_code))


def window(hall: HallContext, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When a booking may check in: from ``check_in_before`` minutes before its time until
    ``check_in_after`` minutes after."""
    return (
        at - dt.timedelta(minutes=hall.rules.check_in_before),
        at + dt.timedelta(minutes=hall.rules.check_in_after),
    )


@dataclass
class CheckedIn:
    booking: Booking
    issued: IssueResult

    @property
    def events(self) -> list[DomainEvent]:
        return self.issued.events


def check_in(
    session: Session,
    hall: HallContext,
    actor: Actor,
    code: str,
    now: dt.datetime,
    *,
    language: str | None = None,
) -> CheckedIn:
    """The customer types the booking code at the kiosk (or staff for them): an appointment
    ticket for the booked service, once, inside the check-in window."""
    if actor.role not in ("kiosk", "admin", "supervisor", "clerk"):
        raise Forbidden("check_in_here", N_("Check in at a kiosk or at the reception desk."))
    row, service_code = _find(session, hall, code, lock=True)
    if row.status == CHECKED_IN:
        number = session.execute(
            select(TICKETS.c.number).where(TICKETS.c.id == row.ticket_id)
        ).scalar()
        raise Conflict(
            "already_checked_in",
            N_("Booking %(booking)s has already checked in: its ticket is %(number)s."),
            booking=code,
            number=number or "?",
        )
    if row.status == CANCELLED:
        raise Conflict("booking_cancelled", N_("Booking %(booking)s was cancelled."), booking=code)
    opens, closes = window(hall, row.at)
    local = hall.local
    if now < opens:
        raise Conflict(
            "check_in_too_early",
            N_("Too early: booking %(booking)s checks in from %(opens)s (booked for %(at)s)."),
            booking=code,
            opens=local(opens).strftime("%Y-%m-%d %H:%M"),
            at=local(row.at).strftime("%H:%M"),
            opens_at=opens.isoformat(),
        )
    if now > closes:
        raise Conflict(
            "check_in_too_late",
            N_(
                "Too late: check-in for booking %(booking)s closed at %(closes)s. "
                "Please ask at the reception desk."
            ),
            booking=code,
            closes=local(closes).strftime("%Y-%m-%d %H:%M"),
            closes_at=closes.isoformat(),
        )
    issued = issue_ticket(
        session,
        hall,
        actor,
        service_code=service_code,
        now=now,
        priority=rules.APPOINTMENT,
        language=language,
        appointment=row.code,
        booked=True,
    )
    session.execute(
        update(Appointment)
        .where(Appointment.id == row.id)
        .values(status=CHECKED_IN, ticket_id=issued.ticket.id, checked_in_at=now)
    )
    ledger.append(
        session,
        actor,
        "appointment.checked_in",
        now,
        ticket_id=issued.ticket.id,
        service_id=issued.ticket.service_id,
        appointment=row.id,
        code=row.code,
        number=issued.ticket.number,
    )
    row.status, row.ticket_id = CHECKED_IN, issued.ticket.id
    return CheckedIn(_booking(row, service_code), issued)


def day_list(session: Session, hall: HallContext, day: dt.date) -> list[Booking]:
    """The day's bookings (the hall's local day), by time."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=hall.tz)
    rows = session.execute(
        select(Appointment, Service.code)
        .join(Service, Service.id == Appointment.service_id)
        .where(
            Appointment.hall_id == hall.id,
            Appointment.at >= start,
            Appointment.at < start + dt.timedelta(days=1),
        )
        .order_by(Appointment.at, Appointment.id)
    ).all()
    return [_booking(row, code) for row, code in rows]

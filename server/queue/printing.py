"""Printing a ticket again: on the kiosk that issued it, or on one staff name; and the day's
tickets that did not print, for the reception desk ("reprint at the desk")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.models import Device, Event
from hallq.server.queue import device_commands, ledger, lookups, rules
from hallq.server.queue.errors import N_, Conflict, Forbidden, NotFound
from hallq.server.queue.events import Actor, DomainEvent
from hallq.server.queue.hall import HallContext
from hallq.server.tables import DEVICE_COMMANDS, DEVICES, SERVICES, TICKETS

_C, _T = DEVICE_COMMANDS.c, TICKETS.c


@dataclass
class Reprint:
    command_id: int
    device_name: str
    events: list[DomainEvent] = field(default_factory=list)


def issuing_kiosk(session: Session, ticket_id: int) -> int | None:
    """The device that issued the ticket (its ``ticket.issued`` log entry), if one did."""
    return session.execute(
        select(Event.device_id).where(Event.ticket_id == ticket_id, Event.kind == "ticket.issued")
    ).scalar()


def reprint(
    session: Session,
    hall: HallContext,
    actor: Actor,
    ticket_id: int,
    now: dt.datetime,
    *,
    kiosk: str | None = None,
) -> Reprint:
    if not actor.is_staff:
        raise Forbidden("staff_only", N_("Only staff can reprint a ticket."))
    row = lookups.ticket_row(session, hall.id, ticket_id)
    query = select(Device).where(Device.hall_id == hall.id, Device.kind == "kiosk")
    if kiosk is not None:
        device = session.scalar(query.where(Device.name == kiosk))
        if device is None:
            raise NotFound("unknown_kiosk", N_("There is no kiosk %(kiosk)s."), kiosk=kiosk)
    else:
        device_id = issuing_kiosk(session, ticket_id)
        device = session.scalar(query.where(Device.id == device_id)) if device_id else None
        if device is None:
            raise Conflict(
                "which_kiosk",
                N_("Ticket %(number)s was not issued at a kiosk: say which kiosk prints it."),
                number=row.number,
            )
    if device.token_hash is None:
        raise Conflict(
            "kiosk_revoked", N_("Kiosk %(kiosk)s has no token: it cannot print."), kiosk=device.name
        )
    queued = device_commands.store(
        session, hall, device_id=device.id, kind=wire.PRINT_JOB, now=now, ticket_id=ticket_id
    )
    ledger.append(
        session,
        actor,
        "ticket.reprint",
        now,
        ticket_id=ticket_id,
        leg=row.leg,
        service_id=row.service_id,
        number=row.number,
        kiosk=device.name,
        command=queued.command_id,
    )
    return Reprint(queued.command_id, device.name, [queued])


@dataclass(frozen=True)
class NotPrinted:
    """A ticket still in the queue whose last print job failed or was never answered."""

    command_id: int
    ticket_id: int
    number: str
    service: str
    status: str
    kiosk: str
    reason: str  # the agent's (too_old, interrupted, paper_out...) or "expired"
    at: dt.datetime  # when it ended

    def payload(self) -> dict[str, Any]:
        return {
            "command": self.command_id,
            "ticket_id": self.ticket_id,
            "number": self.number,
            "service": self.service,
            "status": self.status,
            "kiosk": self.kiosk,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }


def not_printed(session: Session, hall: HallContext, day: dt.date) -> list[NotPrinted]:
    """The day's tickets, still waiting or called, whose latest print job failed or expired:
    the customer may hold no paper. A reprint (a newer job) takes a ticket off the list."""
    latest = (
        select(func.max(_C.id).label("id"))
        .join(TICKETS, _T.id == _C.ticket_id)
        .where(
            _C.hall_id == hall.id,
            _C.kind == wire.PRINT_JOB,
            _T.hall_id == hall.id,
            _T.business_day == day,
            _T.status.in_((rules.WAITING, rules.CALLED)),
        )
        .group_by(_C.ticket_id)
        .subquery()
    )
    rows = session.execute(
        select(
            _C.id,
            _C.status,
            _C.outcome,
            _C.ended_at,
            _T.id.label("ticket_id"),
            _T.number,
            _T.status.label("ticket_status"),
            SERVICES.c.code,
            DEVICES.c.name,
        )
        .join(latest, latest.c.id == _C.id)
        .join(TICKETS, _T.id == _C.ticket_id)
        .join(SERVICES, SERVICES.c.id == _T.service_id)
        .join(DEVICES, DEVICES.c.id == _C.device_id)
        .where(_C.status.in_((device_commands.FAILED, device_commands.EXPIRED)))
        .order_by(_T.id)  # in the order they were issued, as the queue has them
    ).all()
    return [
        NotPrinted(
            command_id=row.id,
            ticket_id=row.ticket_id,
            number=row.number,
            service=row.code,
            status=row.ticket_status,
            kiosk=row.name,
            reason=str((row.outcome or {}).get("reason") or row.status),
            at=row.ended_at,
        )
        for row in rows
    ]

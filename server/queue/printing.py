"""Printing a ticket again: on the kiosk that issued it, or on one staff name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.models import Device, Event
from hallq.server.queue import device_commands, ledger, lookups
from hallq.server.queue.errors import N_, Conflict, Forbidden, NotFound
from hallq.server.queue.events import Actor, DomainEvent
from hallq.server.queue.hall import HallContext


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

"""Kiosks, lobby displays and counter agents: their tokens, and what their agents report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hallq.server.auth import issue_device_token
from hallq.server.models import Counter, Device, Zone
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_, Conflict, Invalid, NotFound
from hallq.server.queue.events import Actor, CredentialsEnded, DeviceReported, DomainEvent
from hallq.server.roles import DEVICE_KINDS

MAX_NAME = 40


@dataclass
class DeviceToken:
    device_id: int
    kind: str
    token: str  # shown once: only its hash is kept
    added: bool
    events: list[DomainEvent] = field(default_factory=list)


def give_token(
    session: Session,
    actor: Actor,
    name: str,
    *,
    kind: str | None,
    zone: str | None,
    counter_number: int | None,
    now: dt.datetime,
) -> DeviceToken:
    """Add a device, or give an existing one a new token (its old token stops working)."""
    if not 1 <= len(name) <= MAX_NAME or not name.isprintable() or " " in name:
        raise Invalid("bad_device_name", N_("A device name is 1 to 40 characters without spaces."))
    hall_id = actor.hall_id
    found = session.scalar(select(Device).where(Device.hall_id == hall_id, Device.name == name))
    kind = kind or (found.kind if found else None)
    if kind is None:
        raise Invalid(
            "device_kind_required",
            N_("Device %(device)s is new: say what it is (%(kinds)s)."),
            device=name,
            kinds="|".join(DEVICE_KINDS),
        )
    if kind not in DEVICE_KINDS:
        raise Invalid("unknown_device_kind", N_("Unknown kind of device %(kind)s."), kind=kind)
    zone_id = None
    if zone:
        zone_id = session.scalar(select(Zone.id).where(Zone.hall_id == hall_id, Zone.code == zone))
        if zone_id is None:
            raise NotFound("unknown_zone", N_("There is no zone %(zone)s in this hall."), zone=zone)
    counter_id = None
    if counter_number is not None:
        counter_id = session.scalar(
            select(Counter.id).where(Counter.hall_id == hall_id, Counter.number == counter_number)
        )
        if counter_id is None:
            raise NotFound(
                "unknown_counter",
                N_("There is no window %(counter)s in this hall."),
                counter=counter_number,
            )
    if kind == "counter" and counter_id is None and (found is None or found.counter_id is None):
        raise Invalid(
            "counter_required", N_("A counter agent belongs to a window: name its window.")
        )
    if kind != "counter" and counter_id is not None:
        raise Invalid("counter_for_agents", N_("Only counter agents belong to a window."))
    added = found is None
    if found is None:
        found = Device(hall_id=hall_id, name=name, kind=kind, created_at=now, status={})
        session.add(found)
    had_token = found.token_hash is not None
    found.kind = kind
    if zone_id is not None:
        found.zone_id = zone_id
    if counter_id is not None:
        found.counter_id = counter_id
    token = issue_device_token(found)
    session.flush()
    ledger.append(
        session,
        actor,
        "device.added" if added else "device.token_renewed",
        now,
        counter_id=found.counter_id,
        device=found.id,
        name=name,
        device_kind=kind,
        zone=zone,
        counter=counter_number,
    )
    events: list[DomainEvent] = (
        [] if added or not had_token else [CredentialsEnded(device_id=found.id)]
    )
    return DeviceToken(found.id, kind, token, added, events)


def revoke(session: Session, actor: Actor, name: str, now: dt.datetime) -> list[DomainEvent]:
    """The device's token stops working at once, and its open connections are closed."""
    found = session.scalars(
        select(Device).where(Device.hall_id == actor.hall_id, Device.name == name)
    ).all()
    if not found:
        raise NotFound("unknown_device", N_("There is no device %(device)s."), device=name)
    events: list[DomainEvent] = []
    for device in found:
        device.token_hash, device.revoked_at = None, now
        ledger.append(session, actor, "device.revoked", now, device=device.id, name=name)
        events.append(CredentialsEnded(device_id=device.id))
    return events


def report(
    session: Session,
    actor: Actor,
    status: dict[str, Any],
    now: dt.datetime,
) -> list[DomainEvent]:
    """An agent reports its device (paper out, pad offline...): kept on the device, logged,
    and told to the device's own screens. The same status again (an agent's heartbeat) only
    says the device was seen."""
    if actor.device_id is None:
        raise Invalid("devices_only", N_("Only a device reports its status."))
    before = session.execute(
        select(Device.status).where(Device.id == actor.device_id)
    ).scalar_one_or_none()
    row = session.execute(
        update(Device)
        .where(Device.id == actor.device_id)
        .values(status=status, last_seen_at=now)
        .returning(Device.name, Device.kind)
    ).one()
    if before == status:
        return []
    ledger.append(session, actor, "device.status", now, **status)
    return [DeviceReported(actor.device_id, row.name, row.kind, status)]


def agent_left(
    session: Session, actor: Actor, now: dt.datetime, still_here: Callable[[], bool]
) -> list[DomainEvent]:
    """The device's last agent disconnected: the device is ``offline`` unless ``still_here()``
    says another agent connected meanwhile. Asked with the device's row locked (and, on SQLite,
    the write lock held), so that the new agent's own report cannot land before this one and
    be overwritten by it."""
    session.execute(select(Device.id).where(Device.id == actor.device_id).with_for_update())
    if still_here():
        return []
    return report(session, actor, {"status": "offline", "detail": "agent disconnected"}, now)


def seen(session: Session, device_id: int, now: dt.datetime) -> None:
    """A device connected (not a change of the hall: not logged)."""
    session.execute(update(Device).where(Device.id == device_id).values(last_seen_at=now))


# -- the back office ------------------------------------------------------------------------------


def listed(session: Session, hall_id: int) -> list[dict[str, Any]]:
    """Every device of the hall with what an administrator checks: where it belongs, when it
    was last seen, what its agent last reported, whether its token works."""
    rows = session.execute(
        select(Device, Zone.code, Counter.number)
        .outerjoin(Zone, Zone.id == Device.zone_id)
        .outerjoin(Counter, Counter.id == Device.counter_id)
        .where(Device.hall_id == hall_id)
        .order_by(Device.name)
    ).all()
    return [
        {
            "name": device.name,
            "kind": device.kind,
            "zone": zone,
            "window": window,
            "created_at": device.created_at.isoformat(),
            "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
            "status": device.status or {},
            "has_token": device.token_hash is not None,
            "revoked": device.revoked_at is not None,
            "revoked_at": device.revoked_at.isoformat() if device.revoked_at else None,
        }
        for device, zone, window in rows
    ]


def rotate(session: Session, actor: Actor, name: str, now: dt.datetime) -> DeviceToken:
    """A new token for a known device (shown once); the old one stops working at once."""
    known = session.scalar(
        select(Device.id).where(Device.hall_id == actor.hall_id, Device.name == name)
    )
    if known is None:
        raise NotFound("unknown_device", N_("There is no device %(device)s."), device=name)
    return give_token(session, actor, name, kind=None, zone=None, counter_number=None, now=now)


def check_new(session: Session, hall_id: int, name: str) -> None:
    """Adding a device whose name is taken is refused (rotate its token instead)."""
    taken = session.scalar(select(Device.id).where(Device.hall_id == hall_id, Device.name == name))
    if taken is not None:
        raise Conflict(
            "device_exists",
            N_("There is already a device %(device)s: give it a new token instead."),
            device=name,
        )

"""Putting a validated hall file into the database (``hallq init``).

Loading again updates the hall in place: services, windows and devices keep their ids
(tickets and the log point at them), ones removed from the file are deactivated, never
deleted, and a device keeps its token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.hall_file import HallConfig
from hallq.server.models import Counter, Device, Hall, Service, Zone


def _plain(value: Any) -> Any:
    """The hall file's dataclasses as JSON-ready values (kept in the hall's row)."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def load_hall(
    session: Session, config: HallConfig, *, demo: bool, now: dt.datetime
) -> tuple[Hall, list[str]]:
    """Create or update the hall; returns it and a list of what changed, for the installer."""
    changes: list[str] = []
    hall = session.scalar(select(Hall).where(Hall.code == config.code))
    if hall is None:
        hall = Hall(code=config.code)
        session.add(hall)
        changes.append(f"created hall {config.code}")
    hall.name = dict(config.name)
    hall.timezone = config.timezone
    hall.languages = list(config.languages)
    hall.announce = list(config.announce)
    # The queue rules and the device commands' ages, as the engine reads them (queue.hall);
    # the whole file (its public_url too) is kept in config.
    hall.rules = {
        **_plain(config.rules),
        "device_commands": _plain(config.device_commands),
        "appointments": _plain(config.appointments),
    }
    hall.config = _plain(config)
    hall.demo = demo
    hall.loaded_at = now
    session.flush()

    zones = {z.code: z for z in session.scalars(select(Zone).where(Zone.hall_id == hall.id))}
    for zc in config.zones:
        zone = zones.get(zc.code)
        if zone is None:
            zone = zones[zc.code] = Zone(hall_id=hall.id, code=zc.code)
            session.add(zone)
            changes.append(f"added zone {zc.code}")
        zone.name = dict(zc.name)
        zone.active = True
    for code, zone in zones.items():
        if code not in {z.code for z in config.zones} and zone.active:
            zone.active = False
            changes.append(f"retired zone {code}")
    session.flush()

    services = {
        s.code: s for s in session.scalars(select(Service).where(Service.hall_id == hall.id))
    }
    wanted = {s.code for s in config.services}
    # A prefix handed from a retired service to a new one must be free first.
    for code, service in services.items():
        if code not in wanted and service.active:
            service.active = False
            changes.append(f"retired service {code} (its tickets stay in the records)")
    for order, sc in enumerate(config.services):
        service = services.get(sc.code)
        if service is None:
            service = services[sc.code] = Service(hall_id=hall.id, code=sc.code, waiting=0)
            session.add(service)
            changes.append(f"added service {sc.code} ({sc.prefix})")
        service.prefix = sc.prefix
        service.zone_id = zones[sc.zone].id
        service.name = dict(sc.name)
        service.documents = {lang: list(items) for lang, items in sc.documents.items()}
        service.target_wait = sc.target_wait
        service.daily_cap = sc.daily_cap
        service.typical_minutes = sc.typical_minutes
        service.hours = sc.hours.to_json()
        service.sort_order = order
        service.active = True
    session.flush()

    counters = {
        c.number: c for c in session.scalars(select(Counter).where(Counter.hall_id == hall.id))
    }
    for cc in config.counters:
        counter = counters.get(cc.number)
        if counter is None:
            counter = counters[cc.number] = Counter(
                hall_id=hall.id, number=cc.number, state="closed"
            )
            session.add(counter)
            changes.append(f"added window {cc.number}")
        counter.zone_id = zones[cc.zone].id
        counter.label = cc.name
        counter.profile = [[[code, weight] for code, weight in tier] for tier in cc.tiers]
        counter.active = True
    for number, counter in counters.items():
        if number not in {c.number for c in config.counters} and counter.active:
            counter.active = False
            changes.append(f"retired window {number}")
    session.flush()

    devices = {d.name: d for d in session.scalars(select(Device).where(Device.hall_id == hall.id))}
    for dc in config.devices:
        device = devices.get(dc.name)
        if device is None:
            device = devices[dc.name] = Device(
                hall_id=hall.id, name=dc.name, created_at=now, status={}
            )
            session.add(device)
            changes.append(
                f"added device {dc.name} ({dc.kind}); give it a token with `hallq device add {dc.name}`"
            )
        device.kind = dc.kind
        device.zone_id = zones[dc.zone].id if dc.zone else None
        device.counter_id = counters[dc.counter].id if dc.counter is not None else None
    session.flush()
    return hall, changes

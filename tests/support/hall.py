"""A ready hall in a real database: the sample hall (demo hours unless asked), its users
and device tokens, for engine, API and realtime tests."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hallq.server.auth import hash_password, issue_device_token
from hallq.server.db import Database
from hallq.server.hall_file import HallConfig, load_hall_config, sample_hall_path
from hallq.server.hall_file.loader import load_hall
from hallq.server.migrate import upgrade
from hallq.server.models import Device, User
from hallq.server.queue.events import Actor
from hallq.server.queue.hall import HallContext
from hallq.server.queue.hall import load_hall as load_context

PASSWORD = "pass1234"


class FakeClock:
    """A settable clock (UTC): ``clock()`` tells the time, ``advance(seconds)`` moves it."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = when


@dataclass
class Hall:
    db: Database
    url: str
    context: HallContext
    config: HallConfig
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    devices: dict[str, int] = field(default_factory=dict)  # device name -> id
    device_counters: dict[str, int | None] = field(default_factory=dict)  # device -> counter id
    tokens: dict[str, str] = field(default_factory=dict)  # device name -> token

    def clerk(self, window: int) -> Actor:
        return Actor(hall_id=self.context.id, role="clerk", user_id=self.users[f"clerk{window}"])

    def supervisor(self) -> Actor:
        return Actor(hall_id=self.context.id, role="supervisor", user_id=self.users["supervisor"])

    def kiosk(self, name: str = "kiosk-1") -> Actor:
        return Actor(hall_id=self.context.id, role="kiosk", device_id=self.devices[name])

    def counter_device(self, window: int) -> Actor:
        name = f"counter-{window}"
        return Actor(
            hall_id=self.context.id,
            role="counter",
            device_id=self.devices[name],
            counter_id=self.device_counters[name],
        )


def build_hall(
    url: str, *, demo: bool = True, config: HallConfig | None = None, **db_options: Any
) -> Hall:
    """Migrate an empty database, load the hall, add users (admin, supervisor, one clerk per
    window: ``clerk<N>``, password ``PASSWORD``) and give every device a token."""
    database = Database(url, **db_options)
    upgrade(database.engine)
    config = config or load_hall_config(sample_hall_path())
    if demo:
        config = config.as_demo()
    now = dt.datetime.now(dt.UTC)
    hall_out: dict[str, Any] = {"users": {}, "devices": {}, "device_counters": {}, "tokens": {}}
    with database.writing() as session:
        hall, _ = load_hall(session, config, demo=demo, now=now)
        names = [("admin", "admin"), ("supervisor", "supervisor")]
        names += [(f"clerk{c.number}", "clerk") for c in config.counters]
        # One slow hash for all: argon2 per user would make every test pay for it.
        hashed = hash_password(PASSWORD)
        for name, role in names:
            user = User(
                hall_id=hall.id, username=name, role=role, password_hash=hashed, created_at=now
            )
            session.add(user)
            session.flush()
            hall_out["users"][name] = user.id
        for device in session.scalars(select(Device).where(Device.hall_id == hall.id)):
            hall_out["tokens"][device.name] = issue_device_token(device)
            hall_out["devices"][device.name] = device.id
            hall_out["device_counters"][device.name] = device.counter_id
        hall_id = hall.id
    with database.reading() as session:
        context = load_context(session, hall_id)
    return Hall(db=database, url=url, context=context, config=config, **hall_out)

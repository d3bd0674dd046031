"""The hall an operation runs in: its time zone, languages and queue rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.models import Hall
from hallq.server.queue.errors import N_, NotFound
from hallq.server.queue.working_days import WorkingCalendar


@dataclass(frozen=True)
class HallRules:
    no_show_after_recalls: int = 2
    service_time_window: int = 20
    default_service_minutes: float = 5.0
    # A no-show may be reinstated within this many minutes, rejoining with this many
    # tickets ahead of it in its queue.
    reinstate_within_minutes: int = 30
    reinstate_places: int = 3
    # The green channel's fairness bound K (call_next).
    max_priority_in_a_row: int = 3
    # A rating of 2 or 1 opens a follow-up, due at the end of this many working days (the
    # hall's calendar) after the day it opened.
    follow_up_working_days: int = 3
    # Seconds a command to a device is kept for redelivery before it expires.
    print_job_max_age: int = 600
    rating_request_max_age: int = 180
    sign_text_max_age: int = 43200
    # A booking checks in from this many minutes before its time until this many after.
    check_in_before: int = 30
    check_in_after: int = 15


@dataclass(frozen=True)
class KioskSettings:
    """The kiosk screen's settings (the hall file's ``[kiosk]``). The PIN stays on the
    server: a kiosk page asks the server whether a PIN is right."""

    staff_pin: str | None = None
    idle_seconds: int = 30
    ticket_seconds: int = 8
    footer: dict[str, str] | None = None

    def public(self) -> dict[str, Any]:
        return {
            "idle_seconds": self.idle_seconds,
            "ticket_seconds": self.ticket_seconds,
            "footer": self.footer,
            "pin_set": self.staff_pin is not None,
        }


@dataclass(frozen=True)
class HallContext:
    id: int
    code: str
    name: dict[str, str]
    tz: ZoneInfo
    languages: tuple[str, ...]
    announce: tuple[str, ...]
    rules: HallRules
    demo: bool = False
    loaded_at: dt.datetime | None = None  # when `hallq init` last loaded the hall file
    # The address customers' phones reach (the hall file's [hall] public_url), if stated.
    public_url: str | None = None
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    # Working days and holidays (the hall file's [calendar]), for follow-up deadlines.
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    # Services as loaded with this context (queue.lookups.service_of): the hall file's
    # settings, read once per context instead of on every press. A reloaded hall file
    # comes with a new context.
    services: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def local(self, now: dt.datetime) -> dt.datetime:
        return now.astimezone(self.tz)

    def business_day(self, now: dt.datetime) -> dt.date:
        """Numbering restarts at local midnight, not at UTC midnight."""
        return self.local(now).date()

    def public(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "timezone": self.tz.key,
            "languages": list(self.languages),
            "announce": list(self.announce),
        }


def hall_rules(stored: Mapping[str, Any] | None) -> HallRules:
    """The rules as ``hallq init`` stored them (the hall file's ``[queue]``, with its
    ``[device_commands]`` under that key); a rule a hall loaded by an older HallQ lacks
    keeps its default."""
    stored = dict(stored or {})
    stored.update(stored.pop("device_commands", None) or {})
    stored.update(stored.pop("appointments", None) or {})
    defaults = HallRules()
    return HallRules(
        **{
            f.name: type(getattr(defaults, f.name))(stored[f.name])
            for f in fields(HallRules)
            if stored.get(f.name) is not None
        }
    )


def hall_context(row: Hall) -> HallContext:
    return HallContext(
        id=row.id,
        code=row.code,
        name=dict(row.name),
        tz=ZoneInfo(row.timezone),
        languages=tuple(row.languages),
        announce=tuple(row.announce),
        rules=hall_rules(row.rules),
        demo=bool(row.demo),
        loaded_at=row.loaded_at,
        public_url=(row.config or {}).get("public_url"),
        kiosk=KioskSettings(**((row.config or {}).get("kiosk") or {})),
        calendar=WorkingCalendar.from_stored((row.config or {}).get("calendar")),
    )


def load_hall(session: Session, hall_id: int) -> HallContext:
    row = session.get(Hall, hall_id)
    if row is None:
        raise NotFound("unknown_hall", N_("This hall is not set up."))
    return hall_context(row)


def only_hall(session: Session) -> HallContext | None:
    """The hall of a single-hall installation (what ``hallq init`` loads)."""
    rows = session.scalars(select(Hall).order_by(Hall.id).limit(2)).all()
    return hall_context(rows[0]) if len(rows) == 1 else None

"""What needs a supervisor now: a queue waiting past its target, a printer out of paper or
unreachable, a rating pad or a whole device offline, a follow-up past its deadline.

Computed on demand from the tables, in four queries (waits, devices, when each device's state
began, overdue cases), so the dashboard may ask every few seconds.

Device states are what the agents report (``device.status``, kept on ``devices.status``):
a kiosk says ``paper_out``, ``paper_near_end`` or ``offline`` (its printer), a window's
counter agent ``pad_offline`` (or ``sign_offline``, ``keys_offline``); when a device's last
agent disconnects the server reports it ``offline`` with the detail ``agent disconnected``. A
device that never connected raises nothing: it is not installed yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hallq.server.models import Counter, Device, Event, Service, Ticket
from hallq.server.queue import follow_ups, rules
from hallq.server.queue.errors import N_
from hallq.server.queue.hall import HallContext

WAIT_OVER_TARGET = "wait_over_target"
PAPER_OUT = "paper_out"
PRINTER_OFFLINE = "printer_offline"
PAD_OFFLINE = "pad_offline"
DEVICE_OFFLINE = "device_offline"
FOLLOW_UP_OVERDUE = "follow_up_overdue"
KINDS = (
    WAIT_OVER_TARGET,
    PAPER_OUT,
    PRINTER_OFFLINE,
    PAD_OFFLINE,
    DEVICE_OFFLINE,
    FOLLOW_UP_OVERDUE,
)

AGENT_GONE = "agent disconnected"  # the detail admin.devices.agent_left reports

_MESSAGES = {
    WAIT_OVER_TARGET: N_(
        "%(service)s: the longest wait is %(waited)s minutes, over the target of %(target)s."
    ),
    PAPER_OUT: N_("%(device)s is out of paper."),
    PRINTER_OFFLINE: N_("The printer of %(device)s does not answer."),
    PAD_OFFLINE: N_("The rating pad of %(device)s is offline."),
    DEVICE_OFFLINE: N_("%(device)s is offline."),
    FOLLOW_UP_OVERDUE: N_("Follow-up %(follow_up)s is past its deadline."),
}


@dataclass(frozen=True)
class Alert:
    kind: str
    since: dt.datetime | None = None
    service: str | None = None  # its code
    counter: int | None = None
    device: str | None = None  # its name
    follow_up: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    # The message's parameters; a dict value is a name per language.
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The msgid, translated and filled in by the caller (the web layer)."""
        return _MESSAGES[self.kind]


def alerts(session: Session, hall: HallContext, now: dt.datetime) -> list[Alert]:
    """The hall's alerts now: queues first, then devices, then follow-ups."""
    return [*_waits(session, hall, now), *_devices(session, hall), *_follow_ups(session, hall, now)]


def _waits(session: Session, hall: HallContext, now: dt.datetime) -> list[Alert]:
    rows = session.execute(
        select(
            Service.code,
            Service.name,
            Service.target_wait,
            func.min(Ticket.queued_at).label("oldest"),
            func.count().label("waiting"),
        )
        .join(Ticket, Ticket.service_id == Service.id)
        .where(
            Service.hall_id == hall.id,
            Service.active.is_(True),
            Ticket.hall_id == hall.id,
            Ticket.business_day == hall.business_day(now),
            Ticket.status == rules.WAITING,
        )
        .group_by(Service.id, Service.code, Service.name, Service.target_wait)
        .order_by(Service.code)
    ).all()
    found = []
    for row in rows:
        oldest = _aware(row.oldest)
        target = dt.timedelta(minutes=row.target_wait)
        if oldest is None or now - oldest <= target:
            continue
        waited = int((now - oldest).total_seconds() // 60)
        found.append(
            Alert(
                WAIT_OVER_TARGET,
                since=oldest + target,
                service=row.code,
                detail={
                    "waited_minutes": waited,
                    "target_minutes": row.target_wait,
                    "waiting": row.waiting,
                },
                params={"service": dict(row.name), "waited": waited, "target": row.target_wait},
            )
        )
    return found


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # min() over a column comes back without the column's type on SQLite: naive UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def device_alert_kind(kind: str, status: str, detail: str | None) -> str | None:
    """The alert a device's reported state raises, if any."""
    if status == "offline" and detail == AGENT_GONE:
        return DEVICE_OFFLINE
    if kind == "kiosk" and status == PAPER_OUT:
        return PAPER_OUT
    if kind == "kiosk" and status == "offline":
        return PRINTER_OFFLINE
    if status == PAD_OFFLINE:
        return PAD_OFFLINE
    if status == "offline" or status.endswith("_offline"):
        return DEVICE_OFFLINE
    return None


def _devices(session: Session, hall: HallContext) -> list[Alert]:
    rows = session.execute(
        select(Device.id, Device.name, Device.kind, Device.status, Counter.number)
        .outerjoin(Counter, Counter.id == Device.counter_id)
        .where(
            Device.hall_id == hall.id,
            Device.revoked_at.is_(None),
            Device.last_seen_at.is_not(None),
        )
        .order_by(Device.name)
    ).all()
    raised = []
    for row in rows:
        state = row.status or {}
        status = str(state.get("status") or "")
        detail = state.get("detail")
        kind = device_alert_kind(row.kind, status, detail if isinstance(detail, str) else None)
        if kind is not None:
            raised.append((row, kind, status, detail))
    if not raised:
        return []
    # A state is logged only when it changes: the device's last status entry says since when.
    since = dict(
        session.execute(
            select(Event.device_id, func.max(Event.at))
            .where(
                Event.hall_id == hall.id,
                Event.kind == "device.status",
                Event.device_id.in_([row.id for row, *_ in raised]),
            )
            .group_by(Event.device_id)
        ).all()
    )
    return [
        Alert(
            kind,
            since=_aware(since.get(row.id)),
            counter=row.number,
            device=row.name,
            detail={"status": status, "detail": detail, "device_kind": row.kind},
            params={"device": row.name},
        )
        for row, kind, status, detail in raised
    ]


def _follow_ups(session: Session, hall: HallContext, now: dt.datetime) -> list[Alert]:
    return [
        Alert(
            FOLLOW_UP_OVERDUE,
            since=due,
            follow_up=case_id,
            detail={"due_at": due.isoformat() if due else None},
            params={"follow_up": case_id},
        )
        for case_id, due in follow_ups.overdue(session, hall.id, now)
    ]

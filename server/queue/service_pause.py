"""A supervisor pauses a service (no new tickets for now) and reopens it.

Its waiting tickets stay and are still called; only issuing stops, at the kiosk and through
the API alike. Screens learn it from the service's figures (``queue.updated``: closed, reason
"paused"), so an open kiosk greys the button out at once.

Servers keep a hall's services in its context (``HallContext.services``) and re-read the
context only when the hall's ``loaded_at`` moves: a pause moves it too, so that every server
process, not only the one that took the request, stops issuing within its re-read interval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.models import Hall, Service
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_, Conflict, Invalid, NotFound
from hallq.server.queue.events import Actor, DomainEvent, QueueChanged, SettingsChanged
from hallq.server.queue.hall import HallContext

MAX_REASON = 200


@dataclass
class PauseState:
    code: str
    paused: bool
    reason: str | None
    since: dt.datetime | None
    events: list[DomainEvent] = field(default_factory=list)


def _service(session: Session, hall_id: int, code: str) -> Service:
    service = session.scalar(
        select(Service)
        .where(Service.hall_id == hall_id, Service.code == code, Service.active.is_(True))
        .with_for_update()
    )
    if service is None:
        raise NotFound(
            "unknown_service", N_("There is no service %(service)s in this hall."), service=code
        )
    return service


def _told(hall: HallContext, service_id: int) -> list[DomainEvent]:
    # Kiosks see the queue change; this process reads the hall's services again.
    return [QueueChanged(frozenset({service_id})), SettingsChanged(hall.id)]


def _settings_changed(session: Session, hall_id: int, now: dt.datetime) -> None:
    hall = session.get(Hall, hall_id)
    if hall is not None:
        hall.loaded_at = now


def pause_service(
    session: Session,
    hall: HallContext,
    actor: Actor,
    code: str,
    reason: str | None,
    now: dt.datetime,
) -> PauseState:
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise Invalid(
            "reason_too_long",
            N_("The reason is too long (at most %(max)s characters)."),
            max=MAX_REASON,
        )
    service = _service(session, hall.id, code)
    if service.paused:
        raise Conflict(
            "service_already_paused",
            N_("%(service)s is already paused."),
            service=dict(service.name),
            service_code=code,
        )
    service.paused, service.paused_reason, service.paused_since = True, reason, now
    _settings_changed(session, hall.id, now)
    ledger.append(
        session, actor, "service.paused", now, service_id=service.id, service=code, reason=reason
    )
    return PauseState(code, True, reason, now, _told(hall, service.id))


def reopen_service(
    session: Session, hall: HallContext, actor: Actor, code: str, now: dt.datetime
) -> PauseState:
    service = _service(session, hall.id, code)
    if not service.paused:
        raise Conflict(
            "service_not_paused",
            N_("%(service)s is not paused."),
            service=dict(service.name),
            service_code=code,
        )
    since = service.paused_since
    service.paused, service.paused_reason, service.paused_since = False, None, None
    _settings_changed(session, hall.id, now)
    ledger.append(
        session,
        actor,
        "service.reopened",
        now,
        service_id=service.id,
        service=code,
        paused_since=since.isoformat() if since else None,
    )
    return PauseState(code, False, None, None, _told(hall, service.id))

"""Loading the rows an operation works on, locked where the operation will change them.

On PostgreSQL ``FOR UPDATE`` serialises the operations that touch one window or one
service queue; on SQLite the clause is omitted and the single writer transaction
(``BEGIN IMMEDIATE``) already does it. Lock order, everywhere: the window first, then
service queues by id — so two transactions never wait on each other in a circle.

These run on every issue and call, so they are Core statements on the tables, built once.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, bindparam, cast, select, update
from sqlalchemy.orm import Session

from hallq.server.queue.errors import N_, NotFound
from hallq.server.queue.events import CounterState, TicketState
from hallq.server.queue.hall import HallContext
from hallq.server.queue.hours import OpeningHours
from hallq.server.tables import COUNTERS, SERVICES, TICKETS, USERS, ZONES


@dataclass(frozen=True)
class ServiceRow:
    id: int
    code: str
    prefix: str
    zone_code: str
    name: Mapping[str, str]
    documents: Mapping[str, list[str]]
    target_wait: int
    daily_cap: int | None
    hours: OpeningHours
    active: bool
    # Paused by a supervisor: no new tickets (reads.py shows it closed, issue.py refuses).
    paused: bool = False


@functools.lru_cache(maxsize=256)
def opening_hours_text(hours_json: str) -> OpeningHours:
    """Opening hours from the column's JSON text, parsed once per distinct text: they are
    read on every issue, and change only when the hall file is loaded again."""
    return OpeningHours.parse(json.loads(hours_json))


# The hours column read as its JSON text: a ready cache key on both databases.
HOURS_TEXT = cast(SERVICES.c.hours, Text).label("hours_text")


def _service_row(row: Any) -> ServiceRow:
    return ServiceRow(
        id=row.id,
        code=row.code,
        prefix=row.prefix,
        zone_code=row.zone_code,
        name=row.name,
        documents=row.documents or {},
        target_wait=row.target_wait,
        daily_cap=row.daily_cap,
        hours=opening_hours_text(row.hours_text),
        active=row.active,
        paused=bool(row.paused),
    )


_S = SERVICES.c
_SERVICES = select(
    _S.id,
    _S.code,
    _S.prefix,
    ZONES.c.code.label("zone_code"),
    _S.name,
    _S.documents,
    _S.target_wait,
    _S.daily_cap,
    HOURS_TEXT,
    _S.active,
    _S.paused,
).join(ZONES, ZONES.c.id == _S.zone_id)
_SERVICE_BY_CODE = _SERVICES.where(_S.hall_id == bindparam("hall_id"), _S.code == bindparam("code"))
_SERVICE_BY_ID = _SERVICES.where(_S.id == bindparam("service_id"))
_SERVICES_BY_CODES = _SERVICES.where(
    _S.hall_id == bindparam("hall_id"),
    _S.code.in_(bindparam("codes", expanding=True)),
    _S.active.is_(True),
).order_by(_S.id)
_LOCK_SERVICES_BY_CODES = _SERVICES_BY_CODES.with_for_update(of=SERVICES)
_LOCK_QUEUES = (
    select(_S.id)
    .where(_S.id.in_(bindparam("ids", expanding=True)))
    .order_by(_S.id)
    .with_for_update()
)
_ADJUST_WAITING = (
    update(SERVICES)
    .where(_S.id == bindparam("service_id"))
    .values(waiting=_S.waiting + bindparam("delta"), queue_version=_S.queue_version + 1)
    .returning(_S.waiting)
)


def service_by_code(session: Session, hall_id: int, code: str) -> ServiceRow:
    row = session.execute(_SERVICE_BY_CODE, {"hall_id": hall_id, "code": code}).one_or_none()
    if row is None or not row.active:
        raise NotFound(
            "unknown_service", N_("There is no service %(service)s in this hall."), service=code
        )
    return _service_row(row)


def service_of(session: Session, hall: HallContext, code: str) -> ServiceRow:
    """``service_by_code``, remembered for the life of the hall's context (its settings
    change only when the hall file is loaded again, which makes a new context)."""
    found = hall.services.get(code)
    if found is None:
        found = hall.services[code] = service_by_code(session, hall.id, code)
    return found  # type: ignore[no-any-return]


def service_by_id(session: Session, service_id: int) -> ServiceRow:
    """Any service of the hall by id, retired ones included (a ticket may still carry one)."""
    return _service_row(session.execute(_SERVICE_BY_ID, {"service_id": service_id}).one())


def services_by_code(
    session: Session, hall_id: int, codes: Iterable[str], *, lock: bool = False
) -> dict[str, ServiceRow]:
    """Active services among ``codes``; with ``lock``, their queues are locked (id order)."""
    stmt = _LOCK_SERVICES_BY_CODES if lock else _SERVICES_BY_CODES
    rows = session.execute(stmt, {"hall_id": hall_id, "codes": list(codes)})
    return {row.code: _service_row(row) for row in rows}


def lock_service_queues(session: Session, service_ids: Iterable[int]) -> None:
    """Lock service queue rows (PostgreSQL) in id order, before changing their tickets."""
    ids = sorted(set(service_ids))
    if ids:
        session.execute(_LOCK_QUEUES, {"ids": ids}).all()


def adjust_waiting(session: Session, service_id: int, delta: int) -> int:
    """Keep the service's waiting count in step with its tickets; returns the new count."""
    return session.execute(_ADJUST_WAITING, {"service_id": service_id, "delta": delta}).scalar_one()


# --- windows ----------------------------------------------------------------------------------


@dataclass
class CounterRow:
    id: int
    number: int
    zone_code: str
    label: str | None
    profile: list[Any]
    active: bool
    state: str
    clerk_id: int | None
    clerk_name: str | None
    current_ticket_id: int | None
    last_ticket_id: int | None
    pause_reason: str | None
    state_since: dt.datetime | None
    # Green-channel tickets called in a row at this window (call_next's fairness bound).
    priority_streak: int = 0

    def tiers(self) -> list[list[tuple[str, float]]]:
        """The work profile: [[(service code, weight), ...], ...], first tier first."""
        return [[(str(code), float(weight)) for code, weight in tier] for tier in self.profile]

    def service_codes(self) -> list[str]:
        return [code for tier in self.tiers() for code, _ in tier]


_C = COUNTERS.c
_CLERK = USERS.alias("clerk")
_COUNTERS = (
    select(
        _C.id,
        _C.number,
        ZONES.c.code.label("zone_code"),
        _C.label,
        _C.profile,
        _C.active,
        _C.state,
        _C.clerk_id,
        _CLERK.c.display_name.label("clerk_display"),
        _CLERK.c.username.label("clerk_username"),
        _C.current_ticket_id,
        _C.last_ticket_id,
        _C.pause_reason,
        _C.state_since,
        _C.priority_streak,
    )
    .join(ZONES, ZONES.c.id == _C.zone_id)
    .outerjoin(_CLERK, _CLERK.c.id == _C.clerk_id)
)
_COUNTER_BY_NUMBER = _COUNTERS.where(
    _C.hall_id == bindparam("hall_id"), _C.number == bindparam("number")
)
_LOCK_COUNTER_BY_NUMBER = _COUNTER_BY_NUMBER.with_for_update(of=COUNTERS)
_COUNTER_BY_ID = _COUNTERS.where(_C.id == bindparam("counter_id"))
_ALL_COUNTERS = _COUNTERS.where(_C.hall_id == bindparam("hall_id"), _C.active.is_(True)).order_by(
    _C.number
)


def _counter_row(row: Any) -> CounterRow:
    return CounterRow(
        id=row.id,
        number=row.number,
        zone_code=row.zone_code,
        label=row.label,
        profile=row.profile,
        active=row.active,
        state=row.state,
        clerk_id=row.clerk_id,
        clerk_name=row.clerk_display or row.clerk_username,
        current_ticket_id=row.current_ticket_id,
        last_ticket_id=row.last_ticket_id,
        pause_reason=row.pause_reason,
        state_since=row.state_since,
        priority_streak=row.priority_streak,
    )


def counter_by_number(
    session: Session, hall_id: int, number: int, *, lock: bool = False
) -> CounterRow:
    stmt = _LOCK_COUNTER_BY_NUMBER if lock else _COUNTER_BY_NUMBER
    row = session.execute(stmt, {"hall_id": hall_id, "number": number}).one_or_none()
    if row is None or not row.active:
        raise NotFound(
            "unknown_counter", N_("There is no window %(counter)s in this hall."), counter=number
        )
    return _counter_row(row)


def counter_by_id(session: Session, counter_id: int) -> CounterRow:
    return _counter_row(session.execute(_COUNTER_BY_ID, {"counter_id": counter_id}).one())


def all_counters(session: Session, hall_id: int) -> list[CounterRow]:
    return [_counter_row(r) for r in session.execute(_ALL_COUNTERS, {"hall_id": hall_id})]


def counter_state(row: CounterRow, current_number: str | None) -> CounterState:
    return CounterState(
        id=row.id,
        number=row.number,
        zone_code=row.zone_code,
        label=row.label,
        state=row.state,
        clerk_id=row.clerk_id,
        clerk_name=row.clerk_name,
        current_ticket=current_number,
        current_ticket_id=row.current_ticket_id,
        pause_reason=row.pause_reason,
        state_since=row.state_since,
    )


# --- tickets -----------------------------------------------------------------------------------

_T = TICKETS.c
_AT = COUNTERS.alias("at_counter")
_TO = COUNTERS.alias("to_counter")
_TICKETS = (
    select(
        _T.id,
        _T.number,
        _T.business_day,
        _T.service_id,
        _S.code.label("service_code"),
        ZONES.c.code.label("zone_code"),
        _T.status,
        _T.priority,
        _T.language,
        _T.leg,
        _T.issued_at,
        _T.queued_at,
        _T.call_count,
        _AT.c.number.label("counter_number"),
        _TO.c.number.label("target_counter_number"),
        _T.called_at,
        _T.started_at,
        _T.ended_at,
        _T.appointment,
        _T.status_token,
        _T.class_rank,
        _T.counter_id,
        _T.target_counter_id,
        _T.hall_id,
        _T.clerk_id,
        _T.missing_documents,
    )
    .join(SERVICES, _S.id == _T.service_id)
    .join(ZONES, ZONES.c.id == _S.zone_id)
    .outerjoin(_AT, _AT.c.id == _T.counter_id)
    .outerjoin(_TO, _TO.c.id == _T.target_counter_id)
)
_TICKET_BY_ID = _TICKETS.where(_T.id == bindparam("ticket_id"), _T.hall_id == bindparam("hall_id"))
_LOCK_TICKET_BY_ID = _TICKET_BY_ID.with_for_update(of=TICKETS)
_TICKET_BY_TOKEN = _TICKETS.where(_T.status_token == bindparam("token"))


def ticket_state_of(row: Any) -> TicketState:
    return TicketState(
        id=row.id,
        number=row.number,
        business_day=row.business_day,
        service_id=row.service_id,
        service_code=row.service_code,
        zone_code=row.zone_code,
        status=row.status,
        priority=row.priority,
        language=row.language,
        leg=row.leg,
        issued_at=row.issued_at,
        queued_at=row.queued_at,
        call_count=row.call_count,
        counter_number=row.counter_number,
        target_counter_number=row.target_counter_number,
        called_at=row.called_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        appointment=row.appointment,
        status_token=row.status_token,
    )


def ticket_row(session: Session, hall_id: int, ticket_id: int, *, lock: bool = False) -> Any:
    stmt = _LOCK_TICKET_BY_ID if lock else _TICKET_BY_ID
    row = session.execute(stmt, {"ticket_id": ticket_id, "hall_id": hall_id}).one_or_none()
    if row is None:
        raise NotFound(
            "unknown_ticket", N_("There is no ticket %(ticket)s in this hall."), ticket=ticket_id
        )
    return row


def ticket_by_number(session: Session, hall_id: int, number: str, day: dt.date) -> Any | None:
    """A day's ticket by its number (``a023`` finds ``A023``), or None."""
    return session.execute(
        _TICKETS.where(
            _T.hall_id == hall_id, _T.business_day == day, _T.number == number.strip().upper()
        )
    ).one_or_none()


def ticket_row_by_token(session: Session, token: str) -> Any | None:
    if "\x00" in token:  # never in a token, and PostgreSQL refuses it in a query
        return None
    return session.execute(_TICKET_BY_TOKEN, {"token": token}).one_or_none()


def ticket_state(session: Session, hall_id: int, ticket_id: int) -> TicketState:
    return ticket_state_of(ticket_row(session, hall_id, ticket_id))

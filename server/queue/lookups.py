"""Loading the rows an operation works on, locked where the operation will change them.

On PostgreSQL ``FOR UPDATE`` serialises the operations that touch one window or one
service queue; on SQLite the clause is omitted and the single writer transaction
(``BEGIN IMMEDIATE``) already does it. Lock order, everywhere: the window first, then
service queues by id — so two transactions never wait on each other in a circle.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from hallq.server.models import Counter, Service, Ticket, User, Zone
from hallq.server.queue.errors import N_, NotFound
from hallq.server.queue.events import CounterState, TicketState
from hallq.server.queue.hours import OpeningHours


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


@functools.lru_cache(maxsize=256)
def _hours(hours_json: str) -> OpeningHours:
    return OpeningHours.parse(json.loads(hours_json))


def opening_hours(table: Mapping[str, Any]) -> OpeningHours:
    """Parsed opening hours of a service row (parsed once per distinct table)."""
    return _hours(json.dumps(table, sort_keys=True))


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
        hours=opening_hours(row.hours),
        active=row.active,
    )


_SERVICE_COLUMNS = (
    Service.id,
    Service.code,
    Service.prefix,
    Zone.code.label("zone_code"),
    Service.name,
    Service.documents,
    Service.target_wait,
    Service.daily_cap,
    Service.hours,
    Service.active,
)


def service_by_code(session: Session, hall_id: int, code: str) -> ServiceRow:
    row = session.execute(
        select(*_SERVICE_COLUMNS)
        .join(Zone, Zone.id == Service.zone_id)
        .where(Service.hall_id == hall_id, Service.code == code)
    ).one_or_none()
    if row is None or not row.active:
        raise NotFound(
            "unknown_service", N_("There is no service %(service)s in this hall."), service=code
        )
    return _service_row(row)


def services_by_code(
    session: Session, hall_id: int, codes: Iterable[str], *, lock: bool = False
) -> dict[str, ServiceRow]:
    """Active services among ``codes``; with ``lock``, their queues are locked (id order)."""
    stmt = (
        select(*_SERVICE_COLUMNS)
        .join(Zone, Zone.id == Service.zone_id)
        .where(Service.hall_id == hall_id, Service.code.in_(list(codes)), Service.active.is_(True))
        .order_by(Service.id)
    )
    if lock:
        stmt = stmt.with_for_update(of=Service)
    return {row.code: _service_row(row) for row in session.execute(stmt)}


def lock_service_queues(session: Session, service_ids: Iterable[int]) -> None:
    """Lock service queue rows (PostgreSQL) in id order, before changing their tickets."""
    ids = sorted(set(service_ids))
    if ids:
        session.execute(
            select(Service.id).where(Service.id.in_(ids)).order_by(Service.id).with_for_update()
        ).all()


def adjust_waiting(session: Session, service_id: int, delta: int) -> int:
    """Keep the service's waiting count in step with its tickets; returns the new count."""
    return session.execute(
        update(Service)
        .where(Service.id == service_id)
        .values(waiting=Service.waiting + delta)
        .returning(Service.waiting)
    ).scalar_one()


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

    def tiers(self) -> list[list[tuple[str, float]]]:
        """The work profile: [[(service code, weight), ...], ...], first tier first."""
        return [[(str(code), float(weight)) for code, weight in tier] for tier in self.profile]

    def service_codes(self) -> list[str]:
        return [code for tier in self.tiers() for code, _ in tier]


_Clerk = aliased(User)

_COUNTER_COLUMNS = (
    Counter.id,
    Counter.number,
    Zone.code.label("zone_code"),
    Counter.label,
    Counter.profile,
    Counter.active,
    Counter.state,
    Counter.clerk_id,
    _Clerk.display_name.label("clerk_display"),
    _Clerk.username.label("clerk_username"),
    Counter.current_ticket_id,
    Counter.last_ticket_id,
    Counter.pause_reason,
    Counter.state_since,
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
    )


def _counters_select() -> Any:
    return (
        select(*_COUNTER_COLUMNS)
        .join(Zone, Zone.id == Counter.zone_id)
        .outerjoin(_Clerk, _Clerk.id == Counter.clerk_id)
    )


def counter_by_number(
    session: Session, hall_id: int, number: int, *, lock: bool = False
) -> CounterRow:
    stmt = _counters_select().where(Counter.hall_id == hall_id, Counter.number == number)
    if lock:
        stmt = stmt.with_for_update(of=Counter)
    row = session.execute(stmt).one_or_none()
    if row is None or not row.active:
        raise NotFound(
            "unknown_counter", N_("There is no window %(counter)s in this hall."), counter=number
        )
    return _counter_row(row)


def counter_by_id(session: Session, counter_id: int) -> CounterRow:
    row = session.execute(_counters_select().where(Counter.id == counter_id)).one()
    return _counter_row(row)


def all_counters(session: Session, hall_id: int) -> list[CounterRow]:
    rows = session.execute(
        _counters_select()
        .where(Counter.hall_id == hall_id, Counter.active.is_(True))
        .order_by(Counter.number)
    )
    return [_counter_row(r) for r in rows]


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

_AtCounter = aliased(Counter)
_ToCounter = aliased(Counter)

_TICKET_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.business_day,
    Ticket.service_id,
    Service.code.label("service_code"),
    Zone.code.label("zone_code"),
    Ticket.status,
    Ticket.priority,
    Ticket.language,
    Ticket.leg,
    Ticket.issued_at,
    Ticket.queued_at,
    Ticket.call_count,
    _AtCounter.number.label("counter_number"),
    _ToCounter.number.label("target_counter_number"),
    Ticket.called_at,
    Ticket.started_at,
    Ticket.ended_at,
    Ticket.appointment,
    Ticket.status_token,
    Ticket.class_rank,
    Ticket.counter_id,
    Ticket.target_counter_id,
    Ticket.hall_id,
)


def _tickets_select() -> Any:
    return (
        select(*_TICKET_COLUMNS)
        .join(Service, Service.id == Ticket.service_id)
        .join(Zone, Zone.id == Service.zone_id)
        .outerjoin(_AtCounter, _AtCounter.id == Ticket.counter_id)
        .outerjoin(_ToCounter, _ToCounter.id == Ticket.target_counter_id)
    )


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
    stmt = _tickets_select().where(Ticket.id == ticket_id, Ticket.hall_id == hall_id)
    if lock:
        stmt = stmt.with_for_update(of=Ticket)
    row = session.execute(stmt).one_or_none()
    if row is None:
        raise NotFound(
            "unknown_ticket", N_("There is no ticket %(ticket)s in this hall."), ticket=ticket_id
        )
    return row


def ticket_row_by_token(session: Session, token: str) -> Any | None:
    if "\x00" in token:  # never in a token, and PostgreSQL refuses it in a query
        return None
    return session.execute(_tickets_select().where(Ticket.status_token == token)).one_or_none()


def ticket_state(session: Session, hall_id: int, ticket_id: int) -> TicketState:
    return ticket_state_of(ticket_row(session, hall_id, ticket_id))

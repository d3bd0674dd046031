"""Commands to one device, kept in the database: the outbox of the hall's devices.

A command (a ticket to print, a rating request for a pad, a window sign's text) is stored in
the same transaction as the change that causes it, sent after the commit, and sent again
each time the device reconnects until the device answers it or it expires. So a command is
never lost to a restart or a dropped connection, and never sent for a change that was rolled
back. Ending a command (answered, expired, superseded, cancelled) is logged in the event log.

Plain SQLAlchemy over the caller's session, like the rest of the engine.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_, NotFound
from hallq.server.queue.events import (
    Actor,
    CommandAnswered,
    DeviceCommandQueued,
    DomainEvent,
)
from hallq.server.queue.hall import HallContext
from hallq.server.tables import COUNTERS, DEVICE_COMMANDS, DEVICES

PENDING, DONE, FAILED, EXPIRED, SUPERSEDED, CANCELLED = (
    "pending",
    "done",
    "failed",
    "expired",
    "superseded",
    "cancelled",
)

_C = DEVICE_COMMANDS.c
_INSERT = insert(DEVICE_COMMANDS).returning(_C.id)
_PENDING_FOR_DEVICE = (
    select(_C.id, _C.kind, _C.ticket_id, _C.counter_id, _C.payload, _C.created_at, _C.expires_at)
    .where(_C.device_id == bindparam("device_id"), text("status = 'pending'"))
    .where(_C.expires_at > bindparam("now"))
    .order_by(_C.id)
)
_WINDOW_AGENTS = select(DEVICES.c.id).where(
    DEVICES.c.counter_id == bindparam("counter_id"),
    DEVICES.c.kind == "counter",
    DEVICES.c.token_hash.is_not(None),
)


def max_age(hall: HallContext, kind: str) -> dt.timedelta:
    """How long a command of this kind waits for its device (the hall file's
    ``[device_commands]``)."""
    seconds = {
        wire.PRINT_JOB: hall.rules.print_job_max_age,
        wire.RATING_REQUEST: hall.rules.rating_request_max_age,
        wire.RATING_CANCEL: hall.rules.rating_request_max_age,
        wire.SIGN_TEXT: hall.rules.sign_text_max_age,
    }[kind]
    return dt.timedelta(seconds=seconds)


def store(
    session: Session,
    hall: HallContext,
    *,
    device_id: int,
    kind: str,
    now: dt.datetime,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> DeviceCommandQueued:
    """Store a command for one device; the returned event sends it after the commit."""
    # On the session's connection: plain Core, without the ORM's bulk-statement machinery
    # (these run on every call at a window).
    command_id = (
        session.connection()
        .execute(
            _INSERT,
            {
                "hall_id": hall.id,
                "device_id": device_id,
                "kind": kind,
                "ticket_id": ticket_id,
                "counter_id": counter_id,
                "payload": payload or {},
                "status": PENDING,
                "created_at": now,
                "expires_at": now + max_age(hall, kind),
            },
        )
        .scalar_one()
    )
    return DeviceCommandQueued(
        command_id=command_id,
        device_id=device_id,
        kind=kind,
        ticket_id=ticket_id,
        payload=payload,
    )


def window_agents(session: Session, counter_id: int) -> list[int]:
    """The counter agents wired to a window (devices with a token)."""
    return list(session.connection().execute(_WINDOW_AGENTS, {"counter_id": counter_id}).scalars())


@dataclass(frozen=True)
class PendingCommand:
    id: int
    kind: str
    ticket_id: int | None
    counter_id: int | None
    payload: dict[str, Any]
    created_at: dt.datetime
    expires_at: dt.datetime


def pending(session: Session, device_id: int, now: dt.datetime) -> list[PendingCommand]:
    """A device's unanswered commands that have not expired, oldest first."""
    rows = session.execute(_PENDING_FOR_DEVICE, {"device_id": device_id, "now": now})
    return [PendingCommand(**row._mapping) for row in rows]


@functools.lru_cache(maxsize=16)
def _end_pending(by_devices: bool, by_counter: bool, by_ticket: bool) -> Any:
    """The statement that ends pending commands by the filters given, built once each (it
    runs on every call at a window: building it anew cost more than running it)."""
    query = update(DEVICE_COMMANDS).where(
        _C.kind == bindparam("of_kind"), text("status = 'pending'")
    )
    if by_devices:
        query = query.where(_C.device_id.in_(bindparam("of_devices", expanding=True)))
    if by_counter:
        query = query.where(_C.counter_id == bindparam("of_counter"))
    if by_ticket:
        query = query.where(_C.ticket_id == bindparam("of_ticket"))
    return query.values(
        status=bindparam("new_status"), ended_at=bindparam("now"), outcome=bindparam("outcome")
    ).returning(_C.id, _C.device_id, _C.kind, _C.ticket_id, _C.counter_id, _C.payload)


def end_pending(
    session: Session,
    actor: Actor,
    now: dt.datetime,
    status: str,
    *,
    kind: str,
    device_ids: Iterable[int] | None = None,
    counter_id: int | None = None,
    ticket_id: int | None = None,
    outcome: dict[str, Any] | None = None,
    log: bool = True,
) -> list[Any]:
    """End a kind of pending command of some devices or of a window (superseded by a newer
    text, cancelled...), in one statement; returns the ended rows (id, device_id,
    ticket_id, payload)."""
    params: dict[str, Any] = {"of_kind": kind, "new_status": status, "now": now, "outcome": outcome}
    if device_ids is not None:
        params["of_devices"] = list(device_ids)
    if counter_id is not None:
        params["of_counter"] = counter_id
    if ticket_id is not None:
        params["of_ticket"] = ticket_id
    statement = _end_pending(device_ids is not None, counter_id is not None, ticket_id is not None)
    ended = session.connection().execute(statement, params).all()
    if log:
        for row in ended:
            _log_end(session, actor, row, status, now, **(outcome or {}))
    return list(ended)


@dataclass(frozen=True)
class Answered:
    command_id: int
    kind: str
    ticket_id: int | None
    # False when the command had already ended (answered twice, or expired meanwhile).
    was_pending: bool
    events: list[DomainEvent] = field(default_factory=list)


def answer(
    session: Session,
    actor: Actor,
    command_id: int,
    now: dt.datetime,
    *,
    ok: bool,
    reason: str | None = None,
) -> Answered:
    """A device answers one of its own commands (``print.result``, ``command.ack``).

    Answering again, or after the command expired, changes nothing and is not an error: an
    agent that reconnects may well answer twice.
    """
    row = session.execute(
        select(
            _C.id, _C.device_id, _C.kind, _C.ticket_id, _C.counter_id, _C.status, _C.payload
        ).where(_C.id == command_id, _C.hall_id == actor.hall_id)
    ).one_or_none()
    if row is None or row.device_id != actor.device_id:
        # Another device's command is none of this one's business: same answer as unknown.
        raise NotFound(
            "unknown_command",
            N_("There is no command %(command)s for this device."),
            command=command_id,
        )
    if row.status != PENDING:
        return Answered(row.id, row.kind, row.ticket_id, was_pending=False)
    outcome: dict[str, Any] = {"ok": ok}
    if reason:
        outcome["reason"] = reason
    session.execute(
        update(DEVICE_COMMANDS)
        .where(_C.id == row.id)
        .values(status=DONE if ok else FAILED, ended_at=now, outcome=outcome)
    )
    _log_end(session, actor, row, DONE if ok else FAILED, now, **outcome)
    counter_number = (
        session.execute(select(COUNTERS.c.number).where(COUNTERS.c.id == row.counter_id)).scalar()
        if row.counter_id is not None
        else None
    )
    number = (row.payload or {}).get("number")  # the ticket's, as the device was told it
    answered = CommandAnswered(
        row.id,
        row.device_id,
        row.kind,
        row.ticket_id,
        ok,
        reason,
        counter_number,
        number if isinstance(number, str) else None,
    )
    return Answered(row.id, row.kind, row.ticket_id, was_pending=True, events=[answered])


def expire_due(session: Session, actor_of_hall: Any, now: dt.datetime) -> int:
    """Expire every pending command past its age, with a log entry each; returns how many.

    ``actor_of_hall(hall_id)`` gives the actor the log names (the server itself)."""
    expired = session.execute(
        update(DEVICE_COMMANDS)
        .where(_C.status == PENDING, _C.expires_at <= now)
        .values(status=EXPIRED, ended_at=now)
        .returning(
            _C.id, _C.hall_id, _C.device_id, _C.kind, _C.ticket_id, _C.counter_id, _C.expires_at
        )
    ).all()
    for row in expired:
        # Noticed by housekeeping (or a reconnect) a little after: the log says when it was due.
        _log_end(
            session,
            actor_of_hall(row.hall_id),
            row,
            EXPIRED,
            now,
            expired_at=row.expires_at.isoformat(),
        )
    return len(expired)


def _log_end(
    session: Session, actor: Actor, row: Any, status: str, now: dt.datetime, **outcome: Any
) -> None:
    ledger.append(
        session,
        actor,
        f"device_command.{status}",
        now,
        ticket_id=row.ticket_id,
        counter_id=row.counter_id,
        command=row.id,
        command_kind=row.kind,
        device=row.device_id,
        **outcome,
    )

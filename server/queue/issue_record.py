"""Writing an issued ticket: its number, the ticket, the queue's count, the log row, the
idempotency record and the kiosk's print job, in the caller's transaction.

SQLite runs these as separate statements inside its single writer transaction, where a
statement costs microseconds. On PostgreSQL the same work is one statement (a CTE), run in
autocommit (``Database.writing(one_statement=True)``): the day's counter row is locked from
the moment it is bumped until the commit, and every round trip while holding it would make
the next press of the same service wait (DEVICE-NOTES: one statement 300–390 issues/s, six
statements 220–270/s). The daily cap is checked inside the statement for the same reason.
The number is formatted by the same rule in both: at least three digits, never cut.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from hallq.server.queue import ledger, lookups, numbering, rules
from hallq.server.queue.events import Actor
from hallq.server.tables import DEVICE_COMMANDS, IDEMPOTENCY_KEYS, TICKETS


@dataclass(frozen=True)
class NewTicket:
    hall_id: int
    day: dt.date
    prefix: str
    service_id: int
    priority: str
    language: str
    appointment: str | None
    now: dt.datetime
    status_token: str
    # Idempotency record: (caller, key, fingerprint), or None.
    idempotency: tuple[str, str, str] | None = None
    daily_cap: int | None = None
    # Why staff granted the green channel (kept in the log entry).
    reason: str | None = None
    # The kiosk that prints the ticket: its print job is stored with the ticket.
    print_device_id: int | None = None
    print_expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class Recorded:
    ticket_id: int
    seq: int
    number: str
    waiting: int  # the service's waiting count, this ticket included
    print_job_id: int | None = None


_INSERT_TICKET = insert(TICKETS).returning(TICKETS.c.id)
_INSERT_KEY = insert(IDEMPOTENCY_KEYS)
_INSERT_PRINT_JOB = insert(DEVICE_COMMANDS).returning(DEVICE_COMMANDS.c.id)

_POSTGRES = text(
    """
WITH n AS (
    INSERT INTO day_counters (hall_id, prefix, business_day, last)
    VALUES (:hall_id, :prefix, :day, 1)
    ON CONFLICT (hall_id, prefix, business_day) DO UPDATE SET last = day_counters.last + 1
        -- The daily cap, checked here: a refused press writes nothing at all.
        WHERE CAST(:cap AS integer) IS NULL OR day_counters.last < CAST(:cap AS integer)
    RETURNING last
), t AS (
    INSERT INTO tickets (hall_id, business_day, number, seq, service_id, priority, class_rank,
                         language, appointment, status, leg, issued_at, queued_at, call_count,
                         status_token)
    SELECT :hall_id, :day,
           -- lpad() would cut 1000 to "100": pad only below 1000, as rules.format_number.
           :prefix || CASE WHEN n.last < 1000 THEN lpad(n.last::text, 3, '0') ELSE n.last::text END,
           n.last, :service_id, CAST(:priority AS varchar), :class_rank, CAST(:language AS varchar),
           CAST(:appointment AS varchar), 'waiting', 1,
           :now, :now, 0, :status_token
    FROM n
    RETURNING id, seq, number
), w AS (
    UPDATE services SET waiting = waiting + 1, queue_version = queue_version + 1
    WHERE id = :service_id AND EXISTS (SELECT 1 FROM t)  -- nothing when the cap refused it
    RETURNING waiting
), e AS (
    INSERT INTO events (hall_id, at, kind, ticket_id, leg, service_id, user_id, device_id, source,
                        payload)
    SELECT :hall_id, :now, 'ticket.issued', t.id, 1, :service_id, :user_id, :device_id,
           CAST(:source AS varchar),
           json_build_object('number', t.number, 'priority', CAST(:priority AS varchar),
                             'language', CAST(:language AS varchar),
                             'appointment', CAST(:appointment AS varchar),
                             'reason', CAST(:reason AS varchar),
                             'business_day', CAST(:day_text AS varchar))
    FROM t
), k AS (
    INSERT INTO idempotency_keys (caller, key, fingerprint, ticket_id, created_at)
    SELECT CAST(:caller AS varchar), CAST(:key AS varchar), CAST(:fingerprint AS varchar), t.id, :now
    FROM t WHERE CAST(:key AS varchar) IS NOT NULL
), j AS (
    -- The kiosk's print job, stored with the ticket (see queue/device_commands.py).
    INSERT INTO device_commands (hall_id, device_id, kind, ticket_id, payload, status, created_at,
                                 expires_at)
    SELECT :hall_id, CAST(:print_device_id AS integer), 'print.job', t.id, '{}', 'pending', :now,
           CAST(:print_expires_at AS timestamptz)
    FROM t WHERE CAST(:print_device_id AS integer) IS NOT NULL
    RETURNING id
)
SELECT t.id, t.seq, t.number, w.waiting, (SELECT id FROM j) AS print_job_id FROM t, w
"""
)


def record(session: Session, actor: Actor, new: NewTicket) -> Recorded | None:
    """The recorded ticket, or None when the service's daily cap is reached (and nothing was
    written, or what was will be rolled back by the caller's refusal)."""
    if session.get_bind().dialect.name == "postgresql":
        return _record_in_one_statement(session, actor, new)
    return _record_step_by_step(session, actor, new)


def _record_in_one_statement(session: Session, actor: Actor, new: NewTicket) -> Recorded | None:
    caller, key, fingerprint = new.idempotency or (None, None, None)
    row = session.execute(
        _POSTGRES,
        {
            "hall_id": new.hall_id,
            "prefix": new.prefix,
            "day": new.day,
            "day_text": new.day.isoformat(),
            "service_id": new.service_id,
            "priority": new.priority,
            "class_rank": rules.CLASS_RANK[new.priority],
            "language": new.language,
            "appointment": new.appointment,
            "now": new.now,
            "status_token": new.status_token,
            "user_id": actor.user_id,
            "device_id": actor.device_id,
            "caller": caller,
            "key": key,
            "fingerprint": fingerprint,
            "cap": new.daily_cap,
            "source": actor.source,
            "reason": new.reason,
            "print_device_id": new.print_device_id,
            "print_expires_at": new.print_expires_at,
        },
    ).one_or_none()
    if row is None:  # the counter was not bumped: the cap is reached
        return None
    return Recorded(
        ticket_id=row.id,
        seq=row.seq,
        number=row.number,
        waiting=row.waiting,
        print_job_id=row.print_job_id,
    )


def _record_step_by_step(session: Session, actor: Actor, new: NewTicket) -> Recorded | None:
    seq = numbering.take_next(session, new.hall_id, new.prefix, new.day)
    if new.daily_cap is not None and seq > new.daily_cap:
        return None  # the caller's refusal rolls the bumped counter back
    number = rules.format_number(new.prefix, seq)
    ticket_id = session.execute(
        _INSERT_TICKET,
        {
            "hall_id": new.hall_id,
            "business_day": new.day,
            "number": number,
            "seq": seq,
            "service_id": new.service_id,
            "priority": new.priority,
            "class_rank": rules.CLASS_RANK[new.priority],
            "language": new.language,
            "appointment": new.appointment,
            "status": rules.WAITING,
            "leg": 1,
            "issued_at": new.now,
            "queued_at": new.now,
            "call_count": 0,
            "status_token": new.status_token,
        },
    ).scalar_one()
    waiting = lookups.adjust_waiting(session, new.service_id, +1)
    ledger.append(
        session,
        actor,
        "ticket.issued",
        new.now,
        ticket_id=ticket_id,
        leg=1,
        service_id=new.service_id,
        number=number,
        priority=new.priority,
        language=new.language,
        appointment=new.appointment,
        reason=new.reason,
        business_day=new.day.isoformat(),
    )
    if new.idempotency is not None:
        caller, key, fingerprint = new.idempotency
        session.execute(
            _INSERT_KEY,
            {
                "caller": caller,
                "key": key,
                "fingerprint": fingerprint,
                "ticket_id": ticket_id,
                "created_at": new.now,
            },
        )
    print_job_id = None
    if new.print_device_id is not None:
        print_job_id = session.execute(
            _INSERT_PRINT_JOB,
            {
                "hall_id": new.hall_id,
                "device_id": new.print_device_id,
                "kind": "print.job",
                "ticket_id": ticket_id,
                "payload": {},
                "status": "pending",
                "created_at": new.now,
                "expires_at": new.print_expires_at,
            },
        ).scalar_one()
    return Recorded(
        ticket_id=ticket_id, seq=seq, number=number, waiting=waiting, print_job_id=print_job_id
    )

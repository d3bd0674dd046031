"""The hall's tables, as SQLAlchemy 2 typed models.

Times are stored in UTC (aware datetimes in Python); the business day of a ticket is
the date in the hall's own time zone, stored next to it, because numbering restarts
with that day and not with UTC midnight.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every database.

    SQLite keeps no time zone, so values go in as naive UTC and come back marked UTC;
    PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; HallQ stores aware UTC times")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Named constraints keep Alembic migrations portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, but INTEGER on SQLite so that it stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Hall(Base):
    __tablename__ = "halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[dict[str, Any]]
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[Any]]
    announce: Mapped[list[Any]]
    rules: Mapped[dict[str, Any]]
    # The whole validated hall file, kept so that a later screen can show what was loaded.
    config: Mapped[dict[str, Any]]
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[dt.datetime]


class Zone(Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    code: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(1))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    name: Mapped[dict[str, Any]]
    documents: Mapped[dict[str, Any]]
    target_wait: Mapped[int]  # minutes
    daily_cap: Mapped[int | None]
    hours: Mapped[dict[str, Any]]
    # Minutes a service typically takes (hall file): estimates use it until the day has its own.
    typical_minutes: Mapped[float | None] = mapped_column(Float)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # A service removed from the hall file stays for history but takes no tickets.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Kept in step with the tickets in the same transactions, so that counts shown on
    # every call do not scan a long queue.
    waiting: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Bumped with every change of `waiting`, under the same row lock: the realtime hub reads
    # the figures outside its lock and sends a screen only ones newer than it already has.
    queue_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # A supervisor paused the service (no new tickets; its waiting tickets are still called).
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    paused_reason: Mapped[str | None] = mapped_column(String(200))
    paused_since: Mapped[dt.datetime | None]


class Counter(Base):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    number: Mapped[int]
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    label: Mapped[str | None] = mapped_column(String(64))
    # [[["service-code", weight], ...], ...]: tiers, highest first.
    profile: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default="closed")  # closed | open | paused
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Plain ids, not foreign keys: tickets and counters point at each other.
    current_ticket_id: Mapped[int | None] = mapped_column(BigId)
    # The ticket that last left this window, so that its customer can still rate it.
    last_ticket_id: Mapped[int | None] = mapped_column(BigId)
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    state_since: Mapped[dt.datetime | None]
    # Green-channel tickets called in a row here (the fairness bound of call-next).
    priority_streak: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # admin | supervisor | clerk
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    # The window numbers a clerk may open; None (or empty) lets them open any window.
    windows: Mapped[list[Any] | None] = mapped_column(JSON)


class LoginToken(Base):
    __tablename__ = "login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("hall_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # kiosk | display | counter
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]
    # What the agent last reported (paper out, pad offline...), see device.status.
    status: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DayCounter(Base):
    """Last number given per prefix and business day: the one hot row of issuing."""

    __tablename__ = "day_counters"

    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(1), primary_key=True)
    business_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """A customer's ticket; the columns describe its current leg (the event log has them all)."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("hall_id", "business_day", "number"),
        # Call-next reads the head of each service queue and of each counter's transfers;
        # partial indexes keep that a seek however long the queue is.
        Index(
            "ix_tickets_service_queue",
            "service_id",
            "class_rank",
            "queued_at",
            "id",
            sqlite_where=text("status = 'waiting' AND target_counter_id IS NULL"),
            postgresql_where=text("status = 'waiting' AND target_counter_id IS NULL"),
        ),
        Index(
            "ix_tickets_counter_queue",
            "target_counter_id",
            "class_rank",
            "queued_at",
            "id",
            sqlite_where=text("status = 'waiting' AND target_counter_id IS NOT NULL"),
            postgresql_where=text("status = 'waiting' AND target_counter_id IS NOT NULL"),
        ),
        Index("ix_tickets_hall_day", "hall_id", "business_day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    business_day: Mapped[dt.date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(12))
    seq: Mapped[int]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    priority: Mapped[str] = mapped_column(String(16))  # normal | priority | appointment
    class_rank: Mapped[int]  # 0 first; see queue.rules.CLASS_RANK
    language: Mapped[str] = mapped_column(String(16))
    appointment: Mapped[str | None] = mapped_column(String(64))
    # Indexes into its service's documents that the customer did not bring (None: not checked).
    missing_documents: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    leg: Mapped[int] = mapped_column(Integer, default=1)
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime]
    queued_at: Mapped[dt.datetime]
    called_at: Mapped[dt.datetime | None]
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    status_token: Mapped[str] = mapped_column(String(32), unique=True)
    # Why call-next chose this ticket for its current leg (also in the call's event).
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Event(Base):
    """The append-only log: every change, who made it, from where, in the same transaction.

    Reports and the audit trail read it; a trigger refuses UPDATE and DELETE.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_hall_kind", "hall_id", "kind", "id"),
        Index("ix_events_service_kind", "service_id", "kind", "id"),
        Index("ix_events_ticket", "ticket_id", "id"),
        # Reports read a range of days in time order (migration 0010).
        Index("ix_events_hall_at", "hall_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(BigId)
    leg: Mapped[int | None]
    service_id: Mapped[int | None]
    counter_id: Mapped[int | None]
    user_id: Mapped[int | None]
    device_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the change came from: api (a person's call), device (an agent), cli (the hallq
    # command on the server).
    source: Mapped[str | None] = mapped_column(String(8))


class Rating(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id"), unique=True)
    leg: Mapped[int]
    score: Mapped[int]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[dt.datetime]


class FollowUp(Base):
    """A case to follow up: a rating of 2 or 1 (kind "rating"), or a complaint that staff
    recorded (kind "complaint"). A supervisor assigns it, annotates it (FollowUpNote) and
    closes it with the fix in ``note``."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_hall_status", "hall_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    kind: Mapped[str] = mapped_column(String(16), default="rating", server_default="rating")
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    rating_id: Mapped[int | None] = mapped_column(ForeignKey("ratings.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the clerk concerned
    # A complaint's channel (counter, phone, email, letter, online, other) and its words.
    channel: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime | None]
    opened_at: Mapped[dt.datetime]
    # The end of the [queue] follow_up_working_days-th working day after the opening day.
    due_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class FollowUpNote(Base):
    """What a supervisor wrote on a case while following it up, oldest first."""

    __tablename__ = "follow_up_notes"
    __table_args__ = (Index("ix_follow_up_notes_follow_up", "follow_up_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"))
    at: Mapped[dt.datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)


class IdempotencyKey(Base):
    """A kiosk's retried press returns the ticket of the first press."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(40))  # "device:3" / "user:5"
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id"))
    created_at: Mapped[dt.datetime]


class DeviceCommand(Base):
    """A command to one device (a ticket to print, a rating request, a window sign's text),
    stored in the transaction that caused it, sent after the commit and again on every
    reconnect until the device answers, or until it expires.

    ``status``: pending (not answered yet), done / failed (the device answered), expired
    (too old: logged, never sent again), superseded (a newer command made it moot, e.g. a
    sign's newer text), cancelled (e.g. a rating request when the next ticket is called).
    """

    __tablename__ = "device_commands"
    __table_args__ = (
        # A device's unanswered commands, read on every (re)connect.
        Index(
            "ix_device_commands_pending",
            "device_id",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_device_commands_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(24))
    ticket_id: Mapped[int | None] = mapped_column(BigId)
    counter_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    # What the device answered (ok, reason), or why the command ended otherwise.
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Appointment(Base):
    """A booking: a customer who checks in at the kiosk with its code gets an appointment
    ticket (called before walk-ins) within the hall's check-in window around ``at``."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("hall_id", "code"),
        Index("ix_appointments_hall_at", "hall_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    code: Mapped[str] = mapped_column(String(16))  # what the customer types at the kiosk
    at: Mapped[dt.datetime]
    name: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(64))
    # Kept whole for the hall's own use; every screen and answer shows it masked.
    phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(
        String(16), default="booked"
    )  # booked | checked_in | cancelled
    created_at: Mapped[dt.datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(BigId)
    checked_in_at: Mapped[dt.datetime | None]


class Notice(Base):
    """A lobby notice a supervisor set: the boards of its zone (or every board, zone "")
    scroll it, in the language they show."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("hall_id", "zone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    # A zone's code, or "" for the whole hall ("" rather than NULL: unique in both databases).
    zone: Mapped[str] = mapped_column(String(16))
    text: Mapped[dict[str, Any]] = mapped_column(JSON)  # language -> text
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime]

"""What the engine reports back: facts that happened, published only after the commit.

Each event carries the state it produced (not database objects), so the web layer can
build the wire payloads without another query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who acts, and from which device; recorded on every event of the log."""

    hall_id: int
    role: str  # admin | supervisor | clerk | kiosk | display | counter
    user_id: int | None = None
    device_id: int | None = None
    # For a counter device: the counter it is wired to.
    counter_id: int | None = None
    # Where the change came from, for the log: "api" (a person's REST call), "device" (a
    # kiosk, display or counter agent), "cli" (the hallq command on the server), "server"
    # (the server by itself, e.g. expiring old device commands).
    source: str = "api"
    # Who, when neither a user nor a device: the system account that ran the hallq command.
    name: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "supervisor", "clerk")

    @property
    def oversees(self) -> bool:
        """Supervisors and admins may act at any window (to help, or to close it)."""
        return self.role in ("admin", "supervisor")


@dataclass(frozen=True)
class TicketState:
    id: int
    number: str
    business_day: dt.date
    service_id: int
    service_code: str
    zone_code: str
    status: str
    priority: str
    language: str
    leg: int
    issued_at: dt.datetime
    queued_at: dt.datetime
    call_count: int = 0
    counter_number: int | None = None
    target_counter_number: int | None = None
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    appointment: str | None = None
    status_token: str = ""


@dataclass(frozen=True)
class CounterState:
    id: int
    number: int
    zone_code: str
    label: str | None
    state: str  # closed | open | paused (serving is open with a current ticket)
    clerk_id: int | None
    clerk_name: str | None
    current_ticket: str | None  # its number
    current_ticket_id: int | None
    pause_reason: str | None
    state_since: dt.datetime | None


@dataclass(frozen=True)
class TicketIssued:
    ticket: TicketState
    # The device that asked (a kiosk prints it), if any.
    device_id: int | None = None
    # Its place in the queue when issued (1 = next).
    position: int | None = None


@dataclass(frozen=True)
class TicketCalled:
    ticket: TicketState
    counter_number: int
    zone_code: str
    recall: bool = False
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketUpdated:
    ticket: TicketState
    # start | finish | no_show | requeue | transfer | cancel | release | reinstate | documents
    move: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CounterUpdated:
    counter: CounterState
    # True when the window opened, closed, paused or resumed: estimated waits change.
    staffing: bool = False


@dataclass(frozen=True)
class QueueChanged:
    """The waiting count of these services changed; listeners fetch the new figures."""

    service_ids: frozenset[int]


@dataclass(frozen=True)
class RatingStored:
    rating_id: int
    ticket_id: int
    number: str
    counter_number: int
    score: int
    follow_up_id: int | None


@dataclass(frozen=True)
class DeviceCommandQueued:
    """A command to one device was stored (``device_commands``): send it after the commit.

    ``payload`` is what the device gets besides the command's id; None for a print job,
    whose payload is rendered when it is sent (it needs the public URL and the estimate).
    """

    command_id: int
    device_id: int
    kind: str
    ticket_id: int | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class CommandAnswered:
    """A device answered one of its commands (a print job printed, or not, and why)."""

    command_id: int
    device_id: int
    kind: str
    ticket_id: int | None
    ok: bool
    reason: str | None = None
    counter_number: int | None = None  # a window's command (a rating request)
    number: str | None = None  # the ticket's number, when the command named it


@dataclass(frozen=True)
class DeviceReported:
    """An agent reported its device's state (paper out, pad offline...)."""

    device_id: int
    name: str
    kind: str
    status: dict[str, Any]


@dataclass(frozen=True)
class CredentialsEnded:
    """Tokens stopped working: a user disabled, given another role or password, signed out,
    or a device revoked or given a new token. Their open sockets are closed at once."""

    user_id: int | None = None
    device_id: int | None = None


@dataclass(frozen=True)
class HallChanged:
    """The hall file was loaded again (``hallq init``): screens reload services and windows."""

    hall_id: int


@dataclass(frozen=True)
class SettingsChanged:
    """A setting the hall's context holds changed in the database (a service paused or
    reopened): the process that made the change reads the context again (others do within
    30 s). Screens hear of it through the change's other events; nothing goes on the wire."""

    hall_id: int


@dataclass(frozen=True)
class NoticeChanged:
    """A supervisor set or cleared a lobby notice: every board gets the hall's notices."""

    notices: tuple[Any, ...]  # wire.NoticePayload, the hall's whole list


@dataclass(frozen=True)
class FollowUpChanged:
    """A follow-up case opened, was assigned, annotated or closed: supervisors' screens
    hear of it (``follow_up.updated``)."""

    follow_up_id: int
    kind: str  # rating | complaint
    change: str  # opened | assigned | noted | closed
    status: str  # open | closed
    due_at: dt.datetime | None = None
    assignee: str | None = None  # the username


DomainEvent = (
    TicketIssued
    | TicketCalled
    | TicketUpdated
    | CounterUpdated
    | QueueChanged
    | RatingStored
    | HallChanged
    | SettingsChanged
    | DeviceCommandQueued
    | CommandAnswered
    | DeviceReported
    | CredentialsEnded
    | NoticeChanged
    | FollowUpChanged
)

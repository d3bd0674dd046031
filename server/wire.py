"""HallQ's wire contract, v1: what servers, screens and agents say to each other.

This module imports neither Flask nor the database, so agents (kiosk, announcer,
counter) and the server share it without dragging each other in. REST paths live under
``API_PREFIX``; Socket.IO uses ``NAMESPACE``. Payloads are plain JSON objects whose
shapes are the TypedDicts below; times are ISO 8601 strings with a UTC offset.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

PROTOCOL_VERSION = 1
API_PREFIX = "/api/v1"
NAMESPACE = "/hall"
LANGUAGES = ("zh-Hant", "zh-Hans", "en")

# --- Socket.IO: server -> clients -----------------------------------------------------
STATE = "state"  # the snapshot, sent first on join and on "state.request"
TICKET_ISSUED = "ticket.issued"
TICKET_CALLED = "ticket.called"  # also sent for a recall (``recall: true``)
TICKET_UPDATED = "ticket.updated"
COUNTER_UPDATED = "counter.updated"
QUEUE_UPDATED = "queue.updated"
HALL_UPDATED = "hall.updated"  # the hall's configuration changed: reload it
# Hall-wide deltas: each carries the hall's next ``seq``; a gap means "ask for a snapshot".
DELTAS = (
    TICKET_ISSUED,
    TICKET_CALLED,
    TICKET_UPDATED,
    COUNTER_UPDATED,
    QUEUE_UPDATED,
    HALL_UPDATED,
)

# Directed to one agent (not part of the hall's seq order).
PRINT_JOB = "print.job"  # -> the kiosk that issued the ticket
RATING_REQUEST = "rating.request"  # -> the window's counter agent
RATING_CANCEL = "rating.cancel"
JOINED = "joined"  # -> the client that joined: who the server thinks it is
ERROR = "hall.error"  # -> the client whose message was refused

# --- Socket.IO: clients -> server -------------------------------------------------------
STATE_REQUEST = "state.request"  # "I missed a seq; send me a fresh snapshot"
PRINT_RESULT = "print.result"
DEVICE_STATUS = "device.status"
RATING_SUBMIT = "rating.submit"

TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]
PriorityClass = Literal["normal", "priority", "appointment"]
CounterStatus = Literal["closed", "open", "serving", "paused"]


class TicketPayload(TypedDict):
    id: int
    number: str
    business_day: str
    service: str
    zone: str
    status: TicketStatus
    priority: PriorityClass
    language: str
    leg: int
    counter: int | None  # the window it is at (called / serving) or was last at
    target_counter: int | None  # transferred to this window by name
    call_count: int
    issued_at: str
    queued_at: str
    called_at: str | None
    started_at: str | None
    ended_at: str | None


class CounterPayload(TypedDict):
    number: int
    zone: str
    label: str | None
    state: CounterStatus
    clerk: str | None
    current_ticket: str | None
    pause_reason: str | None
    since: str | None


class QueueFigures(TypedDict):
    """A service's live figures: what ``queue.updated`` carries (merge into the snapshot's)."""

    code: str
    waiting: int
    open: bool  # taking tickets now (opening hours and daily cap)
    closed_reason: str | None  # "hours" | "cap" | None
    opens_at: str | None
    open_windows: int
    eta_minutes: int | None  # for a ticket taken now; None when no window serves it
    daily_cap: int | None
    issued_today: int


class ServiceQueuePayload(QueueFigures):
    """A service in the snapshot and in GET /services: the figures and its description."""

    prefix: str
    zone: str
    name: dict[str, str]
    target_wait: int
    documents: dict[str, list[str]]


class CallPayload(TypedDict):
    seq: NotRequired[int]
    ticket_id: int
    number: str
    counter: int
    zone: str
    service: str
    call_count: int
    recall: bool
    languages: list[str]  # spoken languages to announce in, in order
    at: str


class StatePayload(TypedDict):
    protocol: int
    seq: int
    at: str
    hall: dict[str, object]
    services: list[ServiceQueuePayload]
    counters: list[CounterPayload]
    recent_calls: list[CallPayload]


class ErrorBody(TypedDict):
    code: str
    message: str


def error(code: str, message: str) -> dict[str, ErrorBody]:
    """The JSON body of every refusal: ``{"error": {"code": ..., "message": ...}}``."""
    return {"error": {"code": code, "message": message}}

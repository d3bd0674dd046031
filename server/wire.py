"""HallQ's wire contract, v1: what servers, screens and agents say to each other.

This module imports neither Flask nor the database, so agents (kiosk, announcer,
counter) and the server share it without dragging each other in. REST paths live under
``API_PREFIX``; Socket.IO uses ``NAMESPACE``. Payloads are plain JSON objects whose
shapes are the TypedDicts below; times are ISO 8601 strings with a UTC offset.

A client joins ``/hall`` with ``auth: {"token": …}``; a device's agent (the kiosk agent, the
announcer, the counter agent) adds ``"agent": true``: device commands go to its agents, not
to the screens that share its token, and when its last agent leaves the device is reported
``offline``. A customer's page of one ticket joins with ``auth: {"ticket": status_token}``.

Socket.IO traffic is of three kinds:

- **Deltas** go to every client of the hall, each with the hall's next ``seq``: a client
  that sees a gap (or ``seq`` going backwards) asks for a fresh snapshot.
- **Addressed messages** go to one device, one window or one zone, without ``seq``.
  Device commands among them (``DEVICE_COMMANDS``) are stored before they are sent, carry
  an ``id``, and are sent again on every reconnect until the device answers them
  (``print.result`` for a print job, ``rating.submit`` or ``command.ack`` for the others)
  or until they expire. A device may get one twice: answering again is harmless.
- **Agent messages** (``CLIENT_EVENTS``) go from a client to the server; the server answers
  each through Socket.IO's acknowledgement with ``{"ok": true, ...}`` or the contract's
  refusal ``{"error": {"code", "message"}}``. ``validate()`` checks one against its shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic reads these on Python 3.11

PROTOCOL_VERSION = 1
API_PREFIX = "/api/v1"
NAMESPACE = "/hall"
LANGUAGES = ("zh-Hant", "zh-Hans", "en")

# --- Socket.IO: server -> every client of the hall (deltas, with seq) -------------------
STATE = "state"  # the snapshot, sent first on join and on "state.request"
TICKET_ISSUED = "ticket.issued"
TICKET_CALLED = "ticket.called"  # also sent for a recall (``recall: true``)
TICKET_UPDATED = "ticket.updated"
COUNTER_UPDATED = "counter.updated"
QUEUE_UPDATED = "queue.updated"
HALL_UPDATED = "hall.updated"  # the hall's configuration changed: reload it
NOTICE_UPDATED = "notice.updated"  # a lobby notice was set or cleared: {"notices": [...]}
DELTAS = (
    TICKET_ISSUED,
    TICKET_CALLED,
    TICKET_UPDATED,
    COUNTER_UPDATED,
    QUEUE_UPDATED,
    HALL_UPDATED,
    NOTICE_UPDATED,
)

# --- Socket.IO: server -> one device (device commands: stored, with id, until answered) ---
PRINT_JOB = "print.job"  # -> the kiosk that issued the ticket
RATING_REQUEST = "rating.request"  # -> the window's counter agent, when a ticket is finished
RATING_CANCEL = "rating.cancel"  # -> the same, when the window calls the next ticket
SIGN_TEXT = "sign.text"  # -> the window's counter agent: what its window sign shows
DEVICE_COMMANDS = (PRINT_JOB, RATING_REQUEST, RATING_CANCEL, SIGN_TEXT)

# --- Socket.IO: server -> one client, window or device (addressed, no seq) ---------------
JOINED = "joined"  # -> the client that joined: who the server thinks it is
RATING_STORED = "rating.stored"  # -> the window (its clerk's screen): the customer rated
RATING_ENDED = "rating.ended"  # -> the window (its clerk's screen): asked, but not rated
# -> the device's own clients, and the sockets of the hall's supervisors and admins (never
# other devices): what its agent reported (paper out, pad offline, ok...).
DEVICE_UPDATED = "device.updated"
PRINT_OUTCOME = "print.outcome"  # -> the kiosk's own clients: how a print job went
SESSION_ENDED = "session.ended"  # -> a client whose token stopped working, then disconnected
# -> the sockets of the hall's supervisors and admins: a follow-up case opened or changed
# (no personal data: the dashboard reads the case with GET /api/v1/follow-ups/{id}).
FOLLOW_UP_UPDATED = "follow_up.updated"
# The customer's page of one ticket (joined with the ticket's status token: it hears nothing
# of anyone else): its ticket's changes, and a hint that people ahead of it may have moved.
TICKET_STATUS = "ticket.status"  # -> the ticket's page: {"ticket": TicketPayload}
QUEUE_MOVED = "queue.moved"  # -> the pages of a service's tickets: ask for your place again
ERROR = "hall.error"  # -> a client whose message came without an acknowledgement callback

# --- Socket.IO: clients -> server ----------------------------------------------------------
STATE_REQUEST = "state.request"  # "I missed a seq; send me a fresh snapshot"
PRINT_RESULT = "print.result"  # a kiosk agent: how a print job went
DEVICE_STATUS = "device.status"  # an agent: its device's state changed
RATING_SUBMIT = "rating.submit"  # a counter agent: the pad gave a score
COMMAND_ACK = "command.ack"  # an agent: a device command was carried out (or not)
CLIENT_EVENTS = (STATE_REQUEST, PRINT_RESULT, DEVICE_STATUS, RATING_SUBMIT, COMMAND_ACK)
# Socket.IO's own events: never a message a client may send.
RESERVED_EVENTS = ("connect", "disconnect", "connect_error", "message")

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
    open: bool  # taking tickets now (opening hours, daily cap, not paused)
    closed_reason: str | None  # "paused" | "hours" | "cap" | None
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


class NoticePayload(TypedDict):
    """A lobby notice: boards of ``zone`` (None: every board without a notice of its own)
    scroll ``text`` in the language they show."""

    zone: str | None
    text: dict[str, str]  # language -> text
    set_at: str


class NoticesPayload(TypedDict):
    """``notice.updated``: the hall's notices, all of them."""

    seq: NotRequired[int]
    notices: list[NoticePayload]


class StatePayload(TypedDict):
    protocol: int
    seq: int
    at: str
    hall: dict[str, Any]
    services: list[ServiceQueuePayload]
    counters: list[CounterPayload]
    recent_calls: list[CallPayload]
    notices: list[NoticePayload]


# --- device commands (server -> one device) ------------------------------------------------


class PrintTicket(TypedDict):
    """Everything a ticket's printout needs: the agent never asks the server again."""

    id: int
    number: str
    service: str  # its code
    service_name: str  # in the ticket's language
    documents: list[str]  # what to bring, in the ticket's language
    language: str
    priority: PriorityClass
    people_ahead: int | None  # None when it is not waiting any more
    eta_minutes: int | None
    issued_at: str  # the hall's local time, with its UTC offset: print it as it is
    status_url: str  # the customer's page: the QR code
    hall_name: str  # in the ticket's language
    footer: str | None  # the hall's last line, in the ticket's language (None: a thank-you)


class PrintJob(TypedDict):
    id: int
    # When the job was made (the press, or a reprint): a job older than the kiosk's limit is
    # not printed when the paper comes back, so a roll change never spills a backlog.
    queued_at: str
    ticket: PrintTicket


class RatingRequest(TypedDict):
    id: int
    ticket_id: int
    number: str
    counter: int
    service: str
    clerk: str | None


class RatingCancel(TypedDict):
    id: int
    ticket_id: int
    number: str
    counter: int


class SignText(TypedDict):
    """What a window's sign shows. Apply only a text whose ``id`` is larger than the last
    one shown: two changes in quick succession may arrive out of order."""

    id: int
    counter: int
    state: CounterStatus
    ticket: str | None
    text: str  # in the hall's first language: the ticket's number, or "service paused"


# --- addressed messages ---------------------------------------------------------------------


class RatingStoredPayload(TypedDict):
    rating: int
    ticket_id: int
    number: str
    counter: int
    score: int
    follow_up: int | None


class RatingEndedPayload(TypedDict):
    """The pad's request ended without a score (``reason``: ``not_rated`` when the customer
    left without pressing, or what the pad's agent said)."""

    ticket_id: int | None
    number: str | None  # the ticket's number (A023)
    counter: int
    rated: bool
    reason: str | None


class FollowUpUpdatedPayload(TypedDict):
    """``follow_up.updated``: which case, and what happened to it."""

    id: int
    kind: Literal["rating", "complaint"]
    change: Literal["opened", "assigned", "noted", "closed"]
    status: Literal["open", "closed"]
    due_at: str | None
    assignee: str | None  # the username


class DeviceUpdatedPayload(TypedDict):
    name: str
    kind: str
    status: dict[str, Any]


class PrintOutcome(TypedDict):
    """The kiosk's agent answered a print job: its screen tells the customer when it failed
    (``reason``: ``paper_out``, ``offline``, ``too_old`` — reprint at the desk — …)."""

    id: int
    ticket_id: int | None
    ok: bool
    reason: str | None


class SessionEnded(TypedDict):
    code: str  # "bad_token": signed out, expired, revoked, disabled or given another role
    message: str


# --- agent messages (clients -> server) -----------------------------------------------------

_STRICT = ConfigDict(strict=True, extra="forbid")
CommandId = Annotated[int, Field(ge=1, le=2**62)]
Reason = Annotated[str, Field(max_length=200)]


@with_config(_STRICT)
class StateRequest(TypedDict):
    pass


@with_config(_STRICT)
class PrintResult(TypedDict):
    id: CommandId
    ok: bool
    reason: NotRequired[Reason | None]  # e.g. "paper_out", "offline"


@with_config(_STRICT)
class CommandAck(TypedDict):
    id: CommandId
    ok: NotRequired[bool]  # default true; false with a reason when it could not be done
    reason: NotRequired[Reason | None]  # e.g. "timeout" for a rating request nobody answered


@with_config(_STRICT)
class DeviceStatus(TypedDict):
    status: Annotated[str, Field(min_length=1, max_length=40)]  # "ok", "paper_out", ...
    detail: NotRequired[Reason | None]


@with_config(_STRICT)
class RatingSubmit(TypedDict):
    # The ticket's id, or today's number as the pad shows it ("A023").
    ticket: CommandId | Annotated[str, Field(min_length=2, max_length=12)]
    score: Annotated[int, Field(ge=1, le=5)]  # 5 very satisfied ... 1 very dissatisfied
    id: NotRequired[CommandId]  # the rating request it answers, when known


AGENT_MESSAGES: dict[str, Any] = {
    STATE_REQUEST: StateRequest,
    PRINT_RESULT: PrintResult,
    COMMAND_ACK: CommandAck,
    DEVICE_STATUS: DeviceStatus,
    RATING_SUBMIT: RatingSubmit,
}
_ADAPTERS = {name: TypeAdapter(shape) for name, shape in AGENT_MESSAGES.items()}


class ErrorBody(TypedDict):
    code: str
    message: str


class Refusal(TypedDict):
    error: ErrorBody


def error(code: str, message: str) -> Refusal:
    """The JSON body of every refusal: ``{"error": {"code": ..., "message": ...}}``."""
    return {"error": {"code": code, "message": message}}


class BadMessage(ValueError):
    """An agent message that does not match its shape; ``problems`` says where and why."""

    def __init__(self, event: str, problems: list[str]) -> None:
        super().__init__(f"{event}: " + "; ".join(problems))
        self.event = event
        self.problems = problems


def validate(event: str, data: Any) -> dict[str, Any]:
    """The agent message ``data`` of ``event``, checked against its shape (strictly: a
    ``true`` is not a number, unknown fields are refused); raises BadMessage."""
    adapter = _ADAPTERS.get(event)
    if adapter is None:
        raise BadMessage(event, ["not a message clients may send"])
    if data is None and event == STATE_REQUEST:
        data = {}
    try:
        checked = dict(adapter.validate_python(data))
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        raise BadMessage(event, problems[:5]) from None
    for key, value in checked.items():
        if isinstance(value, str) and "\x00" in value:  # no database stores it as text
            raise BadMessage(event, [f"{key}: text may not contain NUL characters"])
    return checked

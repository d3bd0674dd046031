"""Request and response schemas of API v1; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, create_model

from hallq.server import wire

ServiceCode = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")


class Strict(BaseModel):
    # Unknown fields are refused: a typo in a field name must not pass silently.
    model_config = ConfigDict(extra="forbid")


# --- paths ---------------------------------------------------------------------------------


class CounterPath(BaseModel):
    n: int = Field(ge=1, le=999, description="the window's number")


class TicketPath(BaseModel):
    ticket_id: int = Field(ge=1, le=2**62)


class NumberQuery(BaseModel):
    number: str = Field(min_length=2, max_length=12, pattern=r"^[A-Za-z][0-9]{3,}$")


class TicketQuery(BaseModel):
    token: str | None = Field(default=None, max_length=64, description="the ticket's status token")


# --- requests ------------------------------------------------------------------------------


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class IssueIn(Strict):
    service: str = ServiceCode
    priority: Literal["normal", "priority", "appointment"] = "normal"
    language: Literal["zh-Hant", "zh-Hans", "en"] | None = None
    appointment: str | None = Field(
        default=None, min_length=1, max_length=64, description="booking reference"
    )
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="why staff grant the green channel (required for priority tickets)",
    )


class BookIn(Strict):
    service: str = ServiceCode
    at: AwareDatetime = Field(description="the booked time, with its UTC offset")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    reference: str | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = Field(default=None, min_length=3, max_length=32, pattern=r"^[0-9 +()-]+$")


class BookingPath(BaseModel):
    code: str = Field(min_length=1, max_length=16, pattern=r"^[0-9]+$")


class CheckInIn(Strict):
    code: str = Field(min_length=1, max_length=16, pattern=r"^\s*[0-9]+\s*$")
    language: Literal["zh-Hant", "zh-Hans", "en"] | None = None


class DayQuery(BaseModel):
    day: dt.date | None = Field(default=None, description="the hall's local day; default today")


class UnlockIn(Strict):
    pin: str = Field(min_length=1, max_length=16)


class NoticeIn(Strict):
    zone: str | None = Field(
        default=None, min_length=1, max_length=16, description="a zone's code; none: every board"
    )
    text: dict[Literal["zh-Hant", "zh-Hans", "en"], str] = Field(
        description="the notice per language (the hall's languages); none at all clears it"
    )


class NoticeOut(BaseModel):
    zone: str | None
    text: dict[str, str]
    set_at: str


class NoticesOut(BaseModel):
    notices: list[NoticeOut]


class ReprintIn(Strict):
    kiosk: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="the kiosk to print on; default the one that issued the ticket",
    )


class CancelIn(Strict):
    reason: str | None = Field(default=None, max_length=200)


class TransferIn(Strict):
    service: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")
    counter: int | None = Field(default=None, ge=1, le=999)
    note: str | None = Field(default=None, max_length=500)


class CallIn(Strict):
    number: str = Field(
        min_length=2, max_length=12, pattern=r"^[A-Za-z][0-9]{3,}$", description="today's number"
    )


class DocumentsIn(Strict):
    missing: list[Annotated[StrictInt, Field(ge=0)]] = Field(
        max_length=100, description="indexes (from 0) into the service's documents not brought"
    )


class DeskOut(BaseModel):
    counter: dict[str, object]
    current: dict[str, object] | None = Field(
        description="the window's ticket, with its service's documents and what is missing"
    )
    waiting: list[dict[str, object]] = Field(description="tickets the window may call, in order")
    services: list[dict[str, object]] = Field(description="waiting and longest wait per service")
    today: dict[str, object] = Field(description="the clerk's day: served, times, ratings")
    last_rating: dict[str, object] | None
    pause_reasons: list[str]


class PauseIn(Strict):
    reason: str = Field(min_length=1, max_length=200)


class RatingIn(Strict):
    ticket: StrictInt | Annotated[str, Field(min_length=2, max_length=12)] = Field(
        description="the ticket's id, or today's number as the pad shows it"
    )
    # Strict: a JSON true is not a score.
    score: StrictInt = Field(ge=1, le=5, description="5 very satisfied … 1 very dissatisfied")


# --- responses -----------------------------------------------------------------------------


class LoginOut(BaseModel):
    token: str
    role: str
    name: str
    expires_at: str


def from_wire(shape: Any, name: str, doc: str) -> type[BaseModel]:
    """A response schema made from the wire contract's TypedDict (``server/wire.py``), so
    that the OpenAPI document and the Socket.IO payloads cannot drift apart."""
    required = getattr(shape, "__required_keys__", frozenset())
    fields: dict[str, Any] = {
        key: (hint, ...) if key in required else (hint, None)
        for key, hint in get_type_hints(shape).items()
    }
    return create_model(name, __doc__=doc, **fields)


ErrorOut = from_wire(wire.Refusal, "ErrorOut", "Every refusal: a 4xx with its code and message.")
_Ticket = from_wire(wire.TicketPayload, "Ticket", "A ticket as every screen sees it.")


class TicketOut(_Ticket):  # type: ignore[misc, valid-type]
    position: int | None = Field(default=None, description="1 = next to be called in its queue")
    ahead: int | None = None
    eta_minutes: int | None = None
    missing_documents: list[str] | None = Field(
        default=None,
        description="what the customer did not bring, in the ticket's language (none: unchecked)",
    )
    rating: int | None = Field(default=None, description="the customer's score, once rated")


class TicketsOut(BaseModel):
    tickets: list[TicketOut]


class IssuedOut(TicketOut):
    status_url: str
    documents: list[str] = Field(
        default_factory=list, description="what to bring, in the ticket's language"
    )


class CalledOut(TicketOut):
    explanation: dict[str, object] = Field(description="why this ticket was chosen")
    documents: list[str] = Field(
        default_factory=list, description="the service's checklist, in the caller's language"
    )


class MoveOut(TicketOut):
    became: str | None = Field(
        default=None, description="set when a recall past the limit became a no-show"
    )


ServiceOut = from_wire(
    wire.ServiceQueuePayload, "ServiceOut", "A service with its live queue figures."
)


class ServicesOut(BaseModel):
    services: list[ServiceOut]  # type: ignore[valid-type]


CounterOut = from_wire(wire.CounterPayload, "CounterOut", "A window and what happens there.")


class CountersOut(BaseModel):
    counters: list[CounterOut]  # type: ignore[valid-type]


StateOut = from_wire(wire.StatePayload, "StateOut", "The hall's snapshot, as sockets get it.")


class BookingOut(BaseModel):
    id: int
    code: str = Field(description="what the customer types at the kiosk")
    service: str
    at: str
    name: str | None
    reference: str | None
    phone: str | None = Field(description="masked: only its last four digits")
    status: Literal["booked", "checked_in", "cancelled"]
    ticket_id: int | None


class BookingsOut(BaseModel):
    appointments: list[BookingOut]


class CheckedInOut(IssuedOut):
    appointment: BookingOut


class DeviceOut(BaseModel):
    name: str
    kind: str
    zone: str | None
    counter: int | None
    status: dict[str, object] = Field(description="what its agent last reported (device.status)")
    last_seen_at: str | None
    kiosk: dict[str, object] | None = Field(
        default=None, description="a kiosk's screen settings (idle and ticket seconds, footer)"
    )


class ReprintOut(BaseModel):
    id: int = Field(description="the print job's id")
    device: str = Field(description="the kiosk it goes to")


class NotPrintedTicket(BaseModel):
    command: int = Field(description="the print job that did not print")
    ticket_id: int
    number: str
    service: str
    status: str = Field(description="the ticket's: waiting or called")
    kiosk: str = Field(description="the kiosk it was to print on")
    reason: str = Field(
        description="the agent's (too_old, interrupted, cannot_render, paper_out, offline) or "
        "expired (the kiosk's agent never answered)"
    )
    at: str


class NotPrintedOut(BaseModel):
    tickets: list[NotPrintedTicket]


class RatingOut(BaseModel):
    id: int
    ticket: str
    counter: int
    score: int
    follow_up: int | None


class MeOut(BaseModel):
    name: str
    role: str
    kind: str = Field(description="user or device")
    zone: str | None
    counter: int | None
    hall: int


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

"""Request and response schemas of API v1; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

ServiceCode = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")


class Strict(BaseModel):
    # Unknown fields are refused: a typo in a field name must not pass silently.
    model_config = ConfigDict(extra="forbid")


# --- paths ---------------------------------------------------------------------------------


class CounterPath(BaseModel):
    n: int = Field(ge=1, le=999, description="the window's number")


class TicketPath(BaseModel):
    ticket_id: int = Field(ge=1, le=2**62)


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


class PauseIn(Strict):
    reason: str = Field(min_length=1, max_length=200)


class RatingIn(Strict):
    ticket: StrictInt | Annotated[str, Field(min_length=2, max_length=12)] = Field(
        description="the ticket's id, or today's number as the pad shows it"
    )
    # Strict: a JSON true is not a score.
    score: StrictInt = Field(ge=1, le=5, description="5 very satisfied … 1 very dissatisfied")


# --- responses -----------------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


class LoginOut(BaseModel):
    token: str
    role: str
    name: str
    expires_at: str


class TicketOut(BaseModel):
    id: int
    number: str
    business_day: str
    service: str
    zone: str
    status: str
    priority: str
    language: str
    leg: int
    counter: int | None
    target_counter: int | None
    call_count: int
    issued_at: str
    queued_at: str
    called_at: str | None
    started_at: str | None
    ended_at: str | None
    position: int | None = Field(default=None, description="1 = next to be called in its queue")
    ahead: int | None = None
    eta_minutes: int | None = None


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


class ServiceOut(BaseModel):
    code: str
    prefix: str
    zone: str
    name: dict[str, str]
    waiting: int
    open: bool
    closed_reason: str | None
    opens_at: str | None
    open_windows: int
    eta_minutes: int | None
    target_wait: int
    daily_cap: int | None
    issued_today: int
    documents: dict[str, list[str]]


class ServicesOut(BaseModel):
    services: list[ServiceOut]


class CounterOut(BaseModel):
    number: int
    zone: str
    label: str | None
    state: str
    clerk: str | None
    current_ticket: str | None
    pause_reason: str | None
    since: str | None


class CountersOut(BaseModel):
    counters: list[CounterOut]


class StateOut(BaseModel):
    protocol: int
    seq: int
    at: str
    hall: dict[str, object]
    services: list[ServiceOut]
    counters: list[CounterOut]
    recent_calls: list[dict[str, object]]


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

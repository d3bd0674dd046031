"""The event log, searchable: every change, who made it, from where; payloads masked."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hallq.server.api.context import hall, requires
from hallq.server.api.schemas import ERRORS, ErrorOut
from hallq.server.queue import audit
from hallq.server.queue.errors import N_, BadRequest
from hallq.server.queue.hall import HallContext
from hallq.server.state import hallq

tag = Tag(name="audit", description="The event log, searchable")
bp = APIBlueprint(
    "audit",
    __name__,
    abp_tags=[tag],
    abp_security=[{"bearer": []}],
    abp_responses={**ERRORS, 400: ErrorOut},
)

_KIND = re.compile(r"[a-z_]+(\.[a-z_]+)*\.?")
_TICKET_NUMBER = re.compile(r"[A-Za-z][0-9]{3,}")
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


class AuditQuery(BaseModel):
    # Plain texts, read in the view: a bad value is a 400 that names it.
    ticket: str | None = Field(default=None, description="a ticket's id, or its number (A023)")
    day: str | None = Field(
        default=None,
        description="YYYY-MM-DD: with a ticket number, that day's ticket (default today); "
        "alone, the entries of that day in the hall's time zone",
    )
    user: str | None = Field(default=None, description="a username")
    device: str | None = Field(default=None, description="a device's name")
    kind: str | None = Field(
        default=None, description='a kind ("ticket.called") or a prefix ("ticket.")'
    )
    from_: str | None = Field(default=None, alias="from", description="ISO time, inclusive")
    to: str | None = Field(default=None, description="ISO time, exclusive")
    before_id: str | None = Field(default=None, description="the `next` of the previous page")
    limit: str | None = Field(default=None, description=f"1 to {audit.MAX_LIMIT}; 50 by default")


class AuditTicketOut(BaseModel):
    number: str
    business_day: str


class AuditEntryOut(BaseModel):
    id: int
    at: str
    kind: str
    ticket: AuditTicketOut | None
    leg: int | None
    service: str | None
    counter: int | None
    user: str | None
    device: str | None
    source: str | None
    payload: dict[str, Any] = Field(description="phone numbers and customers' names masked")


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next: int | None = Field(description="pass as before_id for the next (older) page")


def _bad(name: str, wanted: str) -> BadRequest:
    return BadRequest(
        "bad_parameter", N_("%(name)s is not valid: %(wanted)s."), name=name, wanted=wanted
    )


def _day(text: str) -> dt.date:
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _bad("day", "YYYY-MM-DD") from None


def _time(name: str, text: str, here: HallContext) -> dt.datetime:
    """An ISO time; without an offset, the hall's local time. A date alone is its midnight."""
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise _bad(name, "an ISO 8601 time like 2026-12-01T09:00:00+08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=here.tz)
    return value.astimezone(dt.UTC)


def _number(name: str, text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise _bad(name, f"a whole number from {low} to {high}")
    return int(text)


def read_search(query: AuditQuery, here: HallContext, now: dt.datetime) -> audit.Search:
    """The query's texts, checked (400 ``bad_parameter`` naming the first bad one)."""
    wanted: dict[str, Any] = {}
    day = _day(query.day) if query.day else None
    if query.ticket:
        if query.ticket.isdigit():
            wanted["ticket_id"] = _number("ticket", query.ticket, 1, 2**62)
        elif _TICKET_NUMBER.fullmatch(query.ticket):
            wanted["ticket_number"] = query.ticket
            wanted["ticket_day"] = day or here.business_day(now)
        else:
            raise _bad("ticket", "a ticket's id or its number, like A023")
    elif day is not None:
        start = dt.datetime.combine(day, dt.time(), tzinfo=here.tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=here.tz)
        wanted["since"], wanted["until"] = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    for name in ("user", "device"):
        value = getattr(query, name)
        if value:
            if not _NAME.fullmatch(value):
                raise _bad(name, "a name of letters, digits and - . _ @")
            wanted[name] = value
    if query.kind:
        if len(query.kind) > 40 or not _KIND.fullmatch(query.kind):
            raise _bad("kind", 'a kind like ticket.called, or a prefix like "ticket."')
        wanted["kind"] = query.kind
    if query.from_:
        since = _time("from", query.from_, here)
        wanted["since"] = max(since, wanted.get("since", since))
    if query.to:
        until = _time("to", query.to, here)
        wanted["until"] = min(until, wanted.get("until", until))
    if query.before_id:
        wanted["before_id"] = _number("before_id", query.before_id, 1, 2**62)
    if query.limit:
        wanted["limit"] = _number("limit", query.limit, 1, audit.MAX_LIMIT)
    return audit.Search(**wanted)


@bp.get(
    "/audit",
    summary="Search the event log, newest first (supervisors, admins)",
    description="Filters combine. Paged by `before_id`: each answer's `next` fetches the older "
    "page (null on the last). Payloads are masked (phone numbers, customers' names). A bad "
    "parameter answers 400 `bad_parameter`.",
    responses={200: AuditOut},
)
@requires("admin", "supervisor")
def search(query: AuditQuery) -> Any:
    state = hallq()
    wanted = read_search(query, hall(), state.clock())
    with state.db.reading() as session:
        return audit.search(session, hall().id, wanted)

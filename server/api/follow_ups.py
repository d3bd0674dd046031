"""Follow-up cases (bad ratings and complaints), and the alerts of the supervisor's dashboard.

Complaints' words, notes and fixes are answered masked (phone numbers, customers' names).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hallq.server import catalogs
from hallq.server.api.context import STAFF, caller, change, hall, requires
from hallq.server.api.schemas import ERRORS, ErrorOut, Strict
from hallq.server.i18n import current_language
from hallq.server.masking import mask_text
from hallq.server.queue import alerts, follow_ups
from hallq.server.queue.errors import N_, BadRequest
from hallq.server.state import hallq

tag = Tag(name="follow-ups", description="Follow-up cases: bad ratings and complaints")
alerts_tag = Tag(name="alerts", description="What needs a supervisor now")
bp = APIBlueprint(
    "follow_ups",
    __name__,
    abp_tags=[tag],
    abp_security=[{"bearer": []}],
    abp_responses={**ERRORS, 400: ErrorOut},
)
OVERSEERS = ("admin", "supervisor")
MAX_PER_PAGE = 200


# --- schemas ---------------------------------------------------------------------------------


class FollowUpPath(BaseModel):
    follow_up_id: int = Field(ge=1, le=2**31 - 1)


class FollowUpsQuery(BaseModel):
    # Plain texts, read in the view: a bad value is a 400 that names it.
    status: str | None = Field(default=None, description="open (default), closed, overdue, all")
    kind: str | None = Field(default=None, description="rating or complaint")
    assignee: str | None = Field(default=None, description="the assignee's username")
    page: str | None = Field(default=None, description="from 1")
    per_page: str | None = Field(default=None, description=f"1 to {MAX_PER_PAGE}; 50 by default")


class ComplaintIn(Strict):
    channel: Literal["counter", "phone", "email", "letter", "online", "other"]
    text: str = Field(max_length=follow_ups.MAX_TEXT, description="what the complaint says")
    ticket: int | str | None = Field(
        default=None, description="the ticket's id, or its number (A023) on `day`"
    )
    day: dt.date | None = Field(default=None, description="the ticket number's day; today")
    clerk: str | None = Field(default=None, max_length=64, description="the clerk's username")
    counter: int | None = Field(default=None, ge=1, le=999, description="the window's number")


class AssignIn(Strict):
    assignee: str = Field(min_length=1, max_length=64, description="a supervisor's username")


class NoteIn(Strict):
    text: str | None = Field(default=None, max_length=follow_ups.MAX_TEXT)


class CloseIn(Strict):
    note: str | None = Field(
        default=None, max_length=follow_ups.MAX_TEXT, description="the fix: required"
    )


class PersonOut(BaseModel):
    username: str
    display_name: str | None


class TicketRefOut(BaseModel):
    id: int
    number: str | None
    business_day: str | None


class NoteOut(BaseModel):
    id: int
    at: str
    user: str | None
    text: str


class FollowUpOut(BaseModel):
    id: int
    kind: Literal["rating", "complaint"]
    status: Literal["open", "closed"]
    overdue: bool
    opened_at: str
    due_at: str | None
    ticket: TicketRefOut | None
    counter: int | None
    clerk: PersonOut | None
    score: int | None
    channel: str | None
    text: str | None = Field(description="masked")
    recorded_by: str | None
    assignee: PersonOut | None
    assigned_at: str | None
    notes: list[NoteOut]
    closed_at: str | None
    closed_by: str | None
    note: str | None = Field(description="the fix, masked")


class FollowUpsOut(BaseModel):
    items: list[FollowUpOut]
    page: int
    per_page: int
    total: int


class AlertOut(BaseModel):
    kind: Literal[
        "wait_over_target",
        "paper_out",
        "printer_offline",
        "pad_offline",
        "device_offline",
        "follow_up_overdue",
    ]
    since: str | None
    service: str | None
    counter: int | None
    device: str | None
    follow_up: int | None
    detail: dict[str, Any]
    message: str = Field(description="in the caller's language")


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


# --- helpers ---------------------------------------------------------------------------------


def masked(item: dict[str, Any]) -> dict[str, Any]:
    """A case as answered: its free texts with personal data masked."""
    item = dict(item)
    for key in ("text", "note"):
        if item.get(key):
            item[key] = mask_text(item[key])
    item["notes"] = [{**note, "text": mask_text(note["text"])} for note in item["notes"]]
    return item


def _one(follow_up_id: int) -> dict[str, Any]:
    state = hallq()
    with state.db.reading() as session:
        return masked(follow_ups.one_case(session, hall().id, follow_up_id, state.clock()))


def _whole_number(name: str, text: str | None, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequest(
            "bad_parameter",
            N_("%(name)s must be a whole number from %(low)s to %(high)s."),
            name=name,
            low=low,
            high=high,
        )
    return int(text)


# --- follow-ups ------------------------------------------------------------------------------


@bp.get(
    "/follow-ups",
    summary="Follow-up cases, newest first (supervisors)",
    description="`status`: open (default), closed, overdue (open and past `due_at`) or all. "
    "Texts are masked.",
    responses={200: FollowUpsOut},
)
@requires(*OVERSEERS)
def list_follow_ups(query: FollowUpsQuery) -> Any:
    status = query.status or "open"
    if status not in follow_ups.STATUSES:
        raise BadRequest(
            "bad_parameter",
            N_("%(name)s must be one of: %(values)s."),
            name="status",
            values=", ".join(follow_ups.STATUSES),
        )
    if query.kind is not None and query.kind not in follow_ups.KINDS:
        raise BadRequest(
            "bad_parameter",
            N_("%(name)s must be one of: %(values)s."),
            name="kind",
            values=", ".join(follow_ups.KINDS),
        )
    page = _whole_number("page", query.page, 1, 1, 10**6)
    per_page = _whole_number("per_page", query.per_page, 50, 1, MAX_PER_PAGE)
    state = hallq()
    with state.db.reading() as session:
        found = follow_ups.list_cases(
            session,
            hall().id,
            state.clock(),
            status=status,
            kind=query.kind,
            assignee=query.assignee or None,
            page=page,
            per_page=per_page,
        )
    found["items"] = [masked(item) for item in found["items"]]
    return found


@bp.get(
    "/follow-ups/<int:follow_up_id>",
    summary="One follow-up case, with its notes (supervisors)",
    responses={200: FollowUpOut},
)
@requires(*OVERSEERS)
def get_follow_up(path: FollowUpPath) -> Any:
    return _one(path.follow_up_id)


@bp.post(
    "/follow-ups",
    summary="Record a complaint: a follow-up case (staff)",
    description="By `channel`, with its `text` (400 `text_required` when blank), about a "
    "`ticket` (id, or number on `day`), a `clerk` (username) and a `counter`, each when known; "
    "the ticket's window and clerk fill in what is not given. Due at the end of the hall's "
    "`[queue] follow_up_working_days`-th working day from today.",
    responses={201: FollowUpOut},
)
@requires(*STAFF)
def record_complaint(body: ComplaintIn) -> Any:
    now = hallq().clock()
    done = change(
        lambda session: follow_ups.record_complaint(
            session,
            hall(),
            caller().actor,
            now,
            channel=body.channel,
            text=body.text,
            ticket=body.ticket,
            day=body.day,
            clerk=body.clerk,
            counter=body.counter,
        )
    )
    return _one(done.follow_up_id), 201


@bp.post(
    "/follow-ups/<int:follow_up_id>/assign",
    summary="Assign a case to a supervisor or administrator (supervisors)",
    responses={200: FollowUpOut},
)
@requires(*OVERSEERS)
def assign(path: FollowUpPath, body: AssignIn) -> Any:
    now = hallq().clock()
    change(
        lambda session: follow_ups.assign(
            session, hall(), caller().actor, path.follow_up_id, body.assignee, now
        )
    )
    return _one(path.follow_up_id)


@bp.post(
    "/follow-ups/<int:follow_up_id>/notes",
    summary="Add a note to an open case (supervisors)",
    responses={201: FollowUpOut},
)
@requires(*OVERSEERS)
def add_note(path: FollowUpPath, body: NoteIn) -> Any:
    now = hallq().clock()
    change(
        lambda session: follow_ups.annotate(
            session, hall(), caller().actor, path.follow_up_id, body.text or "", now
        )
    )
    return _one(path.follow_up_id), 201


@bp.post(
    "/follow-ups/<int:follow_up_id>/close",
    summary="Close a case with the fix (supervisors)",
    description="`note` (the fix) is required: 400 `note_required` without it, and the case "
    "stays open. A closed case answers 409 `follow_up_closed`.",
    responses={200: FollowUpOut},
)
@requires(*OVERSEERS)
def close(path: FollowUpPath, body: CloseIn) -> Any:
    now = hallq().clock()
    change(
        lambda session: follow_ups.close(
            session, hall(), caller().actor, path.follow_up_id, body.note, now
        )
    )
    return _one(path.follow_up_id)


# --- alerts ----------------------------------------------------------------------------------


def _said(value: Any, lang: str) -> Any:
    if isinstance(value, dict):  # a name in every hall language
        return value.get(lang) or next(iter(value.values()), "")
    return value


@bp.get(
    "/alerts",
    summary="What needs a supervisor now (supervisors)",
    description="Queues waiting past their target, printers out of paper or unreachable, "
    "rating pads and devices offline, follow-ups past their deadline; `message` is in the "
    "caller's language.",
    tags=[alerts_tag],
    responses={200: AlertsOut},
)
@requires(*OVERSEERS)
def list_alerts() -> Any:
    state = hallq()
    lang = current_language()
    with state.db.reading() as session:
        found = alerts.alerts(session, hall(), state.clock())
    return {
        "alerts": [
            {
                "kind": alert.kind,
                "since": alert.since.isoformat() if alert.since else None,
                "service": alert.service,
                "counter": alert.counter,
                "device": alert.device,
                "follow_up": alert.follow_up,
                "detail": alert.detail,
                "message": catalogs.gettext(
                    lang, alert.message, **{k: _said(v, lang) for k, v in alert.params.items()}
                ),
            }
            for alert in found
        ]
    }

"""Follow-up cases: every rating of 2 or 1, and every complaint staff record, is a case with a
deadline in working days. A supervisor assigns it, annotates it and closes it with the fix.

The log gets a row for each step (``follow_up.opened``, ``.assigned``, ``.noted``,
``.closed``) with its actor, but not the words: a complaint, a note or a fix may name a
customer or give a phone number, and the log is kept whole forever. The words stay on the
case (``follow_ups`` and ``follow_up_notes``), and answers show them masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from hallq.server.models import Counter, FollowUp, FollowUpNote, Rating, Ticket, User
from hallq.server.queue import ledger, lookups
from hallq.server.queue.errors import N_, BadRequest, Conflict, Forbidden, Invalid, NotFound
from hallq.server.queue.events import Actor, DomainEvent, FollowUpChanged
from hallq.server.queue.hall import HallContext
from hallq.server.queue.working_days import follow_up_due

RATING, COMPLAINT = "rating", "complaint"
KINDS = (RATING, COMPLAINT)
OPEN, CLOSED = "open", "closed"
CHANNELS = ("counter", "phone", "email", "letter", "online", "other")
MAX_TEXT = 4000  # characters: a letter's gist, not the letter
ASSIGNABLE_ROLES = ("supervisor", "admin")


@dataclass
class FollowUpDone:
    follow_up_id: int
    events: list[DomainEvent] = field(default_factory=list)


def due_at(hall: HallContext, opened_at: dt.datetime) -> dt.datetime:
    return follow_up_due(opened_at, hall.rules.follow_up_working_days, hall.calendar, hall.tz)


def open_for_rating(
    session: Session,
    actor: Actor,
    rating_id: int,
    ticket_id: int,
    counter_id: int,
    clerk_id: int | None,
    now: dt.datetime,
    due: dt.datetime | None,
) -> tuple[int, FollowUpChanged]:
    """The case a rating of 2 or 1 opens (in the rating's transaction)."""
    follow_up_id = session.execute(
        insert(FollowUp).returning(FollowUp.id),
        {
            "hall_id": actor.hall_id,
            "kind": RATING,
            "status": OPEN,
            "rating_id": rating_id,
            "ticket_id": ticket_id,
            "counter_id": counter_id,
            "clerk_id": clerk_id,
            "opened_at": now,
            "due_at": due,
        },
    ).scalar_one()
    ledger.append(
        session,
        actor,
        "follow_up.opened",
        now,
        ticket_id=ticket_id,
        counter_id=counter_id,
        user_id=clerk_id,
        follow_up_id=follow_up_id,
        case_kind=RATING,
        rating_id=rating_id,
        due_at=due.isoformat() if due else None,
    )
    return follow_up_id, FollowUpChanged(follow_up_id, RATING, "opened", OPEN, due)


def _words(text: str | None, code: str, message: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise BadRequest(code, message)
    if len(cleaned) > MAX_TEXT:
        raise Invalid("text_too_long", N_("Write at most %(limit)s characters."), limit=MAX_TEXT)
    return cleaned


def _oversee(actor: Actor) -> None:
    if not actor.oversees:
        raise Forbidden(
            "supervisors_only", N_("Only a supervisor or an administrator handles follow-ups.")
        )


def _staff_user(session: Session, hall_id: int, username: str) -> User:
    user = session.scalar(
        select(User).where(User.hall_id == hall_id, User.username == username.strip())
    )
    if user is None:
        raise NotFound("unknown_user", N_("There is no user %(user)s."), user=username)
    return user


def record_complaint(
    session: Session,
    hall: HallContext,
    actor: Actor,
    now: dt.datetime,
    *,
    channel: str,
    text: str,
    ticket: int | str | None = None,
    day: dt.date | None = None,
    clerk: str | None = None,
    counter: int | None = None,
) -> FollowUpDone:
    """A complaint a member of staff took down (at the counter, on the phone, by letter...):
    about a ticket (its id, or its number on ``day``, today by default), a clerk (their
    username) and a window, each when known. The ticket's window and clerk fill in what is
    not given."""
    if not actor.is_staff:
        raise Forbidden("staff_only", N_("Only staff record a complaint."))
    if channel not in CHANNELS:
        raise Invalid(
            "bad_channel",
            N_("A complaint comes by one of: %(channels)s."),
            channels=", ".join(CHANNELS),
        )
    words = _words(text, "text_required", N_("Write what the complaint is about."))
    ticket_id = counter_id = clerk_id = None
    if ticket is not None:
        if isinstance(ticket, int):
            row = lookups.ticket_row(session, hall.id, ticket)
        else:
            row = lookups.ticket_by_number(session, hall.id, ticket, day or hall.business_day(now))
            if row is None:
                raise NotFound(
                    "unknown_ticket",
                    N_("There is no ticket %(ticket)s in this hall."),
                    ticket=ticket,
                )
        ticket_id, counter_id, clerk_id = row.id, row.counter_id, row.clerk_id
    if counter is not None:
        counter_id = lookups.counter_by_number(session, hall.id, counter).id
    if clerk is not None:
        clerk_id = _staff_user(session, hall.id, clerk).id
    due = due_at(hall, now)
    follow_up_id = session.execute(
        insert(FollowUp).returning(FollowUp.id),
        {
            "hall_id": hall.id,
            "kind": COMPLAINT,
            "status": OPEN,
            "ticket_id": ticket_id,
            "counter_id": counter_id,
            "clerk_id": clerk_id,
            "channel": channel,
            "text": words,
            "recorded_by": actor.user_id,
            "opened_at": now,
            "due_at": due,
        },
    ).scalar_one()
    ledger.append(
        session,
        actor,
        "follow_up.opened",
        now,
        ticket_id=ticket_id,
        counter_id=counter_id,
        follow_up_id=follow_up_id,
        case_kind=COMPLAINT,
        channel=channel,
        clerk_id=clerk_id,
        due_at=due.isoformat(),
    )
    return FollowUpDone(
        follow_up_id, [FollowUpChanged(follow_up_id, COMPLAINT, "opened", OPEN, due)]
    )


def _case(session: Session, hall_id: int, follow_up_id: int, *, lock: bool = False) -> FollowUp:
    stmt = select(FollowUp).where(FollowUp.id == follow_up_id, FollowUp.hall_id == hall_id)
    if lock:
        stmt = stmt.with_for_update()
    case = session.scalar(stmt)
    if case is None:
        raise NotFound("unknown_follow_up", N_("There is no follow-up %(id)s."), id=follow_up_id)
    return case


def _still_open(case: FollowUp) -> None:
    if case.status != OPEN:
        raise Conflict("follow_up_closed", N_("Follow-up %(id)s is already closed."), id=case.id)


def _assignee_name(session: Session, case: FollowUp) -> str | None:
    if case.assignee_id is None:
        return None
    return session.scalar(select(User.username).where(User.id == case.assignee_id))


def assign(
    session: Session,
    hall: HallContext,
    actor: Actor,
    follow_up_id: int,
    assignee: str,
    now: dt.datetime,
) -> FollowUpDone:
    """Give the case to an active supervisor or administrator of the hall."""
    _oversee(actor)
    case = _case(session, hall.id, follow_up_id, lock=True)
    _still_open(case)
    user = _staff_user(session, hall.id, assignee)
    if not user.active or user.role not in ASSIGNABLE_ROLES:
        raise Invalid(
            "bad_assignee",
            N_("A follow-up goes to an active supervisor or administrator; %(user)s is not."),
            user=user.username,
        )
    previous = case.assignee_id
    case.assignee_id = user.id
    case.assigned_at = now
    ledger.append(
        session,
        actor,
        "follow_up.assigned",
        now,
        ticket_id=case.ticket_id,
        follow_up_id=case.id,
        assignee=user.username,
        assignee_id=user.id,
        previous_id=previous,
    )
    return FollowUpDone(
        case.id,
        [FollowUpChanged(case.id, case.kind, "assigned", OPEN, case.due_at, user.username)],
    )


def annotate(
    session: Session,
    hall: HallContext,
    actor: Actor,
    follow_up_id: int,
    text: str,
    now: dt.datetime,
) -> FollowUpDone:
    """A note on an open case: whom the supervisor called, what was found."""
    _oversee(actor)
    words = _words(text, "text_required", N_("Write the note."))
    case = _case(session, hall.id, follow_up_id, lock=True)
    _still_open(case)
    note_id = session.execute(
        insert(FollowUpNote).returning(FollowUpNote.id),
        {"follow_up_id": case.id, "at": now, "user_id": actor.user_id, "text": words},
    ).scalar_one()
    ledger.append(
        session,
        actor,
        "follow_up.noted",
        now,
        ticket_id=case.ticket_id,
        follow_up_id=case.id,
        note_id=note_id,
    )
    assignee = _assignee_name(session, case)
    return FollowUpDone(
        case.id, [FollowUpChanged(case.id, case.kind, "noted", OPEN, case.due_at, assignee)]
    )


def close(
    session: Session,
    hall: HallContext,
    actor: Actor,
    follow_up_id: int,
    note: str | None,
    now: dt.datetime,
) -> FollowUpDone:
    """Close the case with the fix; a case is closed once (no reopening)."""
    _oversee(actor)
    case = _case(session, hall.id, follow_up_id, lock=True)
    _still_open(case)
    words = _words(note, "note_required", N_("Closing a follow-up needs a note: what was done."))
    # The status in the WHERE too: of two supervisors closing at once (SQLite takes no row
    # lock), one closes it.
    closed = session.execute(
        update(FollowUp)
        .where(FollowUp.id == case.id, FollowUp.status == OPEN)
        .values(status=CLOSED, closed_at=now, closed_by=actor.user_id, note=words)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not closed:
        raise Conflict("follow_up_closed", N_("Follow-up %(id)s is already closed."), id=case.id)
    ledger.append(
        session,
        actor,
        "follow_up.closed",
        now,
        ticket_id=case.ticket_id,
        follow_up_id=case.id,
        overdue=bool(case.due_at and case.due_at < now),
    )
    assignee = _assignee_name(session, case)
    return FollowUpDone(
        case.id, [FollowUpChanged(case.id, case.kind, "closed", CLOSED, case.due_at, assignee)]
    )


# -- reading ---------------------------------------------------------------------------------

STATUSES = ("open", "closed", "overdue", "all")
_Clerk = aliased(User)
_Assignee = aliased(User)
_Closer = aliased(User)
_Recorder = aliased(User)


def _filtered(hall_id: int, status: str, kind: str | None, assignee: str | None, now: Any) -> Any:
    conditions = [FollowUp.hall_id == hall_id]
    if status == "open":
        conditions.append(FollowUp.status == OPEN)
    elif status == "closed":
        conditions.append(FollowUp.status == CLOSED)
    elif status == "overdue":
        conditions += [FollowUp.status == OPEN, FollowUp.due_at < now]
    if kind is not None:
        conditions.append(FollowUp.kind == kind)
    if assignee is not None:
        conditions.append(
            FollowUp.assignee_id.in_(select(User.id).where(User.username == assignee))
        )
    return and_(*conditions)


def _person(username: str | None, display_name: str | None) -> dict[str, Any] | None:
    if username is None:
        return None
    return {"username": username, "display_name": display_name}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _read(session: Session, condition: Any, now: dt.datetime, offset: int, limit: int) -> list:
    rows = session.execute(
        select(
            FollowUp,
            Ticket.number,
            Ticket.business_day,
            Counter.number.label("counter_number"),
            _Clerk.username.label("clerk_username"),
            _Clerk.display_name.label("clerk_display"),
            _Assignee.username.label("assignee_username"),
            _Assignee.display_name.label("assignee_display"),
            _Closer.username.label("closer_username"),
            _Recorder.username.label("recorder_username"),
            Rating.score,
        )
        .outerjoin(Ticket, Ticket.id == FollowUp.ticket_id)
        .outerjoin(Counter, Counter.id == FollowUp.counter_id)
        .outerjoin(_Clerk, _Clerk.id == FollowUp.clerk_id)
        .outerjoin(_Assignee, _Assignee.id == FollowUp.assignee_id)
        .outerjoin(_Closer, _Closer.id == FollowUp.closed_by)
        .outerjoin(_Recorder, _Recorder.id == FollowUp.recorded_by)
        .outerjoin(Rating, Rating.id == FollowUp.rating_id)
        .where(condition)
        .order_by(FollowUp.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    ids = [row.FollowUp.id for row in rows]
    notes: dict[int, list[dict[str, Any]]] = {case_id: [] for case_id in ids}
    if ids:
        for note, username in session.execute(
            select(FollowUpNote, User.username)
            .outerjoin(User, User.id == FollowUpNote.user_id)
            .where(FollowUpNote.follow_up_id.in_(ids))
            .order_by(FollowUpNote.id)
        ):
            notes[note.follow_up_id].append(
                {"id": note.id, "at": note.at.isoformat(), "user": username, "text": note.text}
            )
    return [_item(row, notes[row.FollowUp.id], now) for row in rows]


def _item(row: Any, notes: list[dict[str, Any]], now: dt.datetime) -> dict[str, Any]:
    case: FollowUp = row.FollowUp
    return {
        "id": case.id,
        "kind": case.kind,
        "status": case.status,
        "overdue": bool(case.status == OPEN and case.due_at is not None and case.due_at < now),
        "opened_at": case.opened_at.isoformat(),
        "due_at": _iso(case.due_at),
        "ticket": (
            {"id": case.ticket_id, "number": row.number, "business_day": str(row.business_day)}
            if case.ticket_id is not None
            else None
        ),
        "counter": row.counter_number,
        "clerk": _person(row.clerk_username, row.clerk_display),
        "score": row.score,
        "channel": case.channel,
        "text": case.text,
        "recorded_by": row.recorder_username,
        "assignee": _person(row.assignee_username, row.assignee_display),
        "assigned_at": _iso(case.assigned_at),
        "notes": notes,
        "closed_at": _iso(case.closed_at),
        "closed_by": row.closer_username,
        "note": case.note,
    }


def list_cases(
    session: Session,
    hall_id: int,
    now: dt.datetime,
    *,
    status: str = "open",
    kind: str | None = None,
    assignee: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """A page of the hall's cases, newest first, and how many match."""
    condition = _filtered(hall_id, status, kind, assignee, now)
    total = session.scalar(select(func.count()).select_from(FollowUp).where(condition)) or 0
    items = _read(session, condition, now, (page - 1) * per_page, per_page)
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def one_case(session: Session, hall_id: int, follow_up_id: int, now: dt.datetime) -> dict:
    found = _read(
        session,
        and_(FollowUp.hall_id == hall_id, FollowUp.id == follow_up_id),
        now,
        0,
        1,
    )
    if not found:
        raise NotFound("unknown_follow_up", N_("There is no follow-up %(id)s."), id=follow_up_id)
    return found[0]


def overdue(session: Session, hall_id: int, now: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """The open cases past their deadline, oldest deadline first: (id, due_at)."""
    return [
        (row.id, row.due_at)
        for row in session.execute(
            select(FollowUp.id, FollowUp.due_at)
            .where(_filtered(hall_id, "overdue", None, None, now))
            .order_by(FollowUp.due_at, FollowUp.id)
        )
    ]

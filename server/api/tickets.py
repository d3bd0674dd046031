"""Tickets: issue (kiosk or staff), look one up, cancel one, move a waiting one to another
service's queue (supervisors)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import Field
from sqlalchemy.exc import IntegrityError

from hallq.server.api.context import (
    STAFF,
    authenticate,
    bearer_token,
    caller,
    change,
    hall,
    requires,
)
from hallq.server.api.schemas import (
    ERRORS,
    CancelIn,
    DocumentsIn,
    IssuedOut,
    IssueIn,
    NotPrintedOut,
    NumberQuery,
    ReprintIn,
    ReprintOut,
    Strict,
    TicketOut,
    TicketPath,
    TicketQuery,
    TicketsOut,
)
from hallq.server.i18n import current_language
from hallq.server.queue import desk, lookups, printing
from hallq.server.queue.errors import N_, Invalid, NotFound
from hallq.server.queue.issue import Idempotency, IssueResult, issue_ticket
from hallq.server.queue.move_waiting import move_waiting
from hallq.server.queue.moves import MAX_NOTE, cancel, reinstate
from hallq.server.queue.reads import ticket_payload, ticket_status
from hallq.server.state import hallq

tag = Tag(name="tickets", description="Issuing and following tickets")
bp = APIBlueprint(
    "tickets", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)

MAX_IDEMPOTENCY_KEY = 128


def _idempotency(body: IssueIn) -> Idempotency | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise Invalid(
            "bad_idempotency_key",
            N_("Idempotency-Key must be 1 to %(max)s printable characters."),
            max=MAX_IDEMPOTENCY_KEY,
        )
    canonical = json.dumps(body.model_dump(), sort_keys=True)
    return Idempotency(caller().caller_key, key, hashlib.sha256(canonical.encode()).hexdigest())


@bp.post(
    "/tickets",
    summary="Issue a ticket",
    description="A kiosk's press, or staff issuing for someone. Honours `Idempotency-Key`: a retried "
    "press returns the first press's ticket (header `Idempotent-Replayed: true`) instead of a new one.",
    responses={201: IssuedOut},
)
@requires("kiosk", *STAFF)
def issue(body: IssueIn) -> Any:
    state = hallq()
    idem = _idempotency(body)

    now = state.clock()

    def attempt(replay_first: bool) -> Any:
        # The issue writes with one statement (see queue/issue_record.py).
        return change(
            lambda session: issue_ticket(
                session,
                hall(),
                caller().actor,
                service_code=body.service,
                now=now,
                priority=body.priority,
                language=body.language,
                appointment=body.appointment,
                idempotency=idem,
                replay_first=replay_first,
                reason=body.reason,
            ),
            one_statement=True,
        )

    try:
        result = attempt(replay_first=False)
    except IntegrityError:
        if idem is None:
            raise
        # The key was used before (a retried press, or the same press racing in): the
        # first press's ticket is the answer.
        result = attempt(replay_first=True)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return issued_out(result), 201, headers


def issued_out(result: IssueResult) -> dict[str, Any]:
    """A new ticket as the issuer gets it: its place, estimate, status URL and documents."""
    state = hallq()
    out: dict[str, Any] = dict(ticket_payload(result.ticket))
    out.update(
        position=result.position,
        ahead=result.position - 1 if result.position else None,
        eta_minutes=state.estimator.minutes(hall(), result.ticket.service_id, result.position),
        status_url=state.status_url(hall(), result.ticket.status_token),
        documents=list(result.documents.get(result.ticket.language, [])),
    )
    return out


@bp.get(
    "/tickets",
    summary="Today's ticket by its number (staff: a customer at the desk, a reprint)",
    responses={200: TicketsOut},
)
@requires(*STAFF)
def find_tickets(query: NumberQuery) -> Any:
    state = hallq()
    now = state.clock()
    with state.db.reading() as session:
        found = lookups.ticket_by_number(session, hall().id, query.number, hall().business_day(now))
        tickets = [] if found is None else [ticket_status(session, hall(), state.estimator, found)]
    return {"tickets": tickets}


@bp.get(
    "/tickets/not-printed",
    summary="Today's tickets that did not print: reprint at the desk",
    description="Tickets still waiting or called whose latest print job failed (the kiosk's "
    "agent said why) or expired unanswered. Printing one again takes it off the list.",
    responses={200: NotPrintedOut},
)
@requires(*STAFF)
def not_printed() -> Any:
    state = hallq()
    day = hall().business_day(state.clock())
    with state.db.reading() as session:
        found = printing.not_printed(session, hall(), day)
    return {"tickets": [ticket.payload() for ticket in found]}


@bp.get(
    "/tickets/<int:ticket_id>",
    summary="A ticket's state, place in the queue and estimated wait",
    description="For the hall's staff and devices, or for anyone holding the ticket's status token "
    "(`?token=`, as in its status URL).",
    responses={200: TicketOut},
    # A bearer token, or none at all with ?token=.
    security=[{"bearer": []}, {}],
)
def get_ticket(path: TicketPath, query: TicketQuery) -> Any:
    state = hallq()
    with state.db.reading() as session:
        if bearer_token() is not None:
            who = authenticate()
            hall_id = who.actor.hall_id
            row = lookups.ticket_row(session, hall_id, path.ticket_id)
        else:
            row = lookups.ticket_row_by_token(session, query.token) if query.token else None
            if row is None or row.id != path.ticket_id:
                # Same answer whether the ticket exists or the token is wrong.
                raise NotFound(
                    "unknown_ticket",
                    N_("There is no ticket %(ticket)s in this hall."),
                    ticket=path.ticket_id,
                )
            hall_id = row.hall_id
        return ticket_status(
            session, state.hall(session, hall_id), state.estimator, row, current_language()
        )


@bp.post(
    "/tickets/<int:ticket_id>/cancel", summary="Cancel a waiting ticket", responses={200: TicketOut}
)
@requires(*STAFF)
def cancel_ticket(path: TicketPath, body: CancelIn) -> Any:
    now = hallq().clock()
    result = change(
        lambda session: cancel(session, hall(), caller().actor, path.ticket_id, now, body.reason)
    )
    return dict(ticket_payload(result.ticket))


@bp.post(
    "/tickets/<int:ticket_id>/reinstate",
    summary="Bring a no-show back into its queue, a few places from the head",
    description="Within the hall's grace time after it was marked no-show "
    "(`[queue] reinstate_within_minutes`); it rejoins with `[queue] reinstate_places` "
    "tickets ahead of it, as a new leg with the same number.",
    responses={200: TicketOut},
)
@requires(*STAFF)
def reinstate_ticket(path: TicketPath) -> Any:
    now = hallq().clock()
    result = change(lambda session: reinstate(session, hall(), caller().actor, path.ticket_id, now))
    return _with_place(dict(ticket_payload(result.ticket)), result.ticket.id)


class MoveIn(Strict):
    service: str = Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9-]+$",
        description="the code of the service whose queue the ticket joins",
    )
    note: str | None = Field(default=None, max_length=MAX_NOTE, description="why, for the log")


@bp.post(
    "/tickets/<int:ticket_id>/move",
    summary="Move a waiting ticket to another service's queue (supervisors)",
    description="For a customer who took a ticket for the wrong service. The ticket keeps its "
    "number and its queue time, so it takes its place in time in the new queue (it does not "
    "start waiting again). Only a waiting ticket moves (409 `illegal_move`); a ticket at a "
    "window is transferred from there (`POST /counters/{n}/transfer`).",
    responses={200: TicketOut},
)
@requires("admin", "supervisor")
def move_ticket(path: TicketPath, body: MoveIn) -> Any:
    now = hallq().clock()
    result = change(
        lambda session: move_waiting(
            session, hall(), caller().actor, path.ticket_id, body.service, now, body.note
        )
    )
    return _with_place(dict(ticket_payload(result.ticket)), result.ticket.id)


def _with_place(out: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """The ticket's place and estimated wait as its customer's page shows them."""
    state = hallq()
    with state.db.reading() as session:
        row = lookups.ticket_row(session, hall().id, ticket_id)
        status = ticket_status(session, hall(), state.estimator, row)
    out.update(
        position=status["position"], ahead=status["ahead"], eta_minutes=status["eta_minutes"]
    )
    return out


@bp.post(
    "/tickets/<int:ticket_id>/reprint",
    summary="Print a ticket again (a failed or too-old print job, a lost ticket)",
    description="On the kiosk that issued it, or on the kiosk named. The print job goes to the "
    "kiosk's agent like any other: stored, sent, and sent again until it is answered.",
    responses={202: ReprintOut},
)
@requires(*STAFF)
def reprint_ticket(path: TicketPath, body: ReprintIn) -> Any:
    now = hallq().clock()
    queued = change(
        lambda session: printing.reprint(
            session, hall(), caller().actor, path.ticket_id, now, kiosk=body.kiosk
        )
    )
    return {"id": queued.command_id, "device": queued.device_name}, 202


@bp.put(
    "/tickets/<int:ticket_id>/documents",
    summary="The documents the customer did not bring (the clerk's checklist)",
    description="Indexes (from 0) into the service's documents. The customer's page shows "
    "what is missing at once, in the ticket's language; `[]` says everything was brought.",
    responses={200: TicketOut},
)
@requires(*STAFF)
def ticket_documents(path: TicketPath, body: DocumentsIn) -> Any:
    state = hallq()
    now = state.clock()
    marked = change(
        lambda session: desk.mark_missing(
            session, hall(), state.estimator, caller().actor, path.ticket_id, body.missing, now
        )
    )
    return marked.ticket

"""Windows: the clerk signs in to one, calls the next ticket and acts on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.context import EVERYONE, STAFF, caller, change, hall, requires
from hallq.server.api.schemas import (
    ERRORS,
    CalledOut,
    CallIn,
    CounterOut,
    CounterPath,
    CountersOut,
    DeskOut,
    MoveOut,
    PauseIn,
    TransferIn,
)
from hallq.server.i18n import current_language
from hallq.server.queue import desk, moves, windows
from hallq.server.queue.call_by_number import call_ticket
from hallq.server.queue.call_next import CallResult, call_next
from hallq.server.queue.moves import MoveResult
from hallq.server.queue.reads import counters_payload, ticket_payload
from hallq.server.state import hallq

tag = Tag(name="windows", description="Counters (windows) and what a clerk does at one")
bp = APIBlueprint(
    "counters", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)

AT_WINDOW = (*STAFF, "counter")  # a clerk at the window, or the window's own keypad


def _counter_out(number: int) -> dict[str, Any]:
    state = hallq()
    with state.db.reading() as session:
        for counter in counters_payload(session, hall()):
            if counter["number"] == number:
                return dict(counter)
    return {}


@bp.get(
    "/counters",
    summary="Every window with its state, clerk and current ticket",
    responses={200: CountersOut},
)
@requires(*EVERYONE)
def list_counters() -> Any:
    with hallq().db.reading() as session:
        out: dict[str, Any] = {"counters": counters_payload(session, hall())}
        who = caller().actor
        if who.role == "clerk" and who.user_id is not None:
            # The windows this clerk may open (None: any), for the clerk's screen to offer.
            out["allowed"] = windows.allowed_windows(session, who.user_id)
        return out


@bp.get(
    "/counters/<int:n>/desk",
    summary="The clerk's view of the window they hold, in one read",
    description="The window, its ticket (with the service's documents and what is missing), "
    "the waiting tickets it may call (up to 500, in order), its services' waiting counts and "
    "longest waits, and the clerk's day: served, mean service time, ratings.",
    responses={200: DeskOut},
)
@requires(*STAFF)
def counter_desk(path: CounterPath) -> Any:
    state = hallq()
    with state.db.reading() as session:
        return desk.desk(session, hall(), state.estimator, caller().actor, path.n, state.clock())


def _window_change(fn: Callable[..., list[Any]], n: int, *args: Any) -> dict[str, Any]:
    now = hallq().clock()
    change(lambda session: fn(session, hall(), caller().actor, n, *args, now))
    return _counter_out(n)


@bp.post("/counters/<int:n>/open", summary="Sign in to a window", responses={200: CounterOut})
@requires(*STAFF)
def open_counter(path: CounterPath) -> Any:
    return _window_change(windows.open_window, path.n)


@bp.post("/counters/<int:n>/close", summary="Sign out of a window", responses={200: CounterOut})
@requires(*STAFF)
def close_counter(path: CounterPath) -> Any:
    return _window_change(windows.close_window, path.n)


@bp.post(
    "/counters/<int:n>/pause",
    summary="Pause the window (the lobby shows “service paused”)",
    responses={200: CounterOut},
)
@requires(*AT_WINDOW)
def pause_counter(path: CounterPath, body: PauseIn) -> Any:
    return _window_change(windows.pause_window, path.n, body.reason)


@bp.post("/counters/<int:n>/resume", summary="End the pause", responses={200: CounterOut})
@requires(*AT_WINDOW)
def resume_counter(path: CounterPath) -> Any:
    return _window_change(windows.resume_window, path.n)


@bp.post(
    "/counters/<int:n>/call-next",
    summary="Call the next ticket to this window",
    description="200 with the ticket and why it was chosen; 204 when no one waits for this window.",
    responses={200: CalledOut, 204: None},
)
@requires(*AT_WINDOW)
def call_next_ticket(path: CounterPath) -> Any:
    now = hallq().clock()
    result = change(lambda session: call_next(session, hall(), caller().actor, path.n, now))
    if result.ticket is None:
        return "", 204
    return _called_out(result)


@bp.post(
    "/counters/<int:n>/call",
    summary="Call one ticket by its number, out of order (e.g. a customer who came back)",
    description="The ticket must be waiting for a service of this window's profile, or "
    "transferred to this window.",
    responses={200: CalledOut},
)
@requires(*AT_WINDOW)
def call_by_number(path: CounterPath, body: CallIn) -> Any:
    now = hallq().clock()
    result = change(
        lambda session: call_ticket(session, hall(), caller().actor, path.n, body.number, now)
    )
    return _called_out(result)


def _called_out(result: CallResult) -> dict[str, Any]:
    assert result.ticket is not None
    out: dict[str, Any] = dict(ticket_payload(result.ticket))
    out["explanation"] = result.explanation
    out["documents"] = list(result.documents.get(current_language(), []))
    return out


def _move_out(result: MoveResult) -> dict[str, Any]:
    out: dict[str, Any] = dict(ticket_payload(result.ticket))
    out["became"] = result.became
    return out


def _ticket_move(move: Callable[..., MoveResult], name: str, summary: str) -> None:
    """Register POST /counters/{n}/<name>: one move of the window's current ticket."""

    def view(path: CounterPath) -> Any:
        now = hallq().clock()
        return _move_out(change(lambda session: move(session, hall(), caller().actor, path.n, now)))

    view.__name__ = f"counter_{name.replace('-', '_')}"
    view.__qualname__ = view.__name__
    bp.post(f"/counters/<int:n>/{name}", summary=summary, responses={200: MoveOut})(
        requires(*AT_WINDOW)(view)
    )


_ticket_move(
    moves.recall,
    "recall",
    "Call the current ticket again (past the hall's limit it becomes a no-show)",
)
_ticket_move(moves.start, "start", "The customer has arrived: service starts")
_ticket_move(moves.finish, "finish", "Service done")
_ticket_move(moves.no_show, "no-show", "The customer did not come")
_ticket_move(moves.requeue, "requeue", "Back to the queue, keeping its place")


@bp.post(
    "/counters/<int:n>/transfer",
    summary="Move the current ticket on: to a service's queue or to a window by number",
    description="Same number, a new leg. `{service}` joins that service's queue; `{counter}` is "
    "called at that window before anyone else.",
    responses={200: MoveOut},
)
@requires(*AT_WINDOW)
def transfer_ticket(path: CounterPath, body: TransferIn) -> Any:
    now = hallq().clock()
    result = change(
        lambda session: moves.transfer(
            session,
            hall(),
            caller().actor,
            path.n,
            now,
            to_service=body.service,
            to_counter=body.counter,
            note=body.note,
        )
    )
    return _move_out(result)

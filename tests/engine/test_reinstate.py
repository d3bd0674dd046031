"""Bringing back a no-show, on SQLite and PostgreSQL: where the customer rejoins the queue, the
grace time, who may do it, and what the log keeps."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select

from hallq.server.models import Event, Service
from hallq.server.queue import moves
from hallq.server.queue.errors import Conflict, Forbidden
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import QueueChanged, TicketUpdated
from hallq.server.queue.lookups import ticket_row
from hallq.server.queue.reads import ticket_status
from tests.engine.test_flows import PROPERTY, act, call, issue, log_kinds, open_window
from tests.support.hall import FakeClock, Hall


def with_rules(hall: Hall, **rules: Any) -> None:
    """The hall as if its file said so (the engine reads the rules from the context)."""
    hall.context = dataclasses.replace(
        hall.context, rules=dataclasses.replace(hall.context.rules, **rules)
    )


def reinstate(hall: Hall, clock: FakeClock, ticket_id: int, actor: Any = None) -> Any:
    with hall.db.writing() as s:
        return moves.reinstate(s, hall.context, actor or hall.clerk(1), ticket_id, clock())


def queue_of(hall: Hall, clock: FakeClock, count: int, service: str = PROPERTY) -> list[Any]:
    """``count`` walk-ins, a minute apart."""
    issued = []
    for _ in range(count):
        issued.append(issue(hall, clock, service))
        clock.advance(60)
    return issued


def no_show_first(hall: Hall, clock: FakeClock) -> Any:
    """Window 1 calls the next ticket and marks it no-show; returns that ticket."""
    open_window(hall, clock, 1)
    called = call(hall, clock, 1).ticket
    act(hall, clock, moves.no_show, 1)
    return called


def calls_at_window_1(hall: Hall, clock: FakeClock) -> list[str]:
    """Who window 1 calls from now on, until no one waits."""
    numbers = []
    while (result := call(hall, clock, 1)).ticket is not None:
        numbers.append(result.ticket.number)
        act(hall, clock, moves.no_show, 1)
    return numbers


def test_a_no_show_comes_back_three_places_from_the_head(hall: Hall, clock: FakeClock) -> None:
    assert hall.context.rules.reinstate_places == 3
    queue_of(hall, clock, 6)
    gone = no_show_first(hall, clock)
    assert gone.number == "A001"
    clock.advance(10 * 60)  # the customer comes back ten minutes later
    back = reinstate(hall, clock, gone.id)
    assert back.ticket.status == "waiting" and back.ticket.leg == 2
    assert back.ticket.counter_number is None and back.ticket.call_count == 0
    assert (back.ticket.called_at, back.ticket.ended_at) == (None, None)
    assert back.ticket.service_code == PROPERTY and back.ticket.priority == "normal"
    update, changed = back.events
    assert isinstance(update, TicketUpdated) and update.move == "reinstate"
    assert update.detail == {"places": 3, "leg": 2}
    assert isinstance(changed, QueueChanged)
    with hall.db.reading() as s:
        assert s.scalar(select(Service.waiting).where(Service.code == PROPERTY)) == 6
        # Its status page tells the customer: three ahead, fourth in line.
        status = ticket_status(
            s,
            hall.context,
            Estimator(hall.db.reading, now=clock),
            ticket_row(s, hall.context.id, gone.id),
        )
    assert (status["position"], status["ahead"]) == (4, 3)
    assert calls_at_window_1(hall, clock) == ["A002", "A003", "A004", "A001", "A005", "A006"]


def test_the_log_keeps_both_legs(hall: Hall, clock: FakeClock) -> None:
    queue_of(hall, clock, 2)
    gone = no_show_first(hall, clock)
    reinstate(hall, clock, gone.id, actor=hall.supervisor())
    assert log_kinds(hall, gone.id) == [
        "ticket.issued",
        "ticket.called",
        "ticket.no_show",
        "ticket.reinstated",
        "ticket.queued",
    ]
    with hall.db.reading() as s:
        rows = s.execute(
            select(Event.kind, Event.leg, Event.user_id, Event.payload)
            .where(Event.ticket_id == gone.id)
            .order_by(Event.id)
        ).all()
    reinstated, queued = rows[-2], rows[-1]
    assert reinstated.leg == 1 and queued.leg == 2
    assert reinstated.user_id == hall.users["supervisor"]
    assert reinstated.payload["from_leg"] == 1 and reinstated.payload["to_leg"] == 2
    assert reinstated.payload["places"] == 1  # only A002 waits: it goes right behind it
    assert reinstated.payload["places_wanted"] == 3
    assert reinstated.payload["no_show_counter"] == 1
    assert queued.payload["reinstated"] is True and queued.payload["number"] == "A001"
    # Called again, it is served on its second leg.
    assert calls_at_window_1(hall, clock) == ["A002", "A001"]


def test_zero_places_means_called_next(hall: Hall, clock: FakeClock) -> None:
    with_rules(hall, reinstate_places=0)
    queue_of(hall, clock, 4)
    gone = no_show_first(hall, clock)
    assert reinstate(hall, clock, gone.id).events[0].detail["places"] == 0
    assert calls_at_window_1(hall, clock) == ["A001", "A002", "A003", "A004"]


def test_more_places_than_waiting_means_last(hall: Hall, clock: FakeClock) -> None:
    with_rules(hall, reinstate_places=10)
    queue_of(hall, clock, 3)
    gone = no_show_first(hall, clock)
    assert reinstate(hall, clock, gone.id).events[0].detail["places"] == 2
    clock.advance(60)
    issue(hall, clock)  # a customer who arrives afterwards comes after it
    assert calls_at_window_1(hall, clock) == ["A002", "A003", "A001", "A004"]


def test_never_ahead_of_the_green_channel(hall: Hall, clock: FakeClock) -> None:
    with_rules(hall, reinstate_places=1)
    queue_of(hall, clock, 3)
    gone = no_show_first(hall, clock)
    for _ in range(2):
        issue(hall, clock, priority="priority", actor=hall.clerk(1))
        clock.advance(60)
    back = reinstate(hall, clock, gone.id)
    assert back.events[0].detail["places"] == 2  # the two green-channel customers
    assert calls_at_window_1(hall, clock) == ["A004", "A005", "A001", "A002", "A003"]


def test_a_green_channel_no_show_comes_back_in_the_green_channel(
    hall: Hall, clock: FakeClock
) -> None:
    queue_of(hall, clock, 2)
    issue(hall, clock, priority="priority", actor=hall.clerk(1))  # A003
    gone = no_show_first(hall, clock)
    assert gone.number == "A003" and gone.priority == "priority"
    back = reinstate(hall, clock, gone.id)
    assert back.ticket.priority == "priority" and back.events[0].detail["places"] == 0
    assert calls_at_window_1(hall, clock) == ["A003", "A001", "A002"]


def test_too_late_after_the_grace_time(hall: Hall, clock: FakeClock) -> None:
    assert hall.context.rules.reinstate_within_minutes == 30
    queue_of(hall, clock, 3)
    first = no_show_first(hall, clock)  # at 10:03 in Hong Kong
    clock.advance(30 * 60)
    assert reinstate(hall, clock, first.id).ticket.status == "waiting"  # just in time
    second = call(hall, clock, 1).ticket
    act(hall, clock, moves.no_show, 1)
    clock.advance(30 * 60 + 1)
    with pytest.raises(Conflict) as refused:
        reinstate(hall, clock, second.id)
    assert refused.value.code == "reinstate_too_late"
    assert refused.value.params["number"] == second.number
    assert (refused.value.params["since"], refused.value.params["until"]) == ("10:33", "11:03")
    with hall.db.reading() as s:
        assert s.scalar(select(Service.waiting).where(Service.code == PROPERTY)) == 2
    assert log_kinds(hall, second.id)[-1] == "ticket.no_show"  # the refusal wrote nothing


def test_never_on_another_business_day(hall: Hall, clock: FakeClock) -> None:
    clock.advance(13 * 3600 + 45 * 60)  # 23:45 in Hong Kong
    queue_of(hall, clock, 1)
    gone = no_show_first(hall, clock)
    clock.advance(20 * 60)  # within 30 minutes, but after midnight
    with pytest.raises(Conflict) as refused:
        reinstate(hall, clock, gone.id)
    assert refused.value.code == "reinstate_too_late"
    assert refused.value.params["until"] == "00:00"


def test_a_hall_may_allow_no_reinstatement(hall: Hall, clock: FakeClock) -> None:
    with_rules(hall, reinstate_within_minutes=0)
    queue_of(hall, clock, 1)
    gone = no_show_first(hall, clock)
    with pytest.raises(Conflict, match="reinstate_too_late"):
        reinstate(hall, clock, gone.id)


def test_only_a_no_show_comes_back(hall: Hall, clock: FakeClock) -> None:
    waiting, served = queue_of(hall, clock, 2)[1], None
    open_window(hall, clock, 1)
    served = call(hall, clock, 1).ticket
    for ticket_id, state in ((waiting.ticket.id, "waiting"), (served.id, "called")):
        with pytest.raises(Conflict) as refused:
            reinstate(hall, clock, ticket_id)
        assert refused.value.code == "illegal_move" and refused.value.params["state"] == state
    act(hall, clock, moves.start, 1)
    act(hall, clock, moves.finish, 1)
    with pytest.raises(Conflict, match="illegal_move"):
        reinstate(hall, clock, served.id)


def test_only_staff_bring_a_no_show_back(hall: Hall, clock: FakeClock) -> None:
    queue_of(hall, clock, 1)
    gone = no_show_first(hall, clock)
    for device in (hall.kiosk(), hall.counter_device(1)):
        with pytest.raises(Forbidden) as refused:
            reinstate(hall, clock, gone.id, actor=device)
        assert refused.value.code == "staff_only"
    # Any clerk may, not only the one whose window marked it.
    assert reinstate(hall, clock, gone.id, actor=hall.clerk(5)).ticket.status == "waiting"


def test_brought_back_twice(hall: Hall, clock: FakeClock) -> None:
    queue_of(hall, clock, 1)
    gone = no_show_first(hall, clock)
    reinstate(hall, clock, gone.id)
    again = call(hall, clock, 1).ticket
    assert again.id == gone.id and again.leg == 2
    act(hall, clock, moves.no_show, 1)
    clock.advance(60)
    assert reinstate(hall, clock, gone.id).ticket.leg == 3

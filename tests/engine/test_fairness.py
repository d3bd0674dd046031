"""The green channel's fairness bound at a window, on SQLite and PostgreSQL: at most K
green-channel calls in a row while a customer of another class waits past the target."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hallq.server.models import Counter
from hallq.server.queue import moves
from hallq.server.queue.call_by_number import call_ticket
from tests.engine.test_flows import CONSULT, act, call, issue, open_window
from tests.support.hall import FakeClock, Hall


def green(hall: Hall, clock: FakeClock, count: int, service: str = "property-transfer") -> None:
    """``count`` green-channel tickets granted at the desk, ten seconds apart."""
    for _ in range(count):
        issue(hall, clock, service, priority="priority", actor=hall.clerk(1))
        clock.advance(10)


def streak(hall: Hall, window: int = 1) -> int:
    with hall.db.reading() as s:
        return s.scalar(select(Counter.priority_streak).where(Counter.number == window))


def serve(hall: Hall, clock: FakeClock, window: int = 1) -> Any:
    """Call the next ticket, serve it for a minute; returns the call."""
    called = call(hall, clock, window)
    if called.ticket is not None:
        act(hall, clock, moves.start, window)
        clock.advance(60)
        act(hall, clock, moves.finish, window)
    return called


def test_after_three_green_channel_calls_the_overdue_walk_in_is_called(
    hall: Hall, clock: FakeClock
) -> None:
    assert hall.context.rules.max_priority_in_a_row == 3
    walk_in = issue(hall, clock)  # A001, target 30 minutes
    clock.advance(31 * 60)
    green(hall, clock, 5)  # A002-A006, each ahead of A001 in the queue
    open_window(hall, clock, 1)
    calls, streaks = [], []
    for _ in range(6):
        called = serve(hall, clock)
        calls.append((called.ticket.number, called.explanation["decided_by"]))
        streaks.append(streak(hall))
        if called.ticket.id == walk_in.ticket.id:
            bound = called.explanation
    # One queue, so one head each time: the green channel's, hiding A001 behind it.
    assert calls == [
        ("A002", "only_candidate"),
        ("A003", "only_candidate"),
        ("A004", "only_candidate"),
        ("A001", "fairness_bound"),  # found behind A005 in the same queue, and overdue
        ("A005", "only_candidate"),
        ("A006", "only_candidate"),
    ]
    assert streaks == [1, 2, 3, 0, 1, 2]
    assert (bound["priority_streak"], bound["max_priority_in_a_row"]) == (3, 3)
    assert bound["passed_over"] == {
        "number": "A005",
        "service": "property-transfer",
        "priority": "priority",
    }
    assert bound["waited_minutes"] > bound["target_wait"] == 30


def test_no_bound_while_the_walk_in_is_within_its_target(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)  # A001
    clock.advance(20 * 60)
    green(hall, clock, 5)
    open_window(hall, clock, 1)
    # Five green-channel calls take under nine minutes: A001 is still within its 30 minutes.
    assert [serve(hall, clock).ticket.number for _ in range(6)] == [
        "A002",
        "A003",
        "A004",
        "A005",
        "A006",
        "A001",
    ]
    assert streak(hall) == 0


def test_the_bound_reaches_the_windows_lower_tier(hall: Hall, clock: FakeClock) -> None:
    # Window 1: property transfers first, enquiries second. An enquiry waits past its 15 minutes.
    issue(hall, clock, CONSULT)  # D001
    clock.advance(16 * 60)
    green(hall, clock, 4)
    open_window(hall, clock, 1)
    called = [serve(hall, clock) for _ in range(5)]
    assert [c.ticket.number for c in called] == ["A001", "A002", "A003", "D001", "A004"]
    assert called[3].explanation["decided_by"] == "fairness_bound"
    assert called[3].explanation["tier"] == 2


def test_the_best_overdue_customer_in_the_designs_order(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock, CONSULT)  # D001: lower tier at window 1
    issue(hall, clock)  # A001: walk-in
    clock.advance(5)
    issue(hall, clock, priority="appointment", appointment="BK-9", actor=hall.clerk(1))  # A002
    clock.advance(40 * 60)  # all three overdue
    green(hall, clock, 4)  # A003-A006
    open_window(hall, clock, 1)
    assert [serve(hall, clock).ticket.number for _ in range(3)] == ["A003", "A004", "A005"]
    # The appointment goes before the walk-in, the first tier before the second.
    fourth = serve(hall, clock)
    assert fourth.ticket.number == "A002" and fourth.explanation["decided_by"] == "fairness_bound"
    assert fourth.explanation["runner_up"]["number"] == "A001"
    # The streak begins again: the design's order, green channel first.
    assert [serve(hall, clock).ticket.number for _ in range(3)] == ["A006", "A001", "D001"]


def test_calls_by_number_count_in_the_streak(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)  # A001
    clock.advance(31 * 60)
    green(hall, clock, 4)  # A002-A005
    open_window(hall, clock, 1)

    def by_number(number: str) -> Any:
        with hall.db.writing() as s:
            called = call_ticket(s, hall.context, hall.clerk(1), 1, number, clock())
        act(hall, clock, moves.no_show, 1)
        return called

    serve(hall, clock)  # A002
    by_number("A004")  # green channel, by its number: the streak grows
    assert streak(hall) == 2
    serve(hall, clock)  # A003
    assert streak(hall) == 3
    assert by_number("A001").explanation["decided_by"] == "called_by_number"
    assert streak(hall) == 0  # any other call ends the streak
    assert serve(hall, clock).ticket.number == "A005"
    assert streak(hall) == 1

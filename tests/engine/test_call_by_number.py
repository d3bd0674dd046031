"""Calling one ticket by its number (a customer who came back), on SQLite and PostgreSQL: what
the clerk gets, each refusal, and windows pressing call-next meanwhile."""

from __future__ import annotations

import random
import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from hallq.server.models import Counter, Event, Service, Ticket
from hallq.server.queue import moves, windows
from hallq.server.queue.call_by_number import call_ticket
from hallq.server.queue.call_next import call_next
from hallq.server.queue.errors import Conflict, Forbidden, NotFound
from hallq.server.queue.events import CounterUpdated, QueueChanged, TicketCalled
from tests.engine.conftest import design_order, issue_morning
from tests.engine.test_flows import CONSULT, PROPERTY, act, call, issue, log_kinds, open_window
from tests.engine.test_races import _waiting_counts_match
from tests.support.hall import FakeClock, Hall


def call_number(hall: Hall, clock: FakeClock, window: int, number: str, actor: Any = None) -> Any:
    with hall.db.writing() as s:
        return call_ticket(s, hall.context, actor or hall.clerk(window), window, number, clock())


def three_waiting(hall: Hall, clock: FakeClock) -> list[Any]:
    issued = []
    for _ in range(3):
        issued.append(issue(hall, clock))
        clock.advance(60)
    return issued


def test_a_clerk_calls_a_ticket_out_of_order_and_the_queue_goes_on(
    hall: Hall, clock: FakeClock
) -> None:
    a1, a2, a3 = three_waiting(hall, clock)
    open_window(hall, clock, 1)
    called = call_number(hall, clock, 1, "a003")  # typed in small letters
    assert called.ticket.number == "A003" and called.ticket.id == a3.ticket.id
    assert called.ticket.status == "called" and called.ticket.counter_number == 1
    assert called.explanation["decided_by"] == "called_by_number"
    assert called.explanation["ahead"] == 2  # A001 and A002 would have come first
    assert called.explanation["waited_minutes"] == 1.0
    assert called.documents["en"] == list(hall.config.service(PROPERTY).documents["en"])
    # The same events as a call-next: the lobby announces it, the window shows it.
    assert [type(e) for e in called.events] == [TicketCalled, CounterUpdated, QueueChanged]
    assert called.events[1].counter.current_ticket == "A003"
    with hall.db.reading() as s:
        logged = s.execute(select(Event).where(Event.kind == "ticket.called")).scalar_one()
        assert s.scalar(select(Service.waiting).where(Service.code == PROPERTY)) == 2
        assert (
            s.scalar(select(Counter.current_ticket_id).where(Counter.number == 1)) == a3.ticket.id
        )
    assert logged.payload["by_number"] is True
    assert logged.payload["explanation"]["decided_by"] == "called_by_number"
    assert logged.user_id == hall.users["clerk1"] and logged.leg == 1
    # The queue goes on in its order for everyone else.
    act(hall, clock, moves.start, 1)
    act(hall, clock, moves.finish, 1)
    assert [call_and_drop(hall, clock, 1) for _ in range(2)] == ["A001", "A002"]
    assert log_kinds(hall, a1.ticket.id)[:2] == ["ticket.issued", "ticket.called"]
    assert call(hall, clock, 1).ticket is None
    assert a2.ticket.number == "A002"


def call_and_drop(hall: Hall, clock: FakeClock, window: int) -> str:
    number = call(hall, clock, window).ticket.number
    act(hall, clock, moves.no_show, window)
    return number


def test_unknown_numbers_and_other_days(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    open_window(hall, clock, 1)
    for number in ("A002", "Z001", "", "A 001"):
        with pytest.raises(NotFound) as refused:
            call_number(hall, clock, 1, number)
        assert refused.value.code == "unknown_ticket"
    # Numbers restart each business day: yesterday's A001 is not today's.
    clock.advance(24 * 3600)
    with pytest.raises(NotFound, match="unknown_ticket"):
        call_number(hall, clock, 1, "A001")
    today = issue(hall, clock)
    assert call_number(hall, clock, 1, " a001 ").ticket.id == today.ticket.id


def test_only_a_waiting_ticket_can_be_called(hall: Hall, clock: FakeClock) -> None:
    three_waiting(hall, clock)
    open_window(hall, clock, 1)
    open_window(hall, clock, 2)
    call(hall, clock, 2)  # A001 is at window 2
    with pytest.raises(Conflict) as refused:
        call_number(hall, clock, 1, "A001")
    assert refused.value.code == "illegal_move"
    assert (refused.value.params["state"], refused.value.params["move"]) == ("called", "call")
    act(hall, clock, moves.start, 2)
    act(hall, clock, moves.finish, 2)
    with pytest.raises(Conflict, match="illegal_move"):
        call_number(hall, clock, 1, "A001")  # done
    with hall.db.writing() as s:
        moves.cancel(s, hall.context, hall.clerk(1), _ticket_id(hall, "A002"), clock())
    with pytest.raises(Conflict, match="illegal_move"):
        call_number(hall, clock, 1, "A002")  # cancelled
    # The refusals changed nothing: A003 is still next, and nobody is at window 1.
    assert call(hall, clock, 1).ticket.number == "A003"


def test_a_ticket_sent_to_another_window_is_called_only_there(hall: Hall, clock: FakeClock) -> None:
    three_waiting(hall, clock)
    for window in (1, 2, 3):
        open_window(hall, clock, window)
    call(hall, clock, 1)
    act(hall, clock, moves.transfer, 1, to_counter=2)
    with pytest.raises(Conflict) as refused:
        call_number(hall, clock, 3, "A001")
    assert refused.value.code == "transferred_elsewhere"
    assert refused.value.params["target"] == 2
    at_two = call_number(hall, clock, 2, "A001")
    assert at_two.ticket.number == "A001" and at_two.ticket.leg == 2
    assert at_two.explanation["transferred_here"] is True and at_two.explanation["ahead"] == 0
    assert at_two.ticket.target_counter_number == 2


def test_a_window_calls_only_its_own_services_or_what_was_sent_to_it(
    hall: Hall, clock: FakeClock
) -> None:
    issue(hall, clock)  # A001: property transfer
    issue(hall, clock, CONSULT)  # D001
    open_window(hall, clock, 4)  # vehicles and equity
    with pytest.raises(Conflict) as refused:
        call_number(hall, clock, 4, "A001")
    assert refused.value.code == "not_served_here"
    assert refused.value.params["service_code"] == PROPERTY
    assert refused.value.params["service"]["en"] == "Property transfer"
    # Window 7 (enquiries and pick-up) takes a property transfer sent to it by name.
    open_window(hall, clock, 1)
    open_window(hall, clock, 7)
    assert call_number(hall, clock, 1, "A001").ticket.number == "A001"
    act(hall, clock, moves.transfer, 1, to_counter=7)
    assert call_number(hall, clock, 7, "A001").ticket.service_code == PROPERTY
    # A lower tier of the profile is the window's own service too.
    assert call_number(hall, clock, 1, "D001").explanation["tier"] == 2


def test_the_windows_own_checks_come_first(hall: Hall, clock: FakeClock) -> None:
    three_waiting(hall, clock)
    with pytest.raises(Conflict, match="window_closed"):
        call_number(hall, clock, 1, "A002")
    open_window(hall, clock, 1)
    with pytest.raises(Forbidden, match="not_your_window"):
        call_number(hall, clock, 1, "A002", actor=hall.clerk(2))
    with pytest.raises(Forbidden, match="wrong_window_device"):
        call_number(hall, clock, 1, "A002", actor=hall.counter_device(2))
    with pytest.raises(Forbidden, match="not_allowed"):
        call_number(hall, clock, 1, "A002", actor=hall.kiosk())
    act(hall, clock, windows.pause_window, 1, "lunch")
    with pytest.raises(Conflict, match="window_paused"):
        call_number(hall, clock, 1, "A002")
    act(hall, clock, windows.resume_window, 1)
    # Its own keypad may call a number for the clerk; then the window is busy.
    by_keypad = call_number(hall, clock, 1, "A002", actor=hall.counter_device(1))
    assert by_keypad.ticket.number == "A002"
    with pytest.raises(Conflict, match="ticket_at_window"):
        call_number(hall, clock, 1, "A003")
    with pytest.raises(NotFound, match="unknown_counter"):
        call_number(hall, clock, 777, "A003", actor=hall.supervisor())
    with hall.db.reading() as s:
        calls = s.scalars(select(Event.user_id).where(Event.kind == "ticket.called")).all()
    assert calls == [hall.users["clerk1"]]  # the keypad called for the clerk who holds it


def _ticket_id(hall: Hall, number: str) -> int:
    with hall.db.reading() as s:
        return s.scalar(select(Ticket.id).where(Ticket.number == number))


def test_one_window_calls_numbers_while_five_press_call_next(
    race_hall: Hall, clock: FakeClock
) -> None:
    # A fixed morning: a real clock near the hall's midnight splits the tickets over two days.
    rnd = random.Random(11)
    issue_morning(race_hall, clock, 150, seed=11)
    # Time stands still during the race: the design's order is a fixed sort.
    rows = design_order(race_hall, clock())
    order = [r.id for r in rows]
    numbers = {r.id: r.number for r in rows}
    # Window 1 asks for 30 customers from the back of the order, the furthest back first.
    wanted = [numbers[i] for i in sorted(rnd.sample(order[90:], 30), key=order.index)[::-1]]
    for window in range(1, 7):
        with race_hall.db.writing() as session:
            windows.open_window(
                session, race_hall.context, race_hall.clerk(window), window, clock()
            )
    barrier = threading.Barrier(6)

    def by_number() -> list[str]:
        actor, got = race_hall.clerk(1), []
        barrier.wait()
        for number in wanted:
            try:
                with race_hall.db.writing() as session:
                    call_ticket(session, race_hall.context, actor, 1, number, clock())
            except Conflict as refused:
                assert refused.code == "illegal_move"  # call-next took it first
                continue
            got.append(number)
            with race_hall.db.writing() as session:
                moves.no_show(session, race_hall.context, actor, 1, clock())
        return got

    def next_loop(window: int) -> int:
        actor, served = race_hall.clerk(window), 0
        barrier.wait()
        while True:
            with race_hall.db.writing() as session:
                result = call_next(session, race_hall.context, actor, window, clock())
            if result.ticket is None:
                return served
            with race_hall.db.writing() as session:
                moves.no_show(session, race_hall.context, actor, window, clock())
            served += 1

    with ThreadPoolExecutor(6) as pool:
        numbered = pool.submit(by_number)
        served = list(pool.map(next_loop, range(2, 7)))
        got = numbered.result()

    assert len(got) + sum(served) == 150
    assert len(got) >= 10  # most were still waiting when asked for
    assert all(served)  # every call-next window took its share meanwhile
    with race_hall.db.reading() as session:
        calls = session.execute(
            select(Event.ticket_id, Event.payload)
            .where(Event.kind == "ticket.called")
            .order_by(Event.id)
        ).all()
        statuses = Tally(session.execute(select(Ticket.status)).scalars().all())
    called = [ticket_id for ticket_id, _ in calls]
    assert len(called) == len(set(called)) == 150  # each ticket once: no double call
    assert statuses == {"no_show": 150}  # none skipped
    by_number_ids = {t for t, p in calls if p.get("by_number")}
    assert {numbers[t] for t in by_number_ids} == set(got)
    # Call-next kept the design's order among the tickets the numbered window left it.
    assert [t for t, p in calls if not p.get("by_number")] == [
        t for t in order if t not in by_number_ids
    ]
    _waiting_counts_match(race_hall)

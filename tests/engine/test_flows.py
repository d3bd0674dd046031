"""A ticket's life through the engine on a real database: each move, each refusal, and the log."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from hallq.server.hall_file.loader import load_hall as load_hall_file
from hallq.server.models import Counter, DayCounter, Event, FollowUp, Service, Ticket
from hallq.server.queue import moves, ratings, windows
from hallq.server.queue.call_next import call_next
from hallq.server.queue.errors import Conflict, Forbidden, Invalid, NotFound
from hallq.server.queue.eta import Estimator
from hallq.server.queue.hall import load_hall as load_context
from hallq.server.queue.issue import Idempotency, issue_ticket
from tests.support.hall import FakeClock, Hall, build_hall

PROPERTY = "property-transfer"  # windows 1-3 (tier 1), 9 (lower tier)
CONSULT = "consultation"


def issue(hall: Hall, clock: FakeClock, service: str = PROPERTY, **kw: Any) -> Any:
    actor = kw.pop("actor", None) or hall.kiosk()
    if kw.get("priority") == "priority":
        kw.setdefault("reason", "elderly customer")  # staff say why they grant it
    # As the API does it: on PostgreSQL the issue is one statement in autocommit.
    with hall.db.writing(one_statement=True) as s:
        return issue_ticket(s, hall.context, actor, service_code=service, now=clock(), **kw)


def act(
    hall: Hall, clock: FakeClock, fn: Any, window: int, *args: Any, actor: Any = None, **kw: Any
) -> Any:
    with hall.db.writing() as s:
        return fn(s, hall.context, actor or hall.clerk(window), window, *args, clock(), **kw)


def open_window(hall: Hall, clock: FakeClock, window: int) -> None:
    act(hall, clock, windows.open_window, window)


def call(hall: Hall, clock: FakeClock, window: int, actor: Any = None) -> Any:
    with hall.db.writing() as s:
        return call_next(s, hall.context, actor or hall.clerk(window), window, clock())


def log_kinds(hall: Hall, ticket_id: int) -> list[str]:
    with hall.db.reading() as s:
        return list(
            s.scalars(select(Event.kind).where(Event.ticket_id == ticket_id).order_by(Event.id))
        )


def test_a_ticket_from_issue_to_done_is_logged_step_by_step(hall: Hall, clock: FakeClock) -> None:
    issued = issue(hall, clock)
    assert issued.ticket.number == "A001" and issued.position == 1 and issued.waiting == 1
    open_window(hall, clock, 1)
    clock.advance(120)
    called = call(hall, clock, 1)
    assert called.ticket.number == "A001" and called.ticket.status == "called"
    assert called.explanation["waited_minutes"] == 2.0
    clock.advance(30)
    started = act(hall, clock, moves.start, 1)
    assert started.ticket.status == "serving"
    clock.advance(300)
    done = act(hall, clock, moves.finish, 1)
    assert done.ticket.status == "done"
    assert log_kinds(hall, issued.ticket.id) == [
        "ticket.issued",
        "ticket.called",
        "ticket.started",
        "ticket.finished",
    ]
    with hall.db.reading() as s:
        finished = s.execute(select(Event).where(Event.kind == "ticket.finished")).scalar_one()
        called_ev = s.execute(select(Event).where(Event.kind == "ticket.called")).scalar_one()
    # Who, where, from which device, and the figures reports need.
    assert finished.user_id == hall.users["clerk1"] and finished.counter_id is not None
    assert finished.payload["service_seconds"] == 300
    assert (
        called_ev.payload["waited_seconds"] == 120 and called_ev.payload["explanation"]["tier"] == 1
    )
    with hall.db.reading() as s:
        issued_ev = s.execute(select(Event).where(Event.kind == "ticket.issued")).scalar_one()
    assert issued_ev.device_id == hall.devices["kiosk-1"]
    assert issued_ev.payload["priority"] == "normal" and issued_ev.payload["language"] == "zh-Hant"


def test_numbering_restarts_with_the_halls_business_day(hall: Hall) -> None:
    # 23:59 in Hong Kong is 15:59 UTC; a minute after midnight local is a new business day.
    clock = FakeClock(dt.datetime(2026, 11, 25, 15, 58, tzinfo=dt.UTC))
    assert issue(hall, clock).ticket.number == "A001"
    assert issue(hall, clock).ticket.number == "A002"
    assert issue(hall, clock, CONSULT).ticket.number == "D001"
    clock.advance(180)
    nxt = issue(hall, clock)
    assert nxt.ticket.number == "A001"
    assert nxt.ticket.business_day == dt.date(2026, 11, 26)


def test_a_closed_service_refuses_and_says_when_it_opens(tmp_path) -> None:
    hall = build_hall(f"sqlite:///{tmp_path / 'real-hours.sqlite3'}", demo=False)
    sunday = FakeClock(dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC))  # Sunday 11:00 local
    with pytest.raises(Conflict) as refused:
        issue(hall, sunday)
    assert refused.value.code == "service_closed"
    opens = dt.datetime.fromisoformat(refused.value.params["opens_at"])
    assert opens.weekday() == 0 and opens.hour == 9  # Monday morning
    with hall.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 0
    monday = FakeClock(opens.astimezone(dt.UTC) + dt.timedelta(minutes=1))
    assert issue(hall, monday).ticket.number == "A001"
    hall.db.dispose()


def set_cap(hall: Hall, clock: FakeClock, cap: int) -> None:
    """Load the hall file again with a daily cap on property transfers (as `hallq init`)."""
    services = tuple(
        dataclasses.replace(s, daily_cap=cap) if s.code == PROPERTY else s
        for s in hall.config.services
    )
    with hall.db.writing() as s:
        load_hall_file(
            s, dataclasses.replace(hall.config, services=services), demo=True, now=clock()
        )
    with hall.db.reading() as s:
        hall.context = load_context(s, hall.context.id)


def test_daily_cap_refuses_without_skipping_a_number(hall: Hall, clock: FakeClock) -> None:
    set_cap(hall, clock, 2)
    assert [issue(hall, clock).ticket.number for _ in range(2)] == ["A001", "A002"]
    with pytest.raises(Conflict) as refused:
        issue(hall, clock)
    assert refused.value.code == "daily_cap_reached" and refused.value.params["cap"] == 2
    with hall.db.reading() as s:
        # The refused press wrote nothing: no ticket, no count, no log row.
        assert s.scalar(select(Service.waiting).where(Service.code == PROPERTY)) == 2
        assert s.scalar(select(func.count()).select_from(Ticket)) == 2
        assert s.scalar(select(func.count()).select_from(Event)) == 2
    set_cap(hall, clock, 3)
    # The refused press took no number: the next one is A003, not A004.
    assert issue(hall, clock).ticket.number == "A003"


def test_recalls_up_to_the_limit_then_no_show(hall: Hall, clock: FakeClock) -> None:
    assert hall.context.rules.no_show_after_recalls == 2
    issue(hall, clock)
    open_window(hall, clock, 1)
    call(hall, clock, 1)
    first = act(hall, clock, moves.recall, 1)
    second = act(hall, clock, moves.recall, 1)
    assert (first.ticket.call_count, second.ticket.call_count) == (2, 3)
    assert first.became is None and second.became is None
    third = act(hall, clock, moves.recall, 1)
    assert third.became == "no_show" and third.ticket.status == "no_show"
    kinds = log_kinds(hall, third.ticket.id)
    assert kinds[-1] == "ticket.no_show" and kinds.count("ticket.recalled") == 2
    # The window is free again.
    assert call(hall, clock, 1).ticket is None


def test_requeue_keeps_its_place(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    clock.advance(1)
    issue(hall, clock)
    open_window(hall, clock, 1)
    assert call(hall, clock, 1).ticket.number == "A001"
    back = act(hall, clock, moves.requeue, 1)
    assert back.ticket.status == "waiting"
    clock.advance(60)
    assert call(hall, clock, 1).ticket.number == "A001"  # first again, ahead of A002


def test_transfer_to_a_service_is_a_new_leg_at_the_end_of_its_queue(
    hall: Hall, clock: FakeClock
) -> None:
    issue(hall, clock, CONSULT)  # D001 waits for consultation already
    clock.advance(10)
    a = issue(hall, clock)
    open_window(hall, clock, 1)
    assert call(hall, clock, 1).ticket.number == "A001"  # tier 1 before the consultation
    act(hall, clock, moves.start, 1)
    moved = act(hall, clock, moves.transfer, 1, to_service=CONSULT, note="needs advice")
    assert moved.ticket.number == "A001" and moved.ticket.leg == 2
    assert moved.ticket.service_code == CONSULT and moved.ticket.status == "waiting"
    open_window(hall, clock, 7)  # consultation first
    assert call(hall, clock, 7).ticket.number == "D001"
    act(hall, clock, moves.no_show, 7)
    second = call(hall, clock, 7)
    assert second.ticket.number == "A001" and second.ticket.leg == 2
    with hall.db.reading() as s:
        legs = s.execute(
            select(Event.kind, Event.leg, Event.service_id)
            .where(Event.ticket_id == a.ticket.id)
            .order_by(Event.id)
        ).all()
    assert [(k, leg) for k, leg, _ in legs] == [
        ("ticket.issued", 1),
        ("ticket.called", 1),
        ("ticket.started", 1),
        ("ticket.transferred", 1),
        ("ticket.queued", 2),
        ("ticket.called", 2),
    ]
    assert legs[0].service_id != legs[-1].service_id


def test_transfer_to_a_window_is_called_there_first_and_only_there(
    hall: Hall, clock: FakeClock
) -> None:
    for _ in range(3):
        issue(hall, clock)
        clock.advance(5)
    open_window(hall, clock, 1)
    open_window(hall, clock, 2)
    assert call(hall, clock, 1).ticket.number == "A001"
    act(hall, clock, moves.transfer, 1, to_counter=2)
    assert call(hall, clock, 1).ticket.number == "A002"  # window 1 cannot take it back
    at_two = call(hall, clock, 2)
    assert at_two.ticket.number == "A001"
    assert at_two.explanation["decided_by"] == "transferred_here"


def test_closing_a_window_releases_tickets_sent_to_it(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    open_window(hall, clock, 1)
    open_window(hall, clock, 2)
    call(hall, clock, 1)
    act(hall, clock, moves.transfer, 1, to_counter=2)
    act(hall, clock, windows.close_window, 2)
    assert call(hall, clock, 1).ticket.number == "A001"


def test_refusals_at_the_window(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    with pytest.raises(Conflict, match="window_closed"):
        call(hall, clock, 1)
    open_window(hall, clock, 1)
    # Another clerk cannot take a held window, nor act at it.
    with pytest.raises(Conflict, match="window_held"):
        act(hall, clock, windows.open_window, 1, actor=hall.clerk(2))
    with pytest.raises(Forbidden, match="not_your_window"):
        call(hall, clock, 1, actor=hall.clerk(2))
    # One window per clerk.
    with pytest.raises(Conflict, match="holds_other_window"):
        act(hall, clock, windows.open_window, 2, actor=hall.clerk(1))
    act(hall, clock, windows.pause_window, 1, "lunch")
    with pytest.raises(Conflict, match="window_paused"):
        call(hall, clock, 1)
    with pytest.raises(Conflict, match="already_paused"):
        act(hall, clock, windows.pause_window, 1, "again")
    with pytest.raises(Invalid, match="reason_required"):
        act(hall, clock, windows.pause_window, 1, "  ")
    act(hall, clock, windows.resume_window, 1)
    with pytest.raises(Conflict, match="not_paused"):
        act(hall, clock, windows.resume_window, 1)
    called = call(hall, clock, 1)
    with pytest.raises(Conflict, match="ticket_at_window"):
        call(hall, clock, 1)
    with pytest.raises(Conflict, match="ticket_at_window"):
        act(hall, clock, windows.close_window, 1)
    with pytest.raises(Conflict, match="illegal_move"):
        act(hall, clock, moves.finish, 1)  # not started
    # The window's own keypad acts for the clerk; another window's keypad may not.
    act(hall, clock, moves.start, 1, actor=hall.counter_device(1))
    with pytest.raises(Forbidden, match="wrong_window_device"):
        act(hall, clock, moves.finish, 1, actor=hall.counter_device(2))
    # A supervisor may act anywhere.
    done = act(hall, clock, moves.finish, 1, actor=hall.supervisor())
    assert done.ticket.number == called.ticket.number and done.ticket.status == "done"
    with pytest.raises(Conflict, match="no_current_ticket"):
        act(hall, clock, moves.recall, 1)
    with pytest.raises(NotFound, match="unknown_counter"):
        call(hall, clock, 777, actor=hall.supervisor())


def test_cancel_a_waiting_ticket(hall: Hall, clock: FakeClock) -> None:
    t = issue(hall, clock)
    with hall.db.writing() as s, pytest.raises(Forbidden):
        moves.cancel(s, hall.context, hall.kiosk(), t.ticket.id, clock())
    with hall.db.writing() as s:
        done = moves.cancel(s, hall.context, hall.clerk(1), t.ticket.id, clock(), "left the hall")
    assert done.ticket.status == "cancelled"
    with hall.db.writing() as s, pytest.raises(Conflict, match="illegal_move"):
        moves.cancel(s, hall.context, hall.clerk(1), t.ticket.id, clock())
    with hall.db.reading() as s:
        assert s.scalar(select(Service.waiting).where(Service.code == PROPERTY)) == 0


def test_green_channel_and_appointments(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    with pytest.raises(Forbidden, match="green_channel_by_staff"):
        issue(hall, clock, priority="priority")
    with pytest.raises(Invalid, match="appointment_required"):
        issue(hall, clock, priority="appointment")
    # A kiosk's word is not enough for an appointment either (check-in checks the booking).
    with pytest.raises(Forbidden, match="appointment_by_staff"):
        issue(hall, clock, priority="appointment", appointment="BK-2026-001")
    appt = issue(
        hall, clock, priority="appointment", appointment="BK-2026-001", actor=hall.supervisor()
    )
    green = issue(hall, clock, priority="priority", actor=hall.clerk(1))
    # Each goes ahead of the walk-in issued before it; the green channel ahead of the booking.
    assert (appt.position, green.position) == (1, 1)
    open_window(hall, clock, 1)
    assert [call_and_finish(hall, clock, 1) for _ in range(3)] == [
        green.ticket.number,
        appt.ticket.number,
        "A001",
    ]


def call_and_finish(hall: Hall, clock: FakeClock, window: int) -> str:
    number = call(hall, clock, window).ticket.number
    act(hall, clock, moves.no_show, window)
    return number


def test_ratings_one_per_ticket_and_a_follow_up_for_low_scores(
    hall: Hall, clock: FakeClock
) -> None:
    issue(hall, clock)
    issue(hall, clock)
    open_window(hall, clock, 1)
    first = call(hall, clock, 1).ticket
    act(hall, clock, moves.start, 1)
    act(hall, clock, moves.finish, 1)

    def rate(actor: Any, ticket_id: int, score: int) -> Any:
        with hall.db.writing() as s:
            return ratings.rate(s, hall.context.id, actor, ticket_id, score, clock())

    with pytest.raises(Forbidden, match="counter_device_only"):
        rate(hall.clerk(1), first.id, 5)
    with pytest.raises(Forbidden, match="not_this_windows_ticket"):
        rate(hall.counter_device(2), first.id, 5)
    stored = rate(hall.counter_device(1), first.id, 1)
    assert stored.follow_up_id is not None
    with pytest.raises(Conflict, match="already_rated"):
        rate(hall.counter_device(1), first.id, 4)
    second = call(hall, clock, 1).ticket
    with pytest.raises(Conflict, match="not_served"):
        rate(hall.counter_device(1), second.id, 5)  # called, not yet served
    with pytest.raises(Invalid):
        rate(hall.counter_device(1), second.id, 6)
    with hall.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 1
    assert log_kinds(hall, first.id)[-1] == "ticket.rated"


def test_the_event_log_cannot_be_rewritten(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    with pytest.raises(DBAPIError, match="append-only"), hall.db.writing() as s:
        s.execute(update(Event).values(kind="tampered"))
    with pytest.raises(DBAPIError, match="append-only"), hall.db.writing() as s:
        s.execute(text("DELETE FROM events"))
    with hall.db.reading() as s:
        assert s.scalars(select(Event.kind)).all() == ["ticket.issued"]


def test_estimated_wait_follows_recent_service_times_and_open_windows(
    hall: Hall, clock: FakeClock
) -> None:
    estimator = Estimator(hall.db.reading, ttl=0, now=clock)
    sid = _service_id(hall, PROPERTY)
    assert hall.config.service(PROPERTY).typical_minutes == 12
    for _ in range(4):
        issue(hall, clock)
    # No window open yet: the four windows whose profile serves it (1, 2, 3 and 9) stand for
    # the staffed hall, and the hall file's typical 12 minutes for the day's service times.
    assert estimator.minutes(hall.context, sid, 3) == 9  # 3 × 12 ÷ 4
    open_window(hall, clock, 1)
    # One window open: it alone calls them.
    assert estimator.minutes(hall.context, sid, 3) == 36
    for minutes in (2, 4):
        call(hall, clock, 1)
        act(hall, clock, moves.start, 1)
        clock.advance(minutes * 60)
        act(hall, clock, moves.finish, 1)
    open_window(hall, clock, 2)
    # Mean 3 min, two windows: position 4 → 6 min.
    assert estimator.minutes(hall.context, sid, 4) == 6
    act(hall, clock, windows.pause_window, 2, "break")
    assert estimator.minutes(hall.context, sid, 4) == 12


def test_idempotency_key_returns_the_first_ticket(hall: Hall, clock: FakeClock) -> None:
    key = Idempotency("device:1", "press-1", "fp-a")
    first = issue(hall, clock, idempotency=key)
    again = issue(hall, clock, idempotency=key)
    assert again.replayed and again.ticket.id == first.ticket.id and again.events == []
    with pytest.raises(Conflict, match="idempotency_key_reused"):
        issue(hall, clock, idempotency=Idempotency("device:1", "press-1", "fp-other"))
    other_caller = issue(hall, clock, idempotency=Idempotency("device:2", "press-1", "fp-a"))
    assert other_caller.ticket.number == "A002"


def test_counter_row_points_at_the_current_and_last_ticket(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    open_window(hall, clock, 1)
    t = call(hall, clock, 1).ticket
    with hall.db.reading() as s:
        assert s.scalar(select(Counter.current_ticket_id).where(Counter.number == 1)) == t.id
    act(hall, clock, moves.start, 1)
    act(hall, clock, moves.finish, 1)
    with hall.db.reading() as s:
        row = s.execute(
            select(Counter.current_ticket_id, Counter.last_ticket_id).where(Counter.number == 1)
        ).one()
    assert row == (None, t.id)


def _service_id(hall: Hall, code: str) -> int:
    with hall.db.reading() as s:
        return s.scalar(select(Service.id).where(Service.code == code))


def test_numbers_grow_past_999_without_being_cut(hall: Hall, clock: FakeClock) -> None:
    first = issue(hall, clock)
    with hall.db.writing() as s:
        s.execute(update(DayCounter).where(DayCounter.prefix == "A").values(last=998))
    numbers = [issue(hall, clock).ticket.number for _ in range(3)]
    assert first.ticket.number == "A001"
    assert numbers == ["A999", "A1000", "A1001"]
    with hall.db.reading() as s:
        logged = s.scalars(
            select(Event.payload).where(Event.kind == "ticket.issued").order_by(Event.id)
        ).all()
    assert [p["number"] for p in logged] == ["A001", *numbers]
    assert logged[-1]["business_day"] == first.ticket.business_day.isoformat()


def test_estimates_are_read_once_while_many_ask(hall: Hall, clock: FakeClock) -> None:
    """When the figures expire, one request reads them; the others use the seconds-old ones."""
    import contextlib
    import threading

    reads = 0
    reading_started, release = threading.Event(), threading.Event()

    @contextlib.contextmanager
    def slow_reading():  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        if reads == 2:  # the refresh: hold it open while others ask
            reading_started.set()
            release.wait(5)
        with hall.db.reading() as session:
            yield session

    ticks = iter([0.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0])
    estimator = Estimator(slow_reading, ttl=3.0, clock=lambda: next(ticks))
    sid = _service_id(hall, PROPERTY)
    first = estimator.minutes(hall.context, sid, 1)  # first read, at t=0
    assert first == 3  # 12 typical minutes ÷ the 4 windows that serve it
    refresher = threading.Thread(target=estimator.minutes, args=(hall.context, sid, 1))
    refresher.start()  # t=10: expired, reads again (slowly)
    assert reading_started.wait(5)
    assert estimator.minutes(hall.context, sid, 1) == first  # served from the old figures
    assert reads == 2  # ...without a third read
    release.set()
    refresher.join(5)
    estimator.invalidate(hall.context.id)
    estimator.minutes(hall.context, sid, 1)
    assert reads == 3  # invalidated: read again at once

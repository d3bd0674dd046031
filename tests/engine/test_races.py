"""Many hands at once: issuing and calling from threads, on SQLite and PostgreSQL.

Proves: no duplicate numbers, numbers consecutive per service, no ticket called twice,
none skipped, and calls in the design's order even when ten windows race.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select, text

from hallq.server.models import Event, Service, Ticket
from hallq.server.queue import moves, windows
from hallq.server.queue.call_next import call_next
from tests.engine.conftest import design_order, issue_morning
from tests.engine.conftest import issue_in_race_hall as _issue
from tests.support.hall import FakeClock, Hall


def _waiting_counts_match(hall: Hall) -> None:
    """The per-service waiting figure kept in step equals a real count."""
    with hall.db.reading() as session:
        kept = dict(session.execute(select(Service.code, Service.waiting)).all())
        counted = dict(
            session.execute(
                select(Service.code, func.count(Ticket.id))
                .join(Ticket, Ticket.service_id == Service.id)
                .where(text("tickets.status = 'waiting'"))
                .group_by(Service.code)
            ).all()
        )
    assert {k: v for k, v in kept.items() if v} == counted


def test_twenty_threads_issue_a_thousand_distinct_consecutive_numbers(race_hall: Hall) -> None:
    now = dt.datetime.now(dt.UTC)
    barrier = threading.Barrier(20)
    services = ["alpha", "beta", "gamma"]

    def worker(seed: int) -> list[str]:
        rnd = random.Random(seed)
        barrier.wait()
        return [_issue(race_hall, rnd.choice(services), now) for _ in range(50)]

    with ThreadPoolExecutor(20) as pool:
        numbers = [n for batch in pool.map(worker, range(20)) for n in batch]

    assert len(numbers) == 1000
    assert len(set(numbers)) == 1000
    by_prefix: dict[str, list[int]] = {}
    for number in numbers:
        by_prefix.setdefault(number[0], []).append(int(number[1:]))
    for seqs in by_prefix.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))  # consecutive: none skipped
    with race_hall.db.reading() as session:
        stored = session.execute(select(Ticket.number)).scalars().all()
        issued_events = session.execute(
            select(func.count()).select_from(Event).where(Event.kind == "ticket.issued")
        ).scalar_one()
    assert sorted(stored) == sorted(numbers)
    assert issued_events == 1000  # the log has every one, written in the same transactions
    _waiting_counts_match(race_hall)


def test_ten_windows_racing_call_each_ticket_once_in_the_design_order(
    race_hall: Hall, clock: FakeClock
) -> None:
    # A fixed morning: a real clock near the hall's midnight splits the tickets over two days.
    # 500 tickets over a simulated morning: three services, three priority classes.
    issue_morning(race_hall, clock, 500, seed=7)
    # Time stands still while the windows race, so the design's order is a fixed sort.
    expected = design_order(race_hall, clock())

    for window in range(1, 11):
        with race_hall.db.writing() as session:
            windows.open_window(
                session, race_hall.context, race_hall.clerk(window), window, clock()
            )

    barrier = threading.Barrier(10)

    def window_loop(window: int) -> int:
        actor = race_hall.clerk(window)
        served = 0
        barrier.wait()
        while True:
            with race_hall.db.writing() as session:
                result = call_next(session, race_hall.context, actor, window, clock())
            if result.ticket is None:
                return served
            with race_hall.db.writing() as session:
                moves.start(session, race_hall.context, actor, window, clock())
            with race_hall.db.writing() as session:
                moves.finish(session, race_hall.context, actor, window, clock())
            served += 1

    with ThreadPoolExecutor(10) as pool:
        served = list(pool.map(window_loop, range(1, 11)))

    assert sum(served) == 500
    assert sum(1 for s in served if s > 0) >= 5  # the windows really raced
    with race_hall.db.reading() as session:
        calls = (
            session.execute(
                select(Event.ticket_id).where(Event.kind == "ticket.called").order_by(Event.id)
            )
            .scalars()
            .all()
        )
        statuses = Tally(session.execute(select(Ticket.status)).scalars().all())
    assert len(calls) == 500 and len(set(calls)) == 500  # each once: no double calls
    assert statuses == {"done": 500}  # none skipped
    assert calls == [r.id for r in expected]  # in the design's order
    _waiting_counts_match(race_hall)


def test_issuing_and_calling_at_once_loses_and_repeats_nothing(
    race_hall: Hall, clock: FakeClock
) -> None:
    # A fixed morning: a real clock near the hall's midnight splits the tickets over two days.
    for window in range(1, 6):
        with race_hall.db.writing() as session:
            windows.open_window(
                session, race_hall.context, race_hall.clerk(window), window, clock()
            )
    stop = threading.Event()
    issued: list[str] = []
    lock = threading.Lock()

    def issuer(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(60):
            number = _issue(race_hall, rnd.choice(["alpha", "beta", "gamma"]), clock.advance(0.01))
            with lock:
                issued.append(number)

    def caller(window: int) -> None:
        actor = race_hall.clerk(window)
        while not stop.is_set():
            with race_hall.db.writing() as session:
                result = call_next(session, race_hall.context, actor, window, clock())
            if result.ticket is None:
                continue
            with race_hall.db.writing() as session:
                moves.no_show(session, race_hall.context, actor, window, clock())

    callers = [threading.Thread(target=caller, args=(w,)) for w in range(1, 6)]
    for t in callers:
        t.start()
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(issuer, range(6)))
    # Let the windows drain the queue, then stop them.
    for _ in range(400):
        with race_hall.db.reading() as session:
            left = session.execute(select(func.sum(Service.waiting))).scalar_one()
        if not left:
            break
        stop.wait(0.05)
    stop.set()
    for t in callers:
        t.join(10)

    assert len(issued) == 360 and len(set(issued)) == 360
    with race_hall.db.reading() as session:
        calls = (
            session.execute(select(Event.ticket_id).where(Event.kind == "ticket.called"))
            .scalars()
            .all()
        )
        statuses = Tally(session.execute(select(Ticket.status)).scalars().all())
    assert len(calls) == len(set(calls)) == 360
    assert statuses == {"no_show": 360}
    _waiting_counts_match(race_hall)

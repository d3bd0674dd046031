"""Moving waiting tickets between service queues while windows call, on SQLite and PostgreSQL:
no ticket called twice, none lost, the queues' counts right, and no deadlock between the move's
locks (its window, then both queues by id) and call-next's (the window, then its queues)."""

from __future__ import annotations

import random
import threading
from collections import Counter as Tally
from collections.abc import Callable

import pytest
from sqlalchemy import select, text

from hallq.server.models import Event, Service, Ticket
from hallq.server.queue import moves, windows
from hallq.server.queue.call_next import call_next
from hallq.server.queue.errors import Conflict, Forbidden
from hallq.server.queue.move_waiting import move_waiting
from tests.engine.conftest import issue_in_race_hall, issue_morning
from tests.engine.test_races import _waiting_counts_match
from tests.support.hall import FakeClock, Hall

SERVICES = ("alpha", "beta", "gamma")


def test_moves_and_calls_at_once_lose_and_repeat_nothing(race_hall: Hall, clock: FakeClock) -> None:
    issue_morning(race_hall, clock, 150, seed=11)
    for window in range(1, 5):
        with race_hall.db.writing() as session:
            windows.open_window(
                session, race_hall.context, race_hall.clerk(window), window, clock()
            )
    stop = threading.Event()
    barrier = threading.Barrier(6)
    moved: list[int] = []
    refused: Tally[str] = Tally()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def guarded(work: Callable[[int], None], arg: int) -> None:
        # A thread's exception (a deadlock, say) must fail the test, not only warn.
        try:
            work(arg)
        except BaseException as exc:
            with lock:
                failures.append(exc)
            barrier.abort()

    def caller(window: int) -> None:
        actor = race_hall.clerk(window)
        barrier.wait()
        while True:
            with race_hall.db.writing() as session:
                result = call_next(session, race_hall.context, actor, window, clock())
            if result.ticket is None:
                return
            with race_hall.db.writing() as session:
                moves.no_show(session, race_hall.context, actor, window, clock())

    def mover(seed: int) -> None:
        rnd = random.Random(seed)
        actor = race_hall.supervisor()
        barrier.wait()
        while not stop.is_set():
            with race_hall.db.reading() as session:
                waiting = session.execute(
                    select(Ticket.id, Service.code)
                    .join(Service, Service.id == Ticket.service_id)
                    .where(text("tickets.status = 'waiting'"))
                ).all()
            if not waiting:
                return
            ticket_id, code = rnd.choice(waiting)
            target = rnd.choice([s for s in SERVICES if s != code])
            try:
                with race_hall.db.writing() as session:
                    move_waiting(session, race_hall.context, actor, ticket_id, target, clock())
            except Conflict as refusal:  # called meanwhile, or moved by the other hand
                with lock:
                    refused[refusal.code] += 1
                continue
            with lock:
                moved.append(ticket_id)

    threads = [threading.Thread(target=guarded, args=(caller, w)) for w in range(1, 5)]
    threads += [threading.Thread(target=guarded, args=(mover, seed)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads[:4]:
        t.join(60)
    stop.set()
    for t in threads[4:]:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert failures == []

    assert len(moved) >= 10, (len(moved), refused)  # the moves really raced the calls
    assert set(refused) <= {"illegal_move", "ticket_moved", "same_service"}
    with race_hall.db.reading() as session:
        calls = session.scalars(select(Event.ticket_id).where(Event.kind == "ticket.called")).all()
        logged = session.scalars(select(Event.ticket_id).where(Event.kind == "ticket.moved")).all()
        statuses = Tally(session.scalars(select(Ticket.status)).all())
    assert len(calls) == len(set(calls)) == 150  # each called once: none twice, none lost
    assert statuses == {"no_show": 150}
    assert sorted(logged) == sorted(moved)  # every move logged, and only those
    _waiting_counts_match(race_hall)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_only_supervisors_move_and_the_counts_follow(race_hall: Hall, clock: FakeClock) -> None:
    issue_in_race_hall(race_hall, "alpha", clock())
    with race_hall.db.reading() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    with pytest.raises(Forbidden), race_hall.db.writing() as session:
        move_waiting(session, race_hall.context, race_hall.clerk(1), ticket_id, "beta", clock())
    with race_hall.db.writing() as session:
        result = move_waiting(
            session, race_hall.context, race_hall.supervisor(), ticket_id, "beta", clock()
        )
    assert (result.ticket.number, result.ticket.service_code) == ("A001", "beta")
    _waiting_counts_match(race_hall)

"""Estimated waits from the first ticket of the day, on SQLite and PostgreSQL: the hall file's
typical times until the day has its own, and the windows that serve a service before any
opens."""

from __future__ import annotations

import dataclasses
import math

from sqlalchemy import select, update

from hallq.server.models import Counter, Service
from hallq.server.queue import moves, windows
from hallq.server.queue.eta import Estimator
from hallq.server.queue.reads import services_payload
from tests.engine.test_flows import CONSULT, PROPERTY, act, call, issue, open_window
from tests.support.hall import FakeClock, Hall

# Windows of the sample hall whose profile serves each service.
SERVED_BY = {
    "property-transfer": (1, 2, 3, 9),
    "vehicle-transfer": (4, 5, 6, 9),
    "equity-transfer": (4, 5, 6, 9),
    "consultation": (1, 2, 7, 8, 9),
    "certificate-pickup": (3, 7, 8, 9),
}


def service_ids(hall: Hall) -> dict[str, int]:
    with hall.db.reading() as s:
        return dict(s.execute(select(Service.code, Service.id)).all())


def served(hall: Hall, clock: FakeClock, window: int, minutes: float) -> None:
    """Window ``window`` calls its next ticket and serves it for ``minutes``."""
    call(hall, clock, window)
    act(hall, clock, moves.start, window)
    clock.advance(minutes * 60)
    act(hall, clock, moves.finish, window)


def test_the_first_ticket_of_a_fresh_hall_gets_an_estimate(hall: Hall, clock: FakeClock) -> None:
    estimator = Estimator(hall.db.reading, ttl=0, now=clock)
    ids = service_ids(hall)
    for service in hall.config.services:
        # No clerk has signed in yet: the hall file's typical time over the windows that
        # serve the service, as the hall will be staffed.
        assert service.typical_minutes is not None
        expected = math.ceil(service.typical_minutes / len(SERVED_BY[service.code]))
        assert estimator.minutes(hall.context, ids[service.code], 1) == expected, service.code
    first = issue(hall, clock)
    assert first.position == 1
    assert estimator.minutes(hall.context, first.ticket.service_id, first.position) == 3
    with hall.db.reading() as s:
        shown = {q["code"]: q for q in services_payload(s, hall.context, estimator, clock())}
    # The screens still say that no window is open, beside the estimate.
    assert shown[PROPERTY]["open_windows"] == 0
    assert shown[PROPERTY]["eta_minutes"] == math.ceil(2 * 12 / 4)  # the next one is second
    assert all(q["eta_minutes"] is not None for q in shown.values())


def test_the_days_own_service_times_replace_the_typical_time(hall: Hall, clock: FakeClock) -> None:
    estimator = Estimator(hall.db.reading, ttl=0, now=clock)
    sid = service_ids(hall)[PROPERTY]
    for _ in range(3):
        issue(hall, clock)
    open_window(hall, clock, 1)
    assert estimator.minutes(hall.context, sid, 1) == 12  # typical, one window
    served(hall, clock, 1, 2)
    assert estimator.minutes(hall.context, sid, 1) == 2
    served(hall, clock, 1, 4)
    assert estimator.minutes(hall.context, sid, 2) == 6  # mean 3
    # The next morning, yesterday's service times no longer count.
    clock.advance(20 * 3600)
    assert estimator.minutes(hall.context, sid, 2) == 24


def test_only_the_latest_services_count(hall: Hall, clock: FakeClock) -> None:
    hall.context = dataclasses.replace(
        hall.context, rules=dataclasses.replace(hall.context.rules, service_time_window=2)
    )
    estimator = Estimator(hall.db.reading, ttl=0, now=clock)
    for _ in range(3):
        issue(hall, clock)
    open_window(hall, clock, 1)
    for minutes in (30, 2, 4):
        served(hall, clock, 1, minutes)
    assert estimator.minutes(hall.context, service_ids(hall)[PROPERTY], 1) == 3


def test_without_a_typical_time_the_halls_default(hall: Hall, clock: FakeClock) -> None:
    with hall.db.writing() as s:
        s.execute(update(Service).where(Service.code == CONSULT).values(typical_minutes=None))
    estimator = Estimator(hall.db.reading, ttl=0, now=clock)
    assert hall.context.rules.default_service_minutes == 5
    assert estimator.minutes(hall.context, service_ids(hall)[CONSULT], 5) == 5  # 5 × 5 ÷ 5


def test_no_estimate_when_no_window_serves_the_service(hall: Hall, clock: FakeClock) -> None:
    with hall.db.writing() as s:
        s.execute(
            update(Counter)
            .where(Counter.number.in_(SERVED_BY["certificate-pickup"]))
            .values(active=False)
        )
    estimator = Estimator(hall.db.reading, ttl=0, now=clock)
    ids = service_ids(hall)
    assert estimator.minutes(hall.context, ids["certificate-pickup"], 1) is None
    assert estimator.minutes(hall.context, ids[PROPERTY], 1) == 6  # windows 1 and 2 are left


def test_open_windows_count_once_one_opens(hall: Hall, clock: FakeClock) -> None:
    estimator = Estimator(hall.db.reading, ttl=0, now=clock)
    sid = service_ids(hall)["equity-transfer"]
    assert estimator.minutes(hall.context, sid, 2) == 10  # 2 × 20 ÷ 4 windows that serve it
    open_window(hall, clock, 6)
    assert estimator.minutes(hall.context, sid, 2) == 40  # one open window does the work
    assert estimator.open_windows(hall.context, [sid]) == {sid: 1}
    # Paused, it calls no one: the estimate falls back to the windows that serve it.
    act(hall, clock, windows.pause_window, 6, "printer jam")
    assert estimator.open_windows(hall.context, [sid]) == {sid: 0}
    assert estimator.minutes(hall.context, sid, 2) == 10

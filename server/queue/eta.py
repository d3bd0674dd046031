"""Estimated waits: position × recent mean service time ÷ windows open for the service.

The mean is that of the day's latest finished services of the service; until the day has
one, the service's typical time from the hall file, else the hall's default. The windows
are those open for it; before any is (a fresh hall, before the first clerk signs in), those
whose profile serves it, so that the first ticket of the day gets an estimate too.

The inputs change slowly (a service takes minutes, windows open a few times a day),
so they are kept for a few seconds per process instead of being read on every issue.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.models import Counter, Event, Service
from hallq.server.queue.hall import HallContext
from hallq.server.queue.rules import estimated_wait_minutes, windows_for_estimate

OPEN = "open"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def mean_service_minutes(
    session: Session, service_id: int, window: int, default: float, since: dt.datetime
) -> float:
    """Mean of the last ``window`` services of this service finished since ``since`` (the
    start of the business day); ``default`` when there is none yet.

    The last ``window`` finished services of any day are read (an index seek, newest first)
    and the older days' left out: the log only grows, so once one is older, the rest are.
    """
    rows = session.execute(
        select(Event.at, Event.payload)
        .where(Event.service_id == service_id, Event.kind == "ticket.finished")
        .order_by(Event.id.desc())
        .limit(window)
    ).all()
    seconds = [
        p["service_seconds"]
        for at, p in rows
        if at >= since and p and p.get("service_seconds") is not None
    ]
    if not seconds:
        return default
    return max(sum(seconds) / len(seconds) / 60.0, 0.1)


def counters_for(session: Session, hall_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Service code -> how many windows serve it: (open ones (not paused, not closed), every
    active one)."""
    open_for: dict[str, int] = {}
    serving: dict[str, int] = {}
    for profile, state in session.execute(
        select(Counter.profile, Counter.state).where(
            Counter.hall_id == hall_id, Counter.active.is_(True)
        )
    ):
        for code in {str(code) for tier in profile for code, _w in tier}:
            serving[code] = serving.get(code, 0) + 1
            if state == OPEN:
                open_for[code] = open_for.get(code, 0) + 1
    return open_for, serving


def counters_open(session: Session, hall_id: int) -> dict[str, int]:
    """Service code -> how many open (not paused, not closed) windows serve it."""
    return counters_for(session, hall_id)[0]


@dataclass(frozen=True)
class _Figures:
    at: float
    mean_minutes: dict[int, float]  # service id -> minutes
    open_for: dict[int, int]  # service id -> open windows
    serving: dict[int, int]  # service id -> active windows whose profile serves it


class Estimator:
    """Per-process cache of the estimate's inputs, refreshed every ``ttl`` seconds."""

    def __init__(
        self,
        reading: Callable[[], AbstractContextManager[Session]],
        ttl: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        """``clock`` times the cache; ``now`` tells the hall's business day (whose finished
        services make the mean): the app's clock, so that tests can set it."""
        self._reading = reading
        self._ttl = ttl
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._figures: dict[int, _Figures] = {}
        self._refreshing: set[int] = set()
        self._generation = 0  # bumped by invalidate()

    def invalidate(self, hall_id: int | None = None) -> None:
        with self._lock:
            self._generation += 1
            if hall_id is None:
                self._figures.clear()
            else:
                self._figures.pop(hall_id, None)

    def _get(self, hall: HallContext) -> _Figures:
        now = self._clock()
        figures = self._figures.get(hall.id)
        if figures is not None and now - figures.at < self._ttl:
            return figures
        with self._lock:
            busy = hall.id in self._refreshing
            self._refreshing.add(hall.id)
            generation = self._generation
        if busy and figures is not None:
            # Another request is reading fresh figures: these are only seconds old. (Without
            # this, every request arriving meanwhile would read them all again at once.)
            return figures
        try:
            fresh = self._read(hall, now)
        finally:
            with self._lock:
                self._refreshing.discard(hall.id)
        with self._lock:
            if generation == self._generation:  # not invalidated while we were reading
                self._figures[hall.id] = fresh
        return fresh

    def _read(self, hall: HallContext, now: float) -> _Figures:
        day = hall.business_day(self._now())
        since = dt.datetime.combine(day, dt.time(), tzinfo=hall.tz)
        default = hall.rules.default_service_minutes
        with self._reading() as session:
            services = session.execute(
                select(Service.id, Service.code, Service.typical_minutes).where(
                    Service.hall_id == hall.id
                )
            ).all()
            open_for, serving = counters_for(session, hall.id)
            mean = {
                sid: mean_service_minutes(
                    session, sid, hall.rules.service_time_window, typical or default, since
                )
                for sid, _code, typical in services
            }
        return _Figures(
            at=now,
            mean_minutes=mean,
            open_for={sid: open_for.get(code, 0) for sid, code, _ in services},
            serving={sid: serving.get(code, 0) for sid, code, _ in services},
        )

    def minutes(self, hall: HallContext, service_id: int, position: int) -> int | None:
        """Minutes until the ticket at ``position`` of the service's queue is called; None
        when no window serves the service at all."""
        f = self._get(hall)
        return estimated_wait_minutes(
            position,
            f.mean_minutes.get(service_id, hall.rules.default_service_minutes),
            windows_for_estimate(f.open_for.get(service_id, 0), f.serving.get(service_id, 0)),
        )

    def open_windows(self, hall: HallContext, service_ids: Iterable[int]) -> dict[int, int]:
        f = self._get(hall)
        return {sid: f.open_for.get(sid, 0) for sid in service_ids}

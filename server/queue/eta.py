"""Estimated waits: position × recent mean service time ÷ windows open for the service.

The two inputs change slowly (a service takes minutes, windows open a few times a day),
so they are kept for a few seconds per process instead of being read on every issue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.models import Counter, Event, Service
from hallq.server.queue.hall import HallContext
from hallq.server.queue.rules import estimated_wait_minutes

OPEN = "open"


def mean_service_minutes(session: Session, service_id: int, window: int, default: float) -> float:
    """Mean of the last ``window`` finished services of this service (any day)."""
    rows = session.execute(
        select(Event.payload)
        .where(Event.service_id == service_id, Event.kind == "ticket.finished")
        .order_by(Event.id.desc())
        .limit(window)
    ).scalars()
    seconds = [p["service_seconds"] for p in rows if p and p.get("service_seconds") is not None]
    if not seconds:
        return default
    return max(sum(seconds) / len(seconds) / 60.0, 0.1)


def counters_open(session: Session, hall_id: int) -> dict[str, int]:
    """Service code -> how many open (not paused, not closed) windows serve it."""
    counts: dict[str, int] = {}
    for (profile,) in session.execute(
        select(Counter.profile).where(
            Counter.hall_id == hall_id, Counter.active.is_(True), Counter.state == OPEN
        )
    ):
        for code in {str(code) for tier in profile for code, _w in tier}:
            counts[code] = counts.get(code, 0) + 1
    return counts


@dataclass(frozen=True)
class _Figures:
    at: float
    mean_minutes: dict[int, float]  # service id -> minutes
    open_for: dict[int, int]  # service id -> open windows


class Estimator:
    """Per-process cache of the estimate's inputs, refreshed every ``ttl`` seconds."""

    def __init__(
        self,
        reading: Callable[[], AbstractContextManager[Session]],
        ttl: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reading = reading
        self._ttl = ttl
        self._clock = clock
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
        with self._reading() as session:
            services = session.execute(
                select(Service.id, Service.code).where(Service.hall_id == hall.id)
            ).all()
            by_code = counters_open(session, hall.id)
            mean = {
                sid: mean_service_minutes(
                    session, sid, hall.rules.service_time_window, hall.rules.default_service_minutes
                )
                for sid, _code in services
            }
        return _Figures(
            at=now,
            mean_minutes=mean,
            open_for={sid: by_code.get(code, 0) for sid, code in services},
        )

    def minutes(self, hall: HallContext, service_id: int, position: int) -> int | None:
        f = self._get(hall)
        return estimated_wait_minutes(
            position,
            f.mean_minutes.get(service_id, hall.rules.default_service_minutes),
            f.open_for.get(service_id, 0),
        )

    def open_windows(self, hall: HallContext, service_ids: Iterable[int]) -> dict[int, int]:
        f = self._get(hall)
        return {sid: f.open_for.get(sid, 0) for sid in service_ids}

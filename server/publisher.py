"""Publishing after the commit, which never turns a committed change into an error.

The command path (``commands.py``) commits first and then hands the unit of work's events
here. A message bus that is down (Redis, with ``HALLQ_REDIS_URL``) or a figures read that
fails must not make the caller's 201 a 500: the change is stored, and the clients still get
to know. So the plan of messages is sent at once when it can be; when a step fails, the
rest of that plan waits in an ordered queue, and so does every plan after it (keeping the
hall's ``seq`` order), while a relay task tries again with a growing pause until the bus is
back. Device commands do not depend on it: they are stored and go out again on reconnect.

This queue lives in the process, as the hub's clients do: a client that connects after a
restart starts from a snapshot. It is bounded: past ``MAX_PENDING`` plans the oldest are
dropped and the hall's ``seq`` skips a number when the bus is back, so every client sees the
gap and reloads the true state from a snapshot.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from hallq.server.hub import Hub, Plan
from hallq.server.queue.events import DomainEvent
from hallq.server.queue.hall import HallContext

log = logging.getLogger(__name__)

MAX_PENDING = 10_000
FIRST_PAUSE, LONGEST_PAUSE = 0.2, 5.0  # seconds between the relay's attempts


class Publisher:
    def __init__(
        self,
        hub: Hub,
        start_task: Callable[..., Any],
        sleep: Callable[[float], Any],
    ) -> None:
        self.hub = hub
        self._start_task = start_task
        self._sleep = sleep
        self._lock = threading.Lock()
        self._pending: collections.deque[Plan] = collections.deque()
        self._gaps: set[int] = set()  # halls whose clients must be told they missed deltas
        self._relaying = False
        self._stopped = False
        self.failures = 0  # steps that failed since start (for tests and logs)

    def publish(self, hall: HallContext, events: Iterable[DomainEvent]) -> None:
        """Send what a committed unit of work did; never raises."""
        try:
            plan = self.hub.plan(hall, events)
        except Exception:
            log.exception("could not plan the messages of a committed change")
            return
        with self._lock:
            if self._pending or self._relaying:
                self._queue(plan)
                return
        try:
            self._run(plan)
        except Exception as exc:
            self._failed(plan, exc)
            with self._lock:
                self._queue(plan, first=True)

    def _run(self, plan: Plan) -> None:
        if plan.run():
            # A message was skipped (a bug, logged): a number nobody gets makes every
            # client see the gap and reload the true state.
            self.hub.seq.next(plan.hall.id)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _queue(self, plan: Plan, *, first: bool = False) -> None:
        """(under the lock) Keep a plan for the relay, and make sure the relay runs."""
        if len(self._pending) >= MAX_PENDING:
            dropped = self._pending.popleft()
            self._gaps.add(dropped.hall.id)
        if first:
            self._pending.appendleft(plan)
        else:
            self._pending.append(plan)
        if not self._relaying and not self._stopped:
            self._relaying = True
            self._start_task(self._relay)

    def _failed(self, plan: Plan, exc: Exception) -> None:
        self.failures += 1
        plan.failures += 1
        if plan.failures == 1:
            log.warning(
                "publishing paused (%s: %s); the change is stored and its messages will follow",
                type(exc).__name__,
                exc,
            )

    def _relay(self) -> None:
        pause = FIRST_PAUSE
        while True:
            with self._lock:
                if self._stopped or not self._pending:
                    self._relaying = False
                    return
                plan = self._pending[0]
                gaps = set(self._gaps)
            try:
                for hall_id in gaps:
                    self.hub.seq.next(hall_id)  # a number nobody gets: clients resync
                    with self._lock:
                        self._gaps.discard(hall_id)
                self._run(plan)
            except Exception as exc:
                self._failed(plan, exc)
                self._sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            if plan.failures:
                log.warning("publishing resumed")
            pause = FIRST_PAUSE
            with self._lock:
                if self._pending and self._pending[0] is plan:
                    self._pending.popleft()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True

"""The realtime hub: what the engine reports, as Socket.IO messages to the right rooms.

Every client joins the room of its hall; a device also the rooms of its zone, its window
and itself; a clerk's screen that of the window it holds (see ``realtime.py``). The hub
sends:

- deltas to the hall, each with the hall's next ``seq``;
- device commands to one device (``print.job`` to the kiosk that issued the ticket,
  ``rating.request``, ``rating.cancel`` and ``sign.text`` to a window's counter agent);
- addressed messages to one window or one device (a rating for the clerk's screen, a
  device's reported state for its own screen and the supervisors').

Ordering: a unit of work's messages are planned as steps (``plan``) and sent in order. The
facts (a call, an issue, a move) need no reading and go first, numbered under the hub's lock,
so a call reaches the lobby before the figures are read. Figures (waiting counts, window
states) are read after them: a window's under the lock; queue figures outside it, carrying
their service's queue version so that a slower reader's older figures are dropped instead of
sent after newer ones. A step that fails (the message bus is down, a read fails) raises; the
publisher (``publisher.py``) keeps the rest of the plan and tries again.

Several server processes share one Redis (``HALLQ_REDIS_URL``): emits go through its
message queue and ``seq`` comes from one Redis counter per hall. Deltas of two processes
may then arrive out of order; the client sees the gap and asks for a snapshot.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_socketio import SocketIO
from sqlalchemy.exc import InterfaceError, OperationalError

from hallq.server import wire
from hallq.server.db import Database
from hallq.server.print_jobs import PrintJobs
from hallq.server.queue import reads, rules
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import (
    CommandAnswered,
    CounterUpdated,
    CredentialsEnded,
    DeviceCommandQueued,
    DeviceReported,
    DomainEvent,
    FollowUpChanged,
    HallChanged,
    NoticeChanged,
    QueueChanged,
    RatingStored,
    TicketCalled,
    TicketIssued,
    TicketUpdated,
)
from hallq.server.queue.hall import HallContext

log = logging.getLogger(__name__)


def hall_room(hall_id: int) -> str:
    return f"hall:{hall_id}"


def zone_room(hall_id: int, zone: str) -> str:
    return f"zone:{hall_id}:{zone}"


def counter_room(hall_id: int, number: int) -> str:
    return f"counter:{hall_id}:{number}"


def device_room(device_id: int) -> str:
    return f"device:{device_id}"


def oversight_room(hall_id: int) -> str:
    """The sockets of the hall's supervisors and admins: follow-up cases and devices'
    reported states go here."""
    return f"oversight:{hall_id}"


def agent_room(device_id: int) -> str:
    """The device's agent(s): device commands go here, not to its screen."""
    return f"agent:{device_id}"


def ticket_room(ticket_id: int) -> str:
    """The customer's page of one ticket (joined with its status token)."""
    return f"ticket:{ticket_id}"


def service_tickets_room(hall_id: int, service_id: int) -> str:
    """The customer pages of a service's tickets."""
    return f"queue:{hall_id}:{service_id}"


# Moves that change the places of the tickets behind or after them in their queue.
_MOVES_THAT_MOVE_OTHERS = frozenset(
    {"cancel", "transfer", "reinstate", "requeue", "release", "move"}
)


class CompactJSON:
    """Socket.IO's JSON without ASCII escapes or spaces: Chinese names travel as 3 bytes a
    character, not 6, to every screen on every delta."""

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("separators", (",", ":"))
        return json.dumps(obj, **kwargs)

    loads = staticmethod(json.loads)


class MemorySeq:
    """Per-hall ``seq`` of a single server process."""

    def __init__(self) -> None:
        self._values: dict[int, int] = {}

    def next(self, hall_id: int) -> int:
        value = self._values.get(hall_id, 0) + 1
        self._values[hall_id] = value
        return value

    def current(self, hall_id: int) -> int:
        return self._values.get(hall_id, 0)


class RedisSeq:
    """Per-hall ``seq`` shared by every server process of the hall.

    When Redis is down, ``next`` raises at once (refused connection) or within the
    connect timeout: the publisher then keeps the deltas until Redis is back.
    """

    def __init__(self, url: str, prefix: str = "hallq") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._prefix = prefix
        self._last: dict[int, int] = {}  # the last number this process took, per hall

    def _key(self, hall_id: int) -> str:
        return f"{self._prefix}:seq:{hall_id}"

    def next(self, hall_id: int) -> int:
        key = self._key(hall_id)
        value = int(self._redis.incr(key))
        last = self._last.get(hall_id, 0)
        if value <= last:
            # Redis lost the counter (restarted without its data): never go back, or every
            # open screen would take the new numbers for old deltas and drop them.
            value = int(self._redis.incrby(key, last - value + 1))
        self._last[hall_id] = value
        return value

    def current(self, hall_id: int) -> int:
        try:
            return max(int(self._redis.get(self._key(hall_id)) or 0), self._last.get(hall_id, 0))
        except Exception:  # Redis down: a snapshot still gets the last number known here
            return self._last.get(hall_id, 0)


Step = Callable[[], None]


def transient(exc: BaseException) -> bool:
    """A failure that passes (the bus or the database unreachable a moment): try again
    later. Anything else is a bug, and trying again would only block what follows."""
    if isinstance(exc, OSError | TimeoutError | OperationalError | InterfaceError):
        return True
    return type(exc).__module__.split(".")[0] == "redis"


@dataclass
class Plan:
    """A unit of work's messages, as steps run in order; ``done`` counts those sent."""

    hall: HallContext
    steps: list[Step]
    done: int = 0
    failures: int = field(default=0, compare=False)

    def run(self) -> int:
        """Send what is left; raises on a transient failure (the caller tries again later).
        A step that fails otherwise is logged and skipped; returns how many were."""
        skipped = 0
        while self.done < len(self.steps):
            try:
                self.steps[self.done]()
            except Exception as exc:
                if transient(exc):
                    raise
                log.exception("a message of a committed change could not be sent; skipped")
                skipped += 1
            self.done += 1
        return skipped


class Hub:
    """Turns the engine's events into wire messages and sends them to the hall's rooms."""

    def __init__(
        self,
        socketio: SocketIO,
        db: Database,
        estimator: Estimator,
        clock: Callable[[], dt.datetime],
        seq: MemorySeq | RedisSeq,
        print_jobs: PrintJobs,
        sessions: Any,
        callers: Any = None,
    ) -> None:
        self.socketio = socketio
        self.db = db
        self.estimator = estimator
        self.clock = clock
        self.seq = seq
        self.print_jobs = print_jobs
        self.sessions = sessions  # realtime.Sessions: the sockets open in this process
        self.callers = callers  # auth_cache.CallerCache
        self._lock = threading.Lock()
        self._queue_versions: dict[tuple[int, str], int] = {}  # last sent, per service

    # --- snapshots -----------------------------------------------------------------------

    def snapshot(self, hall: HallContext) -> wire.StatePayload:
        with self._lock:
            return self._snapshot(hall)

    def _snapshot(self, hall: HallContext) -> wire.StatePayload:
        seq = self.seq.current(hall.id)  # before reading: every delta <= seq is in the read
        with self.db.reading() as session:
            return reads.state_snapshot(session, hall, self.estimator, self.clock(), seq)

    def send_snapshot(self, sid: str, hall: HallContext) -> None:
        with self._lock:
            state = self._snapshot(hall)
            self.socketio.emit(wire.STATE, state, to=sid, namespace=wire.NAMESPACE)

    # --- publishing ----------------------------------------------------------------------

    def plan(self, hall: HallContext, events: Iterable[DomainEvent]) -> Plan:
        """The messages a committed unit of work's events make, as steps to run in order.

        What cannot wait for a message bus happens here, at once: forgetting and closing
        the sessions of credentials that ended, and the estimator's stale figures."""
        events = list(events)
        try:
            self._at_once(hall, events)
        except Exception:  # the messages below still go out
            log.exception("closing ended sessions or seating a window's clerk failed")
        now = self.clock()
        steps: list[Step] = []
        for event in events:
            fact = self._fact(hall, event, now)
            if fact is not None:
                steps.append(self._delta_step(hall, *fact))
        for event in events:
            if isinstance(event, DeviceCommandQueued):
                steps.append(self._command_step(hall, event, events))
            elif isinstance(event, RatingStored):
                steps.append(self._rating_step(hall, event))
            elif isinstance(event, DeviceReported):
                steps.extend(self._device_steps(hall, event))
            elif isinstance(event, FollowUpChanged):
                steps.append(self._follow_up_step(hall, event))
            elif (
                isinstance(event, CommandAnswered)
                and event.kind == wire.RATING_REQUEST
                and not event.ok
                and event.counter_number is not None
            ):
                ended: wire.RatingEndedPayload = {
                    "ticket_id": event.ticket_id,
                    "number": event.number,
                    "counter": event.counter_number,
                    "rated": False,
                    "reason": event.reason,
                }
                steps.append(
                    functools.partial(
                        self.send,
                        counter_room(hall.id, event.counter_number),
                        wire.RATING_ENDED,
                        ended,
                    )
                )
            elif isinstance(event, CommandAnswered) and event.kind == wire.PRINT_JOB:
                outcome: wire.PrintOutcome = {
                    "id": event.command_id,
                    "ticket_id": event.ticket_id,
                    "ok": event.ok,
                    "reason": event.reason,
                }
                steps.append(
                    functools.partial(
                        self.send, device_room(event.device_id), wire.PRINT_OUTCOME, outcome
                    )
                )
        if any(isinstance(e, TicketCalled) for e in events):
            # Under gevent the sockets are written by other greenlets: let them send the
            # call now, before this one reads the figures (the lobby first, the clerk's
            # reply a moment later).
            steps.append(lambda: self.socketio.sleep(0))
        queues = frozenset().union(*(e.service_ids for e in events if isinstance(e, QueueChanged)))
        if queues:
            steps.append(lambda: self._send_queue_figures(hall, queues, now))
        steps.extend(self._customer_steps(hall, events, queues))
        counters = list(
            dict.fromkeys(e.counter.number for e in events if isinstance(e, CounterUpdated))
        )
        if counters:
            steps.append(lambda: self._send_counters(hall, counters))
        return Plan(hall, steps)

    def _at_once(self, hall: HallContext, events: list[DomainEvent]) -> None:
        ended = [e for e in events if isinstance(e, CredentialsEnded)]
        if ended:
            if self.callers is not None:
                self.callers.forget()
            self.sessions.end(ended)
        staffing = [e.counter for e in events if isinstance(e, CounterUpdated) and e.staffing]
        if staffing:
            # A window opened, closed or paused: the estimated waits change now.
            self.estimator.invalidate(hall.id)
            for counter in staffing:
                self.sessions.seat(hall.id, counter.number, counter.clerk_id)

    def publish(self, hall: HallContext, events: Iterable[DomainEvent]) -> None:
        """Plan and send now; raises when a step fails (use the publisher, which does not)."""
        self.plan(hall, events).run()

    def _delta_step(self, hall: HallContext, name: str, data: dict[str, Any]) -> Step:
        def step() -> None:
            with self._lock:
                self._emit(hall, name, data)

        return step

    def _send_queue_figures(self, hall: HallContext, queues: frozenset[int], now: Any) -> None:
        # Read outside the lock (other publishers need not wait for this database round
        # trip); the queue versions keep a slower reader from sending older figures.
        with self.db.reading() as session:
            figures = reads.services_payload(
                session, hall, self.estimator, now, only=queues, figures_only=True
            )
        with self._lock:
            fresh = [f for f in figures if self._newer(hall.id, f)]
            if fresh:
                self._emit(hall, wire.QUEUE_UPDATED, {"services": fresh})

    def _send_counters(self, hall: HallContext, numbers: list[int]) -> None:
        # Windows change a few times a minute, one clerk at a time: read under the lock.
        with self._lock, self.db.reading() as session:
            for number in numbers:
                self._emit(
                    hall,
                    wire.COUNTER_UPDATED,
                    {"counter": reads.counter_payload_of(session, hall, number)},
                )

    def _newer(self, hall_id: int, figures: dict[str, Any]) -> bool:
        version = figures.pop("_version")
        key = (hall_id, figures["code"])
        # Equal: the same count, but other figures (estimates) may be fresher.
        if version < self._queue_versions.get(key, -1):
            return False
        self._queue_versions[key] = version
        return True

    def _emit(self, hall: HallContext, name: str, data: dict[str, Any]) -> None:
        # The number is taken first: when the bus is down this raises and nothing is sent,
        # and the publisher tries the same delta again later.
        data["seq"] = self.seq.next(hall.id)
        self.socketio.emit(name, data, to=hall_room(hall.id), namespace=wire.NAMESPACE)

    def _fact(
        self, hall: HallContext, event: DomainEvent, now: dt.datetime
    ) -> tuple[str, dict[str, Any]] | None:
        if isinstance(event, TicketCalled):
            return wire.TICKET_CALLED, dict(
                reads.call_payload(
                    hall, event.ticket, event.counter_number, event.zone_code, now, event.recall
                )
            )
        if isinstance(event, TicketIssued):
            return wire.TICKET_ISSUED, {"ticket": reads.ticket_payload(event.ticket)}
        if isinstance(event, TicketUpdated):
            return wire.TICKET_UPDATED, {
                "ticket": reads.ticket_payload(event.ticket),
                "move": event.move,
                "detail": event.detail,
            }
        if isinstance(event, HallChanged):
            return wire.HALL_UPDATED, {"hall": hall.public()}
        if isinstance(event, NoticeChanged):
            return wire.NOTICE_UPDATED, {"notices": list(event.notices)}
        return None

    # --- addressed messages --------------------------------------------------------------

    def send(self, room: str, name: str, data: Any) -> None:
        """One message to one room (a device, a window, a zone): no ``seq``."""
        self.socketio.emit(name, data, to=room, namespace=wire.NAMESPACE)

    def _command_step(
        self, hall: HallContext, event: DeviceCommandQueued, events: list[DomainEvent]
    ) -> Step:
        issued = next(
            (e for e in events if isinstance(e, TicketIssued) and e.ticket.id == event.ticket_id),
            None,
        )

        def step() -> None:
            data: Any
            if event.kind == wire.PRINT_JOB and issued is not None:
                # Just issued: what the issue computed, no database read.
                data = self.print_jobs.for_issued(hall, event.command_id, issued)
            elif event.kind == wire.PRINT_JOB:  # a reprint: the ticket as it is now
                with self.db.reading() as session:
                    data = self.print_jobs.from_database(
                        session, hall, event.command_id, event.ticket_id, self.clock()
                    )
            else:
                data = {"id": event.command_id, **(event.payload or {})}
            self.send(agent_room(event.device_id), event.kind, data)

        return step

    def _rating_step(self, hall: HallContext, event: RatingStored) -> Step:
        data: wire.RatingStoredPayload = {
            "rating": event.rating_id,
            "ticket_id": event.ticket_id,
            "number": event.number,
            "counter": event.counter_number,
            "score": event.score,
            "follow_up": event.follow_up_id,
        }
        return lambda: self.send(
            counter_room(hall.id, event.counter_number), wire.RATING_STORED, data
        )

    def _customer_steps(
        self, hall: HallContext, events: list[DomainEvent], queues: frozenset[int]
    ) -> list[Step]:
        """What the customers' pages hear: their own ticket's changes (from the event: no
        read), and, when people ahead may have moved, a hint to ask for their place again
        (not after an ordinary issue: a walk-in joins behind everyone)."""
        steps: list[Step] = []
        moved = False
        for event in events:
            if isinstance(event, TicketCalled | TicketUpdated):
                data: dict[str, Any] = {"ticket": reads.ticket_payload(event.ticket)}
                if isinstance(event, TicketUpdated):
                    data["move"] = event.move
                steps.append(
                    functools.partial(
                        self.send, ticket_room(event.ticket.id), wire.TICKET_STATUS, data
                    )
                )
                moved = moved or (isinstance(event, TicketCalled) and not event.recall)
                moved = moved or (
                    isinstance(event, TicketUpdated) and event.move in _MOVES_THAT_MOVE_OTHERS
                )
            elif isinstance(event, TicketIssued) and event.ticket.priority != rules.NORMAL:
                moved = True  # it joined ahead of walk-ins
        if moved:
            for service_id in sorted(queues):
                steps.append(
                    functools.partial(
                        self.send, service_tickets_room(hall.id, service_id), wire.QUEUE_MOVED, {}
                    )
                )
        return steps

    def _follow_up_step(self, hall: HallContext, event: FollowUpChanged) -> Step:
        data: wire.FollowUpUpdatedPayload = {
            "id": event.follow_up_id,
            "kind": event.kind,  # type: ignore[typeddict-item]
            "change": event.change,  # type: ignore[typeddict-item]
            "status": event.status,  # type: ignore[typeddict-item]
            "due_at": event.due_at.isoformat() if event.due_at else None,
            "assignee": event.assignee,
        }
        return lambda: self.send(oversight_room(hall.id), wire.FOLLOW_UP_UPDATED, data)

    def _device_steps(self, hall: HallContext, event: DeviceReported) -> list[Step]:
        data: wire.DeviceUpdatedPayload = {
            "name": event.name,
            "kind": event.kind,
            "status": event.status,
        }
        # Its own screens, and the supervisors' dashboards (a printer out of paper is an
        # alert); never the other devices: no kiosk or board learns another's state.
        return [
            functools.partial(self.send, room, wire.DEVICE_UPDATED, data)
            for room in (device_room(event.device_id), oversight_room(hall.id))
        ]

    def send_pending_commands(self, sid: str, hall: HallContext, device_id: int) -> int:
        """On a device's (re)connect: its unanswered commands, oldest first; returns how many."""
        from hallq.server.queue import device_commands

        with self.db.reading() as session:
            pending = device_commands.pending(session, device_id, self.clock())
            messages = []
            for command in pending:
                if command.kind == wire.PRINT_JOB:
                    data: Any = self.print_jobs.from_database(
                        session, hall, command.id, command.ticket_id, command.created_at
                    )
                    if data is None:
                        continue
                else:
                    data = {"id": command.id, **command.payload}
                messages.append((command.kind, data))
        for kind, data in messages:
            self.socketio.emit(kind, data, to=sid, namespace=wire.NAMESPACE)
        return len(messages)

"""The realtime hub: Socket.IO namespace ``/hall``.

A client joins with its token (``auth={"token": …}``), is put in the rooms of its hall,
zone, window and device, gets a ``state`` snapshot, then the hall's deltas, each with the
hall's next ``seq``. A client that sees a gap in ``seq`` sends ``state.request``.

Ordering: deltas are numbered and emitted under one lock per process, and the figures
that must not go backwards (waiting counts, window states) are re-read inside it — so
the last delta a client gets is never older than one before it. The snapshot is taken
under the same lock, after the client joined its rooms: no delta can slip between the
snapshot and the deltas that follow it.

Several server processes share one Redis (``HALLQ_REDIS_URL``): emits go through its
message queue and ``seq`` comes from one Redis counter per hall. Deltas of two processes
may then arrive out of order; the client sees the gap and asks for a snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, request
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room
from sqlalchemy import update

from hallq.server import wire
from hallq.server.auth import Caller, resolve
from hallq.server.db import Database
from hallq.server.models import Device
from hallq.server.queue import ledger, reads
from hallq.server.queue.errors import Refused
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import (
    CounterUpdated,
    DomainEvent,
    HallChanged,
    QueueChanged,
    TicketCalled,
    TicketIssued,
    TicketUpdated,
)
from hallq.server.queue.hall import HallContext
from hallq.server.queue.ratings import find_ticket_id, rate
from hallq.server.refusals import explain

log = logging.getLogger(__name__)


def hall_room(hall_id: int) -> str:
    return f"hall:{hall_id}"


def zone_room(hall_id: int, zone: str) -> str:
    return f"zone:{hall_id}:{zone}"


def counter_room(hall_id: int, number: int) -> str:
    return f"counter:{hall_id}:{number}"


def device_room(device_id: int) -> str:
    return f"device:{device_id}"


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
    """Per-hall ``seq`` shared by every server process of the hall."""

    def __init__(self, url: str, prefix: str = "hallq") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def _key(self, hall_id: int) -> str:
        return f"{self._prefix}:seq:{hall_id}"

    def next(self, hall_id: int) -> int:
        return int(self._redis.incr(self._key(hall_id)))

    def current(self, hall_id: int) -> int:
        return int(self._redis.get(self._key(hall_id)) or 0)


class Hub:
    """Turns the engine's events into wire deltas and sends them to the hall's rooms."""

    def __init__(
        self,
        socketio: SocketIO,
        db: Database,
        estimator: Estimator,
        clock: Callable[[], dt.datetime],
        seq: MemorySeq | RedisSeq,
    ) -> None:
        self.socketio = socketio
        self.db = db
        self.estimator = estimator
        self.clock = clock
        self.seq = seq
        self._lock = threading.Lock()
        self._queue_versions: dict[tuple[int, str], int] = {}  # last sent, per service

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

    def publish(self, hall: HallContext, events: Iterable[DomainEvent]) -> None:
        events = list(events)
        if not events:
            return
        if any(isinstance(e, CounterUpdated) and e.staffing for e in events):
            # A window opened, closed or paused: the estimated waits change now.
            self.estimator.invalidate(hall.id)
        now = self.clock()
        counters = list(
            dict.fromkeys(e.counter.number for e in events if isinstance(e, CounterUpdated))
        )
        queues = frozenset().union(*(e.service_ids for e in events if isinstance(e, QueueChanged)))
        with self._lock:
            # What needs no reading goes first: a call reaches the lobby before the figures.
            for name, data in self._facts(hall, events, now):
                self._emit(hall, name, data)
        if any(isinstance(e, TicketCalled) for e in events):
            # Under gevent the sockets are written by other greenlets: let them send the
            # call now, before this one reads the figures (the lobby first, the clerk's
            # reply a moment later).
            self.socketio.sleep(0)
        if queues:
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
        if counters:
            # Windows change a few times a minute, one clerk at a time: read under the lock.
            with self._lock, self.db.reading() as session:
                for number in counters:
                    self._emit(
                        hall,
                        wire.COUNTER_UPDATED,
                        {"counter": reads.counter_payload_of(session, hall, number)},
                    )

    def _newer(self, hall_id: int, figures: dict[str, Any]) -> bool:
        version = figures.pop("_version")
        key = (hall_id, figures["code"])
        if version < self._queue_versions.get(
            key, -1
        ):  # equal: same count, other figures may differ
            return False
        self._queue_versions[key] = version
        return True

    def _emit(self, hall: HallContext, name: str, data: dict[str, Any]) -> None:
        data["seq"] = self.seq.next(hall.id)
        self.socketio.emit(name, data, to=hall_room(hall.id), namespace=wire.NAMESPACE)

    def _facts(
        self, hall: HallContext, events: list[DomainEvent], now: dt.datetime
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        for event in events:
            if isinstance(event, TicketCalled):
                yield (
                    wire.TICKET_CALLED,
                    dict(
                        reads.call_payload(
                            hall,
                            event.ticket,
                            event.counter_number,
                            event.zone_code,
                            now,
                            event.recall,
                        )
                    ),
                )
            elif isinstance(event, TicketIssued):
                yield wire.TICKET_ISSUED, {"ticket": reads.ticket_payload(event.ticket)}
            elif isinstance(event, TicketUpdated):
                yield (
                    wire.TICKET_UPDATED,
                    {
                        "ticket": reads.ticket_payload(event.ticket),
                        "move": event.move,
                        "detail": event.detail,
                    },
                )
            elif isinstance(event, HallChanged):
                yield wire.HALL_UPDATED, {"hall": hall.public()}
            # RatingStored is for the back office (a later screen), not for the lobby.


class HallNamespace(Namespace):
    """``/hall``: join with a token, then snapshot and deltas; agents report back here."""

    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace)
        self.app = app
        self.callers: dict[str, Caller] = {}

    @property
    def state(self) -> Any:
        return self.app.extensions["hallq"]

    def trigger_event(self, event: str, *args: Any) -> Any:
        # The wire's event names have dots ("state.request"); handler names cannot.
        return super().trigger_event(event.replace(".", "_"), *args)

    def on_connect(self, auth: dict[str, Any] | None = None) -> bool:
        token = (auth or {}).get("token") if isinstance(auth, dict) else None
        token = token or request.args.get("token")
        state = self.state
        with state.db.reading() as session:
            who = resolve(session, token, state.clock()) if isinstance(token, str) else None
            hall = state.hall(session, who.actor.hall_id) if who else None
        if who is None or hall is None:
            # Socket.IO tells the client why in its connect_error.
            raise ConnectionRefusedError(
                {"code": "bad_token", "message": "token missing, unknown or revoked"}
            )
        sid = request.sid  # type: ignore[attr-defined]
        self.callers[sid] = who
        join_room(hall_room(hall.id))
        if who.zone:
            join_room(zone_room(hall.id, who.zone))
        if who.counter_number is not None:
            join_room(counter_room(hall.id, who.counter_number))
        if who.kind == "device":
            join_room(device_room(who.actor.device_id or 0))
            self._seen(who, None)
        self.emit(
            wire.JOINED,
            {
                "protocol": wire.PROTOCOL_VERSION,
                "name": who.name,
                "role": who.role,
                "kind": who.kind,
                "zone": who.zone,
                "counter": who.counter_number,
                "hall": hall.public(),
            },
            room=sid,
        )
        state.hub.send_snapshot(sid, hall)
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        self.callers.pop(request.sid, None)  # type: ignore[attr-defined]

    def _caller(self) -> Caller | None:
        return self.callers.get(request.sid)  # type: ignore[attr-defined]

    def on_state_request(self, _data: Any = None) -> dict[str, Any]:
        who = self._caller()
        if who is None:
            return {"ok": False}
        state = self.state
        with state.db.reading() as session:
            hall = state.hall(session, who.actor.hall_id)
        state.hub.send_snapshot(request.sid, hall)  # type: ignore[attr-defined]
        return {"ok": True}

    def _seen(self, who: Caller, status: dict[str, Any] | None) -> None:
        state = self.state
        values: dict[str, Any] = {"last_seen_at": state.clock()}
        if status is not None:
            values["status"] = status
        with state.db.writing() as session:
            session.execute(update(Device).where(Device.id == who.actor.device_id).values(**values))
            if status is not None:
                ledger.append(session, who.actor, "device.status", state.clock(), **status)

    def on_device_status(self, data: Any) -> dict[str, Any]:
        """An agent reports its device: ``{"status": "paper_out", "detail": "..."}``."""
        who = self._caller()
        if who is None or who.kind != "device":
            return {"ok": False, "error": "devices only"}
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("status"), str)
            or len(data["status"]) > 40
        ):
            return {"ok": False, "error": "expected {status: str (≤ 40), detail?: str (≤ 200)}"}
        detail = data.get("detail")
        status = {
            "status": data["status"],
            "detail": str(detail)[:200] if detail is not None else None,
        }
        self._seen(who, status)
        return {"ok": True}

    def on_rating_submit(self, data: Any) -> dict[str, Any]:
        """The counter agent's pad gave a score: ``{"ticket": id or number, "score": 1..5}``."""
        who = self._caller()
        if who is None or who.role != "counter":
            return {"ok": False, "error": "counter agents only"}
        if not isinstance(data, dict) or not isinstance(data.get("score"), int):
            return {"ok": False, "error": "expected {ticket, score}"}
        ticket = data.get("ticket")
        if not isinstance(ticket, int | str) or isinstance(ticket, bool):
            return {"ok": False, "error": "expected {ticket, score}"}
        state = self.state
        try:
            with state.db.writing() as session:
                hall = state.hall(session, who.actor.hall_id)
                now = state.clock()
                ticket_id = find_ticket_id(session, hall.id, ticket, hall.business_day(now))
                stored = rate(session, hall.id, who.actor, ticket_id, int(data["score"]), now)
        except Refused as exc:
            return {"ok": False, "error": exc.code, "message": explain(exc, hall.default_language)}
        return {"ok": True, "rating": stored.rating_id, "follow_up": stored.follow_up_id}

    def on_print_result(self, data: Any) -> dict[str, Any]:
        """A kiosk agent says how a print job went (kept in the log for the back office)."""
        who = self._caller()
        if who is None or who.role != "kiosk" or not isinstance(data, dict):
            return {"ok": False}
        state = self.state
        with state.db.writing() as session:
            ledger.append(
                session,
                who.actor,
                "print.result",
                state.clock(),
                job=str(data.get("job", ""))[:64],
                ok=bool(data.get("ok")),
                error=str(data.get("error"))[:200] if data.get("error") else None,
            )
        return {"ok": True}


def init_realtime(app: Flask) -> SocketIO:
    redis_url = app.config.get("HALLQ_REDIS_URL")
    prefix = app.config.get("HALLQ_REDIS_PREFIX", "hallq")
    socketio = SocketIO(
        app,
        async_mode=app.config.get("HALLQ_ASYNC_MODE", "threading"),
        message_queue=redis_url,
        channel=f"{prefix}:socketio",
        # Screens are served by this same server; other origins have no business here.
        cors_allowed_origins=app.config.get("HALLQ_CORS_ORIGINS", []),
        logger=False,
        engineio_logger=False,
        json=CompactJSON,
    )
    state = app.extensions["hallq"]
    seq: MemorySeq | RedisSeq = RedisSeq(redis_url, prefix) if redis_url else MemorySeq()
    state.hub = Hub(socketio, state.db, state.estimator, state.clock, seq)
    socketio.on_namespace(HallNamespace(wire.NAMESPACE, app))

    @socketio.on_error(wire.NAMESPACE)
    def _handler_failed(exc: Exception) -> dict[str, Any]:
        if isinstance(exc, ConnectionRefusedError):
            raise exc  # a refused join, not a bug: the client gets its reason
        # A bug in a handler: log it whole; the client gets a short refusal, never silence.
        log.exception("Socket.IO handler failed", exc_info=exc)
        return {"ok": False, "error": "internal_error"}

    return socketio

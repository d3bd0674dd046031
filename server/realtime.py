"""Socket.IO namespace ``/hall``: who may join, what agents may say, and the open sessions.

A client joins with its token, in the ``auth`` payload or the ``Authorization`` header
(never the query string, which servers and proxies log). A browser's ``Origin`` must be
the server's own or one configured (``HALLQ_ALLOWED_ORIGINS``); agents send none. It is put
in the rooms of its hall, and a device also in those of its zone, its window and itself
(``hub.py``), gets ``joined``, a ``state`` snapshot, its unanswered device commands, then
the hall's deltas.

Agent messages (``wire.CLIENT_EVENTS``) are checked against their shape and against the
caller as it is now (a token revoked a moment ago is refused, and its socket closed), then
run through the command path like any other change. Anything else a client sends, including
Socket.IO's own event names, is refused with the contract's error and no traceback.

Credentials that end (a device revoked, a user disabled or given another role or password,
a sign-out) close their sockets at once: in this process through the hub, in others (and
after ``hallq`` commands) within a second, when ``Sessions`` sees the revocation announced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room

from hallq.server import wire
from hallq.server.admin import devices
from hallq.server.auth import Caller, resolve_digest, token_hash, token_kind
from hallq.server.catalogs import gettext
from hallq.server.hub import (
    CompactJSON,
    Hub,
    MemorySeq,
    RedisSeq,
    agent_room,
    counter_room,
    device_room,
    hall_room,
    oversight_room,
    service_tickets_room,
    ticket_room,
    zone_room,
)
from hallq.server.i18n import current_language
from hallq.server.publisher import Publisher
from hallq.server.queue import device_commands, lookups, ratings, reads
from hallq.server.queue.errors import N_, Refused
from hallq.server.queue.events import CredentialsEnded
from hallq.server.refusals import explain

log = logging.getLogger(__name__)

CHECK_EVERY = 0.5  # seconds between looks at the revocation announcements
RECHECK_ALL_EVERY = 60.0  # every open socket's token, also without an announcement (expiry)
EXPIRE_EVERY = 30.0  # device commands past their age

BAD_TOKEN = N_("This token is not valid (unknown, expired or revoked): sign in again.")


def bearer(value: str | None) -> str | None:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Connected:
    sid: str
    caller: Caller
    digest: str
    kind: str  # "user" | "device"
    agent: bool = False  # a device's agent (takes its commands), not its screen


class Sessions:
    """The sockets open in this process, and the closing of those whose token ended."""

    def __init__(self, socketio: SocketIO, state: Any) -> None:
        self.socketio = socketio
        self.state = state
        self._lock = threading.Lock()
        self._open: dict[str, Connected] = {}
        self._keeping = False  # the housekeeping task runs (while any socket is open)
        self._stopped = False

    def add(self, connected: Connected) -> None:
        with self._lock:
            self._open[connected.sid] = connected
            start = not self._keeping and not self._stopped
            self._keeping = self._keeping or start
        if start:
            self.socketio.start_background_task(self._housekeeping)

    def remove(self, sid: str) -> Connected | None:
        with self._lock:
            return self._open.pop(sid, None)

    def agents_of(self, caller: Caller) -> list[Connected]:
        """The device's agents connected to this process."""
        with self._lock:
            return [
                c
                for c in self._open.values()
                if c.agent and c.caller.actor.device_id == caller.actor.device_id
            ]

    def get(self, sid: str) -> Connected | None:
        with self._lock:
            return self._open.get(sid)

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)

    def current(self, sid: str) -> Caller | None:
        """The socket's caller as it is now (a few seconds' cache, forgotten at once on any
        revocation); None, and the socket closed, when its token no longer works."""
        connected = self.get(sid)
        if connected is None:
            return None
        state = self.state
        now = state.clock()
        found = state.callers.get(connected.digest, now) if state.callers else None
        if found is None:
            with state.db.reading() as session:
                found = resolve_digest(session, connected.digest, connected.kind, now)
            if found is not None and state.callers:
                state.callers.put(connected.digest, found, found.expires_at)
        if found is None or found.role != connected.caller.role:
            self.close(sid)
            return None
        return found

    def end(self, ended: Iterable[CredentialsEnded]) -> None:
        """Check at once the tokens of the sockets these credentials concern."""
        users = {e.user_id for e in ended if e.user_id is not None}
        devices_ = {e.device_id for e in ended if e.device_id is not None}
        with self._lock:
            concerned = [
                c
                for c in self._open.values()
                if c.caller.actor.user_id in users or c.caller.actor.device_id in devices_
            ]
        self._check(concerned)

    def check_all(self) -> None:
        with self._lock:
            everyone = list(self._open.values())
        self._check(everyone)

    def _check(self, sockets: list[Connected]) -> None:
        if not sockets:
            return
        now = self.state.clock()
        valid: dict[str, Caller | None] = {}
        with self.state.db.reading() as session:
            for c in sockets:
                if c.digest not in valid:
                    valid[c.digest] = resolve_digest(session, c.digest, c.kind, now)
        for c in sockets:
            now_caller = valid[c.digest]
            if now_caller is None or now_caller.role != c.caller.role:
                self.close(c.sid)

    def close(self, sid: str) -> None:
        """Tell the client why, then disconnect it."""
        connected = self.get(sid)
        self.remove(sid)
        lang = "zh-Hant"
        if connected is not None:
            hall = self.state.halls.get(connected.caller.actor.hall_id)
            lang = hall[1].default_language if hall else lang
        ended: wire.SessionEnded = {"code": "bad_token", "message": gettext(lang, BAD_TOKEN)}
        try:
            self.socketio.emit(wire.SESSION_ENDED, ended, to=sid, namespace=wire.NAMESPACE)
            self.socketio.server.disconnect(sid, namespace=wire.NAMESPACE)
        except Exception:  # already gone
            log.debug("closing %s failed", sid, exc_info=True)

    def seat(self, hall_id: int, number: int, clerk_id: int | None) -> None:
        """A window changed hands: its clerk's screens hear that window from now on
        (``rating.stored``), other users' screens no longer."""
        with self._lock:
            users = [c for c in self._open.values() if c.kind == "user"]
        room = counter_room(hall_id, number)
        for c in users:
            if c.caller.actor.user_id == clerk_id:
                self.socketio.server.enter_room(c.sid, room, namespace=wire.NAMESPACE)
            else:
                self.socketio.server.leave_room(c.sid, room, namespace=wire.NAMESPACE)

    def _housekeeping(self) -> None:
        """While sockets are open: close those whose token ended (announced by another
        process, or expired), and expire device commands past their age."""
        watch = self.state.callers.watch if self.state.callers else None
        seen = watch.epoch() if watch else 0
        last_full = last_expiry = time.monotonic()
        while True:
            self.socketio.sleep(CHECK_EVERY)
            with self._lock:
                if self._stopped or not self._open:
                    self._keeping = False  # add() starts another when a socket comes
                    return
            now = time.monotonic()
            try:
                epoch = watch.epoch() if watch else seen
                if epoch != seen or now - last_full >= RECHECK_ALL_EVERY:
                    seen, last_full = epoch, now
                    self.check_all()
                if now - last_expiry >= EXPIRE_EVERY:
                    last_expiry = now
                    self.state.expire_commands()
            except Exception:
                log.exception("housekeeping of the open sockets failed; trying again")

    def stop(self) -> None:
        self._stopped = True


class HallNamespace(Namespace):
    """``/hall``: join with a token, then snapshot and deltas; agents report back here."""

    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace)
        self.app = app

    @property
    def state(self) -> Any:
        return self.app.extensions["hallq"]

    @property
    def sessions(self) -> Sessions:
        return self.state.sessions  # type: ignore[no-any-return]

    # --- dispatch ------------------------------------------------------------------------

    def trigger_event(self, event: Any, *args: Any) -> Any:
        if event == "connect":
            # Socket.IO's own connect passes the handshake's environ; a client's message
            # named "connect" cannot.
            sid = args[0] if args else None
            if len(args) >= 2 and args[1] is self._environ(sid):
                return super().trigger_event(event, *args)
        elif event == "disconnect":
            # A real disconnect runs when the socket is already leaving; a client's message
            # named "disconnect" comes from a socket still connected.
            sid = args[0] if args else None
            if not self.socketio.server.manager.is_connected(sid, self.namespace):
                return super().trigger_event(event, *args)
        if not isinstance(event, str) or event not in wire.CLIENT_EVENTS:
            log.debug("refused a client's event %r", event)
            return self._refusal_reply(
                "unknown_event",
                N_("Clients may send only %(events)s."),
                events=", ".join(wire.CLIENT_EVENTS),
            )
        return super().trigger_event(event.replace(".", "_"), *args)

    def _environ(self, sid: Any) -> Any:
        try:
            return self.socketio.server.get_environ(sid, namespace=self.namespace)
        except Exception:
            return None

    def _refusal_reply(self, code: str, message: str, **params: Any) -> wire.Refusal:
        """A refusal answered before any handler runs (no request yet): in the server's
        default language."""
        lang = self.app.config.get("HALLQ_DEFAULT_LANGUAGE", "zh-Hant")
        return wire.error(code, gettext(lang, message, **params))

    # --- joining -------------------------------------------------------------------------

    def on_connect(self, auth: Any = None) -> bool:
        if isinstance(auth, dict) and "ticket" in auth:
            return self._join_ticket(auth["ticket"])
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            token = bearer(request.headers.get("Authorization"))
        kind = token_kind(token) if isinstance(token, str) and len(token) <= 200 else None
        state = self.state
        who = None
        if kind is not None and token is not None:
            digest = token_hash(token)
            with state.db.reading() as session:
                who = resolve_digest(session, digest, kind, state.clock())
                hall = state.hall(session, who.actor.hall_id) if who else None
        if who is None or hall is None:
            # Socket.IO tells the client why in its connect_error.
            raise ConnectionRefusedError(
                {"code": "bad_token", "message": "token missing, unknown or revoked"}
            )
        sid = request.sid  # type: ignore[attr-defined]
        # A device's agent (the program that prints, speaks or reads the pad) says so; its
        # screen shares its token but takes no device commands.
        agent = who.kind == "device" and isinstance(auth, dict) and auth.get("agent") is True
        join_room(hall_room(hall.id))
        if who.zone:
            join_room(zone_room(hall.id, who.zone))
        if who.counter_number is not None:
            join_room(counter_room(hall.id, who.counter_number))
        if who.kind == "device":
            join_room(device_room(who.actor.device_id or 0))
            if agent:
                join_room(agent_room(who.actor.device_id or 0))
        else:
            # A clerk's screen hears what happens at the window the clerk holds.
            for number in state.windows_held(who.actor.user_id):
                join_room(counter_room(hall.id, number))
            if who.actor.oversees:
                join_room(oversight_room(hall.id))
        self.sessions.add(Connected(sid, who, digest, kind, agent))
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
        if agent and who.actor.device_id is not None:
            device_id = who.actor.device_id
            state.commands.run(
                hall,
                who.actor,
                state.clock(),
                lambda session: devices.seen(session, device_id, state.clock()),
            )
            state.hub.send_pending_commands(sid, hall, device_id)
        return True

    def _join_ticket(self, status_token: Any) -> bool:
        """A customer's page of one ticket, joined with the ticket's status token (its QR
        code): it hears its own ticket and hints about its queue, nothing of anyone else."""
        state = self.state
        row = None
        if isinstance(status_token, str) and 0 < len(status_token) <= 64:
            with state.db.reading() as session:
                row = lookups.ticket_row_by_token(session, status_token)
        if row is None:
            raise ConnectionRefusedError({"code": "unknown_ticket", "message": "no such ticket"})
        join_room(ticket_room(row.id))
        join_room(service_tickets_room(row.hall_id, row.service_id))
        self.emit(
            wire.TICKET_STATUS,
            {"ticket": reads.ticket_payload(lookups.ticket_state_of(row))},
            room=request.sid,  # type: ignore[attr-defined]
        )
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        gone = self.sessions.remove(request.sid)  # type: ignore[attr-defined]
        if gone is not None and gone.agent and not self.sessions.agents_of(gone.caller):
            # The device's last agent left (stopped, crashed, unplugged): its screen must not
            # go on promising tickets that will not print.
            state = self.state
            actor = gone.caller.actor
            now = state.clock()
            caller = gone.caller

            def still_here() -> bool:  # an agent that connected meanwhile keeps it online
                return bool(self.sessions.agents_of(caller))

            try:
                hall = state.hall(None, actor.hall_id)
                state.commands.run(
                    hall,
                    actor,
                    now,
                    lambda session: devices.agent_left(session, actor, now, still_here),
                )
            except Exception:  # a disconnect must not fail: the device may be gone already
                log.exception("could not mark device %s offline", actor.device_id)

    # --- agent messages ------------------------------------------------------------------

    def _message(
        self,
        event: str,
        args: tuple[Any, ...],
        roles: tuple[str, ...] | None,
        handle: Callable[[Caller, dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        """Check the caller and the message, then handle it; refusals in the contract's shape."""
        sid = request.sid  # type: ignore[attr-defined]
        who = self.sessions.current(sid)
        lang = current_language()
        if who is None:
            return dict(wire.error("bad_token", gettext(lang, BAD_TOKEN)))
        if roles is not None and who.role not in roles:
            return dict(
                wire.error(
                    "not_for_this_client",
                    gettext(lang, N_("This client may not send %(event)s."), event=event),
                )
            )
        try:
            data = wire.validate(event, args[0] if args else None)
        except wire.BadMessage as bad:
            refusal: dict[str, Any] = dict(
                wire.error(
                    "invalid_message",
                    gettext(
                        lang,
                        N_("The message is not valid: %(problems)s"),
                        problems="; ".join(bad.problems),
                    ),
                )
            )
            refusal["error"]["problems"] = bad.problems
            return refusal
        try:
            return handle(who, data)
        except Refused as exc:
            return dict(wire.error(exc.code, explain(exc, lang)))

    def _change(self, who: Caller, work: Callable[[Any], Any]) -> Any:
        state = self.state
        hall = state.hall(None, who.actor.hall_id)
        return state.commands.run(hall, who.actor, state.clock(), work)

    def on_state_request(self, *args: Any) -> dict[str, Any]:
        def handle(who: Caller, _data: dict[str, Any]) -> dict[str, Any]:
            hall = self.state.hall(None, who.actor.hall_id)
            self.state.hub.send_snapshot(request.sid, hall)  # type: ignore[attr-defined]
            return {"ok": True}

        return self._message(wire.STATE_REQUEST, args, None, handle)

    def on_device_status(self, *args: Any) -> dict[str, Any]:
        """An agent reports its device: ``{"status": "paper_out", "detail": "..."}``."""

        def handle(who: Caller, data: dict[str, Any]) -> dict[str, Any]:
            status = {"status": data["status"], "detail": data.get("detail")}
            now = self.state.clock()
            self._change(who, lambda session: devices.report(session, who.actor, status, now))
            return {"ok": True}

        return self._message(wire.DEVICE_STATUS, args, ("kiosk", "display", "counter"), handle)

    def on_rating_submit(self, *args: Any) -> dict[str, Any]:
        """The counter agent's pad gave a score: ``{"ticket": id or number, "score": 1..5}``."""

        def handle(who: Caller, data: dict[str, Any]) -> dict[str, Any]:
            now = self.state.clock()
            hall = self.state.hall(None, who.actor.hall_id)

            def work(session: Any) -> ratings.Rated:
                ticket_id = ratings.find_ticket_id(
                    session, hall.id, data["ticket"], hall.business_day(now)
                )
                return ratings.rate_from_pad(
                    session, hall, who.actor, ticket_id, data["score"], now, data.get("id")
                )

            rated = self._change(who, work)
            stored = rated.stored
            return {"ok": True, "rating": stored.rating_id, "follow_up": stored.follow_up_id}

        return self._message(wire.RATING_SUBMIT, args, ("counter",), handle)

    def on_print_result(self, *args: Any) -> dict[str, Any]:
        """A kiosk agent says how a print job went: ``{"id", "ok", "reason"?}``."""
        return self._answer(wire.PRINT_RESULT, args, ("kiosk",))

    def on_command_ack(self, *args: Any) -> dict[str, Any]:
        """An agent carried out a device command (or could not): ``{"id", "ok"?, "reason"?}``."""
        return self._answer(wire.COMMAND_ACK, args, ("kiosk", "display", "counter"))

    def _answer(self, event: str, args: tuple[Any, ...], roles: tuple[str, ...]) -> dict[str, Any]:
        def handle(who: Caller, data: dict[str, Any]) -> dict[str, Any]:
            now = self.state.clock()
            answered = self._change(
                who,
                lambda session: device_commands.answer(
                    session,
                    who.actor,
                    data["id"],
                    now,
                    ok=data.get("ok", True),
                    reason=data.get("reason"),
                ),
            )
            return {"ok": True, "id": answered.command_id, "already": not answered.was_pending}

        return self._message(event, args, roles, handle)


def origin_check(app: Flask) -> Callable[[str | None, dict[str, Any]], bool]:
    """Socket.IO's ``cors_allowed_origins``: the server's own origin (as the browser reached
    it), the public URL's, and those configured; agents, which send no Origin, are let in
    by Engine.IO before this is asked."""
    configured = {_origin(o) for o in app.config.get("HALLQ_ALLOWED_ORIGINS") or ()}
    public = app.config.get("HALLQ_PUBLIC_URL")
    if public:
        configured.add(_origin(public))

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if not origin:
            return True
        wanted = _origin(origin)
        if wanted in configured:
            return True
        hosts = {environ.get("HTTP_HOST", "")}
        forwarded = environ.get("HTTP_X_FORWARDED_HOST")
        if forwarded:
            hosts.add(forwarded.split(",")[0].strip())
        return urlsplit(wanted).netloc in hosts and bool(urlsplit(wanted).netloc)

    return allowed


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def init_realtime(app: Flask) -> SocketIO:
    redis_url = app.config.get("HALLQ_REDIS_URL")
    prefix = app.config.get("HALLQ_REDIS_PREFIX", "hallq")
    options: dict[str, Any] = {}
    if redis_url:
        import socketio as python_socketio

        # A short connect timeout: an unreachable Redis must not hold up a request.
        options["client_manager"] = python_socketio.RedisManager(
            redis_url,
            channel=f"{prefix}:socketio",
            redis_options={"socket_connect_timeout": 2},
        )
    socketio = SocketIO(
        app,
        async_mode=app.config.get("HALLQ_ASYNC_MODE", "threading"),
        cors_allowed_origins=origin_check(app),
        logger=False,
        engineio_logger=False,
        json=CompactJSON,
        **options,
    )
    state = app.extensions["hallq"]
    seq: MemorySeq | RedisSeq = RedisSeq(redis_url, prefix) if redis_url else MemorySeq()
    state.sessions = Sessions(socketio, state)
    state.hub = Hub(
        socketio,
        state.db,
        state.estimator,
        state.clock,
        seq,
        state.print_jobs,
        state.sessions,
        state.callers,
    )
    state.publisher = Publisher(state.hub, socketio.start_background_task, socketio.sleep)
    socketio.on_namespace(HallNamespace(wire.NAMESPACE, app))

    @socketio.on_error(wire.NAMESPACE)
    def _handler_failed(exc: Exception) -> dict[str, Any]:
        if isinstance(exc, ConnectionRefusedError):
            raise exc  # a refused join, not a bug: the client gets its reason
        # A bug in a handler: log it whole; the client gets a short refusal, never silence.
        log.exception("Socket.IO handler failed", exc_info=exc)
        return dict(wire.error("internal_error", "Something went wrong on the server."))

    return socketio

"""The counter agent: the window's satisfaction pad, its call keys and its LED sign, wired to
the counter PC, talking to the hall server as the window's device.

    hallq counter-agent --server http://hall:8000 --token hqd_… --pad /dev/ttyUSB0 \
        --sign /dev/ttyUSB1

It talks to the server only through the public contract (Socket.IO namespace ``/hall`` with
the window's device token, ``server/wire.py``, and the REST API for the call keys) and to the
devices only through ``drivers.serial``: a pad protocol by name (``v1`` or a vendor's, an
entry point) over a ``SerialLink``, so it cannot tell a pty emulator from the hardware.

- ``rating.request`` (the clerk finished a ticket) lights the pad: an ``R`` frame with the
  number. The customer's score goes back as ``rating.submit``; nothing within
  ``rating_timeout`` seconds ends it as ``not_rated`` (``command.ack`` with ok false) and
  clears the pad. ``rating.cancel`` (the window called someone else) clears it too.
- A score pressed again after the rating was given is submitted for the same ticket, and the
  server refuses it (``already_rated``): the server alone decides what counts.
- ``sign.text`` puts the number on the window sign, or ``PAUSED`` (the sign shows 暫停服務).
  Only a newer text than the one shown is applied; the newest is shown again when the sign
  comes back after being unplugged.
- The pad's call keys (and a separate keypad's, ``--keys``) act like the clerk's buttons:
  NEXT, RECALL, PAUSE (reason ``break``), RESUME, through the REST API.
- A device unplugged is told to the server (``device.status``: ``pad_offline``,
  ``sign_offline``, ``keys_offline``; ``ok`` when all are back). The links reopen by
  themselves, with backoff.

One worker thread owns the agent's state: the socket's handlers and the serial readers only
hand it tasks, so nothing here needs a lock and a slow server never holds up a serial read.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hallq.drivers.serial import (
    PAUSED,
    Key,
    PadError,
    PadProtocol,
    Score,
    SerialLink,
    SignProtocolV1,
    pad_protocol_class,
)
from hallq.server import wire
from hallq.server.agent_socket import agent_client, connect_until_stopped, hang_up

log = logging.getLogger(__name__)

REPORT_AGAIN = 60.0  # seconds: the devices' state is told again even when unchanged
RETRY_AFTER = 1.0  # seconds before a message the server did not take is sent again
# How long after its request ended a ticket's score is still taken (and sent to the server,
# which refuses a second one): a customer who presses twice, or after the timeout.
LATE_SCORE = 60.0
# What each call key does: the window's REST action, and its body.
KEY_ACTIONS: dict[str, tuple[str, dict[str, Any] | None]] = {
    Key.NEXT: ("call-next", None),
    Key.RECALL: ("recall", None),
    Key.PAUSE: ("pause", {"reason": "break"}),
    Key.RESUME: ("resume", None),
}


@dataclass(frozen=True)
class Options:
    protocol: str = "v1"  # the pad's (and keypad's) protocol, a hallq.pad_protocols name
    pad_address: int = 1
    sign_address: int = 1
    keys_address: int = 1
    baudrate: int = 9600
    rating_timeout: float = 60.0  # seconds the pad waits for a score before "not rated"
    answer_timeout: float = 5.0  # seconds the server has to answer a message
    backoff: tuple[float, float] = (0.5, 10.0)  # serial reopening: first and longest wait


@dataclass
class RatingAsked:
    """A rating request the pad is showing, or the last one it showed."""

    id: int
    ticket_id: int
    number: str
    deadline: float  # when it ends as not rated
    ended_at: float | None = None  # when a score, the timeout or a cancel ended it


@dataclass
class Device:
    """One serial device of the window: its link, the protocol it speaks, and whether it is
    there."""

    role: str  # "pad", "sign", "keys"
    url: str
    protocol: PadProtocol | SignProtocolV1
    link: SerialLink | None = None
    present: bool = False
    why: str = "not opened yet"


@dataclass
class Outgoing:
    """A message for the server, kept until it answers (a dropped connection loses none)."""

    event: str
    payload: dict[str, Any]
    not_before: float = 0.0
    done: Callable[[dict[str, Any]], None] | None = field(default=None, repr=False)


class CounterAgent:
    def __init__(
        self,
        server_url: str,
        token: str,
        pad: str,
        *,
        sign: str | None = None,
        keys: str | None = None,
        options: Options = Options(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.options = options
        self.clock = clock
        protocol = pad_protocol_class(options.protocol)
        self.devices: dict[str, Device] = {"pad": Device("pad", pad, protocol(options.pad_address))}
        if sign:
            self.devices["sign"] = Device("sign", sign, SignProtocolV1(options.sign_address))
        if keys:
            self.devices["keys"] = Device("keys", keys, protocol(options.keys_address))
        self.client = agent_client()
        # What happened, for the log and the tests: scores, submitted, refused, not_rated,
        # unasked (a score with no ticket to give it to), keys, key_refused, unknown_key…
        self.counts: Counter[str] = Counter()
        self.counter_number: int | None = None  # the window, from the server
        self._tasks: queue.Queue[Callable[[], None]] = queue.Queue()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._outbox: list[Outgoing] = []
        self._asked: RatingAsked | None = None  # the pad's current (or last) request
        self._sign_id = 0  # the newest sign.text applied
        self._sign_text: str | None = None  # and what it said, shown again on a replug
        self._paused = False
        self._reported: tuple[str, str] | None = None  # what the server last heard
        self._reported_at = float("-inf")
        self._register()

    # --- the server -----------------------------------------------------------------------

    def _register(self) -> None:
        on = self.client.on
        ns = wire.NAMESPACE

        @on("connect", namespace=ns)
        def _connected() -> None:
            log.info("connected to %s", self.server_url)
            self._tasks.put(self._connected)

        @on("disconnect", namespace=ns)
        def _disconnected(*_reason: Any) -> None:
            log.warning("disconnected from %s; reconnecting", self.server_url)

        @on(wire.SESSION_ENDED, namespace=ns)
        def _ended(why: Any = None) -> None:
            log.error("the server ended this window's session (%s): give it a new token", why)

        @on(wire.RATING_REQUEST, namespace=ns)
        def _request(command: Any = None) -> None:
            self._tasks.put(lambda: self._rating_request(command))

        @on(wire.RATING_CANCEL, namespace=ns)
        def _cancel(command: Any = None) -> None:
            self._tasks.put(lambda: self._rating_cancel(command))

        @on(wire.SIGN_TEXT, namespace=ns)
        def _sign(command: Any = None) -> None:
            self._tasks.put(lambda: self._sign_command(command))

    def _connected(self) -> None:
        self._reported = None  # tell the server the devices' state again
        if self.counter_number is None:
            self._find_window()

    def _send(
        self,
        event: str,
        payload: dict[str, Any],
        done: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._outbox.append(Outgoing(event, payload, done=done))

    def _flush(self) -> None:
        """Send what waits for the server, oldest first; what it did not take stays."""
        now = self.clock()
        for message in list(self._outbox):
            if not self.client.connected or self._stopped.is_set():
                return
            if message.not_before > now:
                continue
            try:
                reply = self.client.call(
                    message.event,
                    message.payload,
                    namespace=wire.NAMESPACE,
                    timeout=self.options.answer_timeout,
                )
            except Exception as exc:  # a timeout, or the connection dropped meanwhile
                message.not_before = now + RETRY_AFTER
                log.warning("the server did not take %s yet: %s", message.event, exc)
                continue
            if not isinstance(reply, dict) or not (reply.get("ok") or "error" in reply):
                message.not_before = now + RETRY_AFTER
                continue
            self._outbox.remove(message)
            if "error" in reply:
                # Refused for good (already rated, a command the server forgot): sending it
                # again would be refused again.
                log.warning("the server refused %s %s: %s", message.event, message.payload, reply)
            if message.done is not None:
                message.done(reply)

    def _ack(self, command_id: int, ok: bool = True, reason: str | None = None) -> None:
        payload: dict[str, Any] = {"id": command_id, "ok": ok}
        if reason:
            payload["reason"] = reason
        self._send(wire.COMMAND_ACK, payload)

    def _find_window(self) -> None:
        """Which window this token belongs to (the call keys need its number)."""
        try:
            me = self._rest("GET", "/api/v1/devices/me")
        except OSError as exc:
            log.warning("cannot read this device from the server yet: %s", exc)
            return
        number = me.get("counter") if isinstance(me, dict) else None
        if isinstance(number, int):
            self.counter_number = number
            log.info("this is window %s's agent", number)
        else:
            log.error("this token is not a window's device (%s): the keys cannot call", me)

    def _rest(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One REST call with the device token: the answer's JSON (None for 204). Raises
        ``OSError`` when the server cannot be reached, ``Refused`` for a 4xx/5xx."""
        request = urllib.request.Request(
            self.server_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.options.answer_timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            try:
                error = json.loads(exc.read() or b"{}").get("error") or {}
            except (ValueError, AttributeError):
                error = {}
            raise Refused(exc.code, error.get("code", ""), error.get("message", "")) from None
        return json.loads(raw) if raw else None

    # --- rating ---------------------------------------------------------------------------

    def _rating_request(self, command: Any) -> None:
        if not _has(command, id=int, ticket_id=int, number=str):
            log.warning("ignored a malformed rating request: %r", command)
            return
        if self._asked is not None and self._asked.id == command["id"]:
            # Sent again on a reconnect: the pad is showing it, or its answer is on its way.
            return
        pad = self.devices["pad"]
        if not pad.present:
            # The customer is leaving now: a request kept until the pad returns would ask
            # the next one to rate this one's service.
            self.counts["pad_offline"] += 1
            self._ack(command["id"], ok=False, reason="pad_offline")
            return
        before = self._asked
        if before is not None and before.ended_at is None:
            self._end_request(before)  # a cancel that never came: the new ticket wins
            self._ack(before.id, ok=False, reason="superseded")
        now = self.clock()
        self._asked = RatingAsked(
            command["id"],
            command["ticket_id"],
            command["number"],
            deadline=now + self.options.rating_timeout,
        )
        self._write(pad, pad.protocol.request_rating(command["number"]))
        log.info("asked the pad to rate %s", command["number"])

    def _rating_cancel(self, command: Any) -> None:
        if not _has(command, id=int, ticket_id=int):
            log.warning("ignored a malformed rating cancel: %r", command)
            return
        asked = self._asked
        if asked is not None and asked.ended_at is None and asked.ticket_id == command["ticket_id"]:
            self._end_request(asked)
            pad = self.devices["pad"]
            self._write(pad, pad.protocol.cancel())  # type: ignore[union-attr]
        self._ack(command["id"])

    def _end_request(self, asked: RatingAsked) -> None:
        asked.ended_at = self.clock()

    def _expire(self) -> None:
        """A request nobody answered in time ends as not rated, and the pad goes dark."""
        asked = self._asked
        if asked is None or asked.ended_at is not None or self.clock() < asked.deadline:
            return
        self._end_request(asked)
        self.counts["not_rated"] += 1
        pad = self.devices["pad"]
        self._write(pad, pad.protocol.cancel())  # type: ignore[union-attr]
        self._ack(asked.id, ok=False, reason="not_rated")
        log.info("%s was not rated in %.0f s", asked.number, self.options.rating_timeout)

    def _score(self, score: int) -> None:
        self.counts["scores"] += 1
        asked = self._asked
        now = self.clock()
        if asked is None or (asked.ended_at is not None and now - asked.ended_at > LATE_SCORE):
            self.counts["unasked"] += 1
            log.warning("the pad gave %s with no ticket to rate: dropped", score)
            return
        payload: dict[str, Any] = {"ticket": asked.ticket_id, "score": score}
        if asked.ended_at is None:
            payload["id"] = asked.id
            self._end_request(asked)

        def done(reply: dict[str, Any]) -> None:
            if reply.get("ok"):
                self.counts["submitted"] += 1
                log.info("%s rated %s", asked.number, score)
            else:
                self.counts["refused"] += 1

        self._send(wire.RATING_SUBMIT, payload, done)

    # --- the sign -------------------------------------------------------------------------

    def _sign_command(self, command: Any) -> None:
        if not _has(command, id=int, state=str):
            log.warning("ignored a malformed sign text: %r", command)
            return
        if command["id"] <= self._sign_id:
            self._ack(command["id"])  # an older text, overtaken: done with
            return
        self._sign_id = command["id"]
        paused = command["state"] == "paused"
        text = PAUSED if paused else (command.get("ticket") or "")
        self._sign_text = text
        pad = self.devices["pad"]
        if paused != self._paused:
            self._paused = paused
            self._write(pad, pad.protocol.show(PAUSED if paused else ""))
        sign = self.devices.get("sign")
        if sign is None:
            self._ack(command["id"], ok=False, reason="no_sign")
            return
        if self._write(sign, sign.protocol.show(text)):
            self._ack(command["id"])
        else:
            # Shown when the sign comes back (``_device_state``).
            self._ack(command["id"], ok=False, reason="sign_offline")

    # --- keys -----------------------------------------------------------------------------

    def _key(self, name: str) -> None:
        self.counts["keys"] += 1
        action = KEY_ACTIONS.get(name)
        if action is None:
            self.counts["unknown_key"] += 1
            log.warning("the keypad sent an unknown key %r", name)
            return
        if self.counter_number is None:
            self._find_window()
        if self.counter_number is None:
            self.counts["key_refused"] += 1
            log.warning("key %s: the window is not known yet", name)
            return
        path, body = action
        try:
            answer = self._rest("POST", f"/api/v1/counters/{self.counter_number}/{path}", body)
        except Refused as exc:
            self.counts["key_refused"] += 1
            log.warning("key %s refused: %s %s", name, exc.code, exc.message)
            return
        except OSError as exc:
            # Not retried: a call made minutes later, when the server is back, would call
            # someone the clerk no longer expects.
            self.counts["key_refused"] += 1
            log.warning("key %s: the server cannot be reached (%s)", name, exc)
            return
        self.counts["key_" + name.lower()] += 1
        number = answer.get("number") if isinstance(answer, dict) else None
        log.info("key %s%s", name, f": {number}" if number else "")

    # --- the devices ----------------------------------------------------------------------

    def _write(self, device: Device, data: bytes) -> bool:
        return device.link is not None and device.present and device.link.write(data)

    def _device_data(self, device: Device, data: bytes) -> None:
        """On the device's reader thread: decode there, act on the worker."""
        for event in device.protocol.feed(data):
            if isinstance(event, Score) and device.role == "pad":
                self._tasks.put(lambda s=event.score: self._score(s))
            elif isinstance(event, Key) and device.role in ("pad", "keys"):
                self._tasks.put(lambda k=event.name: self._key(k))
            elif isinstance(event, PadError):
                log.warning("the %s refused a frame: %s", device.role, event.detail)

    def _device_state(self, device: Device, present: bool, why: str) -> None:
        def task() -> None:
            device.present, device.why = present, why
            log.log(logging.INFO if present else logging.WARNING, "%s: %s", device.role, why)
            if present and device.role == "sign" and self._sign_text is not None:
                self._write(device, device.protocol.show(self._sign_text))
            if present and device.role == "pad" and self._paused:
                self._write(device, device.protocol.show(PAUSED))

        self._tasks.put(task)

    def status(self) -> tuple[str, str]:
        """What the server is told: ``ok``, or the first device missing (``pad_offline``…),
        with every device's state as the detail."""
        status = "ok"
        for device in self.devices.values():
            if not device.present:
                status = f"{device.role}_offline"
                break
        detail = "; ".join(
            f"{d.role} {'ok' if d.present else 'offline'} ({d.url})" for d in self.devices.values()
        )
        return status, detail[:200]

    def _report(self) -> None:
        if not self.client.connected:
            return
        state = self.status()
        if state == self._reported and self.clock() - self._reported_at < REPORT_AGAIN:
            return
        if any(m.event == wire.DEVICE_STATUS for m in self._outbox):
            return  # one on its way; the next pass tells the newest

        def done(reply: dict[str, Any]) -> None:
            if reply.get("ok"):
                self._reported, self._reported_at = state, self.clock()

        self._send(wire.DEVICE_STATUS, {"status": state[0], "detail": state[1]}, done)

    def stats(self) -> dict[str, Any]:
        """What happened, and each device's frame counters (noise, bad checksums…)."""
        return {
            **self.counts,
            **{f"{role}_frames": dict(d.protocol.stats) for role, d in self.devices.items()},
        }

    # --- the loops ------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopped.is_set():
            try:
                task = self._tasks.get(timeout=0.1)
            except queue.Empty:
                task = None
            try:
                while task is not None:
                    task()
                    task = self._tasks.get_nowait()
            except queue.Empty:
                pass
            except Exception:  # one bad task must not end the agent
                log.exception("counter agent task failed")
            try:
                self._expire()
                self._report()
                self._flush()
            except Exception:
                log.exception("counter agent pass failed")

    def _connect(self) -> None:
        connect_until_stopped(self.client, self.server_url, self.token, self._stopped)

    def start(self) -> CounterAgent:
        for device in self.devices.values():
            device.link = SerialLink(
                device.url,
                on_data=lambda data, d=device: self._device_data(d, data),
                on_state=lambda present, why, d=device: self._device_state(d, present, why),
                baudrate=self.options.baudrate,
                backoff=self.options.backoff,
            ).start()
        for target, name in ((self._work, "counter-work"), (self._connect, "counter-connect")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopped.set()
        for device in self.devices.values():
            if device.link is not None:
                device.link.stop()
        for thread in self._threads:
            thread.join(10)
        # The last words (what was dropped on the lines) before the goodbye to the server,
        # which a slow server can hold up.
        log.info("counter agent stopped: %s", self.stats())
        hang_up(self.client)


class Refused(Exception):
    """The server answered a REST call with an error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def _has(command: Any, **fields: type) -> bool:
    return isinstance(command, dict) and all(
        isinstance(command.get(name), kind) and not isinstance(command.get(name), bool)
        for name, kind in fields.items()
    )

"""A v1 pad and a v1 window sign on a real pty, for the demo and the tests: the counter agent
opens ``path`` as it would ``/dev/ttyUSB0`` and cannot tell the difference.

    with PadEmulator(link=Path("var/pad-1"), auto_score=None) as pad:
        ...                                        # the agent opens pad.path, sends R A023
        pad.wait_for(lambda p: p.waiting == "A023")
        pad.press(4)                               # the customer's rating: S 4
        pad.unplug()                               # the agent's reads fail, as on a pulled
        pad.plug()                                 # USB adapter; then it is back

``unplug()`` closes the pty and removes ``link`` (udev removes ``/dev/ttyUSB0`` and its
``/dev/serial/by-id`` link the same way), so the host's reopening fails until ``plug()``
makes a new pty and points the link at it. Without a link the host must find the new pty
itself, as with an adapter that comes back under another name.

Each emulator runs one thread, which owns the pty's descriptors (it opens and closes them
itself, on request), so no descriptor is closed under a read and reused by the next pty.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import time
import tty
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from .codec import Frame, FrameDecoder, encode
from .sign_v1 import PAUSED

__all__ = ["PAUSED_DISPLAY", "PadEmulator", "SignEmulator"]

log = logging.getLogger(__name__)

PAUSED_DISPLAY = "暫停服務"  # what the sign shows for PAUSED
_JOIN_TIMEOUT = 5.0
_REQUEST_TIMEOUT = 5.0  # for the thread to unplug or plug
_POLL = 0.5  # the loop wakes this often anyway, should a wake-up byte ever be lost


class _PtyDevice(ABC):
    """A device at the far end of a pty: the pty, its thread, unplugging, and the frames."""

    kind = "device"

    def __init__(
        self,
        *,
        link: Path | None,
        address: int,
        on_change: Callable[[], None] | None,
    ) -> None:
        if not 0 <= address <= 255:
            raise ValueError(f"an address is from 0 to 255, not {address}")
        self.link = link
        self.address = address
        self.on_change = on_change
        self.received: list[Frame] = []  # valid frames from the host to this address, in order
        self.sent: list[Frame] = []  # frames this device sent (send_raw's bytes are not frames)
        self.pings = 0
        self.ignored = 0  # valid frames for another address
        self.decoder = FrameDecoder()
        self._changed = threading.Condition()  # guards the record above; notified on changes
        self._write_lock = threading.Lock()  # writes, and the descriptors they use
        self._master: int | None = None
        self._slave: int | None = None
        self._tty_name: str | None = None
        self._want_plugged = True
        self._plugged = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_read: socket.socket | None = None
        self._wake_write: socket.socket | None = None

    # --- what the host opens -------------------------------------------------------------

    @property
    def path(self) -> str:
        """What the host opens: the link when there is one, else the pty's slave."""
        if self.link is not None:
            return str(self.link)
        if self._tty_name is None:
            raise RuntimeError(f"the {self.kind} emulator is not started (or is unplugged)")
        return self._tty_name

    @property
    def plugged(self) -> bool:
        return self._plugged

    # --- running -------------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError(f"the {self.kind} emulator is already started")
        if self._stopping.is_set():
            raise RuntimeError(f"a stopped {self.kind} emulator does not start again")
        self._open()  # here, so that a failure reaches the caller
        self._wake_read, self._wake_write = socket.socketpair()
        self._thread = threading.Thread(
            target=self._run_guarded, name=f"{self.kind}-emulator {self.path}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread, close the pty and remove the link; safe twice."""
        thread, self._thread = self._thread, None
        self._stopping.set()
        self._wake()
        if thread is not None:
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                log.error("%s emulator %s: its thread did not stop", self.kind, self.link)
        self._close()
        for wake in (self._wake_read, self._wake_write):
            if wake is not None:
                wake.close()
        self._wake_read = self._wake_write = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def unplug(self) -> None:
        """Close the pty (the host's reads fail, like a pulled USB adapter) and remove the
        link; returns once done."""
        self._request(plugged=False)

    def plug(self) -> None:
        """A new pty, the link pointed at it; returns once done."""
        self._request(plugged=True)

    def wait_for(self, predicate: Callable[[Self], bool], timeout: float = 5.0) -> None:
        """Until ``predicate(self)`` holds (checked at each change); ``TimeoutError`` saying
        what was received when ``timeout`` seconds pass first."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout):
                raise TimeoutError(
                    f"{self.kind} emulator: the condition did not hold within {timeout:g} s; "
                    f"received {self._summary()}"
                )

    # --- sending -------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        """Bytes to the host as they are (noise, half frames); lost while unplugged."""
        self._write(data)

    def _send(self, command: str, data: str = "") -> None:
        frame = Frame(self.address, command, data)
        self._write(encode(frame))
        with self._changed:
            self.sent.append(frame)
            self._changed.notify_all()
        self._notify()

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            if self._master is None:
                log.info("%s emulator: unplugged, %d bytes lost", self.kind, len(data))
                return
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self._master, view)
                except BlockingIOError:
                    # The host reads nothing and the pty is full: what is left is lost, as
                    # it would be on a wire.
                    log.warning("%s emulator: the host is not reading; bytes lost", self.kind)
                    return
                except OSError as exc:
                    log.warning("%s emulator: writing failed: %s", self.kind, exc)
                    return
                view = view[written:]

    # --- the device's behaviour ----------------------------------------------------------

    @abstractmethod
    def _handle(self, frame: Frame) -> None:
        """Act on a valid frame from the host to this address (called with ``_changed``
        held: record, then reply with ``_reply``)."""

    def _due(self) -> float | None:
        """When ``_tick`` should run next (a monotonic time), or None."""
        return None

    def _tick(self, now: float) -> None:
        """Work that was due (the pad's automatic score); nothing for a device without any."""
        return None

    def _summary(self) -> str:
        commands = " ".join(f.command + f.data for f in self.received[-20:])
        return f"{len(self.received)} frames ({commands or 'none'})"

    # --- the thread ----------------------------------------------------------------------

    def _run_guarded(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("%s emulator: its thread failed", self.kind)

    def _run(self) -> None:
        assert self._wake_read is not None
        while not self._stopping.is_set():
            self._apply_plug_request()
            master = self._master
            readers: list[int | socket.socket] = [self._wake_read]
            if master is not None:
                readers.append(master)
            timeout = _POLL
            due = self._due()
            if due is not None:
                timeout = max(0.0, min(timeout, due - time.monotonic()))
            ready, _, _ = select.select(readers, [], [], timeout)
            if self._wake_read in ready:
                with contextlib.suppress(OSError):
                    self._wake_read.recv(64)
            if master is not None and master in ready:
                self._receive(master)
            due = self._due()
            if due is not None and time.monotonic() >= due:
                self._tick(time.monotonic())

    def _receive(self, master: int) -> None:
        try:
            data = os.read(master, 4096)
        except OSError:  # nothing after all (BlockingIOError), or EIO: next time
            return
        changed = False
        for frame in self.decoder.feed(data):
            with self._changed:
                if frame.address != self.address:
                    self.ignored += 1  # for another device on the bus: not ours to answer
                    continue
                self.received.append(frame)
                self._handle(frame)
                self._changed.notify_all()
            changed = True
        if changed:
            self._notify()

    def _reply(self, command: str, data: str = "") -> None:
        frame = Frame(self.address, command, data)
        self._write(encode(frame))
        self.sent.append(frame)

    def _notify(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("%s emulator: on_change failed", self.kind)

    def _request(self, *, plugged: bool) -> None:
        if self._thread is None:
            raise RuntimeError(f"the {self.kind} emulator is not running")
        with self._changed:
            self._want_plugged = plugged
        self._wake()
        with self._changed:
            if not self._changed.wait_for(lambda: self._plugged == plugged, _REQUEST_TIMEOUT):
                raise TimeoutError(
                    f"the {self.kind} emulator did not {'' if plugged else 'un'}plug"
                )
        self._notify()

    def _apply_plug_request(self) -> None:
        with self._changed:
            want = self._want_plugged
        if want == self._plugged:
            return
        if want:
            try:
                self._open()
            except OSError:
                log.exception("%s emulator: cannot make a new pty", self.kind)
                with self._changed:  # tell the waiting plug(): it times out with no pty
                    self._want_plugged = False
                return
        else:
            self._close()
        with self._changed:
            self._changed.notify_all()

    def _wake(self) -> None:
        if self._wake_write is not None:
            with contextlib.suppress(OSError):
                self._wake_write.send(b"\0")

    def _open(self) -> None:
        master, slave = os.openpty()
        # Raw: no echo of what the host writes back to it, no line editing, 8 bits through.
        tty.setraw(slave)
        os.set_blocking(master, False)
        # The emulator holds the slave open too: with no one on the other side a pty's
        # master reads EIO, and a pad must outlive the host's opening and closing.
        name = os.ttyname(slave)
        if self.link is not None:
            self.link.unlink(missing_ok=True)
            self.link.symlink_to(name)
        with self._write_lock:
            self._master, self._slave, self._tty_name = master, slave, name
        self.decoder.reset()
        self._plugged = True

    def _close(self) -> None:
        with self._write_lock:
            fds = (self._master, self._slave)
            self._master = self._slave = None
            self._tty_name = None
        if self.link is not None and self.link.is_symlink():
            self.link.unlink(missing_ok=True)
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._plugged = False


class PadEmulator(_PtyDevice):
    """A v1 pad on a pty pair: the host opens `path` (the pty's slave, or `link`, a stable
    symlink to it).

    It answers every valid host frame to its address with ``A`` (a command it does not know
    with ``E``), keeps what it was asked (``requests``, ``shown``, ``cancels``, ``pings``,
    ``waiting``), and sends what a customer or clerk presses (``press``, ``key``). With
    ``auto_score`` it answers each ``R`` with that score after ``auto_delay`` seconds, unless
    a ``C`` or another ``R`` comes first. ``keys=False``: a pad without call keys.
    """

    kind = "pad"

    def __init__(
        self,
        *,
        link: Path | None = None,
        address: int = 1,
        keys: bool = True,
        auto_score: int | None = None,
        auto_delay: float = 0.5,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(link=link, address=address, on_change=on_change)
        if auto_score is not None and not 1 <= auto_score <= 5:
            raise ValueError(f"auto_score is from 1 to 5, not {auto_score}")
        self.keys = keys
        self.auto_score = auto_score
        self.auto_delay = auto_delay
        self.requests: list[str] = []  # numbers asked for (R), in order
        self.shown: list[str] = []  # W texts, in order
        self.cancels = 0
        self.waiting: str | None = None  # asked and not yet given (None after a score or a C)
        self._auto_at: float | None = None

    def press(self, score: int) -> None:
        """The customer presses a key: ``S`` with it. Sent whether or not a rating is asked
        (the host decides what a score out of turn means)."""
        with self._changed:
            self.waiting = None
            self._auto_at = None
        self._send("S", str(score))

    def key(self, name: str) -> None:
        """The clerk presses a call key: ``K`` with its name (NEXT, RECALL, PAUSE, RESUME)."""
        if not self.keys:
            raise ValueError("this pad has no call keys (keys=False)")
        self._send("K", name)

    def _handle(self, frame: Frame) -> None:
        if frame.command == "R":
            self.requests.append(frame.data)
            self.waiting = frame.data
            if self.auto_score is not None:
                self._auto_at = time.monotonic() + self.auto_delay
        elif frame.command == "C":
            self.cancels += 1
            self.waiting = None
            self._auto_at = None
        elif frame.command == "W":
            self.shown.append(frame.data)
        elif frame.command == "P":
            self.pings += 1
        else:
            self._reply("E", f"UNKNOWN {frame.command}")
            return
        self._reply("A")

    def _due(self) -> float | None:
        return self._auto_at

    def _tick(self, now: float) -> None:
        with self._changed:
            if self._auto_at is None or now < self._auto_at or self.auto_score is None:
                return
            self._auto_at = None
            self.waiting = None
            score = self.auto_score
        self._send("S", str(score))


class SignEmulator(_PtyDevice):
    """A v1 window sign on a pty pair: it keeps each ``W`` text (``shown``) and shows the last
    (``display``, with 暫停服務 for ``PAUSED``); it answers ``W`` and ``P`` with ``A``."""

    kind = "sign"

    def __init__(
        self,
        *,
        link: Path | None = None,
        address: int = 1,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(link=link, address=address, on_change=on_change)
        self.shown: list[str] = []

    @property
    def display(self) -> str:
        """The text as the sign shows it ("" before the first ``W``)."""
        if not self.shown:
            return ""
        text = self.shown[-1]
        return PAUSED_DISPLAY if text == PAUSED else text

    def _handle(self, frame: Frame) -> None:
        if frame.command == "W":
            self.shown.append(frame.data)
        elif frame.command == "P":
            self.pings += 1
        else:
            self._reply("E", f"UNKNOWN {frame.command}")
            return
        self._reply("A")

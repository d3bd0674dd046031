"""One serial device kept open for as long as the agent runs, through unplugging and plugging
back in.

    link = SerialLink("/dev/ttyUSB0", on_data=pad_bytes, on_state=pad_state).start()
    link.write(pad.request_rating("A023"))        # False while the pad is away
    ...
    link.stop()

A thread reads: whatever arrives goes to ``on_data`` (bytes as they came: a frame may be split
across calls, which the protocol's decoder handles). When reading fails (a USB adapter pulled
out, the pty's other end closed, an ``rfc2217://`` server gone) the port is closed,
``on_state(False, why)`` is called, and the thread tries to open it again, 0.5 s after, then
1, 2, 4… up to every 10 s, until it can; then ``on_state(True, describe())``. Callbacks run on
that thread: they should be quick, and whatever they raise is logged, never fatal.

A device that is still there but silent (a pad whose cable came out of the adapter) reads as
nothing at all, not as an error: the protocol's ping finds those.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import serial

__all__ = ["SerialLink"]

log = logging.getLogger(__name__)

# A read returns at least this often with nothing, so the thread notices stop() even on a
# port whose cancel_read() does not work (some URL handlers).
_READ_TIMEOUT = 0.5
# A write that cannot go out in this time (a device that holds flow control, a full pty)
# fails rather than holding up the agent. A whole frame takes 41 ms at 9600 baud.
_WRITE_TIMEOUT = 2.0
# A connection that lasted less than this before failing does not reset the backoff, so a
# port that opens and fails at once is not reopened twice a second forever.
_STABLE_AFTER = 2.0
_JOIN_TIMEOUT = 5.0
# What a port that is going or gone raises: pyserial's own errors (SerialException is an
# OSError), the OS's, and termios's, which pyserial lets out of some calls on a gone tty.
_PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, ValueError)
try:
    import termios

    _PORT_ERRORS = (*_PORT_ERRORS, termios.error)
except ImportError:  # Windows
    pass


class SerialLink:
    """One serial device by path or pyserial URL (/dev/ttyUSB0, rfc2217://host:port, a pty
    path, loop://), kept open: a reader thread hands what arrives to on_data; when the device
    goes (unplugged, pty closed, SerialException/OSError) it tells on_state(False, why) and
    retries with backoff (0.5 s doubling to 10 s) until it is back, then
    on_state(True, describe)."""

    def __init__(
        self,
        url: str,
        on_data: Callable[[bytes], None],
        on_state: Callable[[bool, str], None],
        *,
        baudrate: int = 9600,
        backoff: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        first, longest = backoff
        if not 0 < first <= longest:
            raise ValueError(
                f"backoff must be (first, longest) with 0 < first <= longest: {backoff}"
            )
        if baudrate <= 0:
            raise ValueError(f"baudrate must be above 0: {baudrate}")
        _check_url(url)
        self.url = url
        self.baudrate = baudrate
        self.backoff = backoff
        self._on_data = on_data
        self._on_state = on_state
        self._port: Any = None  # a serial.Serial (or a URL handler's); pyserial has no types
        self._write_lock = threading.Lock()  # writes, and taking the port away from them
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: bool | None = None  # the last state told to on_state

    # --- life ----------------------------------------------------------------------------

    def start(self) -> SerialLink:
        """Start the reader thread; it opens the port (a port that cannot be opened now is
        reported through on_state and retried, never raised)."""
        if self._thread is not None:
            raise RuntimeError(f"{self.describe()}: the link is already started")
        if self._stopping.is_set():
            raise RuntimeError(f"{self.describe()}: a stopped link does not start again")
        self._thread = threading.Thread(target=self._run, name=f"serial {self.url}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port and join the thread; safe twice. on_state is not called for it."""
        self._stopping.set()
        port = self._port
        if port is not None:
            # Wakes a read that is waiting (posix ports); others return within _READ_TIMEOUT.
            with contextlib.suppress(Exception):
                port.cancel_read()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                log.error("%s: the reader thread did not stop", self.describe())
        self._close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- use -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        port = self._port
        return port is not None and bool(port.is_open)

    def write(self, data: bytes) -> bool:
        """Send ``data``; False when the device is not open or the write fails (the reader
        notices a device that went, and reconnects). Never raises."""
        with self._write_lock:
            port = self._port
            if port is None:
                return False
            try:
                # No flush(): tcdrain has no timeout, and a stuck device would hold the lock.
                port.write(data)
            except _PORT_ERRORS as exc:
                log.warning("%s: a write failed: %s", self.describe(), exc)
                return False
            return True

    def describe(self) -> str:
        return f"serial {self.url} ({self.baudrate} 8N1)"

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<SerialLink {self.describe()} {state}>"

    # --- the reader thread ---------------------------------------------------------------

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stopping.is_set():
            try:
                port = self._open()
            except _PORT_ERRORS as exc:
                self._tell(False, f"cannot open {self.url}: {exc}")
                if self._stopping.wait(delay):
                    break
                delay = min(delay * 2, self.backoff[1])
                continue
            with self._write_lock:
                self._port = port
            if self._stopping.is_set():  # stop() came while opening: it missed this port
                break
            opened = time.monotonic()
            self._tell(True, self.describe())
            why = self._read(port)
            self._close()
            if why is None or self._stopping.is_set():
                break
            self._tell(False, why)
            if time.monotonic() - opened >= _STABLE_AFTER:
                delay = self.backoff[0]
            # A device that just went is not back yet: wait before the first try too.
            if self._stopping.wait(delay):
                break
            delay = min(delay * 2, self.backoff[1])
        self._close()

    def _open(self) -> Any:
        options: dict[str, Any] = {}
        if "://" not in self.url:
            # Two agents on one pad would each get half of its bytes: the second one is
            # refused (flock) and keeps retrying instead.
            options["exclusive"] = True
        return serial.serial_for_url(
            self.url,
            baudrate=self.baudrate,
            bytesize=serial.EIGHTBITS,
            parity=serial.PARITY_NONE,
            stopbits=serial.STOPBITS_ONE,
            timeout=_READ_TIMEOUT,
            write_timeout=_WRITE_TIMEOUT,
            **options,
        )

    def _read(self, port: Any) -> str | None:
        """Hand on what arrives until the port fails (why) or the link stops (None)."""
        while not self._stopping.is_set():
            try:
                # One byte or the timeout, then whatever else is waiting: a byte that comes
                # is handed on at once, never held for a fuller read.
                data = port.read(port.in_waiting or 1)
            except _PORT_ERRORS as exc:
                return f"{self.url} went away: {exc}"
            except Exception as exc:  # a URL handler's own failure: the port is no good
                return f"{self.url} failed: {type(exc).__name__}: {exc}"
            if data and not self._stopping.is_set():
                self._call(self._on_data, bytes(data))
        return None

    def _close(self) -> None:
        with self._write_lock:
            port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    def _tell(self, is_open: bool, why: str) -> None:
        """on_state, once per change (a port that stays away is retried quietly)."""
        if is_open == self._reported:
            log.debug("%s: %s", self.describe(), why)
            return
        self._reported = is_open
        if is_open:
            log.info("%s: open", why)
        else:
            log.warning("%s: %s; retrying every %g–%g s", self.describe(), why, *self.backoff)
        self._call(self._on_state, is_open, why)

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("%s: the %s callback failed", self.describe(), callback)


def _check_url(url: str) -> None:
    """A URL scheme pyserial does not know is a configuration mistake: said now, not retried."""
    if "://" not in url:
        return  # a device path; whether it exists is for the reader to find out
    scheme = url.split("://", 1)[0].lower()
    for package in serial.protocol_handler_packages:
        try:
            importlib.import_module(f"{package}.protocol_{scheme}")
        except ImportError:
            continue
        return
    raise ValueError(
        f"{url!r}: pyserial knows no {scheme}:// (a device path, or loop://, socket://, rfc2217://…)"
    )

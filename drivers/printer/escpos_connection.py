"""The part every real connection shares: python-escpos opens the device and moves the bytes;
what a reply means, when to reopen and which failure is whose is decided here.

python-escpos's own ``is_online()``/``paper_status()`` are not used: a serial printer that
never answers reads there as "paper ok" (DEVICE-NOTES.md), and its reads wait for 16 bytes
where the answer is one. A subclass says how to build the python-escpos printer, how to tell
that an open connection died (``_usable``), how to drop stale bytes (``_drain``) and how to
read one reply (``_read_reply``).
"""

from __future__ import annotations

import contextlib
import threading
from abc import abstractmethod
from typing import Any

from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError

from .base import PrinterConnection, PrinterError, PrinterState
from .status import ONLINE_QUERY, PAPER_QUERY, state_from_replies

# What talking to a device raises: sockets, ttys and USB pipes all raise OSError subclasses
# (socket.timeout, serial.SerialException, usb.core.USBError); python-escpos raises its own
# Error when it cannot open, and an AssertionError from ``_raw`` on a device it lost.
LINK_ERRORS: tuple[type[BaseException], ...] = (OSError, EscposError, AssertionError)


class EscposConnection(PrinterConnection):
    # What this kind of device raises when it fails (a subclass adds its own).
    link_errors: tuple[type[BaseException], ...] = LINK_ERRORS

    def __init__(self) -> None:
        self._printer: Escpos | None = None
        # One agent may ask the state from a heartbeat while a job goes out: a query's
        # reply must not be read by the other, so one call at a time talks to the device.
        self._lock = threading.RLock()

    # --- what a subclass says ------------------------------------------------------------

    @abstractmethod
    def _make_printer(self) -> Escpos:
        """A python-escpos printer for this address, not opened yet."""

    def _open_failure(self, exc: BaseException) -> str:
        """Why opening failed, in words for the person who has to fix it."""
        return f"{type(exc).__name__}: {exc}".replace("\n", " ")

    def _usable(self, printer: Escpos) -> bool:
        """False when the open device is known to be gone (so it is reopened first)."""
        return True

    def _drain(self, printer: Escpos) -> None:
        """Drop bytes waiting to be read (a late reply to an earlier query)."""

    def _prepare_send(self, printer: Escpos, data: bytes) -> None:
        """Anything to set before ``data`` goes out (a serial port's write timeout)."""

    @abstractmethod
    def _read_reply(self, printer: Escpos) -> bytes:
        """The printer's answer to a query just sent; ``b""`` when it said nothing in time."""

    # --- the interface -------------------------------------------------------------------

    def open(self) -> None:
        with self._lock:
            self._close_quietly()
            printer = self._make_printer()
            # ValueError: pyusb without libusb
            failures: tuple[type[BaseException], ...] = (*self.link_errors, ValueError)
            try:
                printer.open()
            except failures as exc:
                self._let_go(printer)
                raise PrinterError(
                    f"cannot reach the {self.describe()}: {self._open_failure(exc)}"
                ) from exc
            self._printer = printer

    def status(self) -> PrinterState:
        unreachable: tuple[type[BaseException], ...] = (PrinterError, *self.link_errors)
        with self._lock:
            try:
                printer = self._ready()
                online = self._query(printer, ONLINE_QUERY)
                # No answer: nothing more to learn, and a second wait would only double it.
                paper = self._query(printer, PAPER_QUERY) if online else b""
            except unreachable:
                self._close_quietly()
                return PrinterState.OFFLINE
            if not paper:
                # A printer that stopped answering may answer late, into the next query:
                # start afresh next time.
                self._close_quietly()
            return state_from_replies(online, paper)

    def send(self, data: bytes) -> None:
        with self._lock:
            printer = self._ready()
            try:
                self._prepare_send(printer, data)
                printer._raw(data)  # python-escpos's one way to move bytes (its subclasses' hook)
            except self.link_errors as exc:
                self._close_quietly()
                raise PrinterError(
                    f"the {self.describe()} took no data: {type(exc).__name__}: {exc}"
                ) from exc

    def close(self) -> None:
        with self._lock:
            self._close_quietly()

    # --- helpers -------------------------------------------------------------------------

    def _ready(self) -> Escpos:
        """The open printer, opened (again) if it was not or its connection died."""
        if self._printer is None or not self._usable(self._printer):
            self.open()
        assert self._printer is not None
        return self._printer

    def _query(self, printer: Escpos, query: bytes) -> bytes:
        self._drain(printer)
        printer._raw(query)
        return self._read_reply(printer)

    def _close_quietly(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            self._let_go(printer)

    def _let_go(self, printer: Escpos) -> None:
        try:
            printer.close()
        except self.link_errors:
            # It could not even say goodbye (a serial port that is gone fails its flush):
            # close the device itself, unflushed, and make python-escpos forget it, or its
            # __del__ tries again and prints the error.
            device: Any = printer._device
            printer._device = False
            with contextlib.suppress(*self.link_errors, AttributeError):
                device.close()

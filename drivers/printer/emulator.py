"""Printers for the demo and the tests, on a real TCP port or a real pty, so the code above
a connection runs exactly as with a printer (DESIGN.md: an emulator beside each real driver).

    with PrinterEmulator(out_dir=Path("var/printer")) as printer:   # tcp://127.0.0.1:<port>
        open_printer(printer.url).send(encode(document))
        job = printer.wait_for_job(1)              # its bytes, cut time and blocks
        printer.state = "out"                      # the next status() says paper_out

``SerialPrinterEmulator`` is the same printer on a pty (``os.openpty`` + ``tty.setraw``,
DEVICE-NOTES.md "Serial"), for ``serial://`` URLs. What the printer does with what it
receives, and what it answers, is ``emulated_printer.py``.

Each runs one thread, stopped by ``stop()`` (a flag, a wake-up, a join), which also closes
every socket or descriptor it opened: a stopped emulator is a printer switched off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
import tty
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import Self

from .emulated_printer import EmulatedPrinter, EmulatorState, PrintedJob, StreamSession
from .escpos_parse import Chinese

__all__ = ["PrintedJob", "PrinterEmulator", "SerialPrinterEmulator"]

log = logging.getLogger(__name__)

_JOIN_TIMEOUT = 5.0
_POLL = 0.5  # the loop wakes this often anyway, should a wake-up byte ever be lost


class _Emulator(ABC):
    """What both emulators share: the printer, its knobs and jobs, a thread that stops."""

    def __init__(
        self,
        out_dir: Path | None,
        width_dots: int,
        chinese: Chinese,
        font_path: str | None,
    ) -> None:
        self.printer = EmulatedPrinter(
            out_dir=out_dir, width_dots=width_dots, chinese=chinese, font_path=font_path
        )
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Written to by stop() so the thread's select() returns at once (made by start()).
        self._wake_read: socket.socket | None = None
        self._wake_write: socket.socket | None = None

    # --- the printer's knobs and what it printed -----------------------------------------

    @property
    def state(self) -> EmulatorState:
        return self.printer.state

    @state.setter
    def state(self, value: EmulatorState) -> None:
        self.printer.state = value

    @property
    def silent(self) -> bool:
        return self.printer.silent

    @silent.setter
    def silent(self, value: bool) -> None:
        self.printer.silent = value

    @property
    def jobs(self) -> list[PrintedJob]:
        return self.printer.jobs

    @property
    def rejected(self) -> list[PrintedJob]:
        return self.printer.rejected

    def wait_for_job(self, number: int = 1, timeout: float = 5.0) -> PrintedJob:
        return self.printer.wait_for_job(number, timeout)

    def wait_for_rejected(self, number: int = 1, timeout: float = 5.0) -> PrintedJob:
        return self.printer.wait_for_rejected(number, timeout)

    @property
    @abstractmethod
    def url(self) -> str:
        """The address a connection opens (``open_printer(emulator.url)``)."""

    # --- running -------------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("the printer emulator is already started")
        if self._stopping.is_set():
            raise RuntimeError("a stopped printer emulator does not start again: make a new one")
        self._open()
        self._wake_read, self._wake_write = socket.socketpair()
        self._thread = threading.Thread(
            target=self._run_guarded, name=f"printer-emulator {self.url}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close everything; a stopped emulator stays stopped."""
        thread, self._thread = self._thread, None
        self._stopping.set()
        if self._wake_write is not None:
            with contextlib.suppress(OSError):
                self._wake_write.send(b"\0")
        if thread is not None:
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                log.error("printer emulator %s: its thread did not stop", self.url)
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

    def _run_guarded(self) -> None:
        try:
            self._run()
        except Exception as exc:  # recorded for the test that made it, never silent
            self.printer.note_error(f"the emulator's thread failed: {exc!r}")

    def _feed(self, session: StreamSession, data: bytes) -> bytes:
        """The session's replies to ``data``; a bug in reading it is noted, never fatal."""
        try:
            return session.feed(data)
        except Exception as exc:
            self.printer.note_error(f"reading {len(data)} bytes: {exc!r}")
            return b""

    def _drain_wake(self) -> None:
        assert self._wake_read is not None
        with contextlib.suppress(OSError):
            self._wake_read.recv(64)

    @abstractmethod
    def _open(self) -> None:
        """Open the port, in the caller's thread, so that errors reach ``start()``."""

    @abstractmethod
    def _run(self) -> None:
        """Serve until ``_stopping`` is set."""

    @abstractmethod
    def _close(self) -> None:
        """Close what ``_open()`` and ``_run()`` left open (after the thread stopped)."""


class PrinterEmulator(_Emulator):
    """A network ESC/POS printer on ``host:port`` (port 0: any free one; see ``.port``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | None = None,
        *,
        width_dots: int = 576,
        chinese: Chinese = "auto",
        font_path: str | None = None,
    ) -> None:
        super().__init__(out_dir, width_dots, chinese, font_path)
        self.host = host
        self._port = port
        self._listener: socket.socket | None = None
        self._clients: dict[socket.socket, StreamSession] = {}

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self._port}"

    def _open(self) -> None:
        listener = socket.create_server((self.host, self._port), backlog=8)
        listener.setblocking(False)
        self._listener = listener
        self._port = listener.getsockname()[1]

    def _run(self) -> None:
        assert self._listener is not None and self._wake_read is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select(_POLL):
                    if key.fileobj is self._wake_read:
                        self._drain_wake()
                    elif key.fileobj is self._listener:
                        self._accept(selector)
                    else:
                        assert isinstance(key.fileobj, socket.socket)
                        self._receive(selector, key.fileobj)
            for client in list(self._clients):
                self._drop(selector, client)

    def _accept(self, selector: selectors.BaseSelector) -> None:
        assert self._listener is not None
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        client.setblocking(False)
        self._clients[client] = self.printer.session()
        selector.register(client, selectors.EVENT_READ)

    def _receive(self, selector: selectors.BaseSelector, client: socket.socket) -> None:
        try:
            data = client.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the other end closed
            self._drop(selector, client)
            return
        replies = self._feed(self._clients[client], data)
        if replies:
            # Its buffer full, or it is gone: the reply is lost, as on a wire.
            with contextlib.suppress(OSError):
                client.send(replies)

    def _drop(self, selector: selectors.BaseSelector, client: socket.socket) -> None:
        selector.unregister(client)
        self._clients.pop(client).close()
        client.close()

    def _close(self) -> None:
        for client in self._clients:  # only if the thread did not stop in time
            client.close()
        self._clients.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None


class SerialPrinterEmulator(_Emulator):
    """A serial ESC/POS printer on a pty: ``.path`` is the port to open (``link``, when given,
    a symlink to it with a name that stays the same from run to run)."""

    def __init__(
        self,
        out_dir: Path | None = None,
        *,
        link: Path | None = None,
        width_dots: int = 576,
        chinese: Chinese = "auto",
        font_path: str | None = None,
    ) -> None:
        super().__init__(out_dir, width_dots, chinese, font_path)
        self.link = link
        self._master: int | None = None
        self._slave: int | None = None
        self._path: str | None = None
        self._session = self.printer.session()  # one line, one stream

    @property
    def path(self) -> str:
        if self._path is None:
            raise RuntimeError("the serial printer emulator is not started")
        return str(self.link) if self.link is not None else self._path

    @property
    def url(self) -> str:
        return f"serial://{self.path}" if self._path is not None else "serial://(not started)"

    def _open(self) -> None:
        master, slave = os.openpty()
        # Raw: no echo of what the host writes back to it, no line editing, 8 bits through.
        tty.setraw(slave)
        os.set_blocking(master, False)
        # The emulator holds the slave open too: with no one on the other side a pty's
        # master reads EIO, and a printer must outlive the host's opening and closing.
        self._master, self._slave, self._path = master, slave, os.ttyname(slave)
        if self.link is not None:
            self.link.unlink(missing_ok=True)
            self.link.symlink_to(self._path)

    def _run(self) -> None:
        assert self._master is not None and self._wake_read is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._master, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select(_POLL):
                    if key.fileobj is self._wake_read:
                        self._drain_wake()
                    else:
                        self._receive()

    def _receive(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 65536)
        except OSError:  # nothing after all (BlockingIOError), or a pty in trouble: next time
            return
        replies = self._feed(self._session, data)
        if replies:
            with contextlib.suppress(OSError):
                os.write(self._master, replies)

    def _close(self) -> None:
        self._session.close()
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()

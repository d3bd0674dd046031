"""A printer on the network, raw TCP (``tcp://10.0.0.7:9100``; 9100 when no port is given).

python-escpos's ``Network`` opens the socket and sends. Its one timeout (60 s by default)
would hold a customer at the kiosk for a minute when a printer is switched off, so it is
``timeout`` here (connect and send, 3 s), and a status reply gets ``status_timeout`` (1 s):
a printer answers ``DLE EOT`` in milliseconds, one that has not in a second will not.
"""

from __future__ import annotations

import socket
from typing import Any, Self

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

from . import url_options
from .base import PrinterUrlError
from .escpos_connection import EscposConnection

DEFAULT_PORT = 9100


class _Network(Network):
    """python-escpos's ``Network``, connecting with ``socket.create_connection``: 3.1 leaves
    the socket of a failed connection to the garbage collector (a ResourceWarning each time a
    switched-off printer is asked), and tries IPv4 only. Nagle's algorithm is off."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        self.device = None
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise DeviceNotFoundError(f"Could not open socket for {self.host}: {exc}") from exc
        # A status query is three bytes sent after a job the printer never answers: with
        # Nagle's algorithm on, it waits for the job's delayed ACK (40 ms on Linux) every time.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.device = sock


class NetworkConnection(EscposConnection):
    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout: float = 3.0,
        status_timeout: float = 1.0,
    ) -> None:
        super().__init__()
        self.host, self.port = host, port
        self.timeout, self.status_timeout = timeout, status_timeout

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        parts = url_options.split(url, "tcp")
        if parts.path not in ("", "/"):
            raise PrinterUrlError(f"{url!r}: a tcp:// printer address has no path")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise PrinterUrlError(f"{url!r}: the port must be a number 1-65535") from None
        if not parts.hostname:
            raise PrinterUrlError(f"{url!r} names no host (tcp://HOST:9100)")
        values = url_options.read(
            url,
            parts.query,
            options,
            {
                "timeout": (url_options.seconds, 3.0),
                "status_timeout": (url_options.seconds, 1.0),
            },
        )
        return cls(parts.hostname, port, **values)

    def describe(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6
        return f"network printer {host}:{self.port}"

    def _make_printer(self) -> Escpos:
        return _Network(self.host, self.port, timeout=self.timeout)

    def _open_failure(self, exc: BaseException) -> str:
        cause = exc.__context__ or exc  # python-escpos wraps the socket's error in its own
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (switched off, or not a printer's port)"
        if isinstance(cause, TimeoutError):
            return f"no answer within {self.timeout:g} s"
        return super()._open_failure(cause)

    def _socket(self, printer: Escpos) -> socket.socket:
        device = printer.device
        assert isinstance(device, socket.socket)
        return device

    def _now(self, sock: socket.socket, size: int, flags: int = 0) -> bytes | None:
        """What is waiting to be read, without waiting for more: ``None`` when nothing is,
        ``b""`` when the other end closed. (Not MSG_DONTWAIT: a socket with a timeout waits
        for readiness before any recv.)"""
        sock.setblocking(False)
        try:
            return sock.recv(size, flags)
        except BlockingIOError:
            return None
        finally:
            sock.settimeout(self.timeout)

    def _usable(self, printer: Escpos) -> bool:
        # A printer that was switched off or restarted closed its end: a send would still be
        # accepted by the kernel, once, and go nowhere. A peek tells.
        try:
            return self._now(self._socket(printer), 1, socket.MSG_PEEK) != b""
        except OSError:  # reset
            return False

    def _drain(self, printer: Escpos) -> None:
        sock = self._socket(printer)
        while self._now(sock, 4096):  # until nothing is waiting, or it closed
            pass

    def _read_reply(self, printer: Escpos) -> bytes:
        sock = self._socket(printer)
        sock.settimeout(self.status_timeout)
        try:
            return sock.recv(16)
        except TimeoutError:
            return b""
        finally:
            sock.settimeout(self.timeout)

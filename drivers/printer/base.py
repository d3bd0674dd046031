"""What the code above a printer sees of it: a connection with a state, whatever the wire.

A kiosk agent holds a ``PrinterConnection`` (from ``open_printer(url)``), asks ``status()``
before and after a job, and ``send()``s the bytes ``encode()`` made. The classes behind it
(``network``, ``serial_port``, ``usb``, ``file``) and the emulator behind a ``tcp://`` or
``serial://`` URL all look the same from here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from types import TracebackType
from typing import Any, Self


class PrinterState(StrEnum):
    """What a printer says of itself (``DLE EOT 1`` then ``DLE EOT 4``, see ``status.py``)."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"  # prints; the roll needs changing soon
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"  # cannot be reached, does not answer, or says it is offline
    UNKNOWN = "unknown"  # reached, but it cannot tell (a file) or answered nonsense


class PrinterError(OSError):
    """The printer could not be reached or took no data: tell the customer, try later.

    An ``OSError`` because that is what it is underneath (a socket, a tty, a USB pipe), so a
    caller that already handles those handles this too.
    """


class PrinterUrlError(ValueError):
    """A printer address that cannot mean anything (unknown scheme, bad port, bad option): a
    configuration mistake, raised when the connection is made, never later."""


class PrinterConnection(ABC):
    """One printer, reached one way. Not opened until ``open()`` (or the first
    ``status()``/``send()``, which open or reopen it as needed, so a printer switched off
    and on again is found again without restarting the caller)."""

    @classmethod
    @abstractmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        """The connection a URL names. ``options`` are defaults for the URL's query
        parameters (the URL, which a hall configures, wins); an unknown one, or a URL this
        class cannot read, is a ``PrinterUrlError``."""

    @abstractmethod
    def open(self) -> None:
        """Reach the printer now; ``PrinterError`` saying why when it cannot be reached."""

    @abstractmethod
    def status(self) -> PrinterState:
        """Ask the printer; never raises: what cannot be reached or does not answer in time is
        ``OFFLINE``."""

    @abstractmethod
    def send(self, data: bytes) -> None:
        """Hand the bytes to the printer; ``PrinterError`` when they cannot be.

        Handed is not printed (a printer buffers; one out of paper keeps the job and prints it
        when the roll is changed): ask ``status()`` before sending and again after."""

    @abstractmethod
    def close(self) -> None:
        """Let the printer go; closing twice, or a connection never opened, is fine."""

    @abstractmethod
    def describe(self) -> str:
        """Which printer this is, for people: ``network printer 10.0.0.7:9100``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

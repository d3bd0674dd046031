"""A printer on a serial port (``serial:///dev/ttyUSB0?baudrate=19200&parity=N``).

python-escpos's ``Serial`` opens the port and writes. Two things are ours:

- A serial printer that is switched off or unplugged from its adapter stays silent, and
  python-escpos reads silence as "paper ok" (DEVICE-NOTES.md): ``status()`` asks
  ``DLE EOT 1`` first and calls silence offline (``escpos_connection.py``).
- A write waits for the printer (flow control) and a slow line takes its time (a 15 KB ticket
  image is 8 s at 19200 baud): the write timeout is the time the job needs at this speed,
  with room to spare, so a stalled printer is an error and a long job is not.
"""

from __future__ import annotations

from typing import Any, Self

from escpos.escpos import Escpos
from escpos.printer import Serial

from . import url_options
from .base import PrinterUrlError
from .escpos_connection import LINK_ERRORS, EscposConnection

try:
    import termios

    _TERMIOS_ERRORS: tuple[type[BaseException], ...] = (termios.error,)
except ImportError:  # Windows: pyserial raises only its own errors there
    _TERMIOS_ERRORS = ()

OPTIONS: dict[str, tuple[url_options.Converter, Any]] = {
    "baudrate": (url_options.integer, 9600),
    "bytesize": (url_options.choice(8, 7, 6, 5), 8),
    "parity": (url_options.choice("N", "E", "O", "M", "S"), "N"),
    "stopbits": (url_options.choice(1, 1.5, 2), 1),
    "timeout": (url_options.seconds, 1.0),  # wait for a status reply
    "xonxoff": (url_options.flag, False),  # software flow control
    "dsrdtr": (url_options.flag, True),  # python-escpos's default: DTR left to the port
    "rtscts": (url_options.flag, False),  # hardware flow control, RTS/CTS
}
_WRITE_MARGIN = 1.5  # times the line's own time, plus
_WRITE_SLACK = 2.0  # seconds for the printer to take breath (flow control) now and then


class SerialConnection(EscposConnection):
    # pyserial lets termios's own error (not an OSError) out of flushes on a port that is gone.
    link_errors = (*LINK_ERRORS, *_TERMIOS_ERRORS)

    def __init__(
        self,
        device: str,
        *,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        timeout: float = 1.0,
        xonxoff: bool = False,
        dsrdtr: bool = True,
        rtscts: bool = False,
    ) -> None:
        super().__init__()
        self.device = device
        self.baudrate, self.bytesize, self.parity, self.stopbits = (
            baudrate,
            bytesize,
            parity,
            stopbits,
        )
        self.timeout = timeout
        self.xonxoff, self.dsrdtr, self.rtscts = xonxoff, dsrdtr, rtscts

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        parts = url_options.split(url, "serial")
        # serial:///dev/ttyUSB0 (a path), or serial://COM3 on Windows (a "host")
        device = f"{parts.netloc}{parts.path}"
        if not device or device == "/":
            raise PrinterUrlError(f"{url!r} names no port (serial:///dev/ttyUSB0)")
        values = url_options.read(url, parts.query, options, OPTIONS)
        if values["baudrate"] <= 0:
            raise PrinterUrlError(f"{url!r}: baudrate must be above 0")
        return cls(device, **values)

    def describe(self) -> str:
        stopbits = f"{self.stopbits:g}"
        return (
            f"serial printer {self.device} ({self.baudrate} {self.bytesize}{self.parity}{stopbits})"
        )

    def _make_printer(self) -> Escpos:
        return Serial(
            self.device,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            timeout=self.timeout,
            parity=self.parity,
            stopbits=self.stopbits,
            xonxoff=self.xonxoff,
            dsrdtr=self.dsrdtr,
        )

    def open(self) -> None:
        super().open()
        if self.rtscts and self._printer is not None:
            # python-escpos does not pass it on; pyserial applies it when it is set
            self._port(self._printer).rtscts = True

    def _open_failure(self, exc: BaseException) -> str:
        cause = exc.__context__ or exc
        if isinstance(cause, OSError) and cause.errno == 2:  # ENOENT
            return f"no such port {self.device} (unplugged?)"
        return super()._open_failure(cause)

    @staticmethod
    def _port(printer: Escpos) -> Any:  # a serial.Serial; pyserial ships no type hints
        return printer.device

    def _usable(self, printer: Escpos) -> bool:
        port = self._port(printer)
        return bool(port is not None and port.is_open)

    def _drain(self, printer: Escpos) -> None:
        self._port(printer).reset_input_buffer()

    def _prepare_send(self, printer: Escpos, data: bytes) -> None:
        bits_per_byte = 1 + self.bytesize + (self.parity != "N") + self.stopbits
        line_time = len(data) * bits_per_byte / self.baudrate
        self._port(printer).write_timeout = line_time * _WRITE_MARGIN + _WRITE_SLACK

    def _read_reply(self, printer: Escpos) -> bytes:
        # One byte is the whole answer: read(16), as python-escpos does, would wait the full
        # timeout every time.
        reply: bytes = self._port(printer).read(1)
        return reply

"""A printer that is a file: a device node (``file:///dev/usb/lp0``) or a plain file that
collects jobs (``file:///var/spool/hallq/printer.bin``), appended to, never overwritten.

python-escpos's ``File`` opens with ``"wb"``, which would wipe the jobs already collected;
this one appends. A file cannot say whether paper is in: ``status()`` is ``UNKNOWN`` when
the file can be opened, ``OFFLINE`` when it cannot.
"""

from __future__ import annotations

from typing import Any, Self
from urllib.parse import unquote

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File

from . import url_options
from .base import PrinterError, PrinterState, PrinterUrlError
from .escpos_connection import EscposConnection


class _AppendingFile(File):
    """python-escpos's ``File``, opened for appending."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        self.device = None
        try:
            self.device = open(self.devfile, "ab")  # noqa: SIM115 - held until close()
        except OSError as exc:
            raise DeviceNotFoundError(f"cannot open {self.devfile}: {exc}") from exc


class FileConnection(EscposConnection):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        parts = url_options.split(url, "file")
        if parts.netloc not in ("", "localhost"):
            raise PrinterUrlError(f"{url!r}: a file printer is on this machine (file:///PATH)")
        url_options.read(url, parts.query, options, {})  # it has no options: refuse any
        path = unquote(parts.path)
        if not path or path.endswith("/"):
            raise PrinterUrlError(f"{url!r} names no file (file:///PATH/TO/FILE)")
        return cls(path)

    def describe(self) -> str:
        return f"file printer {self.path}"

    def _make_printer(self) -> Escpos:
        return _AppendingFile(self.path)

    def _open_failure(self, exc: BaseException) -> str:
        return str(exc.__cause__ or exc)

    def status(self) -> PrinterState:
        with self._lock:
            try:
                self._ready()
            except PrinterError:
                return PrinterState.OFFLINE
            return PrinterState.UNKNOWN

    def _read_reply(self, printer: Escpos) -> bytes:
        return b""  # never asked: status() above does not query a file

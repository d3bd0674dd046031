"""USB (no device here: the error must name the address) and file printers (append, cannot
tell their state)."""

from __future__ import annotations

from pathlib import Path

import pytest
import usb.core

from hallq.drivers.printer import PrinterError, PrinterState, open_printer
from hallq.drivers.printer.document import Document, Text
from hallq.drivers.printer.encode import encode
from hallq.drivers.printer.escpos_parse import parse
from hallq.drivers.printer.escpos_stream import split_jobs
from hallq.drivers.printer.file import FileConnection
from hallq.drivers.printer.usb import UsbConnection


def test_a_usb_printer_that_is_not_there_is_named_in_the_error() -> None:
    # An id no machine here has; with or without libusb, open() says which printer.
    printer = UsbConnection.from_url("usb://04b8:fff0")
    with pytest.raises(PrinterError) as raised:
        printer.open()
    message = str(raised.value)
    assert message.startswith("cannot reach the USB printer usb://04b8:fff0: "), message
    assert "no USB device 04b8:fff0" in message or "libusb is not installed" in message
    assert printer.status() is PrinterState.OFFLINE
    with pytest.raises(PrinterError, match="usb://04b8:fff0"):
        printer.send(b"\x1b@")


def test_the_reasons_a_usb_printer_cannot_be_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    printer = UsbConnection.from_url("usb://04b8:0202")

    def no_backend(**_: object) -> None:
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", no_backend)
    with pytest.raises(PrinterError, match=r"usb://04b8:0202: libusb is not installed \(Debian"):
        printer.open()

    monkeypatch.setattr(usb.core, "find", lambda **_: None)
    with pytest.raises(PrinterError, match=r"usb://04b8:0202: no USB device 04b8:0202 .*lsusb"):
        printer.open()

    def denied(**_: object) -> None:
        raise usb.core.USBError("Access denied (insufficient permissions)", errno=13)

    monkeypatch.setattr(usb.core, "find", denied)
    with pytest.raises(PrinterError, match=r"permission denied .*udev rule"):
        printer.open()


def test_a_file_printer_appends_job_after_job(tmp_path: Path) -> None:
    path = tmp_path / "printer.bin"
    path.write_bytes(b"earlier\n")  # jobs already collected are kept
    first, second = (encode(Document(blocks=(Text(f"A00{n}"),))) for n in (1, 2))
    with open_printer(f"file://{path}") as printer:
        assert printer.status() is PrinterState.UNKNOWN  # a file cannot tell
        printer.send(first)
    with open_printer(f"file://{path}") as printer:
        printer.send(second)
    assert path.read_bytes() == b"earlier\n" + first + second
    jobs = [parse(job).blocks for job in split_jobs(path.read_bytes())]
    assert jobs == [(Text("earlier"), Text("A001")), (Text("A002"),)]


def test_a_file_that_cannot_be_opened_is_offline(tmp_path: Path) -> None:
    printer = FileConnection.from_url(f"file://{tmp_path}/no/such/folder/printer.bin")
    assert printer.status() is PrinterState.OFFLINE
    with pytest.raises(PrinterError, match=r"cannot reach the file printer .*printer\.bin: "):
        printer.send(b"\x1b@")

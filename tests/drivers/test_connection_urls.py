"""Every connection's address: what a URL opens, what it refuses, and the scheme's lookup."""

from __future__ import annotations

import pytest

from hallq.drivers.printer import PrinterUrlError, connection_class, open_printer
from hallq.drivers.printer.file import FileConnection
from hallq.drivers.printer.network import NetworkConnection
from hallq.drivers.printer.serial_port import SerialConnection
from hallq.drivers.printer.usb import UsbConnection


@pytest.mark.parametrize(
    ("url", "cls"),
    [
        ("tcp://10.0.0.7:9100", NetworkConnection),
        ("TCP://10.0.0.7", NetworkConnection),
        ("serial:///dev/ttyUSB0", SerialConnection),
        ("usb://04b8:0202", UsbConnection),
        ("file:///tmp/printer.bin", FileConnection),
    ],
)
def test_the_scheme_picks_the_class_through_the_entry_points(url: str, cls: type) -> None:
    assert connection_class(url) is cls


def test_an_unknown_scheme_is_refused_listing_the_schemes() -> None:
    with pytest.raises(PrinterUrlError) as raised:
        open_printer("bluetooth://00:11:22:33:44:55")
    message = str(raised.value)
    assert "'bluetooth://00:11:22:33:44:55'" in message
    assert "no printer connection (URL scheme) 'bluetooth'" in message
    assert "available: file, serial, tcp, usb" in message
    with pytest.raises(PrinterUrlError, match=r"needs a scheme \(file, serial, tcp, usb\)"):
        open_printer("/dev/ttyUSB0")


def test_network_addresses() -> None:
    printer = NetworkConnection.from_url("tcp://printer.hall.local:9101?timeout=1.5")
    assert (printer.host, printer.port, printer.timeout, printer.status_timeout) == (
        "printer.hall.local",
        9101,
        1.5,
        1.0,
    )
    assert printer.describe() == "network printer printer.hall.local:9101"
    default = NetworkConnection.from_url("tcp://10.0.0.7", timeout=2, status_timeout=0.5)
    assert (default.port, default.timeout, default.status_timeout) == (9100, 2.0, 0.5)
    # The URL (the hall's configuration) wins over the caller's defaults.
    assert NetworkConnection.from_url("tcp://h?timeout=4", timeout=2).timeout == 4.0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("tcp://:9100", "names no host"),
        ("tcp://host:99999", "the port must be a number 1-65535"),
        ("tcp://host:9100/queue", "has no path"),
        ("tcp://host?timeout=0", "timeout='0': must be a number of seconds above 0"),
        ("tcp://host?timeout=soon", "timeout='soon'"),
        ("tcp://host?speed=fast", "unknown option 'speed'; known: status_timeout, timeout"),
        ("tcp://host?timeout=1&timeout=2", "option 'timeout' is given twice"),
        ("serial://10.0.0.7:9100", "is not a tcp:// printer address"),
    ],
)
def test_network_addresses_refused(url: str, problem: str) -> None:
    with pytest.raises(PrinterUrlError, match=problem):
        NetworkConnection.from_url(url)


def test_network_options_given_by_the_caller_are_checked_too() -> None:
    with pytest.raises(PrinterUrlError, match=r"unknown option\(s\) baudrate"):
        NetworkConnection.from_url("tcp://h", baudrate=9600)


def test_serial_addresses() -> None:
    printer = SerialConnection.from_url(
        "serial:///dev/ttyUSB0?baudrate=19200&bytesize=8&parity=e&stopbits=2&timeout=0.5"
        "&xonxoff=yes&rtscts=1"
    )
    assert printer.device == "/dev/ttyUSB0"
    assert (printer.baudrate, printer.bytesize, printer.parity, printer.stopbits) == (
        19200,
        8,
        "E",
        2,
    )
    assert (printer.timeout, printer.xonxoff, printer.dsrdtr, printer.rtscts) == (
        0.5,
        True,
        True,
        True,
    )
    assert printer.describe() == "serial printer /dev/ttyUSB0 (19200 8E2)"
    plain = SerialConnection.from_url("serial:///dev/serial/by-id/usb-Epson_TM-T20II-if00")
    assert plain.device == "/dev/serial/by-id/usb-Epson_TM-T20II-if00"
    assert plain.describe().endswith("(9600 8N1)")
    assert SerialConnection.from_url("serial://COM3?stopbits=1.5").device == "COM3"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("serial://", "names no port"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate='fast'"),
        ("serial:///dev/ttyUSB0?baudrate=-9600", "baudrate must be above 0"),
        ("serial:///dev/ttyUSB0?bytesize=9", "must be one of 8, 7, 6, 5"),
        ("serial:///dev/ttyUSB0?parity=X", "must be one of N, E, O, M, S"),
        ("serial:///dev/ttyUSB0?stopbits=3", "must be one of 1, 1.5, 2"),
        ("serial:///dev/ttyUSB0?xonxoff=maybe", "must be true or false"),
        ("serial:///dev/ttyUSB0?baud=9600", "unknown option 'baud'"),
    ],
)
def test_serial_addresses_refused(url: str, problem: str) -> None:
    with pytest.raises(PrinterUrlError, match=problem):
        SerialConnection.from_url(url)


def test_usb_addresses() -> None:
    printer = UsbConnection.from_url("usb://04B8:0e15?in_ep=0x81&out_ep=2&timeout=5")
    assert (printer.vendor, printer.product) == (0x04B8, 0x0E15)
    assert (printer.in_ep, printer.out_ep, printer.timeout) == (0x81, 2, 5.0)
    assert printer.address == "usb://04b8:0e15"
    assert printer.describe() == "USB printer usb://04b8:0e15"
    default = UsbConnection.from_url("usb://04b8:0202")
    assert (default.in_ep, default.out_ep, default.timeout) == (0x82, 0x01, 3.0)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("usb://04b8", "a USB printer is usb://VENDOR:PRODUCT"),
        ("usb://04b8:0202/x", "a USB printer is usb://VENDOR:PRODUCT"),
        ("usb://4b8:202", "'4b8' is not a USB id"),
        ("usb://04b8:zzzz", "'zzzz' is not a USB id"),
        ("usb://04b8:0202?in_ep=left", "in_ep='left'"),
    ],
)
def test_usb_addresses_refused(url: str, problem: str) -> None:
    with pytest.raises(PrinterUrlError, match=problem):
        UsbConnection.from_url(url)


def test_file_addresses() -> None:
    assert FileConnection.from_url("file:///var/spool/hallq/printer.bin").path == (
        "/var/spool/hallq/printer.bin"
    )
    assert FileConnection.from_url("file://localhost/dev/usb/lp0").path == "/dev/usb/lp0"
    assert FileConnection.from_url("file:///tmp/ticket%20log.bin").path == "/tmp/ticket log.bin"
    assert FileConnection.from_url("file:///tmp/x").describe() == "file printer /tmp/x"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file://otherhost/tmp/x", "a file printer is on this machine"),
        ("file:///tmp/", "names no file"),
        ("file:///tmp/x?mode=append", "unknown option 'mode'"),
    ],
)
def test_file_addresses_refused(url: str, problem: str) -> None:
    with pytest.raises(PrinterUrlError, match=problem):
        FileConnection.from_url(url)

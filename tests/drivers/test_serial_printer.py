"""SerialConnection against the emulator on a real pty: the states, a printed job, silence,
a port that goes away."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hallq.drivers.printer import PrinterError, PrinterState, open_printer
from hallq.drivers.printer.base import PrinterConnection
from hallq.drivers.printer.document import Document, Raster
from hallq.drivers.printer.emulator import SerialPrinterEmulator
from hallq.drivers.printer.encode import encode

STATES = [
    ("ok", PrinterState.OK),
    ("near_end", PrinterState.PAPER_NEAR_END),
    ("out", PrinterState.PAPER_OUT),
    ("offline", PrinterState.OFFLINE),
]


@pytest.fixture
def printer(serial_emulator: SerialPrinterEmulator) -> Iterator[PrinterConnection]:
    url = f"{serial_emulator.url}?baudrate=19200&bytesize=8&parity=N&stopbits=1&timeout=0.3"
    connection = open_printer(url)
    yield connection
    connection.close()


@pytest.mark.parametrize(("state", "expected"), STATES)
def test_status_in_each_state(
    serial_emulator: SerialPrinterEmulator,
    printer: PrinterConnection,
    state: str,
    expected: PrinterState,
) -> None:
    serial_emulator.state = state
    assert printer.status() is expected


def test_a_document_arrives_as_a_job_with_the_same_dots(
    serial_emulator: SerialPrinterEmulator, printer: PrinterConnection, ticket: Document
) -> None:
    data = encode(ticket)
    assert printer.status() is PrinterState.OK
    printer.send(data)
    job = serial_emulator.wait_for_job(1)
    assert job.data == data
    assert job.blocks[1:] == ticket.blocks[1:]
    sent, got = ticket.blocks[0], job.blocks[0]
    assert isinstance(sent, Raster) and isinstance(got, Raster)
    assert got.image.tobytes() == sent.image.convert("1").tobytes()
    assert printer.status() is PrinterState.OK


def test_silence_is_offline_not_paper_ok(
    serial_emulator: SerialPrinterEmulator, printer: PrinterConnection
) -> None:
    # python-escpos's own paper_status() reads silence as "paper ok" (DEVICE-NOTES.md).
    serial_emulator.silent = True
    started = time.monotonic()
    assert printer.status() is PrinterState.OFFLINE
    assert time.monotonic() - started < 1.0  # one read timeout (0.3 s), not two
    serial_emulator.silent = False
    assert printer.status() is PrinterState.OK


def test_a_port_that_goes_away_is_offline_and_refuses_jobs_quickly(
    serial_emulator: SerialPrinterEmulator, printer: PrinterConnection, ticket: Document
) -> None:
    assert printer.status() is PrinterState.OK  # the port is open
    serial_emulator.stop()  # the adapter is unplugged
    started = time.monotonic()
    assert printer.status() is PrinterState.OFFLINE
    with pytest.raises(PrinterError, match="serial printer /dev/pts/"):
        printer.send(encode(ticket))
    assert time.monotonic() - started < 1.0


def test_the_emulator_can_be_reached_by_a_stable_name(tmp_path: Path, ticket: Document) -> None:
    link = tmp_path / "ttyPRINTER"
    with SerialPrinterEmulator(link=link) as emulator:
        assert emulator.path == str(link) and link.is_symlink()
        assert os.readlink(link).startswith("/dev/pts/")
        with open_printer(f"serial://{link}") as printer:
            assert printer.status() is PrinterState.OK
            printer.send(encode(ticket))
            assert emulator.wait_for_job(1).data == encode(ticket)
    assert not link.exists() and not link.is_symlink()  # stopped: the name goes with it

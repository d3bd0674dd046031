"""NetworkConnection against the emulator over real TCP: the states, a printed job, a
printer that hangs, one that vanishes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from hallq.drivers.printer import PrinterError, PrinterState, open_printer
from hallq.drivers.printer.base import PrinterConnection
from hallq.drivers.printer.document import Document, Raster
from hallq.drivers.printer.emulator import PrinterEmulator
from hallq.drivers.printer.encode import encode
from hallq.drivers.printer.network import NetworkConnection

STATES = [
    ("ok", PrinterState.OK),
    ("near_end", PrinterState.PAPER_NEAR_END),
    ("out", PrinterState.PAPER_OUT),
    ("offline", PrinterState.OFFLINE),
]


@pytest.fixture
def printer(emulator: PrinterEmulator) -> Iterator[PrinterConnection]:
    connection = open_printer(emulator.url, status_timeout=0.3)
    yield connection
    connection.close()


@pytest.mark.parametrize(("state", "expected"), STATES)
def test_status_in_each_state(
    emulator: PrinterEmulator, printer: PrinterConnection, state: str, expected: PrinterState
) -> None:
    emulator.state = state
    assert printer.status() is expected
    emulator.state = "ok"
    assert printer.status() is PrinterState.OK  # and back, on the same connection


def test_a_document_arrives_as_a_job_with_the_same_dots(
    emulator: PrinterEmulator, printer: PrinterConnection, ticket: Document
) -> None:
    data = encode(ticket)
    printer.send(data)
    job = emulator.wait_for_job(1)
    assert job.number == 1 and job.data == data
    assert job.blocks[1:] == ticket.blocks[1:]
    sent, got = ticket.blocks[0], job.blocks[0]
    assert isinstance(sent, Raster) and isinstance(got, Raster)
    assert got.image.tobytes() == sent.image.convert("1").tobytes()
    # The status queries around it are not part of it.
    assert printer.status() is PrinterState.OK
    printer.send(data)
    assert emulator.wait_for_job(2).data == data
    assert emulator.rejected == []


def test_a_job_sent_while_out_of_paper_is_rejected_not_printed(
    emulator: PrinterEmulator, printer: PrinterConnection, ticket: Document
) -> None:
    emulator.state = "out"
    assert printer.status() is PrinterState.PAPER_OUT
    printer.send(encode(ticket))  # handed over is not printed: DEVICE-NOTES.md
    assert emulator.wait_for_rejected(1).data == encode(ticket)
    assert emulator.jobs == []
    emulator.state = "ok"
    printer.send(encode(ticket))
    assert emulator.wait_for_job(1).number == 1


def test_a_printer_that_never_answers_is_offline_after_the_status_timeout(
    emulator: PrinterEmulator, printer: PrinterConnection
) -> None:
    emulator.silent = True
    started = time.monotonic()
    assert printer.status() is PrinterState.OFFLINE
    assert time.monotonic() - started < 1.0  # one wait of 0.3 s, not one a query
    emulator.silent = False
    assert printer.status() is PrinterState.OK  # a late answer does not confuse the next


def test_a_printer_that_vanishes_is_offline_and_refuses_jobs_quickly(
    emulator: PrinterEmulator, printer: PrinterConnection, ticket: Document
) -> None:
    assert printer.status() is PrinterState.OK  # connected
    emulator.stop()
    started = time.monotonic()
    assert printer.status() is PrinterState.OFFLINE
    with pytest.raises(PrinterError, match=r"cannot reach the network printer 127\.0\.0\.1:\d+"):
        printer.send(encode(ticket))
    assert time.monotonic() - started < 1.0


def test_a_printer_switched_off_and_on_again_is_found_again(
    emulator: PrinterEmulator, ticket: Document
) -> None:
    printer = NetworkConnection.from_url(emulator.url)
    printer.send(encode(ticket))
    emulator.wait_for_job(1)
    port = emulator.port
    emulator.stop()
    assert printer.status() is PrinterState.OFFLINE
    with PrinterEmulator(port=port) as again:
        assert printer.status() is PrinterState.OK
        printer.send(encode(ticket))
        assert again.wait_for_job(1).data == encode(ticket)
    printer.close()


def test_a_port_where_no_printer_listens_is_offline_at_once() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]  # bound, not listening: refused
        printer = open_printer(f"tcp://127.0.0.1:{port}")  # does not raise: reported later
        started = time.monotonic()
        assert printer.status() is PrinterState.OFFLINE
        with pytest.raises(PrinterError, match="connection refused"):
            printer.send(b"\x1b@")
        assert time.monotonic() - started < 1.0


def test_an_unreachable_host_fails_within_the_connect_timeout() -> None:
    # 192.0.2.0/24 is TEST-NET-1: nothing answers there (or the route is refused at once).
    printer = NetworkConnection.from_url("tcp://192.0.2.1:9100?timeout=0.3")
    started = time.monotonic()
    assert printer.status() is PrinterState.OFFLINE
    with pytest.raises(PrinterError, match=r"network printer 192\.0\.2\.1:9100"):
        printer.send(b"\x1b@")
    assert time.monotonic() - started < 2.0


def test_a_closed_connection_reopens_on_the_next_call(
    emulator: PrinterEmulator, printer: PrinterConnection, ticket: Document
) -> None:
    printer.close()
    printer.close()  # twice is fine
    printer.send(encode(ticket))
    assert emulator.wait_for_job(1).data == encode(ticket)
    with printer:
        assert printer.status() is PrinterState.OK


def test_bytes_the_printer_sent_unasked_are_not_taken_for_the_answer() -> None:
    """Epson's automatic status back (ASB, GS a) sends 4 bytes whenever it likes: a query must
    read its own answer, not what was waiting."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.sendall(b"\x14\x00\x00\x0f")  # ASB, before anything is asked
            while query := connection.recv(3):
                connection.sendall(b"\x12" if query[-1:] in (b"\x01", b"\x04") else b"")

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    printer = NetworkConnection.from_url(f"tcp://127.0.0.1:{port}")
    try:
        printer.open()
        time.sleep(0.1)  # the unasked bytes are there
        assert printer.status() is PrinterState.OK
    finally:
        printer.close()
        server.join(2)
        listener.close()
    assert not server.is_alive()


def test_nagles_algorithm_is_off() -> None:
    """A status query is three bytes sent after a job the printer never answers: with Nagle's
    algorithm on it would wait for the job's delayed ACK (40 ms on Linux) every time."""
    import socket

    from hallq.drivers.printer import open_printer
    from hallq.drivers.printer.emulator import PrinterEmulator

    with PrinterEmulator(port=0) as emulator:
        printer = open_printer(emulator.url)
        try:
            assert printer.status().value == "ok"
            sock = printer._printer.device  # type: ignore[attr-defined]
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        finally:
            printer.close()

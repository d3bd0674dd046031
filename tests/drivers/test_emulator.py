"""The printer emulator, spoken to with plain sockets: its answers, its jobs and files, its
robustness to garbage, and its stopping."""

from __future__ import annotations

import random
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from hallq.drivers.printer.document import Document, QrCode, Raster, Text
from hallq.drivers.printer.emulator import PrinterEmulator, SerialPrinterEmulator
from hallq.drivers.printer.encode import encode
from hallq.drivers.printer.preview import document_to_png

ONLINE, PAPER = b"\x10\x04\x01", b"\x10\x04\x04"


def connect(emulator: PrinterEmulator) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=2)
    sock.settimeout(0.3)
    return sock


def ask(sock: socket.socket, query: bytes) -> bytes:
    sock.sendall(query)
    try:
        return sock.recv(16)
    except TimeoutError:
        return b""


@pytest.mark.parametrize(
    ("state", "replies"),
    [
        ("ok", [b"\x12", b"\x12", b"\x12", b"\x12"]),
        ("near_end", [b"\x12", b"\x12", b"\x12", b"\x1e"]),
        ("out", [b"\x1a", b"\x32", b"\x12", b"\x72"]),
        ("offline", [b"\x1a", b"\x16", b"\x12", b"\x12"]),
    ],
)
def test_it_answers_each_status_query_from_its_state(
    emulator: PrinterEmulator, state: str, replies: list[bytes]
) -> None:
    emulator.state = state
    with connect(emulator) as sock:
        assert [ask(sock, b"\x10\x04" + bytes([n])) for n in (1, 2, 3, 4)] == replies
        assert ask(sock, b"\x10\x04\x09") == b""  # a query it does not know: no answer
    assert emulator.jobs == [] and emulator.rejected == []  # queries are never printed


def test_a_silent_printer_answers_nothing(emulator: PrinterEmulator) -> None:
    emulator.silent = True
    with connect(emulator) as sock:
        assert ask(sock, ONLINE) == b""


def test_a_state_it_does_not_have_is_refused(emulator: PrinterEmulator) -> None:
    with pytest.raises(
        ValueError, match="printer state 'jammed'; one of ok, near_end, out, offline"
    ):
        emulator.state = "jammed"  # type: ignore[assignment]


def test_a_query_inside_image_data_is_image_not_a_query(emulator: PrinterEmulator) -> None:
    image = Image.frombytes("1", (24, 1), bytes([0xFF ^ 0x10, 0xFF ^ 0x04, 0xFF ^ 0x01]))
    data = encode(Document(blocks=(Raster(image),)))
    assert b"\x1dv0\x00\x03\x00\x01\x00" + ONLINE in data  # the image's bytes are DLE EOT 1
    with connect(emulator) as sock:
        sock.sendall(data)
        job = emulator.wait_for_job(1)
        with pytest.raises(TimeoutError):
            sock.recv(16)  # nothing was answered
    assert job.data == data
    assert job.blocks[0].image.tobytes() == image.tobytes()


def test_jobs_are_cut_however_the_bytes_arrive(emulator: PrinterEmulator) -> None:
    one = encode(Document(blocks=(Text("A001"), QrCode("https://q.example/t/1"))))
    two = encode(Document(blocks=(Text("A002"),)))
    before = datetime.now(UTC)
    with connect(emulator) as sock:
        for byte in one:  # a byte at a time
            sock.send(bytes([byte]))
        assert ask(sock, ONLINE) == b"\x12"  # between jobs
        sock.sendall(two + one)  # two jobs at once
        emulator.wait_for_job(3)
    assert [job.data for job in emulator.jobs] == [one, two, one]
    assert [job.number for job in emulator.jobs] == [1, 2, 3]
    assert emulator.jobs[0].blocks == (Text("A001"), QrCode("https://q.example/t/1"))
    assert before <= emulator.jobs[0].cut_at <= emulator.jobs[2].cut_at <= datetime.now(UTC)


def test_connections_each_have_their_own_stream(emulator: PrinterEmulator) -> None:
    job = encode(Document(blocks=(Text("A001"),)))
    with connect(emulator) as first, connect(emulator) as second:
        first.sendall(job[:10])
        second.sendall(job)  # not mixed into the first one's half job
        emulator.wait_for_job(1)
        first.sendall(job[10:])
        emulator.wait_for_job(2)
    assert [j.data for j in emulator.jobs] == [job, job]


def test_what_has_no_cut_when_the_connection_closes_is_dropped(emulator: PrinterEmulator) -> None:
    with connect(emulator) as sock:
        sock.sendall(b"\x1b@A001\n")
    deadline = time.monotonic() + 2
    while emulator.printer.discarded_bytes < 7 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.printer.discarded_bytes == 7 and emulator.jobs == []


def test_jobs_received_while_out_or_offline_are_rejected(emulator: PrinterEmulator) -> None:
    job = encode(Document(blocks=(Text("A001"),)))
    with connect(emulator) as sock:
        for state in ("out", "offline"):
            emulator.state = state
            sock.sendall(job)
        emulator.wait_for_rejected(2)
        emulator.state = "near_end"  # near the end still prints
        sock.sendall(job)
        emulator.wait_for_job(1)
    assert [j.number for j in emulator.rejected] == [1, 2]
    assert len(emulator.jobs) == 1
    out_dir = emulator.printer.out_dir
    assert out_dir is not None
    assert sorted(p.name for p in out_dir.iterdir()) == ["job-0001.bin", "job-0001.png"]


def test_each_job_is_written_as_bin_and_png(tmp_path: Path, ticket: Document) -> None:
    with PrinterEmulator(out_dir=tmp_path / "out") as emulator:
        with connect(emulator) as sock:
            sock.sendall(encode(ticket) * 2)
            emulator.wait_for_job(2)
        for number, job in enumerate(emulator.jobs, start=1):
            stem = tmp_path / "out" / f"job-{number:04d}"
            assert stem.with_suffix(".bin").read_bytes() == job.data == encode(ticket)
            png = stem.with_suffix(".png").read_bytes()
            assert png.startswith(b"\x89PNG") and png == document_to_png(job.document)


def test_waiting_for_a_job_that_does_not_come_times_out(emulator: PrinterEmulator) -> None:
    started = time.monotonic()
    with pytest.raises(
        TimeoutError, match=r"no printed job 1 within 0\.2 s \(0 printed, 0 rejected\)"
    ):
        emulator.wait_for_job(1, timeout=0.2)
    assert time.monotonic() - started < 1


def garbage(generator: random.Random, size: int) -> bytes:
    prefixes = [0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x04, 0x56, 0x76, 0x30, 0x28, 0x6B]
    return bytes(
        generator.choice(prefixes) if generator.random() < 0.3 else generator.getrandbits(8)
        for _ in range(size)
    )


def test_garbage_never_stops_it(emulator: PrinterEmulator) -> None:
    generator = random.Random(9100)
    for _ in range(20):
        with connect(emulator) as sock:
            data = garbage(generator, generator.randrange(100, 20_000))
            for start in range(0, len(data), 997):
                sock.sendall(data[start : start + 997])
    # Still a printer: it answers, and prints a real job, on a new connection.
    ticket = encode(Document(blocks=(Text("A001"),)))
    with connect(emulator) as sock:
        # It may still be chewing the garbage sent before: give the answer time on a busy machine.
        sock.settimeout(5)
        assert ask(sock, ONLINE) == b"\x12"
        printed = len(emulator.jobs)  # garbage may hold cuts: those are jobs too
        sock.sendall(ticket)
        assert emulator.wait_for_job(printed + 1).data == ticket
    assert emulator.printer.errors == []
    assert any(t.name.startswith("printer-emulator") for t in threading.enumerate())


def test_stopping_closes_everything_and_ends_the_thread(tmp_path: Path) -> None:
    emulator = PrinterEmulator().start()
    port = emulator.port
    with pytest.raises(RuntimeError, match="already started"):
        emulator.start()
    client = connect(emulator)
    assert ask(client, ONLINE) == b"\x12"  # accepted and served
    emulator.stop()
    assert not [
        t for t in threading.enumerate() if t.name == f"printer-emulator tcp://127.0.0.1:{port}"
    ]
    assert client.recv(16) == b""  # its connection was closed
    client.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    emulator.stop()  # twice is fine

    serial = SerialPrinterEmulator(link=tmp_path / "tty").start()
    path = serial.path
    serial.stop()
    assert not (tmp_path / "tty").exists()
    assert not [t for t in threading.enumerate() if t.name == f"printer-emulator serial://{path}"]

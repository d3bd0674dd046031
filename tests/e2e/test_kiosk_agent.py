"""The kiosk agent (``hallq kiosk-agent``, a process of its own) against ``hallq serve`` and the
printer emulator: presses print, once; jobs survive restarts of the agent and of the server;
the printer's state reaches the server; a roll change spills no backlog; a serial printer on
a pty prints the same."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from hallq.drivers.printer.emulator import PrinterEmulator, SerialPrinterEmulator
from hallq.drivers.printer.preview import document_to_png
from hallq.server import wire
from tests.e2e.conftest import Api, device_commands, prepare_hall, wait_until
from tests.support.server import ServerProcess


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    printer = PrinterEmulator(port=0, out_dir=tmp_path / "printed").start()
    yield printer
    printer.stop()


@pytest.fixture
def agents(start_agent, tmp_path: Path) -> Callable[..., ServerProcess]:
    """``agents(server, token, printer_url, *options)``: a running ``hallq kiosk-agent``
    polling every 0.3 s, its spool kept across restarts."""

    def start(server: ServerProcess, token: str, printer: str, *options: str) -> ServerProcess:
        return start_agent(
            "kiosk-agent",
            server,
            token,
            "--printer",
            printer,
            "--poll",
            "0.3",
            "--spool",
            str(tmp_path / "spool"),
            *options,
        )

    return start


def _commands(url: str) -> dict[int, tuple[str, Any]]:
    return device_commands(url, wire.PRINT_JOB)


def test_a_press_prints_once_and_looks_like_its_preview(
    sqlite_url, start_server, api, emulator, agents
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url, env={"HALLQ_PUBLIC_URL": "https://q.example.org"})
    agent = agents(server, hall.tokens["kiosk-1"], emulator.url)
    kiosk: Api = api(server, hall.tokens["kiosk-1"])
    issued = [kiosk.post("/api/v1/tickets", {"service": "consultation"}).body for _ in range(3)]
    for n in range(1, 4):
        emulator.wait_for_job(n, timeout=20)
    wait_until("every answer", lambda: all(s == "done" for s, _ in _commands(sqlite_url).values()))
    time.sleep(1.0)
    assert len(emulator.jobs) == 3  # once each, in the order pressed
    for job in emulator.jobs:
        # On the wire: initialise, the ticket as raster images, the QR code drawn by the
        # printer itself, and a cut at the end.
        assert job.data.startswith(b"\x1b@")
        assert b"\x1dv0" in job.data  # GS v 0: raster image
        assert b"\x1d(k" in job.data  # GS ( k: QR code
        assert b"\x1dV" in job.data[-4:]  # GS V: the cut ends the ticket
    # The printed ticket is the preview of the same ticket (its place: nobody was called).
    staff = api(server, api(server).login("clerk1"))
    for ticket, job in zip(issued, emulator.jobs, strict=True):
        shown = staff.session.get(
            f"{server.url}/api/v1/tickets/{ticket['id']}/preview.png",
            headers={"Authorization": f"Bearer {staff.token}"},
            timeout=10,
        )
        assert shown.status_code == 200
        preview = Image.open(io.BytesIO(shown.content)).convert("1")
        # What the printer received, read back from its bytes and drawn the same way.
        printed = Image.open(io.BytesIO(document_to_png(job.document))).convert("1")
        assert printed.size == preview.size
        assert ImageChops.difference(printed, preview).getbbox() is None
    assert "printed job" in agent.log_text()


def test_paper_out_holds_jobs_and_the_server_hears_it(
    sqlite_url, start_server, api, emulator, agents
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    agents(server, hall.tokens["kiosk-1"], emulator.url)
    kiosk: Api = api(server, hall.tokens["kiosk-1"])

    def printer_state() -> str:
        return kiosk.get("/api/v1/devices/me").body["status"].get("status", "")

    wait_until("the printer's state", lambda: printer_state() == "ok")
    emulator.state = "out"
    wait_until("paper out at the server", lambda: printer_state() == "paper_out", timeout=5)
    kiosk.post("/api/v1/tickets", {"service": "consultation"})
    time.sleep(1.0)
    assert emulator.jobs == []  # waits: nothing sent to a printer without paper
    emulator.state = "ok"
    emulator.wait_for_job(1, timeout=10)
    wait_until("ok at the server", lambda: printer_state() == "ok", timeout=5)


def test_a_job_too_old_when_the_paper_returns_is_not_printed(
    sqlite_url, start_server, api, emulator, agents, hall_socket
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    agents(server, hall.tokens["kiosk-1"], emulator.url, "--max-age", "2")
    screen = hall_socket(server, hall.tokens["kiosk-1"])  # the kiosk's own page
    emulator.state = "out"
    time.sleep(1.0)
    ticket = (
        api(server, hall.tokens["kiosk-1"])
        .post("/api/v1/tickets", {"service": "consultation"})
        .body
    )
    time.sleep(2.5)
    emulator.state = "ok"
    outcome = screen.wait_for(
        lambda ev: [d for n, d in ev if n == wire.PRINT_OUTCOME], "the print's outcome"
    )[0]
    assert outcome == {
        "id": outcome["id"],
        "ticket_id": ticket["id"],
        "ok": False,
        "reason": "too_old",
    }
    time.sleep(1.0)
    assert emulator.jobs == []  # a roll change spills no backlog
    assert _commands(sqlite_url)[ticket["id"]] == ("failed", {"ok": False, "reason": "too_old"})


def test_jobs_survive_a_kill_of_the_agent_and_print_once(
    sqlite_url, start_server, api, emulator, agents
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    first = agents(server, hall.tokens["kiosk-1"], emulator.url)
    kiosk: Api = api(server, hall.tokens["kiosk-1"])
    kiosk.post("/api/v1/tickets", {"service": "consultation"})
    emulator.wait_for_job(1, timeout=20)
    emulator.state = "out"  # the next ones wait in the agent's spool...
    time.sleep(1.0)
    waiting = [kiosk.post("/api/v1/tickets", {"service": "consultation"}).body for _ in range(3)]
    time.sleep(1.0)
    first.kill9()  # ...when the agent dies
    emulator.state = "ok"
    agents(server, hall.tokens["kiosk-1"], emulator.url)
    emulator.wait_for_job(4, timeout=20)
    wait_until("every answer", lambda: all(s == "done" for s, _ in _commands(sqlite_url).values()))
    time.sleep(1.0)
    assert len(emulator.jobs) == 4  # the three waiting ones, once each
    assert {t["id"] for t in waiting} <= set(_commands(sqlite_url))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    return request.getfixturevalue("pg_url")


def test_jobs_survive_a_kill_of_the_server_and_print_once(
    database_url, server_factory, api, emulator, agents, tmp_path
) -> None:
    url = database_url
    hall = prepare_hall(url)
    env = {"HALLQ_DATABASE_URL": url, "HALLQ_DATA_DIR": str(tmp_path / "data")}
    server = server_factory(env=env, timeout=45)
    agents(server, hall.tokens["kiosk-1"], emulator.url)
    kiosk: Api = api(server, hall.tokens["kiosk-1"])
    emulator.state = "out"
    time.sleep(1.0)
    tickets = [kiosk.post("/api/v1/tickets", {"service": "consultation"}).body for _ in range(2)]
    time.sleep(1.0)  # the agent has them in its spool
    server.kill9()
    emulator.state = "ok"  # it prints while the server is away...
    emulator.wait_for_job(2, timeout=20)
    # ...and answers when the server is back (on the same address): the server then has
    # both answered and sends neither again.
    server_factory(env=env, port=server.port, timeout=45)
    wait_until("both answers", lambda: all(s == "done" for s, _ in _commands(url).values()), 30)
    assert {t["id"] for t in tickets} == set(_commands(url))
    time.sleep(1.5)
    assert len(emulator.jobs) == 2


def test_a_serial_printer_on_a_pty_prints_the_same(
    sqlite_url, start_server, api, agents, tmp_path
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    with SerialPrinterEmulator(out_dir=tmp_path / "serial") as printer:
        agents(server, hall.tokens["kiosk-2"], f"serial://{printer.path}?baudrate=115200")
        ticket = (
            api(server, hall.tokens["kiosk-2"])
            .post("/api/v1/tickets", {"service": "certificate-pickup"})
            .body
        )
        job = printer.wait_for_job(1, timeout=20)
        assert job.data.startswith(b"\x1b@") and b"\x1dV" in job.data[-8:]
        wait_until(
            "the answer", lambda: _commands(sqlite_url).get(ticket["id"], ("",))[0] == "done"
        )

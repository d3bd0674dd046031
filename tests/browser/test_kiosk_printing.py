"""The whole kiosk, as installed: the touch screen in Chromium, ``hallq kiosk-agent`` (a process
of its own) and the printer emulator on a TCP port, against ``hallq serve``. A touch prints the
ticket the screen shows; the printer running out of paper stops the screen until it is fixed;
the agent stopping takes the kiosk offline rather than letting it promise tickets."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect

from hallq.drivers.printer.emulator import PrinterEmulator
from hallq.drivers.printer.preview import document_to_png
from tests.support.browser import LiveHall, live_hall
from tests.support.kiosk_screen import open_kiosk, press, service_button
from tests.support.server import ServerProcess, hallq_argv

pytestmark = pytest.mark.browser

SERVICE = "consultation"
POLL = 0.3  # the agent asks the printer its state this often (seconds)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with live_hall(tmp_path_factory.mktemp("kiosk-printing")) as hall:
        yield hall


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[PrinterEmulator]:
    emulator = PrinterEmulator(port=0, out_dir=tmp_path / "printed").start()
    yield emulator
    emulator.stop()


@pytest.fixture
def kiosk_agent(
    live: LiveHall, printer: PrinterEmulator, tmp_path: Path
) -> Iterator[ServerProcess]:
    """``hallq kiosk-agent`` for kiosk-1, printing on the emulator."""
    agent = ServerProcess(
        hallq_argv(
            "kiosk-agent",
            "--server",
            live.url,
            "--printer",
            printer.url,
            "--poll",
            str(POLL),
            "--spool",
            str(tmp_path / "spool"),
        ),
        env={"HALLQ_DEVICE_TOKEN": live.token("kiosk-1")},
        ready_path=None,
        workdir=tmp_path / "agent",
    )
    agent.start()
    yield agent
    agent.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-HK")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def _printer_state(live: LiveHall) -> str:
    status = live.ok("GET", "/api/v1/devices/me", live.token("kiosk-1"))["status"] or {}
    return str(status.get("status", ""))


def _wait(what: str, predicate, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)
    return found


@pytest.mark.parametrize(
    ("language", "take"), [("zh-Hant", "請取走號碼票"), ("en", "Please take your ticket")]
)
def test_a_touch_prints_the_ticket_the_screen_shows(
    context,
    live: LiveHall,
    printer: PrinterEmulator,
    kiosk_agent: ServerProcess,
    language: str,
    take: str,
) -> None:
    _wait("the agent's first report", lambda: _printer_state(live) == "ok")
    page = open_kiosk(context, live)
    if language != "zh-Hant":  # the screen starts in the hall's own language
        page.click(f"button.lang[data-lang={language}]")
        page.wait_for_function(f"document.documentElement.lang === '{language}'")
    ticket = press(page, SERVICE)
    assert ticket["language"] == language
    assert page.inner_text("#ticket-number") == ticket["number"]
    assert page.inner_text("#ticket-take") == take
    expect(page.locator("#ticket-take")).to_be_visible()
    job = printer.wait_for_job(1, timeout=20)
    # What the printer received, read back from its bytes, is the staff's preview of the ticket
    # (laid out in the ticket's language).
    staff = live.login("clerk1")
    shown = live.request("GET", f"/api/v1/tickets/{ticket['id']}/preview.png", staff)
    assert shown.status_code == 200
    preview = Image.open(io.BytesIO(shown.content)).convert("1")
    printed = Image.open(io.BytesIO(document_to_png(job.document))).convert("1")
    assert printed.size == preview.size
    assert ImageChops.difference(printed, preview).getbbox() is None
    # Printed, so the screen never says it failed; once only.
    time.sleep(1.0)
    expect(page.locator("#ticket-print-failed")).to_be_hidden()
    assert len(printer.jobs) == 1
    assert page.errors == []


def test_paper_out_at_the_printer_stops_the_screen_until_the_roll_is_changed(
    context, live: LiveHall, printer: PrinterEmulator, kiosk_agent: ServerProcess
) -> None:
    _wait("the agent's first report", lambda: _printer_state(live) == "ok")
    page = open_kiosk(context, live)
    expect(service_button(page, SERVICE)).to_be_enabled()
    started = time.monotonic()
    printer.state = "out"
    alert = page.locator("#printer-problem")
    alert.wait_for(state="visible", timeout=10_000)
    took = time.monotonic() - started
    assert alert.inner_text() == "打印機缺紙：請向職員求助"
    assert all(button.is_disabled() for button in page.locator("button.service").all())
    print(f"paper out → the kiosk's buttons disabled in {took * 1000:.0f} ms (poll {POLL} s)")
    printer.state = "ok"
    alert.wait_for(state="hidden", timeout=10_000)
    expect(service_button(page, SERVICE)).to_be_enabled()
    assert page.errors == []


def test_the_agent_stopping_takes_the_kiosk_offline(
    context, live: LiveHall, printer: PrinterEmulator, kiosk_agent: ServerProcess
) -> None:
    _wait("the agent's first report", lambda: _printer_state(live) == "ok")
    page = open_kiosk(context, live)
    expect(service_button(page, SERVICE)).to_be_enabled()
    kiosk_agent.stop()
    alert = page.locator("#printer-problem")
    alert.wait_for(state="visible", timeout=10_000)
    assert alert.inner_text() == "打印機故障：請向職員求助"
    assert service_button(page, SERVICE).is_disabled()
    assert _printer_state(live) == "offline"
    assert page.errors == []

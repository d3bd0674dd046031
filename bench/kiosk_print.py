"""Kiosk printing: a press → the cut at the printer, and a paper-out → the kiosk told.

The demo set-up: ``hallq serve``, the printer emulator (a TCP port, as a network printer on
9100) and ``hallq kiosk-agent`` (a process of its own, image mode, 80 mm).

(a) press → cut: a kiosk presses (POST /api/v1/tickets with its token), one press at a time;
    each latency is from sending the press to the emulator having the ticket's cut (the
    agent renders the ticket as an image with the CJK font, encodes it and sends it);
(b) the ticket image alone: ``layout_ticket`` + ``encode`` in this process;
(c) paper out → the kiosk's screen told: from setting the emulator out of paper to a
    Socket.IO client with the kiosk's token getting ``device.updated`` (paper_out), with the
    agent polling the printer every --poll seconds;
(d) paper out → the buttons disabled: the same moment, to ``/kiosk`` in headless Chromium
    showing its service buttons disabled (``--no-browser`` leaves it out).

    .venv/bin/python bench/kiosk_print.py [--presses 200] [--poll 3] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import socketio
from _common import API, DB_CHOICES, Http, hall_server, print_latencies, print_setup

from hallq.drivers.printer.emulator import PrinterEmulator
from hallq.drivers.printer.encode import encode
from hallq.kiosk.ticket_layout import layout_ticket
from tests.support.browser import launched_browser
from tests.support.server import ServerProcess, hallq_argv

# The kiosk's service buttons, as the customer sees them (a printer problem disables them all).
DISABLED = "[...document.querySelectorAll('button.service')].every(b => b.disabled)"
ENABLED = "[...document.querySelectorAll('button.service')].some(b => !b.disabled)"

TICKET = {
    "id": 1,
    "number": "A023",
    "service": "property-transfer",
    "service_name": "物業過戶",
    "documents": ["買賣雙方的身份證明文件（香港身份證或護照）正本", "已簽署的買賣合約正本"],
    "language": "zh-Hant",
    "priority": "normal",
    "people_ahead": 3,
    "eta_minutes": 12,
    "issued_at": "2026-11-30T10:05:00+08:00",
    "status_url": "https://queue.example.org/t/abcdefghijklmnopqrstuv",
    "hall_name": "海港產權過戶服務大廳",
    "footer": None,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--poll", type=float, default=3.0)
    parser.add_argument("--paper-outs", type=int, default=10)
    parser.add_argument("--no-browser", action="store_true", help="leave out (d)")
    args = parser.parse_args()
    print_setup(
        "kiosk printing: press → cut, and paper out → the kiosk told",
        database=args.db,
        printer="emulated network printer (TCP), 80 mm, tickets as images",
        agent=f"hallq kiosk-agent, polling the printer every {args.poll:g} s",
    )

    renders = []
    for _ in range(args.presses):
        t0 = time.perf_counter()
        encode(layout_ticket(TICKET))  # type: ignore[arg-type]
        renders.append((time.perf_counter() - t0) * 1000)

    work = Path(tempfile.mkdtemp(prefix="hallq-bench-kiosk-"))
    with hall_server(args.db) as setup, PrinterEmulator(port=0) as printer:
        token = setup.hall.tokens["kiosk-1"]
        agent = ServerProcess(
            hallq_argv(
                "kiosk-agent",
                "--server",
                setup.url,
                "--printer",
                printer.url,
                "--poll",
                str(args.poll),
                "--spool",
                str(work / "spool"),
            ),
            env={"HALLQ_DEVICE_TOKEN": token},
            ready_path=None,
            workdir=work / "agent",
        ).start()
        try:
            http = Http(setup.url, token)
            http.post(f"{API}/tickets", {"service": "consultation"})  # warm up
            printer.wait_for_job(1, timeout=30)
            presses = []
            for n in range(args.presses):
                t0 = time.perf_counter()
                status, _ = http.post(f"{API}/tickets", {"service": "consultation"})
                assert status == 201, status
                printer.wait_for_job(n + 2, timeout=30)
                presses.append((time.perf_counter() - t0) * 1000)
            http.close()

            told = threading.Event()
            told_at = [0.0]
            client = socketio.Client(reconnection=False)

            @client.on("device.updated", namespace="/hall")
            def _updated(data: dict) -> None:  # type: ignore[type-arg]
                if data.get("status", {}).get("status") == "paper_out":
                    told_at[0] = time.perf_counter()
                    told.set()

            client.connect(
                setup.url, namespaces=["/hall"], transports=["websocket"], auth={"token": token}
            )
            with contextlib.ExitStack() as stack:
                page = None
                if not args.no_browser:
                    browser = stack.enter_context(launched_browser())
                    page = browser.new_page(viewport={"width": 1920, "height": 1080})
                    page.goto(f"{setup.url}/kiosk#token={token}")
                    page.locator("button.service").first.wait_for()
                outs, disabled = [], []
                chance = random.Random(12)
                for _ in range(args.paper_outs):
                    # Let it see "ok" again, then go out at a random point of the agent's
                    # poll cycle: the wait is anywhere from nothing to one poll interval.
                    time.sleep(args.poll * (1.1 + chance.random()))
                    if page is not None:
                        page.wait_for_function(ENABLED, timeout=30_000)
                    told.clear()
                    t0 = time.perf_counter()
                    printer.state = "out"
                    if page is not None:
                        page.wait_for_function(DISABLED, polling="raf", timeout=30_000)
                        disabled.append((time.perf_counter() - t0) * 1000)
                    if not told.wait(args.poll * 3 + 5):
                        raise RuntimeError("the kiosk was not told of the paper")
                    outs.append((told_at[0] - t0) * 1000)
                    printer.state = "ok"
            client.disconnect()
        finally:
            agent.stop()

    print_latencies(
        [
            ("press → cut at the printer", presses),
            ("ticket image: layout + encode", renders),
            ("paper out → kiosk told", outs),
            ("paper out → buttons disabled", disabled),
        ]
    )
    print(
        "  targets: press → cut p99 <= 100 ms (image included); paper out is noticed within the "
        f"agent's poll interval ({args.poll:g} s) plus a report, and the screen follows at once."
    )


if __name__ == "__main__":
    main()

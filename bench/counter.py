"""The counter: a pad's score → the rating stored and on the clerk's screen; the serial frame
codec's throughput; the clerk's screen ready with 200 waiting.

The demo set-up: ``hallq serve``, the pad emulated on a pty and ``hallq counter-agent`` (a
process of its own) on it, as a window's PC runs it.

(a) score → shown: clerk1 serves a ticket at window 1 (issue, call-next, start, finish over
    HTTP); once the pad shows the rating request, the customer presses 4 and the time runs
    from the ``S`` frame leaving the pad to ``rating.stored`` reaching a Socket.IO client with
    the clerk's token (the screen's own feed: it is sent once the rating is committed). With
    the browser, the same to ``/counter`` in headless Chromium showing the score.
(b) codec: ``FrameDecoder.feed`` over random bytes (noise, the worst case: every byte looked
    at) and over a stream of good frames, in 4 KB reads as a serial port gives them.
(c) the clerk's screen with 200 tickets waiting for window 1's services: from the navigation's
    start to the first frame painted with the waiting list's 200 rows, measured in the page
    (``performance.now()``; the first load, which fills the browser's cache, left out); and the
    same seen from this script, from ``goto`` to Playwright hearing of it, its own round trips
    in.

    .venv/bin/python bench/counter.py [--ratings 200] [--db sqlite|postgres] [--no-browser]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import socketio
from _common import (
    API,
    DB_CHOICES,
    Http,
    clerk_at_window,
    fill_waiting,
    hall_server,
    print_latencies,
    print_setup,
    print_table,
)

from hallq.drivers.serial.codec import Frame, FrameDecoder, encode
from hallq.drivers.serial.emulator import PadEmulator
from tests.support.browser import launched_browser
from tests.support.server import ServerProcess, hallq_argv

READ = 4096  # bytes a serial read hands on at most

# In the page, from the navigation's start: the frame after the waiting list has its rows (a
# MutationObserver sees them, the next animation frame is the one painted with them).
READY_STAMP = """
(() => {
  const seen = new MutationObserver(() => {
    if (document.querySelectorAll('#waiting-list tr[data-number]').length < WAITING) return;
    seen.disconnect();
    requestAnimationFrame(() => { window.hallqReadyAt = performance.now(); });
  });
  document.addEventListener('DOMContentLoaded', () =>
    seen.observe(document.body, {childList: true, subtree: true}));
})();
"""


def codec_throughput(seconds: float = 2.0) -> list[list[str]]:
    rows = []
    noise = random.Random(7).randbytes(1 << 20)
    good = b"".join(encode(Frame(1, "S", str(1 + n % 5))) for n in range((1 << 20) // 10))
    for name, data in (("random noise", noise), ("good S frames", good)):
        decoder = FrameDecoder()
        fed = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for start in range(0, len(data), READ):
                decoder.feed(data[start : start + READ])
            fed += len(data)
        rate = fed / (time.perf_counter() - t0)
        stats = decoder.stats
        rows.append(
            [
                name,
                f"{rate / 1e6:.1f} MB/s",
                f"{stats.frames:,} frames, {stats.dropped():,} dropped, {stats.noise:,} noise bytes",
            ]
        )
    return rows


def serve_one(kiosk: Http, clerk: Http) -> dict:  # type: ignore[type-arg]
    """One more ticket issued (the queue stays as long), the next one called and served."""
    kiosk.json("POST", f"{API}/tickets", {"service": "property-transfer"}, expect=(201,))
    ticket = clerk.json("POST", f"{API}/counters/1/call-next", {})
    for step in ("start", "finish"):
        clerk.json("POST", f"{API}/counters/1/{step}", {})
    return ticket


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--ratings", type=int, default=200)
    parser.add_argument("--waiting", type=int, default=200, help="tickets waiting for (c)")
    parser.add_argument("--no-browser", action="store_true", help="leave out the browser")
    args = parser.parse_args()
    print_setup(
        "the counter: pad score → rating shown; codec; the clerk's screen",
        database=args.db,
        pad="emulated v1 pad on a pty",
        agent="hallq counter-agent",
    )
    codec_rows = codec_throughput()

    work = Path(tempfile.mkdtemp(prefix="hallq-bench-counter-"))
    shown: list[float] = []
    on_page: list[float] = []
    ready: list[float] = []
    outside: list[float] = []
    with (
        hall_server(
            args.db, prepare=lambda hall: fill_waiting(hall, "property-transfer", args.waiting)
        ) as setup,
        PadEmulator(link=work / "pad") as pad,
    ):
        agent = ServerProcess(
            hallq_argv("counter-agent", "--server", setup.url, "--pad", pad.path),
            env={"HALLQ_DEVICE_TOKEN": setup.hall.tokens["counter-1"]},
            ready_path=None,
            workdir=work / "agent",
        ).start()
        try:
            kiosk = Http(setup.url, setup.hall.tokens["kiosk-1"])
            clerk = clerk_at_window(setup.url, 1)
            stored: dict[int, float] = {}
            arrived = threading.Condition()
            client = socketio.Client(reconnection=False)

            @client.on("rating.stored", namespace="/hall")
            def _stored(data: dict) -> None:  # type: ignore[type-arg]
                with arrived:
                    stored[data["ticket_id"]] = time.perf_counter()
                    arrived.notify_all()

            client.connect(
                setup.url,
                namespaces=["/hall"],
                transports=["websocket"],
                auth={"token": clerk.token},
            )

            def rate_once(page=None) -> tuple[float, float | None]:  # type: ignore[no-untyped-def]
                ticket = serve_one(kiosk, clerk)
                pad.wait_for(lambda p: p.waiting == ticket["number"], timeout=30)
                t0 = time.perf_counter()
                pad.press(4)
                seen = None
                if page is not None:
                    page.wait_for_function(
                        "([n]) => { const el = document.getElementById('rating-text'); "
                        "return el.textContent.includes(n) && el.classList.contains('good'); }",
                        arg=[ticket["number"]],
                        polling="raf",
                        timeout=30_000,
                    )
                    seen = (time.perf_counter() - t0) * 1000
                with arrived:
                    if not arrived.wait_for(lambda: ticket["id"] in stored, timeout=30):
                        raise RuntimeError(f"no rating.stored for {ticket['number']}")
                return (stored[ticket["id"]] - t0) * 1000, seen

            rate_once()  # warm up
            for _ in range(args.ratings):
                shown.append(rate_once()[0])

            if not args.no_browser:
                with launched_browser() as browser:
                    page = browser.new_page(viewport={"width": 1600, "height": 1000})
                    page.goto(f"{setup.url}/counter")
                    sign_in(page, clerk.token)
                    page.add_init_script(READY_STAMP.replace("WAITING", str(args.waiting)))
                    for _ in range(21):  # the screen's load, then timed ones
                        t0 = time.perf_counter()
                        page.goto(f"{setup.url}/counter", wait_until="commit")
                        in_page = page.wait_for_function(
                            "() => window.hallqReadyAt", polling="raf", timeout=30_000
                        ).json_value()
                        outside.append((time.perf_counter() - t0) * 1000)
                        ready.append(float(in_page))
                    for _ in range(min(args.ratings, 30)):
                        _, seen = rate_once(page)
                        if seen is not None:
                            on_page.append(seen)
            client.disconnect()
            kiosk.close()
            clerk.close()
        finally:
            agent.stop()

    print_latencies(
        [
            ("score frame → rating.stored at the clerk's socket", shown),
            ("score frame → score on /counter (Chromium)", on_page),
            (f"/counter ready with {args.waiting} waiting, in the page", ready[1:]),
            ("  the same as Playwright sees it (its round trips in)", outside[1:]),
        ]
    )
    print()
    print_table(["codec on", "throughput", "decoded"], codec_rows)
    print(
        "  targets: the clerk's screen ready with 200 waiting ≤ 200 ms; a serial line at "
        "115200 baud carries 11.5 KB/s."
    )
    with contextlib.suppress(OSError):
        os.rmdir(work)


def sign_in(page, token: str) -> None:  # type: ignore[no-untyped-def]
    """The clerk's screen signed in as the bench's clerk (this tab's session, as the sign-in
    form leaves it); it goes back to window 1, which the clerk holds."""
    page.evaluate(
        "([token]) => { sessionStorage.setItem('hallq.token', token); "
        "sessionStorage.setItem('hallq.name', 'clerk1'); "
        "sessionStorage.setItem('hallq.counter.window', '1'); }",
        [token],
    )


if __name__ == "__main__":
    main()

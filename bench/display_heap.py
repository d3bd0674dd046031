"""The lobby board under a day's calls: call-next → the number on the board, and its memory.

``/display`` of a display with no zone (the whole hall) runs in headless Chromium against
``hallq serve``. Over HTTP a kiosk issues a ticket, and the clerks of several windows, in turn,
finish their current customer (start, finish) and call the next one. Each latency runs from
sending call-next to the board's page putting the called number on screen (a MutationObserver
in the page stamps the change; the page and this script share the machine's clock). The JS
heap (after a full garbage collection), the DOM nodes and the event listeners are read through
the Chrome DevTools Protocol when the board has loaded, after the first tenth of the calls
(warm) and at the end: a board must run for weeks, so they must stay flat.

    .venv/bin/python bench/display_heap.py [--db sqlite|postgres] [--calls 2000] [--windows 6]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    DB_CHOICES,
    Hall,
    Http,
    clerk_at_window,
    hall_server,
    ms,
    percentile,
    print_setup,
    print_table,
)

from hallq.server.auth import issue_device_token
from hallq.server.models import Device
from tests.support.browser import launched_browser

BOARD = "display-lobby"  # the sample hall's board at the entrance: no zone
# Windows in the order they take turns (zones A, B, C, A, …), each with a service it calls
# first: the ticket issued for its turn is the one it calls.
WINDOWS = [
    (1, "property-transfer"),
    (4, "vehicle-transfer"),
    (7, "consultation"),
    (2, "property-transfer"),
    (6, "equity-transfer"),
    (8, "certificate-pickup"),
    (3, "property-transfer"),
    (5, "vehicle-transfer"),
    (9, "consultation"),
]

# Stamps each change of the called number with the time it reached the page (epoch ms). One
# slot, not a list: the instrument must not grow the heap it measures.
OBSERVE = """() => {
  const number = document.getElementById("now-number");
  window.__shown = {number: number.textContent, at: 0};
  new MutationObserver(() => {
    window.__shown = {number: number.textContent, at: performance.timeOrigin + performance.now()};
  }).observe(number, {childList: true, characterData: true, subtree: true});
}"""
READY = (
    "window.hallqDisplay && window.hallqDisplay.state !== null && "
    "!document.getElementById('board').hidden"
)


def add_whole_hall_board(hall: Hall) -> None:
    """The lobby display of no zone, for a hall file that has none."""
    if BOARD in hall.tokens:
        return
    with hall.db.writing() as session:
        device = Device(
            hall_id=hall.context.id,
            name=BOARD,
            kind="display",
            created_at=dt.datetime.now(dt.UTC),
            status={},
        )
        hall.tokens[BOARD] = issue_device_token(device)
        session.add(device)


def memory(cdp: Any) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")
    counters = cdp.send("Memory.getDOMCounters")
    return {
        "heap": heap["usedSize"] / 1e6,
        "total": heap["totalSize"] / 1e6,
        "nodes": counters["nodes"],
        "listeners": counters["jsEventListeners"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--windows", type=int, default=6, help=f"windows taking turns (1-{len(WINDOWS)})"
    )
    args = parser.parse_args()
    windows = WINDOWS[: max(1, min(args.windows, len(WINDOWS)))]
    print_setup(
        "lobby board: call-next → the number on /display, and its memory over the calls",
        database=args.db,
        board="/display of the whole hall, headless Chromium 1920×1080",
        calls=f"{args.calls}, windows {', '.join(str(w) for w, _ in windows)} in turn "
        "(issue, start + finish the last customer, call-next)",
    )

    with hall_server(args.db, add_whole_hall_board) as setup, launched_browser() as browser:
        kiosk = Http(setup.url, setup.hall.tokens["kiosk-1"])
        clerks = {window: clerk_at_window(setup.url, window) for window, _ in windows}
        serving: dict[int, bool] = dict.fromkeys(clerks, False)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{setup.url}/display#token={setup.hall.tokens[BOARD]}")
        page.wait_for_function(READY, timeout=30_000)
        page.evaluate(OBSERVE)
        cdp = context.new_cdp_session(page)
        readings = [("board loaded", memory(cdp))]
        warm = max(1, args.calls // 10)

        latencies: list[float] = []
        started = time.perf_counter()
        for n in range(args.calls):
            window, service = windows[n % len(windows)]
            clerk = clerks[window]
            kiosk.json("POST", f"{API}/tickets", {"service": service}, expect=(201,))
            if serving[window]:
                clerk.json("POST", f"{API}/counters/{window}/start")
                clerk.json("POST", f"{API}/counters/{window}/finish")
            sent = time.time() * 1000
            called = clerk.json("POST", f"{API}/counters/{window}/call-next")
            serving[window] = True
            shown = page.wait_for_function(
                "n => window.__shown.number === n && window.__shown.at",
                arg=called["number"],
                timeout=10_000,
            ).json_value()
            latencies.append(shown - sent)
            if n + 1 == warm:
                readings.append((f"after {warm} calls", memory(cdp)))
        elapsed = time.perf_counter() - started
        readings.append((f"after {args.calls} calls", memory(cdp)))
        state = page.evaluate(
            "({calls: hallqDisplay.calls.length, renders: hallqDisplay.renders,"
            " rows: document.querySelectorAll('#recent li:not([hidden])').length})"
        )
        kiosk.close()
        for clerk in clerks.values():
            clerk.close()
        context.close()

    print(f"  {args.calls} calls in {elapsed:.1f} s; the board rendered {state['renders']} times")
    print_table(
        ["measure", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [
            [
                "call-next → number on the board",
                str(len(latencies)),
                *(ms(percentile(latencies, p)) for p in (50, 90, 99)),
                ms(max(latencies)),
            ]
        ],
    )
    print()
    print_table(
        ["board", "JS heap MB", "heap total MB", "DOM nodes", "listeners"],
        [
            [
                name,
                f"{m['heap']:.2f}",
                f"{m['total']:.2f}",
                str(int(m["nodes"])),
                str(int(m["listeners"])),
            ]
            for name, m in readings
        ],
    )
    warm_heap, end_heap = readings[1][1]["heap"], readings[-1][1]["heap"]
    print(
        f"  from warm to the end: heap {1000 * (end_heap - warm_heap):+.0f} kB, "
        f"DOM nodes {int(readings[-1][1]['nodes'] - readings[1][1]['nodes']):+d}; "
        f"calls kept {state['calls']}, rows shown {state['rows']}"
    )
    if errors:
        print(f"  page errors: {errors[:3]}")
    print(
        "  targets: the number on the board within a few tens of ms of call-next (p99); heap "
        "and DOM nodes flat from warm to the end."
    )


if __name__ == "__main__":
    main()

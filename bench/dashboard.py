"""The supervisor's dashboard: how soon a call shows on it.

The demo set-up: ``hallq serve`` with the sample hall (open all day), and the dashboard
(``/office``) in headless Chromium, signed in as the supervisor. Each round a kiosk issues one
ticket for property transfer (the queue holds only it, so its number is the one called), then
clerk1 calls the next ticket at window 1 over HTTP. The time runs from just before the
call-next POST is sent to the dashboard's DOM showing:

- the ticket's number in window 1's row (``counter.updated``, drawn from the delta itself);
- the queue's waiting count back to 0 in the service's row (``queue.updated``);
- the call's running timer in window 1's row (after the dashboard's own read,
  ``GET /api/v1/dashboard``, which a delta schedules 250 ms ahead, one read for a burst).

A MutationObserver in the page stamps each moment (``Date.now()``, the machine's one clock),
so Playwright's own round trips are not counted. Then the ticket is started and finished, and
the next round begins once the dashboard shows the window free again.

    .venv/bin/python bench/dashboard.py [--calls 50] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    DB_CHOICES,
    PASSWORD,
    Http,
    clerk_at_window,
    hall_server,
    print_latencies,
    print_setup,
)

from tests.support.browser import launched_browser

SERVICE = "property-transfer"
WINDOW = 1

# Stamps the first moment each expected text shows in the dashboard.
WATCH = """([number, counter, service]) => {
  const row = () => document.querySelector(`#window-rows tr[data-window='${counter}']`);
  const queue = () => document.querySelector(`#service-rows tr[data-service='${service}']`);
  const seen = {number: null, waiting: null, timer: null};
  window.__seen = seen;
  const look = () => {
    const now = Date.now();
    const r = row(), q = queue();
    if (!seen.number && r && r.querySelector("td.ticket").textContent.includes(number)) seen.number = now;
    if (!seen.waiting && q && q.querySelector("td.waiting").textContent === "0") seen.waiting = now;
    if (!seen.timer && r && r.querySelector("td.ticket").textContent.includes(number) &&
        r.querySelector("td.timer").textContent !== "") seen.timer = now;
    if (seen.number && seen.waiting && seen.timer) observer.disconnect();
  };
  const observer = new MutationObserver(look);
  observer.observe(document.getElementById("board"), {subtree: true, childList: true, characterData: true});
}"""

ALL_SEEN = "window.__seen && window.__seen.number && window.__seen.waiting && window.__seen.timer"
FREE = (
    "document.querySelector(\"#window-rows tr[data-window='{w}'] td.ticket\").textContent === '—'"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    print_setup(
        "the supervisor's dashboard: call-next → shown on /office",
        database=args.db,
        browser="headless Chromium (Debian's), one dashboard signed in as the supervisor",
        calls=args.calls,
    )
    number_shown: list[float] = []
    waiting_shown: list[float] = []
    timer_shown: list[float] = []
    answered: list[float] = []
    with hall_server(args.db) as setup, launched_browser() as browser:
        kiosk = Http(setup.url, setup.hall.tokens["kiosk-1"])
        clerk = clerk_at_window(setup.url, WINDOW)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{setup.url}/office?lang=en")
        page.fill("#signin-username", "supervisor")
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-form button[type=submit]")
        page.wait_for_function("window.hallqOffice && window.hallqOffice.loads > 0")
        for round_ in range(args.calls + 1):  # the first is a warm-up
            ticket = kiosk.json("POST", f"{API}/tickets", {"service": SERVICE}, expect=(201,))
            page.wait_for_function(
                "([s]) => { const q = document.querySelector("
                "`#service-rows tr[data-service='${s}'] td.waiting`); "
                "return q && q.textContent === '1'; }",
                arg=[SERVICE],
            )
            page.evaluate(WATCH, [ticket["number"], WINDOW, SERVICE])
            t0 = time.time() * 1000
            called = clerk.json("POST", f"{API}/counters/{WINDOW}/call-next", {})
            t1 = time.time() * 1000
            assert called["number"] == ticket["number"], (called["number"], ticket["number"])
            page.wait_for_function(ALL_SEEN, polling=50, timeout=30_000)
            seen = page.evaluate("window.__seen")
            if round_ > 0:
                answered.append(t1 - t0)
                number_shown.append(seen["number"] - t0)
                waiting_shown.append(seen["waiting"] - t0)
                timer_shown.append(seen["timer"] - t0)
            for step in ("start", "finish"):
                clerk.json("POST", f"{API}/counters/{WINDOW}/{step}", {})
            page.wait_for_function(FREE.format(w=WINDOW), polling=50, timeout=30_000)
        kiosk.close()
        clerk.close()

    print_latencies(
        [
            ("call-next POST answered (the clerk's side)", answered),
            ("→ number in the window's row on /office", number_shown),
            ("→ the queue's waiting count down on /office", waiting_shown),
            ("→ the call's timer running (after the dashboard's read)", timer_shown),
        ]
    )
    print(
        "  the number and the count come with the deltas themselves; the timer waits for "
        "GET /api/v1/dashboard, read at most 250 ms after the first delta of a burst."
    )


if __name__ == "__main__":
    main()

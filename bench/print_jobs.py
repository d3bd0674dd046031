"""Print jobs: how soon a kiosk has its job, live and after a reconnect.

(a) live: a kiosk agent is connected; it presses (POST /api/v1/tickets with its token) and
    times the 201 and the arrival of its ``print.job`` over Socket.IO;
(b) redelivery: N jobs wait unanswered while the kiosk is away; it connects and times the
    snapshot and the last of its N jobs (from the start of the connection).

    .venv/bin/python bench/print_jobs.py [--db sqlite|postgres] [--presses 200] [--waiting 1,20,100]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import socketio
from _common import API, DB_CHOICES, Http, hall_server, ms, percentile, print_setup, print_table

NAMESPACE = "/hall"


class Kiosk:
    """A kiosk agent's socket that notes when each event arrives."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.arrived: list[tuple[str, float, object]] = []
        self.changed = threading.Condition()
        self.client = socketio.Client(reconnection=False, handle_sigint=False)

        @self.client.on("*", namespace=NAMESPACE)
        def _any(event: str, data: object = None) -> None:
            with self.changed:
                self.arrived.append((event, time.perf_counter(), data))
                self.changed.notify_all()

    def connect(self) -> float:
        start = time.perf_counter()
        self.client.connect(
            self.url, namespaces=[NAMESPACE], transports=["websocket"], auth={"token": self.token}
        )
        return start

    def wait(self, event: str, count: int, timeout: float = 30.0) -> list[float]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                times = [t for name, t, _ in self.arrived if name == event]
                if len(times) >= count:
                    return times
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{len(times)} of {count} {event} within {timeout} s")
                self.changed.wait(left)

    def close(self) -> None:
        self.client.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--waiting", default="1,20,100")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print_setup(
        "print jobs: live, and redelivered after a reconnect",
        database=args.db,
        client="python-socketio Client (websocket), one kiosk",
    )
    with hall_server(args.db) as setup:
        token = setup.hall.tokens["kiosk-1"]
        http = Http(setup.url, token)

        kiosk = Kiosk(setup.url, token)
        kiosk.connect()
        kiosk.wait("state", 1)
        answered, printed = [], []
        for n in range(args.presses):
            t0 = time.perf_counter()
            status, _ = http.post(f"{API}/tickets", {"service": "consultation"})
            t1 = time.perf_counter()
            assert status == 201, status
            arrived = kiosk.wait("print.job", n + 1)[-1]
            answered.append((t1 - t0) * 1000)
            printed.append((arrived - t0) * 1000)
            job = [data for name, _t, data in kiosk.arrived if name == "print.job"][-1]
            kiosk.client.call("print.result", {"id": job["id"], "ok": True}, namespace=NAMESPACE)  # type: ignore[index]
        kiosk.close()
        rows = [
            [
                "201 answered",
                str(len(answered)),
                *(ms(percentile(answered, p)) for p in (50, 90, 99)),
            ],
            [
                "print.job arrived",
                str(len(printed)),
                *(ms(percentile(printed, p)) for p in (50, 90, 99)),
            ],
        ]
        print("\n  (a) live: from the press")
        print_table(["", "presses", "p50 ms", "p90 ms", "p99 ms"], rows)

        rows = []
        for waiting in (int(w) for w in args.waiting.split(",")):
            for _ in range(waiting):
                status, _ = http.post(f"{API}/tickets", {"service": "consultation"})
                assert status == 201
            snapshots, lasts = [], []
            for _ in range(args.rounds):
                kiosk = Kiosk(setup.url, token)
                start = kiosk.connect()
                snapshot = kiosk.wait("state", 1)[0]
                last = kiosk.wait("print.job", waiting)[-1]
                snapshots.append((snapshot - start) * 1000)
                lasts.append((last - start) * 1000)
                if _ == args.rounds - 1:  # answer them all, for the next size
                    for name, _t, data in kiosk.arrived:
                        if name == "print.job":
                            kiosk.client.call(
                                "print.result",
                                {"id": data["id"], "ok": True},
                                namespace=NAMESPACE,  # type: ignore[index]
                            )
                kiosk.close()
            rows.append(
                [
                    str(waiting),
                    str(args.rounds),
                    ms(percentile(snapshots, 50)),
                    ms(percentile(lasts, 50)),
                    ms(max(lasts)),
                ]
            )
        http.close()
        print("\n  (b) redelivery: from the start of the connection")
        print_table(
            ["jobs waiting", "reconnects", "snapshot p50 ms", "last job p50 ms", "last job max ms"],
            rows,
        )


if __name__ == "__main__":
    main()

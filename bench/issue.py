"""Ticket issue over HTTP: kiosks pressing, 20 at a time.

(a) closed loop: each client presses again as soon as its ticket comes back — the most
    tickets a second the server gives, and their latency;
(b) open loop: presses arrive at a fixed offered rate whatever the server does, and each
    latency counts from the moment the press was due (so a stalled server is not hidden by
    clients that waited for it before sending: no coordinated omission).

    .venv/bin/python bench/issue.py [--db sqlite|postgres] [--clients 20] [--seconds 10] [--rate 300]
"""

from __future__ import annotations

import argparse
import collections
import random
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    DB_CHOICES,
    CpuMeter,
    CpuUse,
    Http,
    hall_server,
    ms,
    percentile,
    print_setup,
    print_table,
)

ISSUE = f"{API}/tickets"


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    send_lag_ms: list[float] = field(default_factory=list)  # open loop: sent how late
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    error_sample: str = ""
    seconds: float = 0.0
    offered: float | None = None
    cpu: CpuUse | None = None

    @property
    def done(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


class Kiosk:
    """One client: a persistent connection with a kiosk's token, pressing for one service."""

    def __init__(self, base_url: str, token: str, service: str) -> None:
        self.http = Http(base_url, token)
        self.service = service

    def press(self) -> tuple[int, bytes]:
        # A new key per press; a kiosk re-sends the same key only when it retries a press.
        key = secrets.token_hex(12)
        return self.http.post(ISSUE, {"service": self.service}, {"Idempotency-Key": key})


def _record(run: Run, lock: threading.Lock, status: int, body: bytes, latency_ms: float) -> None:
    if status == 201:
        run.latencies_ms.append(latency_ms)  # list.append is atomic
        return
    with lock:
        run.errors[f"HTTP {status}"] += 1
        if not run.error_sample:
            run.error_sample = body[:300].decode(errors="replace")


def closed_loop(kiosks: list[Kiosk], seconds: float, meter: CpuMeter, name: str) -> Run:
    run = Run(name)
    lock = threading.Lock()
    ready = threading.Barrier(len(kiosks) + 1)
    stop_at = [0.0]

    def client(kiosk: Kiosk) -> None:
        ready.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at[0]:
                return
            try:
                status, body = kiosk.press()
            except OSError as exc:
                status, body = 0, repr(exc).encode()
            _record(run, lock, status, body, (time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in kiosks]
    for t in threads:
        t.start()
    meter.start()
    start = time.perf_counter()
    stop_at[0] = start + seconds
    ready.wait()
    for t in threads:
        t.join()
    run.seconds = time.perf_counter() - start
    run.cpu = meter.stop()
    return run


def open_loop(
    kiosks: list[Kiosk], rate: float, seconds: float, arrivals: str, meter: CpuMeter
) -> Run:
    """Presses due at fixed times; any free client sends the next due one."""
    count = max(1, int(rate * seconds))
    rng = random.Random(1234)
    if arrivals == "poisson":
        offsets, t = [], 0.0
        for _ in range(count):
            t += rng.expovariate(rate)
            offsets.append(t)
    else:
        offsets = [i / rate for i in range(count)]
    run = Run(f"open loop, {rate:g}/s offered ({arrivals})", offered=rate)
    lock = threading.Lock()
    ready = threading.Barrier(len(kiosks) + 1)
    next_index = [0]
    start = [0.0]
    last_done = [0.0]

    def client(kiosk: Kiosk) -> None:
        ready.wait()
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= count:
                return
            due = start[0] + offsets[i]
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            try:
                status, body = kiosk.press()
            except OSError as exc:
                status, body = 0, repr(exc).encode()
            done = time.perf_counter()
            run.send_lag_ms.append((sent - due) * 1000)
            # From when the press was due, not from when a free client got round to it.
            _record(run, lock, status, body, (done - due) * 1000)
            last_done[0] = max(last_done[0], done)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in kiosks]
    for t in threads:
        t.start()
    meter.start()
    start[0] = time.perf_counter() + 0.02
    ready.wait()
    for t in threads:
        t.join()
    run.seconds = last_done[0] - start[0]
    run.cpu = meter.stop()
    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--clients", type=int, default=20, help="concurrent kiosks (connections)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument(
        "--rate", type=float, default=300.0, help="open loop: presses a second offered"
    )
    parser.add_argument(
        "--arrivals",
        choices=("poisson", "even"),
        default="poisson",
        help="open loop: random (Poisson) or evenly spaced presses",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of closed loop first, not counted"
    )
    args = parser.parse_args(argv)
    # Client threads mostly wait on sockets; a short switch interval keeps one thread's
    # Python work from delaying another's reading of a response by up to 5 ms.
    sys.setswitchinterval(0.0005)

    print_setup(
        "ticket issue over HTTP (POST /api/v1/tickets, kiosk tokens, Idempotency-Key)",
        server="hallq serve (gunicorn, 1 gevent worker) on this machine",
        database=args.db,
        clients=f"{args.clients} threads, one keep-alive connection each (http.client), "
        "services round-robin over the hall's five",
    )
    with hall_server(args.db) as setup:
        services = [s.code for s in setup.hall.config.services]
        tokens = [
            setup.hall.tokens[name]
            for name in sorted(setup.hall.tokens)
            if name.startswith("kiosk")
        ]
        kiosks = [
            Kiosk(setup.url, tokens[i % len(tokens)], services[i % len(services)])
            for i in range(args.clients)
        ]
        meter = setup.cpu_meter()
        if args.warmup > 0:
            closed_loop(kiosks, args.warmup, meter, "warm-up")
        closed = closed_loop(kiosks, args.seconds, meter, f"closed loop, {args.clients} clients")
        opened = open_loop(kiosks, args.rate, args.seconds, args.arrivals, meter)
        for k in kiosks:
            k.http.close()

    print()
    print_table(
        ["phase", "issued", "errors", "tickets/s", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [
            [
                r.name,
                r.done,
                sum(r.errors.values()),
                f"{r.rate:.0f}",
                ms(percentile(r.latencies_ms, 50)),
                ms(percentile(r.latencies_ms, 90)),
                ms(percentile(r.latencies_ms, 99)),
                ms(max(r.latencies_ms, default=float("nan"))),
            ]
            for r in (closed, opened)
        ],
    )
    print()
    for r in (closed, opened):
        assert r.cpu is not None
        print(f"  {r.name}: {r.cpu.describe(r.done + sum(r.errors.values()))}")
        if r.errors:
            print(f"    errors: {dict(r.errors)}; first: {r.error_sample}")
    lag = opened.send_lag_ms
    print(
        f"  open loop: {opened.done} of {int(args.rate * args.seconds)} presses done at "
        f"{opened.rate:.0f}/s; client send lag (sent after due) p50 {ms(percentile(lag, 50))} ms, "
        f"p99 {ms(percentile(lag, 99))} ms, max {ms(max(lag, default=float('nan')))} ms "
        "(included in the latencies above)"
    )
    print(
        "  targets (DEVICE-NOTES, 2 cores): closed loop 415-580/s; 300/s offered: p99 9-18 ms. "
        "Latency is from request sent (closed) or press due (open) to the full response read."
    )


if __name__ == "__main__":
    main()

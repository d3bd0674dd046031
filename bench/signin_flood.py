"""The hall under a sign-in flood: GET /api/v1/services latency with no flood, with 4 threads
signing in under made-up names (refused: 401, then 429 once the address's limit is reached),
and with 4 threads signing in with the right password (never limited: every attempt costs a
full argon2 check, the worst case for the server).

    .venv/bin/python bench/signin_flood.py [--db sqlite|postgres] [--seconds 8] [--flooders 4]
"""

from __future__ import annotations

import argparse
import collections
import secrets
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    DB_CHOICES,
    PASSWORD,
    Http,
    hall_server,
    ms,
    percentile,
    print_setup,
    print_table,
)


def reads_during(
    url: str, token: str, seconds: float, flood: str, flooders: int
) -> tuple[list[float], collections.Counter[int], float]:
    stop = threading.Event()
    statuses: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()

    def flood_client(n: int) -> None:
        http = Http(url)
        while not stop.is_set():
            if flood == "made-up names":
                body = {"username": "nobody-" + secrets.token_hex(4), "password": "guess"}
            else:
                body = {"username": f"clerk{1 + n % 9}", "password": PASSWORD}
            status, _ = http.post(f"{API}/auth/login", body)
            with lock:
                statuses[status] += 1
        http.close()

    threads = [
        threading.Thread(target=flood_client, args=(n,), daemon=True)
        for n in range(flooders if flood != "none" else 0)
    ]
    for t in threads:
        t.start()
    time.sleep(0.5 if threads else 0)  # let the flood get going
    reader = Http(url, token)
    latencies: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        status, _ = reader.request("GET", f"{API}/services")
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"GET /services: HTTP {status}")
        time.sleep(0.02)  # a screen polling hard; 50 reads a second at most
    elapsed = time.perf_counter() - start
    stop.set()
    for t in threads:
        t.join(30)
    reader.close()
    return latencies, statuses, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--flooders", type=int, default=4)
    args = parser.parse_args()
    print_setup(
        "GET /api/v1/services during a sign-in flood",
        database=args.db,
        flood=f"{args.flooders} threads, one keep-alive connection each; a reader every 20 ms",
    )
    rows = []
    with hall_server(args.db) as setup:
        token = setup.hall.tokens["display-a"]
        # Right passwords first: the made-up names get the address limited for a minute.
        for flood in ("none", "right passwords", "made-up names"):
            latencies, statuses, elapsed = reads_during(
                setup.url, token, args.seconds, flood, args.flooders
            )
            signins = sum(statuses.values())
            rows.append(
                [
                    flood,
                    str(len(latencies)),
                    ms(percentile(latencies, 50)),
                    ms(percentile(latencies, 90)),
                    ms(percentile(latencies, 99)),
                    ms(max(latencies)),
                    f"{signins / elapsed:.0f}/s" if signins else "-",
                    " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())) or "-",
                ]
            )
    print_table(
        ["flood", "reads", "p50 ms", "p90 ms", "p99 ms", "max ms", "sign-ins", "answers"], rows
    )
    print(
        "  Made-up names are refused per address after 30 failures a minute (429, no password "
        "check);\n  right passwords are never limited: each costs an argon2 check, run in the "
        "server's one hashing thread."
    )


if __name__ == "__main__":
    main()

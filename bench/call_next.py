"""Call-next latency with a short and a very long queue.

For each size N, a new hall gets N waiting tickets for property transfer, put straight into
the database (tickets, their log rows, the day's number counter and the service's ``waiting``
count). Then, over HTTP, clerk1 signs in, opens window 1 and repeats: call-next (timed),
start, finish, and a kiosk issues one more ticket so the queue stays at N. The call-next
head query must be an index seek, so its time must not grow with N: the target is
p50/p99 at 100,000 waiting within 2x of those at 100.

    .venv/bin/python bench/call_next.py [--db sqlite|postgres] [--waiting 100,100000] [--calls 300]
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    DB_CHOICES,
    CpuUse,
    Hall,
    Http,
    clerk_at_window,
    fill_waiting,
    hall_server,
    ms,
    percentile,
    print_setup,
    print_table,
    waiting_check,
)

SERVICE = "property-transfer"  # tier 1 of window 1
WINDOW = 1


@dataclass
class Size:
    waiting: int
    fill_seconds: float = 0.0
    column_and_count: tuple[int, int] = (0, 0)
    timings: dict[str, list[float]] = field(
        default_factory=lambda: {"call-next": [], "start": [], "finish": [], "issue": []}
    )
    cpu: CpuUse | None = None
    plan: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def head_query_plan(hall: Hall) -> list[str]:
    """The plan of ``_service_head`` (call_next.py) for the filled service, as the database
    shows it: EXPLAIN QUERY PLAN on SQLite; on PostgreSQL EXPLAIN ANALYZE with the value
    bound, and the generic plan a prepared statement may settle on after a few calls."""
    from sqlalchemy import select

    from hallq.server.models import Service
    from hallq.server.queue.call_next import _service_head

    lines: list[str] = []
    with hall.db.engine.connect() as conn:
        service_id = conn.execute(
            select(Service.id).where(Service.hall_id == hall.context.id, Service.code == SERVICE)
        ).scalar_one()
        # _service_head takes the name of the service id's bind parameter (statements
        # built once); an older form took the id itself.
        compiled = _service_head("bench_service_id").compile(dialect=conn.dialect)
        if "bench_service_id" in compiled.params:
            params = {**compiled.params, "bench_service_id": service_id}
        else:
            compiled = _service_head(service_id).compile(dialect=conn.dialect)
            params = dict(compiled.params)
        sql = str(compiled)
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql,
                tuple(params[k] for k in compiled.positiontup or ()),
            )
            lines += [f"{row[-1]}" for row in rows]
        else:
            # pyformat -> $n, for PREPARE; the same order for EXPLAIN ANALYZE's values.
            names: list[str] = []

            def dollar(match: re.Match[str]) -> str:
                if match.group(1) not in names:
                    names.append(match.group(1))
                return f"${names.index(match.group(1)) + 1}"

            numbered = re.sub(r"%\((\w+)\)s", dollar, sql)
            values = [params[n] for n in names]
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur:
                lines.append("EXPLAIN ANALYZE, value bound:")
                cur.execute("EXPLAIN ANALYZE " + sql, params)
                lines += ["  " + row[0] for row in cur.fetchall()]
                name = f"bench_head_{secrets.token_hex(4)}"
                cur.execute(f"PREPARE {name} AS {numbered}")
                cur.execute("SET plan_cache_mode = force_generic_plan")
                cur.execute(f"EXPLAIN EXECUTE {name}({', '.join(str(int(v)) for v in values)})")
                lines.append("generic plan (prepared statement):")
                lines += ["  " + row[0] for row in cur.fetchall()]
                cur.execute(f"DEALLOCATE {name}")
                cur.execute("RESET plan_cache_mode")
            conn.rollback()
    return lines


def measure(db: str, waiting: int, calls: int, warmup: int) -> Size:
    size = Size(waiting)

    def prepare(hall: Hall) -> None:
        t0 = time.perf_counter()
        fill_waiting(hall, SERVICE, waiting)
        size.fill_seconds = time.perf_counter() - t0

    with hall_server(db, prepare) as setup:
        size.column_and_count = waiting_check(setup.hall, SERVICE)
        if size.column_and_count != (waiting, waiting):
            size.problems.append(
                f"services.waiting / tickets waiting = {size.column_and_count}, expected {waiting}"
            )
        size.plan = head_query_plan(setup.hall)
        setup.hall.db.dispose()
        clerk = clerk_at_window(setup.url, WINDOW)
        kiosk = Http(setup.url, setup.hall.tokens["kiosk-1"])
        meter = setup.cpu_meter()
        window = f"{API}/counters/{WINDOW}"
        for i in range(warmup + calls):
            if i == warmup:
                meter.start()
            steps = (
                ("call-next", clerk, f"{window}/call-next", None, None),
                ("start", clerk, f"{window}/start", None, None),
                ("finish", clerk, f"{window}/finish", None, None),
                (
                    "issue",
                    kiosk,
                    f"{API}/tickets",
                    {"service": SERVICE},
                    {"Idempotency-Key": secrets.token_hex(12)},
                ),
            )
            for name, http, path, body, headers in steps:
                t0 = time.perf_counter()
                status, data = http.post(path, body, headers)
                elapsed = (time.perf_counter() - t0) * 1000
                if status not in (200, 201):
                    size.problems.append(f"{name}: HTTP {status} {data[:200]!r}")
                    break
                if i >= warmup:
                    size.timings[name].append(elapsed)
            else:
                continue
            break
        size.cpu = meter.stop()
        clerk.close()
        kiosk.close()
    return size


def cpu_per_loop(r: Size) -> list[str]:
    loops = max(1, len(r.timings["call-next"]))
    if r.cpu is None:
        return ["-", "-"]
    db = "-" if r.cpu.database is None else f"{1000 * r.cpu.database / loops:.1f} ms"
    return [f"{1000 * r.cpu.server / loops:.1f} ms", db]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument(
        "--waiting", default="100,100000", help="queue sizes, comma-separated (default 100,100000)"
    )
    parser.add_argument("--calls", type=int, default=300, help="timed calls per size")
    parser.add_argument("--warmup", type=int, default=20, help="calls first, not timed")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.waiting.split(",") if s.strip()]

    print_setup(
        "call-next latency against queue length (POST /api/v1/counters/1/call-next)",
        server="hallq serve (gunicorn, 1 gevent worker) on this machine, a new hall per size",
        database=args.db,
        loop=f"call-next (timed), start, finish, issue one more (the queue stays at N); "
        f"{args.warmup} warm-up + {args.calls} timed calls, one clerk, keep-alive connection",
    )
    results = [measure(args.db, n, args.calls, args.warmup) for n in sizes]

    print()
    print("  call-next, ms:")
    print_table(
        ["waiting", "filled in", "calls", "p50", "p90", "p99", "max"],
        [
            [
                f"{r.waiting:,}",
                f"{r.fill_seconds:.1f} s",
                len(r.timings["call-next"]),
                ms(percentile(r.timings["call-next"], 50)),
                ms(percentile(r.timings["call-next"], 90)),
                ms(percentile(r.timings["call-next"], 99)),
                ms(max(r.timings["call-next"], default=float("nan"))),
            ]
            for r in results
        ],
    )
    if len(results) >= 2:
        base, big = results[0], results[-1]
        ratios = []
        for p in (50, 99):
            a, b = percentile(base.timings["call-next"], p), percentile(big.timings["call-next"], p)
            ratios.append(f"p{p} x{b / a:.2f}" if a > 0 else f"p{p} -")
        print(
            f"  {big.waiting:,} waiting against {base.waiting:,}: {', '.join(ratios)} "
            "(target: at most x2)"
        )
    print()
    print("  the rest of each loop, p50 / p99 ms (not part of the target), and CPU per loop:")
    print_table(
        ["waiting", "start", "finish", "issue", "server CPU", "PostgreSQL CPU"],
        [
            [
                f"{r.waiting:,}",
                *(
                    f"{ms(percentile(r.timings[k], 50))} / {ms(percentile(r.timings[k], 99))}"
                    for k in ("start", "finish", "issue")
                ),
                *cpu_per_loop(r),
            ]
            for r in results
        ],
    )
    for r in results:
        print()
        column, counted = r.column_and_count
        print(
            f"  head query plan with {r.waiting:,} waiting "
            f"(services.waiting = {column:,}, waiting tickets counted = {counted:,}):"
        )
        for line in r.plan:
            print(f"    {line}")
        for problem in r.problems:
            print(f"  PROBLEM: {problem}")


if __name__ == "__main__":
    main()

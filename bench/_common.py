"""What the benchmark scripts share: a prepared HallQ server in a temporary place, HTTP
clients, CPU meters, a fast way to fill a queue, percentiles and a table printer.

The scripts run the server the way a hall does (``hallq serve``: gunicorn with one gevent
worker) on this machine, with the clients in the benchmark's own process. Nothing here is a
test: figures are printed, never checked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
if str(REPO) not in sys.path:  # tests.support lives at the top of the repository
    sys.path.insert(0, str(REPO))

from sqlalchemy.engine import make_url  # noqa: E402

from tests.support.hall import PASSWORD, Hall, build_hall  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402

DB_CHOICES = ("sqlite", "postgres")
API = "/api/v1"


# --- statistics and printing -----------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (an observed value, never an interpolation); nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "p50": percentile(values_ms, 50),
        "p90": percentile(values_ms, 90),
        "p99": percentile(values_ms, 99),
        "max": max(values_ms) if values_ms else math.nan,
    }


def ms(value: float) -> str:
    """Milliseconds for a table cell."""
    if math.isnan(value):
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], indent: str = "  ") -> None:
    """Columns aligned; the first column to the left, the others to the right."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return indent + "  ".join(parts).rstrip()

    print(line(cells[0]))
    print(indent + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def print_latencies(measures: Iterable[tuple[str, Sequence[float]]]) -> None:
    """One row a measure (milliseconds): n, p50, p90, p99 and max; empty measures left out."""
    print_table(
        ["measure", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [
            [name, str(len(v)), *(ms(percentile(v, p)) for p in (50, 90, 99)), ms(max(v))]
            for name, v in measures
            if v
        ],
    )


def print_setup(title: str, **facts: Any) -> None:
    """The benchmark's name and the facts a reader needs to compare two runs."""
    print(f"== {title}")
    from importlib.metadata import version

    load = os.getloadavg()
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("gunicorn", "gevent", "Flask-SocketIO", "python-socketio", "SQLAlchemy")
    )
    print(
        f"  machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"Python {platform.python_version()}, {packages}"
    )
    print(f"  code: {code_version()}")
    busy0, total0 = machine_cpu()
    time.sleep(1.0)
    busy1, total1 = machine_cpu()
    if total1 > total0:
        share = (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1)
        print(
            f"  before starting, other processes kept {100 * share:.0f}% of a core busy "
            "(figures drift when the machine is shared)"
        )
    for key, value in facts.items():
        print(f"  {key.replace('_', ' ')}: {value}")
    print(f"  started {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    sys.stdout.flush()


def code_version() -> str:
    """The commit the server runs, and whether its files differ from it."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "log", "-1", "--format=%h %s"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "server"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (" + uncommitted changes in server/" if changed else "")


# --- CPU ---------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pids: Iterable[int]) -> float:
    """CPU seconds (user + system) used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all CPUs."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return (math.nan, math.nan)
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return ((total - idle) / _TICK, total / _TICK)


def postgres_backends(database_name: str) -> list[int]:
    """Pids of the PostgreSQL server processes serving connections to this database (their
    title reads ``postgres: USER DATABASE HOST(PORT) STATE``); empty when it is elsewhere."""
    pids = []
    marker = f" {database_name} ".encode()
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                title = f.read()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and marker in title:
            pids.append(int(entry.name))
    return pids


@dataclass
class CpuUse:
    seconds: float  # wall-clock time measured
    client: float  # CPU seconds of this process (the clients)
    server: float  # CPU seconds of the server's processes
    database: float | None  # CPU seconds of PostgreSQL's backends for this database
    machine: float  # CPU seconds the whole machine was busy

    @property
    def other(self) -> float:
        """Everything else: other processes on the machine (and SQLite has no server)."""
        return self.machine - self.client - self.server - (self.database or 0.0)

    def describe(self, requests: int | None = None) -> str:
        cores = os.cpu_count() or 1

        def pct(x: float) -> str:
            return f"{100 * x / self.seconds:.0f}%" if self.seconds > 0 else "-"

        parts = [("clients", self.client), ("server", self.server)]
        if self.database is not None:
            parts.append(("PostgreSQL", self.database))
        parts.append(("other processes", self.other))
        text = f"CPU over {self.seconds:.1f} s (100% = one core of {cores}): " + ", ".join(
            f"{name} {pct(value)}" for name, value in parts
        )
        if requests:
            text += "; per request: " + ", ".join(
                f"{name} {1000 * value / requests:.2f} ms"
                for name, value in parts
                if name != "other processes"
            )
        return text


class CpuMeter:
    """CPU used between two points by the clients (this process), the server, PostgreSQL's
    backends for the benchmark's database, and the whole machine."""

    def __init__(
        self,
        server_pids: Callable[[], list[int]],
        database_pids: Callable[[], list[int]] | None = None,
    ) -> None:
        self._server_pids = server_pids
        self._database_pids = database_pids
        self._start: tuple[float, ...] | None = None

    def _read(self) -> tuple[float, ...]:
        return (
            time.perf_counter(),
            time.process_time(),
            process_cpu(self._server_pids()),
            process_cpu(self._database_pids()) if self._database_pids else 0.0,
            machine_cpu()[0],
        )

    def start(self) -> CpuMeter:
        self._start = self._read()
        return self

    def stop(self) -> CpuUse:
        assert self._start is not None, "start() first"
        end = self._read()
        d = [b - a for a, b in zip(self._start, end, strict=True)]
        return CpuUse(
            seconds=d[0],
            client=d[1],
            server=d[2],
            database=d[3] if self._database_pids else None,
            machine=d[4],
        )


# --- HTTP --------------------------------------------------------------------------------------


class Http:
    """One persistent HTTP/1.1 connection (keep-alive), as a kiosk or a clerk's screen keeps.

    Plain ``http.client``: the cheapest client in CPU, so the figures are the server's.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.token = token
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        all_headers = {"Accept": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=all_headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle keep-alive connection: open a new one, once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        return self.request("POST", path, body if body is not None else {}, headers)

    def json(self, method: str, path: str, body: Any = None, expect: Sequence[int] = (200,)) -> Any:
        status, data = self.request(method, path, body)
        if status not in expect:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def clerk_at_window(base_url: str, window: int) -> Http:
    """``clerk<window>`` signs in and opens that window; returns their connection."""
    anonymous = Http(base_url)
    login = anonymous.json(
        "POST", f"{API}/auth/login", {"username": f"clerk{window}", "password": PASSWORD}
    )
    anonymous.close()
    clerk = Http(base_url, login["token"])
    clerk.json("POST", f"{API}/counters/{window}/open", {})
    return clerk


# --- a prepared hall and its server ------------------------------------------------------------


@dataclass
class Setup:
    server: ServerProcess
    hall: Hall
    db: str  # "sqlite" | "postgres"
    database_name: str | None = None  # PostgreSQL's

    @property
    def url(self) -> str:
        return self.server.url

    def server_pids(self) -> list[int]:
        return self.server.group_pids()

    def database_pids(self) -> list[int]:
        return postgres_backends(self.database_name) if self.database_name else []

    def cpu_meter(self) -> CpuMeter:
        return CpuMeter(self.server_pids, self.database_pids if self.database_name else None)


@contextlib.contextmanager
def database(db: str) -> Iterator[str]:
    """A new empty database (a SQLite file in a temporary folder, or a new PostgreSQL
    database on ``HALLQ_TEST_PG_URL``); yields its URL and removes it afterwards."""
    if db == "sqlite":
        folder = tempfile.mkdtemp(prefix="hallq-bench-")
        try:
            yield f"sqlite:///{folder}/hallq.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    elif db == "postgres":
        from tests.support.services import fresh_postgres_database, service_problem

        problem = service_problem("postgres")
        if problem:
            raise SystemExit(problem)
        with fresh_postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown database {db!r}: {' or '.join(DB_CHOICES)}")


@contextlib.contextmanager
def hall_server(db: str, prepare: Callable[[Hall], None] | None = None) -> Iterator[Setup]:
    """The sample hall (open all day) in a new database, ``prepare(hall)`` run on it, then
    ``hallq serve`` on a free port; everything is stopped and removed at the end."""
    with database(db) as url:
        hall = build_hall(url)
        try:
            if prepare is not None:
                prepare(hall)
        finally:
            hall.db.dispose()
        server = ServerProcess(env={"HALLQ_DATABASE_URL": url})
        try:
            server.start()
            server.wait_ready(timeout=30)
            name = make_url(url).database if db == "postgres" else None
            yield Setup(server=server, hall=hall, db=db, database_name=name)
        except BaseException:
            print("--- end of the server's log:\n" + server.log_tail(40), file=sys.stderr)
            raise
        finally:
            server.stop()


# --- filling a queue fast ----------------------------------------------------------------------


def fill_waiting(hall: Hall, service_code: str, count: int, *, batch: int = 5000) -> None:
    """Put ``count`` waiting walk-in tickets in a service's queue straight into the database,
    as if they had been issued over the last hours: tickets, their ``ticket.issued`` log rows,
    the day's number counter and the service's ``waiting`` count, in one transaction."""
    from sqlalchemy import insert, select, text, update

    from hallq.server.models import DayCounter, Service, Ticket
    from hallq.server.queue import rules

    if count <= 0:
        return
    ctx = hall.context
    kiosk = hall.devices["kiosk-1"]
    now = dt.datetime.now(dt.UTC)
    day = ctx.business_day(now)
    with hall.db.writing() as session:
        dialect = session.get_bind().dialect.name
        service = session.execute(
            select(Service.id, Service.prefix).where(
                Service.hall_id == ctx.id, Service.code == service_code
            )
        ).one()
        last = session.scalar(
            select(DayCounter.last).where(
                DayCounter.hall_id == ctx.id,
                DayCounter.prefix == service.prefix,
                DayCounter.business_day == day,
            )
        )
        first = (last or 0) + 1
        # Spread over the last hours, oldest first; never in the future.
        step = dt.timedelta(seconds=min(1.0, 8 * 3600 / count))
        start = now - step * (count + 1)
        for lo in range(0, count, batch):
            n = min(batch, count - lo)
            tickets = []
            for i in range(lo, lo + n):
                seq = first + i
                at = start + step * i
                tickets.append(
                    {
                        "hall_id": ctx.id,
                        "business_day": day,
                        "number": rules.format_number(service.prefix, seq),
                        "seq": seq,
                        "service_id": service.id,
                        "priority": rules.NORMAL,
                        "class_rank": rules.CLASS_RANK[rules.NORMAL],
                        "language": ctx.default_language,
                        "appointment": None,
                        "status": rules.WAITING,
                        "leg": 1,
                        "issued_at": at,
                        "queued_at": at,
                        "call_count": 0,
                        "status_token": secrets.token_urlsafe(16),
                    }
                )
            if dialect == "postgresql":
                # COPY: a few times faster than any INSERT for 100,000 rows.
                columns = list(tickets[0])
                raw = session.connection().connection.driver_connection
                with (
                    raw.cursor() as cur,
                    cur.copy(f"COPY tickets ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in tickets:
                        copy.write_row([row[c] for c in columns])
            else:
                session.execute(insert(Ticket.__table__), tickets)
        # Their log rows, made by the database from the rows just inserted.
        json_object = "json_build_object" if dialect == "postgresql" else "json_object"
        session.execute(
            text(
                "INSERT INTO events (hall_id, at, kind, ticket_id, leg, service_id, device_id, payload) "
                f"SELECT hall_id, issued_at, 'ticket.issued', id, 1, service_id, :device, "
                f"{json_object}('number', number, 'priority', priority, 'language', language, "
                "'appointment', NULL, 'business_day', CAST(:day AS TEXT)) "
                "FROM tickets WHERE service_id = :service AND business_day = :bday AND seq >= :first"
            ),
            {
                "device": kiosk,
                "day": day.isoformat(),
                "service": service.id,
                "bday": day,
                "first": first,
            },
        )
        last_seq = first + count - 1
        if last is None:
            session.execute(
                insert(DayCounter).values(
                    hall_id=ctx.id, prefix=service.prefix, business_day=day, last=last_seq
                )
            )
        else:
            session.execute(
                update(DayCounter)
                .where(
                    DayCounter.hall_id == ctx.id,
                    DayCounter.prefix == service.prefix,
                    DayCounter.business_day == day,
                )
                .values(last=last_seq)
            )
        session.execute(
            update(Service).where(Service.id == service.id).values(waiting=Service.waiting + count)
        )
    if hall.db.url.get_backend_name() == "postgresql":
        # What autovacuum would do within the minute: give the planner the new table sizes.
        with hall.db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("ANALYZE tickets")
            conn.exec_driver_sql("ANALYZE events")


def waiting_check(hall: Hall, service_code: str) -> tuple[int, int]:
    """(the service's ``waiting`` column, its waiting tickets counted): they must agree."""
    from sqlalchemy import func, select

    from hallq.server.models import Service, Ticket

    with hall.db.reading() as session:
        service_id, column = session.execute(
            select(Service.id, Service.waiting).where(
                Service.hall_id == hall.context.id, Service.code == service_code
            )
        ).one()
        counted = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.service_id == service_id, Ticket.status == "waiting")
        )
    return column, counted or 0

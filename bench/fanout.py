"""Call-next to the lobby: how long from a clerk's press until every screen has the call.

100 lean Socket.IO clients (raw Engine.IO v4 websocket clients on aiohttp, all in one
asyncio loop) join the namespace ``/hall`` with the hall's display tokens. A clerk at window 1
presses call-next over HTTP; for each call the time from sending the request to the moment
the LAST client has that ``ticket.called`` event is measured (and to the median client).
Start and finish follow each call, untimed, then a short pause so the next call starts on
a quiet server.

The same fan-out is measured in the same run against a bare Flask-SocketIO app under the
same gunicorn gevent worker (``_bare_app.py``: ``POST /emit`` sends HallQ's own
``ticket.called`` payload to a room), in alternating blocks, because absolute figures drift
between runs on a shared machine: the ratio is the figure to compare.

    .venv/bin/python bench/fanout.py [--clients 100] [--calls 200] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    BENCH_DIR,
    DB_CHOICES,
    ServerProcess,
    clerk_at_window,
    fill_waiting,
    hall_server,
    ms,
    percentile,
    print_setup,
    print_table,
    process_cpu,
)

SERVICE = "property-transfer"
WINDOW = 1
NAMESPACE = "/hall"
CALLED_PREFIX = f'42{NAMESPACE},["ticket.called"'


# --- lean clients ------------------------------------------------------------------------------


class Round:
    """One call: when each client got its ``ticket.called``."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.arrivals: dict[int, tuple[float, str]] = {}
        self.complete = asyncio.Event()

    def arrive(self, client: int, at: float, raw: str) -> None:
        if client not in self.arrivals:
            self.arrivals[client] = (at, raw)
            if len(self.arrivals) == self.clients:
                self.complete.set()


class Listener:
    """A raw Engine.IO v4 websocket client in namespace /hall: it answers pings and notes
    the time of every ``ticket.called``; everything else is read and dropped unparsed."""

    def __init__(self, index: int, fleet: Fleet) -> None:
        self.index = index
        self.fleet = fleet
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.task: asyncio.Task[None] | None = None

    async def connect(
        self, session: aiohttp.ClientSession, base_url: str, auth: dict[str, Any], deflate: bool
    ) -> None:
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await session.ws_connect(url, compress=15 if deflate else 0, max_msg_size=0)
        opening = await self.ws.receive_str(timeout=10)
        if not opening.startswith("0"):
            raise RuntimeError(f"unexpected Engine.IO opening: {opening[:100]}")
        await self.ws.send_str(f"40{NAMESPACE}," + json.dumps(auth))
        while True:
            msg = await self.ws.receive_str(timeout=10)
            if msg.startswith(f"40{NAMESPACE}"):
                break
            if msg.startswith(f"44{NAMESPACE}"):
                raise RuntimeError(f"refused: {msg[:200]}")
            if msg == "2":
                await self.ws.send_str("3")
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = msg.data
            if data.startswith(CALLED_PREFIX):
                current = self.fleet.round
                if current is not None:
                    current.arrive(self.index, time.perf_counter(), data)
            elif data == "2":
                await self.ws.send_str("3")

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


class Fleet:
    """The clients of one server."""

    def __init__(self, count: int) -> None:
        self.listeners = [Listener(i, self) for i in range(count)]
        self.round: Round | None = None

    async def connect(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        auths: list[dict[str, Any]],
        deflate: bool,
    ) -> None:
        gate = asyncio.Semaphore(10)

        async def one(listener: Listener) -> None:
            async with gate:
                await listener.connect(
                    session, base_url, auths[listener.index % len(auths)], deflate
                )

        await asyncio.gather(*(one(listener) for listener in self.listeners))

    async def close(self) -> None:
        await asyncio.gather(*(listener.close() for listener in self.listeners))


# --- the two servers ---------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    last_ms: list[float] = field(default_factory=list)
    median_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    http_ms: list[float] = field(default_factory=list)  # the request's own response time
    missing: int = 0  # clients that had not got the event after the timeout
    wrong: int = 0  # events that were not this call's
    client_cpu: float = 0.0
    server_cpu: float = 0.0


class Target:
    name = ""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, fleet: Fleet, pids: Any
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.fleet = fleet
        self.pids = pids
        self.result = Result(self.name)

    async def trigger(self) -> str:
        """Send the request that makes the server emit ``ticket.called``; its ticket number."""
        raise NotImplementedError

    async def after(self) -> None:
        """Untimed work between two calls."""

    async def one_call(self, timeout: float, record: bool) -> str | None:
        fleet = self.fleet
        current = fleet.round = Round(len(fleet.listeners))
        t0 = time.perf_counter()
        number = await self.trigger()
        t_http = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(current.complete.wait(), timeout)
        fleet.round = None
        if record:
            r = self.result
            r.http_ms.append((t_http - t0) * 1000)
            r.missing += current.clients - len(current.arrivals)
            times = []
            for at, raw in current.arrivals.values():
                payload = json.loads(raw[len(f"42{NAMESPACE},") :])[1]
                if payload.get("number") != number:
                    r.wrong += 1
                times.append((at - t0) * 1000)
            if times:
                r.last_ms.append(max(times))
                r.first_ms.append(min(times))
                r.median_ms.append(statistics.median(times))
        await self.after()
        return raw_payload(current)

    async def block(self, calls: int, gap: float, timeout: float) -> None:
        cpu0, server0 = time.process_time(), process_cpu(self.pids())
        for _ in range(calls):
            await self.one_call(timeout, record=True)
            await asyncio.sleep(gap)
        self.result.client_cpu += time.process_time() - cpu0
        self.result.server_cpu += process_cpu(self.pids()) - server0


def raw_payload(current: Round) -> str | None:
    for _at, raw in current.arrivals.values():
        return raw
    return None


class HallqTarget(Target):
    name = "HallQ call-next"

    def __init__(self, *args: Any, clerk_token: str) -> None:
        super().__init__(*args)
        self.headers = {"Authorization": f"Bearer {clerk_token}"}

    async def _post(self, action: str) -> Any:
        url = f"{self.base_url}{API}/counters/{WINDOW}/{action}"
        async with self.session.post(url, json={}, headers=self.headers) as response:
            if response.status != 200:
                raise RuntimeError(
                    f"{action}: HTTP {response.status}: {(await response.text())[:300]}"
                )
            return await response.json()

    async def trigger(self) -> str:
        return str((await self._post("call-next"))["number"])

    async def after(self) -> None:
        await self._post("start")
        await self._post("finish")


class BareTarget(Target):
    name = "bare Flask-SocketIO emit"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.event: dict[str, Any] = {}

    async def trigger(self) -> str:
        async with self.session.post(f"{self.base_url}/emit", json=self.event) as response:
            await response.read()
        return str(self.event["data"].get("number"))


def bare_server() -> ServerProcess:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gevent",
        "--workers",
        "1",
        "--worker-connections",
        "2000",
        "--keep-alive",
        "30",
        "--no-control-socket",
        "--bind",
        "{host}:{port}",
        "--chdir",
        str(BENCH_DIR),
        "_bare_app:app",
    ]
    return ServerProcess(argv, env={"PYTHONPATH": str(BENCH_DIR)})


# --- the run -----------------------------------------------------------------------------------


async def measure(
    args: argparse.Namespace, hallq_url: str, hall: Any, hallq_pids: Any, bare: ServerProcess
) -> list[Result]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        clerk = clerk_at_window(hallq_url, WINDOW)
        clerk.close()

        displays = [
            {"token": hall.tokens[n]} for n in sorted(hall.tokens) if n.startswith("display")
        ]
        fleets = {"hallq": Fleet(args.clients), "bare": Fleet(args.clients)}
        t0 = time.perf_counter()
        await fleets["hallq"].connect(session, hallq_url, displays, args.deflate)
        connect_hallq = time.perf_counter() - t0
        await fleets["bare"].connect(session, bare.url, [{}], args.deflate)
        print(
            f"  {args.clients} clients joined each server "
            f"(HallQ: {connect_hallq:.1f} s, with a state snapshot each)"
        )
        try:
            hallq = HallqTarget(
                session, hallq_url, fleets["hallq"], hallq_pids, clerk_token=clerk.token or ""
            )
            base = BareTarget(session, bare.url, fleets["bare"], bare.group_pids)
            raw = None
            for _ in range(args.warmup):
                raw = await hallq.one_call(args.timeout, record=False)
                await asyncio.sleep(args.gap)
            if raw is None:
                raise SystemExit("the clients got no ticket.called from HallQ during the warm-up")
            name, data = json.loads(raw[len(f"42{NAMESPACE},") :])
            base.event = {"event": name, "data": data}
            print(f"  payload: HallQ's own ticket.called, {len(json.dumps(data))} bytes of JSON")
            for _ in range(args.warmup):
                await base.one_call(args.timeout, record=False)
                await asyncio.sleep(args.gap)
            done = 0
            while done < args.calls:
                n = min(args.block, args.calls - done)
                for target in (base, hallq):
                    await target.block(n, args.gap, args.timeout)
                done += n
            return [base.result, hallq.result]
        finally:
            await asyncio.gather(*(fleet.close() for fleet in fleets.values()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100, help="Socket.IO clients per server")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per server")
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument(
        "--block", type=int, default=20, help="calls per block; blocks alternate servers"
    )
    parser.add_argument("--warmup", type=int, default=10, help="calls per server first, not timed")
    parser.add_argument("--gap", type=float, default=0.03, help="seconds of quiet between calls")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for every client"
    )
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="clients offer permessage-deflate, as browsers do (default: uncompressed frames)",
    )
    args = parser.parse_args(argv)

    print_setup(
        "call-next -> ticket.called at every lobby client (Socket.IO fan-out)",
        servers="hallq serve and a bare Flask-SocketIO app, each gunicorn with 1 gevent worker, "
        "on this machine",
        database=args.db,
        clients=f"{args.clients} per server, raw Engine.IO websocket clients (aiohttp) in one asyncio loop, "
        f"{'permessage-deflate' if args.deflate else 'no compression'}; HallQ's join with display tokens",
        calls=f"{args.warmup} warm-up + {args.calls} timed per server, in alternating blocks of {args.block}; "
        f"start + finish and {args.gap * 1000:.0f} ms of quiet after each call (HallQ)",
    )
    needed = args.warmup + args.calls + 10
    with hall_server(args.db, lambda hall: fill_waiting(hall, SERVICE, needed)) as setup:
        bare = bare_server()
        try:
            bare.start()
            bare.wait_ready(timeout=30)
            results = asyncio.run(measure(args, setup.url, setup.hall, setup.server_pids, bare))
        finally:
            bare.stop()

    print()
    print("  from sending the request to the LAST client having the event, ms:")
    rows = []
    for r in results:
        rows.append(
            [
                r.name,
                len(r.last_ms),
                ms(percentile(r.last_ms, 50)),
                ms(percentile(r.last_ms, 90)),
                ms(percentile(r.last_ms, 99)),
                ms(max(r.last_ms, default=float("nan"))),
                f"{ms(percentile(r.median_ms, 50))} / {ms(percentile(r.median_ms, 99))}",
                f"{ms(percentile(r.first_ms, 50))}",
                f"{ms(percentile(r.http_ms, 50))} / {ms(percentile(r.http_ms, 99))}",
            ]
        )
    print_table(
        [
            "server",
            "calls",
            "p50",
            "p90",
            "p99",
            "max",
            "median client p50/p99",
            "first p50",
            "HTTP reply p50/p99",
        ],
        rows,
    )
    base, hallq = results
    ratios = []
    for p in (50, 99):
        a, b = percentile(base.last_ms, p), percentile(hallq.last_ms, p)
        ratios.append(f"p{p} x{b / a:.2f}" if a > 0 else f"p{p} -")
    print(
        f"  HallQ against the bare app (last client): {', '.join(ratios)}. Target: HallQ p99 <= 20 ms."
    )
    for r in results:
        calls = max(1, len(r.last_ms))
        problems = []
        if r.missing:
            problems.append(f"{r.missing} client-events missing after {args.timeout:g} s")
        if r.wrong:
            problems.append(f"{r.wrong} events of another call")
        print(
            f"  {r.name}: CPU per call: server {1000 * r.server_cpu / calls:.1f} ms, clients "
            f"{1000 * r.client_cpu / calls:.1f} ms{(' (HallQ: call-next + start + finish)' if r is hallq else '')}"
            f"{'; ' + '; '.join(problems) if problems else ''}"
        )


if __name__ == "__main__":
    main()

"""kill -9 of the server in the middle of issuing: nothing acknowledged is lost, numbers stay
distinct and consecutive, and the queue order is the one the design gives.

Eight threads issue tickets over HTTP without pause (kiosks: walk-ins; a clerk: appointments
and green-channel tickets too) until the gunicorn arbiter gets SIGKILL. Its worker must
go with it (it asks the kernel for SIGKILL when its parent dies). The server then starts
again on the same database, and every ticket a client got a 201 for is there, waiting, with
the same number; the stored numbers of each prefix are exactly 1..max; only tickets whose
answer was cut off by the crash may be there unacknowledged; and a window calling through
the whole hall gets them in the design's order.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import random
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Api, prepare_hall

N_THREADS = 8
CLERK_THREADS = 2  # the last ones issue as a clerk (green channel); the others are kiosks
ISSUE_FOR = 1.5  # seconds of issuing before the kill
WORKER_GONE_WITHIN = 5.0  # seconds after the arbiter's death
PROBE_MARGIN = 64  # ticket ids probed past the largest acknowledged one
PR_SET_CHILD_SUBREAPER = 36

SERVICES = (
    "property-transfer",
    "vehicle-transfer",
    "equity-transfer",
    "consultation",
    "certificate-pickup",
)
CLASS_RANK = {"priority": 0, "appointment": 1, "normal": 2}  # the design's call order
# Window 9 ("General") of the sample hall calls every service: its profile tiers.
WINDOW = 9
WINDOW_TIER = {
    "consultation": 1,
    "certificate-pickup": 1,
    "property-transfer": 2,
    "vehicle-transfer": 2,
    "equity-transfer": 2,
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    return request.getfixturevalue("pg_url")


@dataclass
class Issuer:
    """One thread pressing "issue" as fast as the server answers."""

    number: int
    base_url: str
    token: str
    staff: bool
    stop: threading.Event
    acked: list[dict[str, Any]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    ended_by: str = "not started"
    thread: threading.Thread | None = None

    def run(self) -> None:
        rng = random.Random(1000 + self.number)
        client = Api(self.base_url, self.token)
        n = 0
        seen_stop = 0.0
        try:
            while True:
                n += 1
                body: dict[str, Any] = {"service": rng.choice(SERVICES)}
                roll = rng.random()
                if self.staff and roll < 0.5:
                    body["priority"] = "priority"
                    body["reason"] = "elderly customer"
                elif self.staff and roll < 0.75:
                    # Staff only: a kiosk's booking reference is checked at check-in.
                    body["priority"] = "appointment"
                    body["appointment"] = f"BK-{self.number}-{n}"
                if self.stop.is_set():
                    seen_stop = seen_stop or time.monotonic()
                    if time.monotonic() - seen_stop > 10:
                        self.ended_by = "the server still answered 10 s after the kill"
                        return
                try:
                    reply = client.post("/api/v1/tickets", body, timeout=20.0)
                except requests.RequestException as exc:
                    self.ended_by = f"{type(exc).__name__} after the kill"
                    if not self.stop.is_set():
                        self.unexpected.append(f"request failed before the kill: {exc!r}")
                    return
                if reply.status == 201:
                    self.acked.append({**reply.body, "asked": body})
                else:
                    self.unexpected.append(f"POST /api/v1/tickets {body} -> {reply}")
                    self.ended_by = "refused"
                    return
        finally:
            client.close()


@contextlib.contextmanager
def adopting_orphans() -> Iterator[None]:
    """Meanwhile, descendants of this process whose parent dies become its children (Linux
    ``PR_SET_CHILD_SUBREAPER``): it can then see how they end."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def wait_adopted(pid: int, deadline: float) -> int | None:
    """The wait status of an adopted process once it ends; None if it runs past
    ``deadline`` (a ``time.monotonic()`` value) or was not adopted."""
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.005)


def parse_time(value: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def order_key(ticket: dict[str, Any]) -> tuple[Any, ...]:
    """A service queue's order: priority class, then issue time (id breaks exact ties)."""
    return (CLASS_RANK[ticket["priority"]], parse_time(ticket["issued_at"]), ticket["id"])


def seq_of(number: str) -> tuple[str, int]:
    return number[0], int(number[1:])


def test_kill9_while_issuing_loses_nothing_acknowledged(database_url, start_server, api) -> None:
    hall = prepare_hall(database_url)
    server = start_server(database_url)
    staff_token = api(server).login("clerk1")

    stop = threading.Event()
    issuers = [
        Issuer(
            number=i,
            base_url=server.url,
            token=staff_token
            if i >= N_THREADS - CLERK_THREADS
            else hall.tokens[f"kiosk-{i % 2 + 1}"],
            staff=i >= N_THREADS - CLERK_THREADS,
            stop=stop,
        )
        for i in range(N_THREADS)
    ]
    for issuer in issuers:
        issuer.thread = threading.Thread(target=issuer.run, name=f"issuer-{issuer.number}")
        issuer.thread.start()
    try:
        time.sleep(ISSUE_FOR)
    finally:
        stop.set()  # from here on a failed request is the crash, not a bug
        arbiter_pid = server.pid
        worker_pids = [pid for pid in server.group_pids() if pid != arbiter_pid]
        with adopting_orphans():
            killed_at = time.monotonic()
            server.kill9()
            ends = {pid: wait_adopted(pid, killed_at + WORKER_GONE_WITHIN) for pid in worker_pids}
        worker_gone_after = time.monotonic() - killed_at
        left = server.group_pids()
        for issuer in issuers:
            assert issuer.thread is not None
            issuer.thread.join(timeout=30)

    assert worker_pids, "the server had no worker process to watch"
    assert not left, (
        f"processes {left} of the server (worker(s) {worker_pids}) were still alive "
        f"{WORKER_GONE_WITHIN:g} s after kill -9 of the arbiter {arbiter_pid}: they hold the "
        f"port and the database.\n{server.log_tail(30)}"
    )
    for pid, status in ends.items():
        # Killed by the kernel as its parent died (PR_SET_PDEATHSIG), not ending later on
        # its own (gunicorn's worker notices a new parent within about a second).
        assert status is not None and os.WIFSIGNALED(status), (pid, status, server.log_tail(5))
        assert os.WTERMSIG(status) == signal.SIGKILL, (pid, os.WTERMSIG(status))
    assert not [i.number for i in issuers if i.thread and i.thread.is_alive()], "stuck issuers"
    unexpected = [f"issuer {i.number}: {u}" for i in issuers for u in i.unexpected]
    assert not unexpected, "\n".join(unexpected) + "\n" + server.log_tail(40)
    cut = [i.number for i in issuers if not i.ended_by.endswith("after the kill")]
    assert not cut, f"issuers {cut} were not issuing when the server died: {issuers}"

    acked = {t["id"]: t for i in issuers for t in i.acked}
    assert len(acked) == sum(len(i.acked) for i in issuers), "one id acknowledged twice"
    acked_numbers = [t["number"] for t in acked.values()]
    assert len(set(acked_numbers)) == len(acked_numbers), "one number acknowledged twice"
    assert len(acked) >= 20, f"only {len(acked)} tickets issued in {ISSUE_FOR} s"
    classes = {t["priority"] for t in acked.values()}
    assert classes == set(CLASS_RANK), f"classes issued: {classes}"
    for t in acked.values():
        assert t["priority"] == t["asked"].get("priority", "normal"), t
        assert t["service"] == t["asked"]["service"], t

    # --- the same database, a new server -------------------------------------------------
    server = start_server(database_url)
    reader = api(server, hall.tokens["display-a"])
    stored: dict[int, dict[str, Any]] = {}
    last_probe = max(acked) + PROBE_MARGIN
    for ticket_id in range(1, last_probe + 1):
        reply = reader.get(f"/api/v1/tickets/{ticket_id}")
        if reply.status == 404:
            continue
        assert reply.status == 200, f"GET /api/v1/tickets/{ticket_id}: {reply}"
        stored[ticket_id] = reply.body
    assert max(stored) <= last_probe - PROBE_MARGIN // 2, "probe further: tickets past the margin"

    # Every acknowledged ticket is there, as it was acknowledged.
    missing = sorted(set(acked) - set(stored))
    assert not missing, f"acknowledged (201) but lost in the crash: {[acked[i] for i in missing]}"
    for ticket_id, was in acked.items():
        now = stored[ticket_id]
        assert now["status"] == "waiting", now
        for key in ("number", "service", "priority", "business_day"):
            assert now[key] == was[key], (key, was, now)
        assert parse_time(now["issued_at"]) == parse_time(was["issued_at"]), (was, now)

    # Only tickets whose answer the crash cut off can be there without a 201: one per thread.
    unacked = sorted(set(stored) - set(acked))
    assert len(unacked) <= N_THREADS, f"{len(unacked)} unacknowledged tickets: {unacked}"
    for ticket_id in unacked:
        assert stored[ticket_id]["status"] == "waiting", stored[ticket_id]

    print(
        f"{len(acked)} tickets acknowledged, {len(unacked)} more stored without an answer; "
        f"worker(s) {worker_pids} gone {worker_gone_after * 1000:.0f} ms after kill -9"
    )

    # Numbers: distinct, and per prefix (and day) exactly 1..max: none skipped, none reused.
    numbers = [t["number"] for t in stored.values()]
    assert len(set(numbers)) == len(numbers), "a number was given twice"
    per_prefix: dict[tuple[str, str], list[int]] = defaultdict(list)
    for t in stored.values():
        prefix, n = seq_of(t["number"])
        per_prefix[(t["business_day"], prefix)].append(n)
    for key, seqs in per_prefix.items():
        assert sorted(seqs) == list(range(1, max(seqs) + 1)), f"{key}: numbers {sorted(seqs)}"

    # The services' counts agree: nothing stored that the probe did not see, no number taken
    # (the day's counter) without its ticket.
    services = {s["code"]: s for s in reader.get("/api/v1/services").body["services"]}
    for code in SERVICES:
        mine = [t for t in stored.values() if t["service"] == code]
        assert services[code]["waiting"] == len(mine), (code, services[code], len(mine))
        if len({t["business_day"] for t in stored.values()}) == 1 and mine:
            top = max(seq_of(t["number"])[1] for t in mine)
            assert services[code]["issued_today"] == top, (code, services[code], top)

    # Queue order: per service, priority class then issue time, computed from what the
    # clients were told before the crash plus what the crash left unacknowledged.
    known = {**{i: stored[i] for i in unacked}, **acked}
    expected: dict[str, list[str]] = {
        code: [t["number"] for t in sorted(known.values(), key=order_key) if t["service"] == code]
        for code in SERVICES
    }
    for ticket in stored.values():
        queue = expected[ticket["service"]]
        assert ticket["position"] == queue.index(ticket["number"]) + 1, (ticket, queue[:10])

    # A window that serves every service calls them all, in that order.
    clerk = api(server, api(server).login(f"clerk{WINDOW}"))
    reply = clerk.post(f"/api/v1/counters/{WINDOW}/open")
    assert reply.status == 200, reply
    called: list[dict[str, Any]] = []
    for _ in range(len(stored) + 1):
        reply = clerk.post(f"/api/v1/counters/{WINDOW}/call-next")
        if reply.status == 204:
            break
        assert reply.status == 200, reply
        called.append(reply.body)
        moved = clerk.post(f"/api/v1/counters/{WINDOW}/no-show")
        assert moved.status == 200, moved
    assert sorted(t["id"] for t in called) == sorted(stored), "not every ticket was called once"
    for code in SERVICES:
        got = [t["number"] for t in called if t["service"] == code]
        assert got == expected[code], f"{code}: called {got}, expected {expected[code]}"
    # Across services the window takes priority class first, then its profile's tiers.
    ranks = [(CLASS_RANK[t["priority"]], WINDOW_TIER[t["service"]]) for t in called]
    assert ranks == sorted(ranks), f"window {WINDOW} called out of class/tier order: {ranks}"

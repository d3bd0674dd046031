"""With ``HALLQ_REDIS_URL`` set, Redis stopping fails no issue (201, stored), sign-ins still
answer, and when Redis returns the events flow again, in ``seq`` order.

The test runs a Redis server of its own (the machine's ``redis-server``) on a free port, so
that stopping it disturbs no other test."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from hallq.server import wire
from tests.e2e.conftest import prepare_hall
from tests.support.ports import free_port


class PrivateRedis:
    def __init__(self, port: int, workdir: str) -> None:
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (scripts/setup installs it)"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), str(tmp_path))
    server.start()
    yield server
    server.stop()


def test_stopping_redis_fails_no_issue_and_events_flow_when_it_returns(
    sqlite_url, private_redis, start_server, api, hall_socket
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url, env={"HALLQ_REDIS_URL": private_redis.url})
    display = hall_socket(server, hall.tokens["display-a"])
    display.wait_for(lambda ev: any(n == wire.STATE for n, _ in ev), "a snapshot")
    kiosk = api(server, hall.tokens["kiosk-1"])

    def issue() -> str:
        reply = kiosk.post("/api/v1/tickets", {"service": "consultation"})
        assert reply.status == 201, reply
        return reply.body["number"]

    before = issue()
    display.wait_for(lambda ev: [n for n, d in ev if n == wire.TICKET_ISSUED], "the first issue")

    private_redis.stop()
    during = [issue() for _ in range(3)]  # answered and stored while Redis is down
    stored = kiosk.get("/api/v1/services").body["services"]
    assert {s["code"]: s["waiting"] for s in stored}["consultation"] == 4
    # Sign-ins count their failures locally meanwhile: still an answer, not a 500.
    assert (
        api(server).post("/api/v1/auth/login", {"username": "clerk1", "password": "wrong"}).status
        == 401
    )

    private_redis.start()  # empty: it keeps nothing on disk, its delta counter starts over
    after = issue()

    def issued(events: list) -> list[str] | None:
        numbers = [d["ticket"]["number"] for n, d in events if n == wire.TICKET_ISSUED]
        return numbers if after in numbers else None

    numbers = display.wait_for(issued, "the issues of and after the outage", timeout=20)
    assert numbers == [before, *during, after]
    seqs = [d["seq"] for n, d in display.deltas()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # never back, never twice
    log = server.log_path.read_text()
    assert "publishing paused" in log and "publishing resumed" in log

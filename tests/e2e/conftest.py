"""End-to-end tests: real ``hallq`` processes (gunicorn, one gevent worker), real HTTP and
Socket.IO clients, SQLite files or PostgreSQL databases made for the test.

Fixtures:

- ``sqlite_url``: a SQLite database file in the test's ``tmp_path`` (not created yet).
- ``start_server(database_url, env=None)``: run ``hallq serve`` on that database and wait until
  ``/healthz`` answers. Stopped after the test.
- ``start_agent(command, server, token, *options)``: a device's agent (``hallq kiosk-agent``,
  ``announcer``, ``counter-agent``) running against that server with the device's token.
- ``api(server)``: an HTTP client of a server (``Api``); ``hall_socket(server, token)``: a
  connected Socket.IO client of namespace ``/hall`` (``HallSocket``). Both are closed after
  the test, before the servers stop: a client that keeps a connection open would make the
  server's graceful stop wait for it.

``prepare_hall(url)`` loads the sample hall (demo hours: open all day) with its users
(``clerk1``…``clerk9``, ``supervisor``, ``admin``; password ``PASSWORD``) and device tokens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import select

from hallq.server.auth import LOGIN_LIFETIME, USER_PREFIX, new_token, token_hash
from hallq.server.db import Database
from hallq.server.models import DeviceCommand, LoginToken, User
from tests.support.hall import PASSWORD, Hall, build_hall
from tests.support.server import ServerProcess, hallq_argv

SERVER_START_TIMEOUT = 45.0  # seconds; the machine is shared with other test runs
HTTP_TIMEOUT = 15.0
EVENT_TIMEOUT = 10.0

NAMESPACE = "/hall"
# Hall-wide deltas: each carries the hall's next ``seq``.
DELTAS = frozenset(
    {
        "ticket.issued",
        "ticket.called",
        "ticket.updated",
        "counter.updated",
        "queue.updated",
        "hall.updated",
    }
)


def prepare_hall(url: str) -> Hall:
    """The sample hall (open all day) with users and device tokens, in an empty database."""
    hall = build_hall(url)
    hall.db.dispose()  # the servers under test are the only users of the database from now on
    return hall


def login_token(url: str, username: str) -> str:
    """A login token of ``username`` made in the database, without the HTTP sign-in.

    For servers sharing a Redis: their sign-in rate limit counts live in that Redis under
    keys of no test's own, so every test run on the machine would count against it.
    """
    database = Database(url)
    try:
        with database.writing() as session:
            user_id = session.scalar(select(User.id).where(User.username == username))
            assert user_id is not None, f"no user {username}"
            token = new_token(USER_PREFIX)
            now = dt.datetime.now(dt.UTC)
            session.add(
                LoginToken(
                    user_id=user_id,
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=now + LOGIN_LIFETIME,
                )
            )
            return token
    finally:
        database.dispose()


def serve_argv() -> list[str]:
    return hallq_argv("serve", "--host", "127.0.0.1", "--port", "{port}")


# --- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What a request got: status, JSON body (None if it was not JSON), headers."""

    status: int
    body: Any
    headers: Mapping[str, str]
    text: str

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.text[:500]}"


class Api:
    """HTTP client of one server. Keeps no response object alive, so ``close()`` really ends
    its keep-alive connections (a lingering one holds up the server's graceful stop)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy between the tests and 127.0.0.1

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = HTTP_TIMEOUT,
    ) -> Reply:
        all_headers = dict(headers or {})
        bearer = token or self.token
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
        with self.session.request(
            method,
            self.base_url + path,
            json=json,
            headers=all_headers,
            timeout=(5.0, timeout),
        ) as response:
            try:
                body = response.json()
            except ValueError:
                body = None
            return Reply(response.status_code, body, dict(response.headers), response.text)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json=json, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> str:
        reply = self.post("/api/v1/auth/login", {"username": username, "password": password})
        assert reply.status == 200, f"login {username}: {reply}"
        return reply.body["token"]

    def close(self) -> None:
        self.session.close()


# --- Socket.IO -------------------------------------------------------------------------------


class HallSocket:
    """A Socket.IO client of namespace ``/hall`` (websocket transport) that records every
    event it receives, in order."""

    def __init__(self, base_url: str, token: str, agent: bool = False) -> None:
        self.base_url = base_url
        self.token = token
        self.agent = agent  # join as the device's agent: its commands come here
        self.events: list[tuple[str, Any]] = []
        self.connect_errors: list[Any] = []
        self._changed = threading.Condition()
        self.client = socketio.Client(reconnection=False, handle_sigint=False)

        @self.client.on("*", namespace=NAMESPACE)
        def _any(event: str, data: Any = None) -> None:
            with self._changed:
                self.events.append((event, data))
                self._changed.notify_all()

        @self.client.on("connect_error", namespace=NAMESPACE)
        def _refused(data: Any = None) -> None:
            with self._changed:
                self.connect_errors.append(data)
                self._changed.notify_all()

    def connect(self, timeout: float = EVENT_TIMEOUT) -> HallSocket:
        self.client.connect(
            self.base_url,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            auth={"token": self.token, "agent": True} if self.agent else {"token": self.token},
            wait_timeout=timeout,
        )
        return self

    def snapshot(self) -> list[tuple[str, Any]]:
        with self._changed:
            return list(self.events)

    def names(self) -> list[str]:
        return [name for name, _ in self.snapshot()]

    def deltas(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, data) for name, data in self.snapshot() if name in DELTAS]

    def wait_for(
        self,
        predicate: Callable[[list[tuple[str, Any]]], Any],
        what: str,
        timeout: float = EVENT_TIMEOUT,
    ) -> Any:
        """Wait until ``predicate(events)`` is truthy; return its value. Fails with the events
        received so far when ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = predicate(self.events)
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    got = ", ".join(
                        f"{n}#{d.get('seq')}" if isinstance(d, dict) and "seq" in d else n
                        for n, d in self.events[-40:]
                    )
                    pytest.fail(
                        f"{self.base_url}: no {what} within {timeout:g} s; last events: {got}"
                    )
                self._changed.wait(left)

    def call(self, event: str, data: Any = None, timeout: float = EVENT_TIMEOUT) -> Any:
        return self.client.call(event, data, namespace=NAMESPACE, timeout=timeout)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def check_seq_order(deltas: list[tuple[str, dict[str, Any]]], after: int) -> int:
    """Assert that the deltas' ``seq`` run after+1, after+2, … with no gap; return the last."""
    expected = after
    for name, data in deltas:
        expected += 1
        assert data.get("seq") == expected, (
            f"{name} has seq {data.get('seq')}, expected {expected} (after seq {after}): "
            f"{[(n, d.get('seq')) for n, d in deltas]}"
        )
    return expected


def wait_until(what: str, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``predicate()`` until it is truthy; return its value. Fails saying ``what`` did
    not come when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"no {what} within {timeout:g} s"
        time.sleep(0.05)
    return found


def device_commands(url: str, kind: str) -> dict[int, tuple[str, Any]]:
    """The device commands of ``kind`` (``print.job``, ``rating.request``…) in the database
    at ``url``, by ticket: ``{ticket_id: (status, outcome)}``."""
    database = Database(url)
    try:
        with database.reading() as session:
            rows = session.execute(
                select(DeviceCommand.ticket_id, DeviceCommand.status, DeviceCommand.outcome).where(
                    DeviceCommand.kind == kind
                )
            ).all()
    finally:
        database.dispose()
    return {ticket: (status, outcome) for ticket, status, outcome in rows}


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hall.sqlite3'}"


@pytest.fixture
def start_server(server_factory, tmp_path) -> Callable[..., ServerProcess]:
    """``start_server(database_url, env=None)``: ``hallq serve`` on that database, ready."""

    def start(database_url: str, env: Mapping[str, str] | None = None) -> ServerProcess:
        return server_factory(
            serve_argv(),
            env={
                "HALLQ_DATA_DIR": str(tmp_path / "data"),
                "HALLQ_DATABASE_URL": database_url,
                **(env or {}),
            },
            timeout=SERVER_START_TIMEOUT,
        )

    return start


@pytest.fixture
def start_agent(server_factory) -> Callable[..., ServerProcess]:
    """``start_agent(command, server, token, *options)``: ``hallq <command> --server URL
    <options>`` with the token in ``HALLQ_DEVICE_TOKEN``, started (agents have no ready
    URL: wait for what they report); stopped after the test, before the server."""

    def start(command: str, server: ServerProcess, token: str, *options: str) -> ServerProcess:
        return server_factory(
            hallq_argv(command, "--server", server.url, *options),
            env={"HALLQ_DEVICE_TOKEN": token},
            ready_path=None,
        )

    return start


@pytest.fixture
def api(server_factory) -> Iterator[Callable[..., Api]]:
    """``api(server_or_url, token=None)``: an HTTP client, closed after the test."""
    made: list[Api] = []

    def make(server: ServerProcess | str, token: str | None = None) -> Api:
        client = Api(server if isinstance(server, str) else server.url, token)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def hall_socket(server_factory) -> Iterator[Callable[..., HallSocket]]:
    """``hall_socket(server, token, connect=True, agent=False)``: a Socket.IO client of
    ``/hall``, disconnected after the test."""
    made: list[HallSocket] = []

    def make(
        server: ServerProcess, token: str, connect: bool = True, agent: bool = False
    ) -> HallSocket:
        client = HallSocket(server.url, token, agent=agent)
        made.append(client)
        return client.connect() if connect else client

    yield make
    for client in made:
        with contextlib.suppress(Exception):  # a refused or broken client: nothing to close
            client.close()

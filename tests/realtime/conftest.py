"""Fixtures of the realtime suite: the sample hall in a SQLite file of the test's own, the app on
a fake clock, and Flask-SocketIO's test clients joined to ``/hall``.

- ``connect(app, token)``: a test client joined with ``auth={"token": token}``.
- ``events(sock)``: what it received since the last call, as (name, first argument).
- ``login(http, name)``: a signed-in user's ``Authorization`` header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from hallq.server import wire
from hallq.server.app import create_app
from tests.support.hall import PASSWORD, FakeClock, Hall, build_hall

START = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # a Wednesday morning in Hong Kong


@pytest.fixture
def hall(tmp_path) -> Iterator[Hall]:
    built = build_hall(f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    yield built
    built.db.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app(hall: Hall, tmp_path, clock: FakeClock) -> Iterator[Flask]:
    app = create_app(
        {
            "HALLQ_DATABASE_URL": hall.url,
            "HALLQ_DATA_DIR": str(tmp_path),
            "HALLQ_CLOCK": clock,
            "HALLQ_PUBLIC_URL": "https://queue.example.org",
            "TESTING": True,
        }
    )
    yield app
    state = app.extensions["hallq"]
    state.sessions.stop()
    state.publisher.stop()
    state.db.dispose()


def connect(app: Flask, token: str | None, *, agent: bool = False, **options: Any) -> Any:
    """A client of ``/hall``; ``agent=True`` joins as the device's agent (takes its commands)."""
    socketio = app.extensions["socketio"]
    auth: dict[str, Any] | None = None
    if token:
        auth = {"token": token, "agent": True} if agent else {"token": token}
    return socketio.test_client(app, namespace=wire.NAMESPACE, auth=auth, **options)


def login(client: Any, name: str) -> dict[str, str]:
    token = client.post(
        "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
    ).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def events(sock: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(e["name"], e["args"][0]) for e in sock.get_received(wire.NAMESPACE)]


def named(sock: Any, name: str) -> list[dict[str, Any]]:
    """What ``sock`` received of one event since the last look (the rest is dropped)."""
    return [data for event, data in events(sock) if event == name]

"""Credentials that end, end everywhere at once: the sockets holding them are closed, whether
the change came through this server or through another process (the hallq command)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from hallq.server import wire
from hallq.server.admin import devices, users
from hallq.server.auth import hash_password
from hallq.server.commands import CommandPath, NoRealtime
from hallq.server.db import Database
from hallq.server.queue.events import Actor
from tests.realtime.conftest import START, connect, events, login, named
from tests.support.hall import Hall


def _elsewhere(hall: Hall, work: Callable[[Any, Actor], Any]) -> None:
    """A change made by another process (as `hallq user disable` makes it)."""
    database = Database(hall.url)
    actor = Actor(hall_id=hall.context.id, role="cli", source="cli")
    CommandPath(database, NoRealtime()).run(hall.context, actor, START, lambda s: work(s, actor))
    database.dispose()


def _closed_within(sock: Any, seconds: float) -> float:
    """How long until the server closed the socket (fails after ``seconds``)."""
    start = time.monotonic()
    while sock.is_connected(wire.NAMESPACE):
        assert time.monotonic() - start < seconds, "the socket was not closed"
        time.sleep(0.05)
    return time.monotonic() - start


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


def test_a_device_revoked_elsewhere_is_disconnected_within_a_second(app: Flask, hall: Hall) -> None:
    display = connect(app, hall.tokens["display-a"])
    other = connect(app, hall.tokens["display-b"])
    events(display)
    _elsewhere(hall, lambda s, actor: devices.revoke(s, actor, "display-a", START))
    assert _closed_within(display, 3.0) < 1.5
    # Told why before it was closed (the test client keeps what arrived).
    (ended,) = [p["args"][0] for p in display.queue if p["name"] == wire.SESSION_ENDED]
    assert ended["code"] == "bad_token" and ended["message"]
    assert other.is_connected(wire.NAMESPACE)
    # And it cannot come back with the revoked token.
    assert not connect(app, hall.tokens["display-a"]).is_connected(wire.NAMESPACE)


def test_a_user_disabled_elsewhere_is_disconnected(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    supervisor = connect(app, _token(login(http, "supervisor")))
    clerk = connect(app, _token(login(http, "clerk1")))
    _elsewhere(hall, lambda s, actor: users.disable_user(s, actor, "supervisor", START))
    _closed_within(supervisor, 3.0)
    assert clerk.is_connected(wire.NAMESPACE)


def test_a_new_role_or_password_ends_the_users_sessions(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    headers = login(http, "clerk2")
    screen = connect(app, _token(headers))
    _elsewhere(
        hall,
        lambda s, actor: users.put_user(
            s, actor, "clerk2", role="supervisor", password_hash=None, display_name=None, now=START
        ),
    )
    _closed_within(screen, 3.0)
    # The login token itself ended too: the API refuses it.
    assert http.get("/api/v1/auth/me", headers=headers).status_code == 401

    headers = login(http, "clerk3")
    screen = connect(app, _token(headers))
    new_hash = hash_password("another secret")
    _elsewhere(
        hall,
        lambda s, actor: users.put_user(
            s, actor, "clerk3", role="clerk", password_hash=new_hash, display_name=None, now=START
        ),
    )
    _closed_within(screen, 3.0)
    assert http.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_signing_out_closes_that_session_only(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    first, second = login(http, "clerk4"), login(http, "clerk4")
    here, there = connect(app, _token(first)), connect(app, _token(second))
    assert http.post("/api/v1/auth/logout", headers=first).status_code == 204
    # Through this server: at once, without waiting for the announcement.
    assert not here.is_connected(wire.NAMESPACE)
    assert there.is_connected(wire.NAMESPACE)
    time.sleep(1.0)  # the announcement's check changes nothing for the other session
    assert there.is_connected(wire.NAMESPACE)


def test_an_agent_message_is_checked_against_the_caller_as_it_is_now(
    app: Flask, hall: Hall
) -> None:
    state = app.extensions["hallq"]
    state.sessions.stop()  # no housekeeping: only the message's own check can notice
    pad = connect(app, hall.tokens["counter-1"])
    assert pad.emit(
        wire.DEVICE_STATUS, {"status": "ok"}, namespace=wire.NAMESPACE, callback=True
    ) == {"ok": True}
    _elsewhere(hall, lambda s, actor: devices.revoke(s, actor, "counter-1", START))
    reply = pad.emit(wire.DEVICE_STATUS, {"status": "ok"}, namespace=wire.NAMESPACE, callback=True)
    assert reply["error"]["code"] == "bad_token"
    assert not pad.is_connected(wire.NAMESPACE)


def test_an_expired_login_closes_its_socket(app: Flask, hall: Hall, clock: Any) -> None:
    from hallq.server.auth import LOGIN_LIFETIME

    http = app.test_client()
    screen = connect(app, _token(login(http, "clerk5")))
    clock.advance(LOGIN_LIFETIME.total_seconds() + 1)
    app.extensions["hallq"].sessions.check_all()  # what housekeeping does every minute
    assert not screen.is_connected(wire.NAMESPACE)


def test_tokens_in_the_query_string_are_not_taken(app: Flask, hall: Hall) -> None:
    socketio = app.extensions["socketio"]
    sock = socketio.test_client(
        app, namespace=wire.NAMESPACE, query_string=f"token={hall.tokens['display-a']}"
    )
    assert not sock.is_connected(wire.NAMESPACE)


def test_the_authorization_header_is_taken(app: Flask, hall: Hall) -> None:
    socketio = app.extensions["socketio"]
    sock = socketio.test_client(
        app,
        namespace=wire.NAMESPACE,
        headers={"Authorization": f"Bearer {hall.tokens['display-a']}"},
    )
    assert sock.is_connected(wire.NAMESPACE)
    assert named(sock, wire.JOINED)[0]["name"] == "display-a"

"""The counter agent (``hallq counter-agent``, a process of its own) against ``hallq serve``,
with the pad and the window sign emulated on pty pairs: the agent opens them as it would
``/dev/ttyUSB0``.

A clerk finishes a ticket; the pad gets ``R`` with the number, answers 4; the rating is
stored, reaches the clerk's screen and the ticket's ``rating``; a second score is refused;
no score is "not rated" after the timeout; the pad's keys act like the clerk's buttons; the
sign shows the number and 暫停服務; noise on the line is counted and harmless; unplugging is
reported and survived.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hallq.drivers.serial.codec import Frame, encode
from hallq.drivers.serial.emulator import PAUSED_DISPLAY, PadEmulator, SignEmulator
from hallq.server import wire
from hallq.server.db import Database
from hallq.server.models import Rating
from tests.e2e.conftest import Api, HallSocket, device_commands, prepare_hall, wait_until

WAIT = 15.0


@pytest.fixture
def pad(tmp_path: Path) -> Iterator[PadEmulator]:
    with PadEmulator(link=tmp_path / "pad") as emulator:
        yield emulator


@pytest.fixture
def sign(tmp_path: Path) -> Iterator[SignEmulator]:
    with SignEmulator(link=tmp_path / "sign") as emulator:
        yield emulator


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


def _ratings(url: str) -> list[tuple[int, int, int | None, int | None]]:
    database = Database(url)
    try:
        with database.reading() as session:
            rows = session.execute(
                select(Rating.ticket_id, Rating.score, Rating.clerk_id, Rating.counter_id)
            ).all()
    finally:
        database.dispose()
    return [tuple(row) for row in rows]


def _rating_requests(url: str) -> dict[int, tuple[str, Any]]:
    return device_commands(url, wire.RATING_REQUEST)


def _window_status(window: Api) -> str:
    return window.get("/api/v1/devices/me").body["status"].get("status", "")


def _serve_one(clerk: Api, kiosk: Api) -> dict[str, Any]:
    ticket = kiosk.post("/api/v1/tickets", {"service": "consultation"}).body
    called = clerk.post("/api/v1/counters/1/call-next")
    assert called.status == 200, called
    assert called.body["id"] == ticket["id"]
    assert clerk.post("/api/v1/counters/1/start").status == 200
    assert clerk.post("/api/v1/counters/1/finish").status == 200
    return ticket


def test_a_finished_ticket_is_rated_on_the_pad_once_and_the_keys_call(
    database_url, start_server, api, hall_socket, pad, sign, start_agent
) -> None:
    hall = prepare_hall(database_url)
    server = start_server(database_url)
    agent = start_agent(
        "counter-agent", server, hall.tokens["counter-1"], "--pad", pad.path, "--sign", sign.path
    )
    window: Api = api(server, hall.tokens["counter-1"])
    wait_until("the pad and the sign online", lambda: _window_status(window) == "ok")
    kiosk: Api = api(server, hall.tokens["kiosk-1"])
    clerk: Api = api(server, api(server).login("clerk1"))
    assert clerk.post("/api/v1/counters/1/open").status == 200
    screen: HallSocket = hall_socket(server, clerk.token)  # the clerk's screen

    ticket = _serve_one(clerk, kiosk)
    # The sign showed the number while it was served.
    sign.wait_for(lambda s: ticket["number"] in s.shown, timeout=WAIT)
    # The pad is asked to rate that number; the customer presses 4.
    pad.wait_for(lambda p: p.waiting == ticket["number"], timeout=WAIT)
    pad.press(4)
    stored = screen.wait_for(
        lambda ev: [d for n, d in ev if n == wire.RATING_STORED], "the rating on the screen"
    )[0]
    assert stored["ticket_id"] == ticket["id"]
    assert stored["number"] == ticket["number"]
    assert stored["score"] == 4
    assert stored["counter"] == 1
    assert stored["follow_up"] is None
    assert clerk.get(f"/api/v1/tickets/{ticket['id']}").body["rating"] == 4
    assert _ratings(database_url) == [
        (ticket["id"], 4, hall.users["clerk1"], hall.device_counters["counter-1"])
    ]
    wait_until(
        "the request answered",
        lambda: _rating_requests(database_url)[ticket["id"]][0] == "done",
    )

    # The customer presses again: the server refuses a second rating, the first stands.
    pad.press(1)
    wait_until("the second score refused", lambda: "already_rated" in agent.log_text())
    assert clerk.get(f"/api/v1/tickets/{ticket['id']}").body["rating"] == 4
    assert len(_ratings(database_url)) == 1

    # The pad's NEXT key calls the next ticket, exactly like the button.
    waiting = [kiosk.post("/api/v1/tickets", {"service": "consultation"}).body for _ in range(2)]
    pad.key("NEXT")
    called = screen.wait_for(
        lambda ev: [d for n, d in ev if n == wire.TICKET_CALLED and d["ticket_id"] != ticket["id"]],
        "the key's call",
    )[0]
    assert called["ticket_id"] == waiting[0]["id"]  # the first waiting, as call-next would
    assert called["counter"] == 1
    assert not called["recall"]
    desk = clerk.get("/api/v1/counters/1/desk").body
    assert desk["current"]["id"] == waiting[0]["id"]
    sign.wait_for(lambda s: s.display == waiting[0]["number"], timeout=WAIT)
    # RECALL calls the same ticket again, not the next.
    pad.key("RECALL")
    wait_until("the recall", lambda: "key RECALL" in agent.log_text())
    assert clerk.get("/api/v1/counters/1/desk").body["current"]["id"] == waiting[0]["id"]

    # PAUSE: the window is paused (reason: break), the sign shows 暫停服務; RESUME undoes it.
    assert clerk.post("/api/v1/counters/1/start").status == 200
    assert clerk.post("/api/v1/counters/1/finish").status == 200
    pad.key("PAUSE")
    desk = wait_until(
        "the window paused",
        lambda: (
            (d := clerk.get("/api/v1/counters/1/desk").body)["counter"]["state"] == "paused" and d
        ),
    )
    assert desk["counter"]["pause_reason"] == "break"
    sign.wait_for(lambda s: s.display == PAUSED_DISPLAY, timeout=WAIT)
    pad.wait_for(lambda p: "PAUSED" in p.shown, timeout=WAIT)
    pad.key("RESUME")
    sign.wait_for(lambda s: s.display != PAUSED_DISPLAY, timeout=WAIT)
    assert clerk.get("/api/v1/counters/1/desk").body["counter"]["state"] == "open"
    # A key the agent does not know does nothing (and is said).
    pad.key("LUNCH")
    wait_until("the unknown key", lambda: "unknown key 'LUNCH'" in agent.log_text())
    assert clerk.get("/api/v1/counters/1/desk").body["current"] is None


def test_no_score_is_not_rated_noise_is_dropped_and_unplugging_is_survived(
    sqlite_url, start_server, api, hall_socket, pad, start_agent
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    agent = start_agent(
        "counter-agent",
        server,
        hall.tokens["counter-1"],
        "--pad",
        pad.path,
        "--rating-timeout",
        "1.5",
    )
    window: Api = api(server, hall.tokens["counter-1"])
    wait_until("the pad online", lambda: _window_status(window) == "ok")
    kiosk: Api = api(server, hall.tokens["kiosk-1"])
    clerk: Api = api(server, api(server).login("clerk1"))
    assert clerk.post("/api/v1/counters/1/open").status == 200
    screen: HallSocket = hall_socket(server, clerk.token)

    # Nobody presses: "not rated" after the timeout, the pad is cleared, the screen told.
    ticket = _serve_one(clerk, kiosk)
    pad.wait_for(lambda p: p.waiting == ticket["number"], timeout=WAIT)
    started = time.monotonic()
    ended = screen.wait_for(
        lambda ev: [d for n, d in ev if n == wire.RATING_ENDED], "not rated on the screen"
    )[0]
    assert time.monotonic() - started >= 1.0
    assert ended == {
        "ticket_id": ticket["id"],
        "number": ticket["number"],
        "counter": 1,
        "rated": False,
        "reason": "not_rated",
    }
    pad.wait_for(lambda p: p.waiting is None and p.cancels >= 1, timeout=WAIT)
    assert _rating_requests(sqlite_url)[ticket["id"]] == (
        "failed",
        {"ok": False, "reason": "not_rated"},
    )
    assert clerk.get(f"/api/v1/tickets/{ticket['id']}").body["rating"] is None

    # Noise, a bad checksum, a frame split across writes, and frames for another address:
    # dropped and counted; the next good score still counts.
    second = _serve_one(clerk, kiosk)
    pad.wait_for(lambda p: p.waiting == second["number"], timeout=WAIT)
    good = encode(Frame(1, "S", "5"))
    bad_checksum = bytearray(good)
    bad_checksum[-2] ^= 0x01
    pad.send_raw(b"\x00\xff garbage \x03\x02\x02")
    pad.send_raw(bytes(bad_checksum))
    pad.send_raw(encode(Frame(7, "S", "1")))  # another pad's score
    pad.send_raw(good[:3])
    time.sleep(0.05)
    pad.send_raw(good[3:])
    screen.wait_for(
        lambda ev: [d for n, d in ev if n == wire.RATING_STORED and d["ticket_id"] == second["id"]],
        "the good score after the noise",
    )
    assert clerk.get(f"/api/v1/tickets/{second['id']}").body["rating"] == 5
    assert agent.running

    # Unplugged: the server hears the pad is offline; plugged back, the same agent is back.
    pad.unplug()
    wait_until("pad_offline at the server", lambda: _window_status(window) == "pad_offline")
    assert agent.running
    pad.plug()
    wait_until("ok again at the server", lambda: _window_status(window) == "ok")
    third = _serve_one(clerk, kiosk)
    pad.wait_for(lambda p: p.waiting == third["number"], timeout=WAIT)
    pad.press(2)  # a bad rating opens a follow-up case
    stored = screen.wait_for(
        lambda ev: [d for n, d in ev if n == wire.RATING_STORED and d["ticket_id"] == third["id"]],
        "the rating after the replug",
    )[0]
    assert stored["score"] == 2
    assert stored["follow_up"] is not None
    # The agent's last words count what it dropped (said before its goodbye to the server;
    # a loaded machine gets a longer grace before SIGKILL than the default).
    agent.stop(timeout=20.0)
    log = agent.log_text()
    assert "'bad_checksum': 1" in log
    assert "'other_address': 1" in log

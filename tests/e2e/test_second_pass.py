"""The core's second pass tried against ``hallq serve`` on SQLite and on PostgreSQL, as a new
user and as an attacker would: credentials that end close their sockets, a kiosk gets its
print jobs until it answers (across reconnects and a kill -9), and the hall's rules hold."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hallq.server import wire
from tests.e2e.conftest import prepare_hall
from tests.e2e.test_cli import run_hallq, succeeded

CLOSED_WITHIN = 3.0  # seconds, as the issue asks


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    return request.getfixturevalue("pg_url")


def _hallq(server: Any, database_url: str, *args: str) -> str:
    """The hallq command of the server's machine, on the server's database."""
    data = Path(server.env["HALLQ_DATA_DIR"])
    return succeeded(
        run_hallq(*args, data_dir=data, cwd=data.parent, env={"HALLQ_DATABASE_URL": database_url})
    )


def _closed(sock: Any, seconds: float) -> float:
    start = time.monotonic()
    while sock.client.connected:
        assert time.monotonic() - start < seconds, f"still connected after {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_revoked_and_disabled_callers_lose_their_sockets(
    database_url, start_server, api, hall_socket
) -> None:
    hall = prepare_hall(database_url)
    server = start_server(database_url)
    supervisor_token = api(server).login("supervisor")
    display = hall_socket(server, hall.tokens["display-a"])
    supervisor = hall_socket(server, supervisor_token)
    bystander = hall_socket(server, hall.tokens["display-b"])
    display.wait_for(lambda ev: any(n == wire.STATE for n, _ in ev), "a snapshot")

    _hallq(server, database_url, "device", "revoke", "display-a")
    took = _closed(display, CLOSED_WITHIN)
    assert any(name == wire.SESSION_ENDED for name, _ in display.snapshot())
    _hallq(server, database_url, "user", "disable", "supervisor")
    took = max(took, _closed(supervisor, CLOSED_WITHIN))
    assert bystander.client.connected
    # The tokens are refused from then on, for HTTP and sockets alike.
    assert api(server, supervisor_token).get("/api/v1/auth/me").status == 401
    again = hall_socket(server, hall.tokens["display-a"], connect=False)
    with pytest.raises(Exception):  # noqa: B017  (socketio's ConnectionError)
        again.connect(timeout=5)
    print(f"sockets closed {took:.2f} s after the hallq command returned")


def test_a_kiosk_gets_its_print_job_until_it_answers(
    database_url, start_server, api, hall_socket, server_factory
) -> None:
    hall = prepare_hall(database_url)
    server = start_server(database_url, env={"HALLQ_PUBLIC_URL": "https://q.example.org"})
    kiosk = hall_socket(server, hall.tokens["kiosk-1"], agent=True)
    display = hall_socket(server, hall.tokens["display-a"])
    ticket = api(server, hall.tokens["kiosk-1"]).post(
        "/api/v1/tickets", {"service": "property-transfer"}
    )
    assert ticket.status == 201
    job = kiosk.wait_for(lambda ev: [d for n, d in ev if n == wire.PRINT_JOB], "a print job")[0]
    assert job["ticket"]["number"] == ticket.body["number"]
    assert job["ticket"]["status_url"] == ticket.body["status_url"]
    assert job["ticket"]["status_url"].startswith("https://q.example.org/t/")
    display.wait_for(lambda ev: any(n == wire.TICKET_ISSUED for n, _ in ev), "the issue")
    assert wire.PRINT_JOB not in display.names()

    # Reconnect: the job again, with the same id.
    kiosk.close()
    kiosk = hall_socket(server, hall.tokens["kiosk-1"], agent=True)
    again = kiosk.wait_for(lambda ev: [d for n, d in ev if n == wire.PRINT_JOB], "the job again")
    assert again[0]["id"] == job["id"]

    # The server is killed and started again: still there, still unanswered.
    kiosk.close()
    server.kill9()
    server = start_server(database_url, env={"HALLQ_PUBLIC_URL": "https://q.example.org"})
    kiosk = hall_socket(server, hall.tokens["kiosk-1"], agent=True)
    after = kiosk.wait_for(lambda ev: [d for n, d in ev if n == wire.PRINT_JOB], "the job again")
    assert after[0]["id"] == job["id"]
    assert kiosk.call(wire.PRINT_RESULT, {"id": job["id"], "ok": True})["ok"] is True

    # Answered: never again.
    kiosk.close()
    kiosk = hall_socket(server, hall.tokens["kiosk-1"], agent=True)
    kiosk.wait_for(lambda ev: any(n == wire.STATE for n, _ in ev), "a snapshot")
    time.sleep(0.5)
    assert wire.PRINT_JOB not in kiosk.names()


def test_the_halls_rules_over_http(database_url, start_server, api) -> None:
    hall = prepare_hall(database_url)
    server = start_server(database_url)
    kiosk = api(server, hall.tokens["kiosk-1"])
    first = kiosk.post("/api/v1/tickets", {"service": "consultation"})
    # The first ticket of a fresh hall, before any window opens, has an estimated wait.
    assert first.status == 201 and first.body["eta_minutes"] is not None

    # A kiosk's made-up appointment is refused, and takes no number.
    made_up = kiosk.post(
        "/api/v1/tickets",
        {"service": "consultation", "priority": "appointment", "appointment": "BK-404"},
    )
    assert made_up.status == 403 and made_up.body["error"]["code"] == "appointment_by_staff"

    clerk1 = api(server, api(server).login("clerk1"))
    clerk7 = api(server, api(server).login("clerk7"))
    assert clerk1.post("/api/v1/counters/1/open").status == 200
    ticket = kiosk.post("/api/v1/tickets", {"service": "property-transfer"}).body
    assert clerk1.post("/api/v1/counters/1/call-next").body["id"] == ticket["id"]
    assert clerk1.post("/api/v1/counters/1/start").status == 200
    # Window 7 is closed: no transfer there.
    refused = clerk1.post("/api/v1/counters/1/transfer", {"counter": 7})
    assert refused.status == 409 and refused.body["error"]["code"] == "transfer_to_closed_window"
    assert clerk7.post("/api/v1/counters/7/open").status == 200
    assert clerk1.post("/api/v1/counters/1/transfer", {"counter": 7}).status == 200
    assert clerk7.post("/api/v1/counters/7/call-next").body["id"] == ticket["id"]
    assert clerk7.post("/api/v1/counters/7/start").status == 200
    assert clerk7.post("/api/v1/counters/7/finish").status == 200
    # Rated by the window that finished it, not the one that sent it on.
    pad1, pad7 = api(server, hall.tokens["counter-1"]), api(server, hall.tokens["counter-7"])
    not_1 = pad1.post("/api/v1/ratings", {"ticket": ticket["id"], "score": 5})
    assert not_1.status == 403 and not_1.body["error"]["code"] == "not_this_windows_ticket"
    rated = pad7.post("/api/v1/ratings", {"ticket": ticket["id"], "score": 4})
    assert rated.status == 201 and rated.body["counter"] == 7

    # A customer who came back: called out of order by number, then no-show and reinstated.
    later = [kiosk.post("/api/v1/tickets", {"service": "property-transfer"}).body for _ in range(4)]
    called = clerk1.post("/api/v1/counters/1/call", {"number": later[2]["number"]})
    assert called.status == 200 and called.body["id"] == later[2]["id"]
    assert called.body["explanation"]["decided_by"] == "called_by_number"
    assert clerk1.post("/api/v1/counters/1/no-show").status == 200
    back = clerk1.post(f"/api/v1/tickets/{later[2]['id']}/reinstate")
    assert back.status == 200, back
    assert back.body["status"] == "waiting" and back.body["leg"] == 2
    assert back.body["ahead"] == 3  # the sample hall's reinstate_places

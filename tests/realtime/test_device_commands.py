"""Device commands: addressed to one device, stored before they are sent, sent again on every
reconnect until the device answers, and expired (with a log entry) when too old."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from hallq.server import wire
from hallq.server.hub import zone_room
from hallq.server.models import DeviceCommand, Event
from tests.realtime.conftest import connect, events, login, named
from tests.support.hall import FakeClock, Hall


def _kiosk(hall: Hall, name: str = "kiosk-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {hall.tokens[name]}"}


def _issue(app: Flask, hall: Hall, service: str, who: dict[str, str], **body: Any) -> Any:
    response = app.test_client().post(
        "/api/v1/tickets", json={"service": service, **body}, headers=who
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _commands(hall: Hall) -> list[tuple[str, str, int | None]]:
    with hall.db.reading() as session:
        rows = session.execute(
            select(DeviceCommand.kind, DeviceCommand.status, DeviceCommand.ticket_id).order_by(
                DeviceCommand.id
            )
        ).all()
    return [tuple(row) for row in rows]


def test_the_issuing_kiosk_gets_a_print_job_with_everything_to_print(
    app: Flask, hall: Hall
) -> None:
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    other_kiosk = connect(app, hall.tokens["kiosk-2"], agent=True)
    display = connect(app, hall.tokens["display-a"])
    for sock in (kiosk, other_kiosk, display):
        events(sock)
    _issue(app, hall, "property-transfer", _kiosk(hall))
    ticket = _issue(app, hall, "property-transfer", _kiosk(hall), language="en")

    jobs = named(kiosk, wire.PRINT_JOB)
    assert len(jobs) == 2
    job = jobs[1]
    assert set(job) == {"id", "queued_at", "ticket"}
    printed = job["ticket"]
    assert set(printed) == set(wire.PrintTicket.__annotations__)
    assert printed["id"] == ticket["id"] and printed["number"] == "A002"
    assert printed["language"] == "en"
    assert printed["service_name"] == "Property transfer"
    assert printed["hall_name"] == "Harbour Transfer Service Hall"
    assert printed["documents"] == list(hall.config.service("property-transfer").documents["en"])
    assert printed["people_ahead"] == 1
    assert printed["eta_minutes"] == ticket["eta_minutes"] and printed["eta_minutes"] is not None
    # The same moment, on the hall's own clock (Hong Kong, UTC+8).
    assert printed["issued_at"] == "2026-11-25T10:00:00+08:00"
    assert dt.datetime.fromisoformat(printed["issued_at"]) == dt.datetime.fromisoformat(
        ticket["issued_at"]
    )
    assert printed["footer"] == hall.config.kiosk.footer["en"]
    assert printed["status_url"] == ticket["status_url"]
    assert printed["status_url"].startswith("https://queue.example.org/t/")
    # Addressed to that kiosk alone: not the other kiosk, not the lobby.
    assert named(other_kiosk, wire.PRINT_JOB) == []
    assert named(display, wire.PRINT_JOB) == []
    # Stored before it was sent.
    assert _commands(hall) == [
        (wire.PRINT_JOB, "pending", jobs[0]["ticket"]["id"]),
        (wire.PRINT_JOB, "pending", ticket["id"]),
    ]


def test_staff_tickets_print_nothing(app: Flask, hall: Hall) -> None:
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    events(kiosk)
    _issue(
        app,
        hall,
        "consultation",
        login(app.test_client(), "supervisor"),
        priority="priority",
        reason="elderly",
    )
    assert named(kiosk, wire.PRINT_JOB) == []
    assert _commands(hall) == []


def test_a_print_job_comes_again_on_every_reconnect_until_answered(app: Flask, hall: Hall) -> None:
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    events(kiosk)
    ticket = _issue(app, hall, "consultation", _kiosk(hall))
    (job,) = named(kiosk, wire.PRINT_JOB)
    kiosk.disconnect(namespace=wire.NAMESPACE)

    for _ in range(2):  # not answered: again and again
        kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
        received = events(kiosk)
        # After the snapshot: the screen knows the hall before it prints.
        assert [name for name, _ in received] == [wire.JOINED, wire.STATE, wire.PRINT_JOB]
        again = received[2][1]
        assert again["id"] == job["id"] and again["ticket"]["id"] == ticket["id"]
        assert again["ticket"]["people_ahead"] == 0
        kiosk.disconnect(namespace=wire.NAMESPACE)

    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    events(kiosk)
    ack = kiosk.emit(
        wire.PRINT_RESULT, {"id": job["id"], "ok": True}, namespace=wire.NAMESPACE, callback=True
    )
    assert ack == {"ok": True, "id": job["id"], "already": False}
    # Answering twice (a retry after a lost ack) is harmless.
    again = kiosk.emit(
        wire.PRINT_RESULT, {"id": job["id"], "ok": True}, namespace=wire.NAMESPACE, callback=True
    )
    assert again == {"ok": True, "id": job["id"], "already": True}
    kiosk.disconnect(namespace=wire.NAMESPACE)
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    assert named(kiosk, wire.PRINT_JOB) == []
    assert _commands(hall) == [(wire.PRINT_JOB, "done", ticket["id"])]


def test_a_failed_print_is_an_answer_too(app: Flask, hall: Hall) -> None:
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    events(kiosk)
    _issue(app, hall, "consultation", _kiosk(hall))
    (job,) = named(kiosk, wire.PRINT_JOB)
    ack = kiosk.emit(
        wire.PRINT_RESULT,
        {"id": job["id"], "ok": False, "reason": "paper_out"},
        namespace=wire.NAMESPACE,
        callback=True,
    )
    assert ack["ok"] is True
    with hall.db.reading() as session:
        status, outcome = session.execute(select(DeviceCommand.status, DeviceCommand.outcome)).one()
        logged = session.execute(
            select(Event.payload).where(Event.kind == "device_command.failed")
        ).scalar_one()
    assert (status, outcome) == ("failed", {"ok": False, "reason": "paper_out"})
    assert logged["reason"] == "paper_out" and logged["command"] == job["id"]


def test_a_device_answers_only_its_own_commands(app: Flask, hall: Hall) -> None:
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    events(kiosk)
    _issue(app, hall, "consultation", _kiosk(hall))
    (job,) = named(kiosk, wire.PRINT_JOB)
    other = connect(app, hall.tokens["kiosk-2"], agent=True)
    refused = other.emit(
        wire.PRINT_RESULT, {"id": job["id"], "ok": True}, namespace=wire.NAMESPACE, callback=True
    )
    assert refused["error"]["code"] == "unknown_command"
    display = connect(app, hall.tokens["display-a"])
    refused = display.emit(
        wire.PRINT_RESULT, {"id": job["id"], "ok": True}, namespace=wire.NAMESPACE, callback=True
    )
    assert refused["error"]["code"] == "not_for_this_client"
    assert _commands(hall)[0][1] == "pending"


def test_finishing_asks_the_windows_pad_for_a_rating_until_it_answers(
    app: Flask, hall: Hall
) -> None:
    http = app.test_client()
    pad = connect(app, hall.tokens["counter-3"], agent=True)
    other_pad = connect(app, hall.tokens["counter-4"], agent=True)
    clerk = login(http, "clerk3")
    http.post("/api/v1/counters/3/open", headers=clerk)
    ticket = _issue(app, hall, "certificate-pickup", _kiosk(hall))
    http.post("/api/v1/counters/3/call-next", headers=clerk)
    http.post("/api/v1/counters/3/start", headers=clerk)
    events(pad)
    http.post("/api/v1/counters/3/finish", headers=clerk)
    (request,) = named(pad, wire.RATING_REQUEST)
    assert request == {
        "id": request["id"],
        "ticket_id": ticket["id"],
        "number": ticket["number"],
        "counter": 3,
        "service": "certificate-pickup",
        "clerk": "clerk3",
    }
    assert [name for name, _ in events(other_pad) if name == wire.RATING_REQUEST] == []
    # The pad was unplugged before the customer pressed: the request comes again.
    pad.disconnect(namespace=wire.NAMESPACE)
    pad = connect(app, hall.tokens["counter-3"], agent=True)
    assert [r["id"] for r in named(pad, wire.RATING_REQUEST)] == [request["id"]]
    ack = pad.emit(
        wire.RATING_SUBMIT,
        {"ticket": ticket["number"], "score": 5, "id": request["id"]},
        namespace=wire.NAMESPACE,
        callback=True,
    )
    assert ack["ok"] is True
    pad.disconnect(namespace=wire.NAMESPACE)
    pad = connect(app, hall.tokens["counter-3"], agent=True)
    assert named(pad, wire.RATING_REQUEST) == []


def test_calling_the_next_ticket_cancels_an_unanswered_rating_request(
    app: Flask, hall: Hall
) -> None:
    http = app.test_client()
    pad = connect(app, hall.tokens["counter-3"], agent=True)
    clerk = login(http, "clerk3")
    http.post("/api/v1/counters/3/open", headers=clerk)
    first = _issue(app, hall, "certificate-pickup", _kiosk(hall))
    _issue(app, hall, "certificate-pickup", _kiosk(hall))
    for step in ("call-next", "start", "finish"):
        http.post(f"/api/v1/counters/3/{step}", headers=clerk)
    (request,) = named(pad, wire.RATING_REQUEST)
    http.post("/api/v1/counters/3/call-next", headers=clerk)
    (cancel,) = named(pad, wire.RATING_CANCEL)
    assert cancel == {
        "id": cancel["id"],
        "ticket_id": first["id"],
        "number": first["number"],
        "counter": 3,
    }
    kinds = {(kind, status) for kind, status, _ in _commands(hall)}
    assert (wire.RATING_REQUEST, "cancelled") in kinds
    assert (wire.RATING_CANCEL, "pending") in kinds
    # The chance to rate ended with the call.
    late = pad.emit(
        wire.RATING_SUBMIT,
        {"ticket": first["id"], "score": 4},
        namespace=wire.NAMESPACE,
        callback=True,
    )
    assert late["error"]["code"] == "not_this_windows_ticket"
    ack = pad.emit(wire.COMMAND_ACK, {"id": cancel["id"]}, namespace=wire.NAMESPACE, callback=True)
    assert ack["ok"] is True
    assert request["id"] != cancel["id"]


def test_the_window_sign_shows_the_newest_text_only(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    clerk = login(http, "clerk2")
    http.post("/api/v1/counters/2/open", headers=clerk)
    ticket = _issue(app, hall, "property-transfer", _kiosk(hall))
    http.post("/api/v1/counters/2/call-next", headers=clerk)
    sign = connect(app, hall.tokens["counter-2"], agent=True)
    # While the agent was away the sign's text changed twice: only the newest comes.
    texts = named(sign, wire.SIGN_TEXT)
    assert [(t["state"], t["ticket"], t["text"]) for t in texts] == [
        ("serving", ticket["number"], ticket["number"])
    ]
    for step in ("start", "finish"):
        http.post(f"/api/v1/counters/2/{step}", headers=clerk)
    http.post("/api/v1/counters/2/pause", json={"reason": "午膳"}, headers=clerk)
    live = named(sign, wire.SIGN_TEXT)
    assert [(t["state"], t["text"]) for t in live][-1] == ("paused", "暫停服務")
    assert [t["id"] for t in live] == sorted(t["id"] for t in live)
    ack = sign.emit(
        wire.COMMAND_ACK, {"id": live[-1]["id"]}, namespace=wire.NAMESPACE, callback=True
    )
    assert ack["ok"] is True
    sign.disconnect(namespace=wire.NAMESPACE)
    sign = connect(app, hall.tokens["counter-2"], agent=True)
    assert named(sign, wire.SIGN_TEXT) == []


def test_old_commands_expire_with_a_log_entry(app: Flask, hall: Hall, clock: FakeClock) -> None:
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    events(kiosk)
    _issue(app, hall, "consultation", _kiosk(hall))
    (job,) = named(kiosk, wire.PRINT_JOB)
    kiosk.disconnect(namespace=wire.NAMESPACE)
    clock.advance(hall.context.rules.print_job_max_age + 1)
    # Too old: not sent again (a ticket printed long after the press would confuse).
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    assert named(kiosk, wire.PRINT_JOB) == []
    assert app.extensions["hallq"].expire_commands() == 1
    with hall.db.reading() as session:
        status = session.execute(select(DeviceCommand.status)).scalar_one()
        logged = session.execute(
            select(Event.payload, Event.source).where(Event.kind == "device_command.expired")
        ).one()
    assert status == "expired"
    assert logged.payload["command"] == job["id"] and logged.source == "server"
    assert logged.payload["expired_at"] < clock().isoformat()  # when it was due
    assert app.extensions["hallq"].expire_commands() == 0


def test_the_hub_addresses_one_zone(app: Flask, hall: Hall) -> None:
    a, b = connect(app, hall.tokens["display-a"]), connect(app, hall.tokens["display-b"])
    events(a), events(b)
    app.extensions["hallq"].hub.send(zone_room(hall.context.id, "B"), "test.zone", {"x": 1})
    assert named(a, "test.zone") == []
    assert named(b, "test.zone") == [{"x": 1}]


def test_a_rating_reaches_the_clerks_screen_at_that_window(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    clerk = login(http, "clerk5")
    screen = connect(app, clerk["Authorization"].split()[1])
    neighbour = connect(app, login(http, "clerk6")["Authorization"].split()[1])
    http.post("/api/v1/counters/5/open", headers=clerk)  # the screen joined before opening
    ticket = _issue(app, hall, "vehicle-transfer", _kiosk(hall))
    for step in ("call-next", "start", "finish"):
        http.post(f"/api/v1/counters/5/{step}", headers=clerk)
    events(screen), events(neighbour)
    pad = connect(app, hall.tokens["counter-5"], agent=True)
    pad.emit(wire.RATING_SUBMIT, {"ticket": ticket["id"], "score": 1}, namespace=wire.NAMESPACE)
    (rated,) = named(screen, wire.RATING_STORED)
    assert (rated["number"], rated["score"], rated["counter"]) == (ticket["number"], 1, 5)
    assert rated["follow_up"] is not None
    assert named(neighbour, wire.RATING_STORED) == []

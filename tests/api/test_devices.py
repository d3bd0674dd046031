"""A device's own view of itself, the kiosk's staff PIN, and reprinting a ticket."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

from PIL import Image
from sqlalchemy import select

from hallq.server.hall_file import KioskSettings
from hallq.server.models import DeviceCommand, Event
from tests.api.conftest import Api, assert_error, build_app


def test_a_device_reads_its_own_status(api: Api, hall) -> None:
    me = api.ok(api.get("/devices/me", "kiosk-1"))
    assert (me["name"], me["kind"], me["status"]) == ("kiosk-1", "kiosk", {})
    assert me["kiosk"] == {
        "idle_seconds": 30,
        "ticket_seconds": 8,
        "footer": dict(hall.config.kiosk.footer),
        "pin_set": True,  # never the PIN itself
    }
    display = api.ok(api.get("/devices/me", "display-b"))
    assert (display["zone"], display["kiosk"]) == ("B", None)
    assert_error(api.get("/devices/me", "clerk1"), 403, "role_not_allowed")


def test_what_the_agent_reports_is_what_the_device_reads(api: Api, app, hall) -> None:
    socketio = app.extensions["socketio"]
    agent = socketio.test_client(
        app, namespace="/hall", auth={"token": hall.tokens["kiosk-2"], "agent": True}
    )
    reply = agent.emit(
        "device.status",
        {"status": "paper_out", "detail": "roll empty"},
        namespace="/hall",
        callback=True,
    )
    assert reply == {"ok": True}
    me = api.ok(api.get("/devices/me", "kiosk-2"))
    assert me["status"] == {"status": "paper_out", "detail": "roll empty"}
    assert me["last_seen_at"] is not None


def test_the_staff_pin(api: Api) -> None:
    assert api.post("/devices/me/unlock", "kiosk-1", json={"pin": "2468"}).status_code == 204
    assert_error(api.post("/devices/me/unlock", "kiosk-1", json={"pin": "1111"}), 403, "wrong_pin")
    assert_error(api.post("/devices/me/unlock", "display-a", json={"pin": "2468"}), 403)
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        kinds = session.scalars(
            select(Event.kind).where(Event.kind.like("kiosk.%")).order_by(Event.id)
        ).all()
    assert kinds == ["kiosk.unlocked", "kiosk.unlock_failed"]


def test_guessing_the_pin_is_limited(api: Api) -> None:
    for n in range(10):
        assert_error(api.post("/devices/me/unlock", "kiosk-2", json={"pin": f"{n:04d}"}), 403)
    limited = api.post("/devices/me/unlock", "kiosk-2", json={"pin": "2468"})
    assert_error(limited, 429, "too_many_requests")
    # Another kiosk is not held back.
    assert api.post("/devices/me/unlock", "kiosk-1", json={"pin": "2468"}).status_code == 204


def test_without_a_pin_in_the_hall_file_nobody_unlocks(make_hall, clock) -> None:
    from tests.api.conftest import Api as Client

    info = make_hall()
    config = dataclasses.replace(info.config, kiosk=KioskSettings())
    info = make_hall(config=config)
    app = build_app(info, clock)
    client = Client(app.test_client(), info)
    assert_error(
        client.post("/devices/me/unlock", "kiosk-1", json={"pin": "2468"}), 409, "no_staff_pin"
    )
    assert client.ok(client.get("/devices/me", "kiosk-1"))["kiosk"]["pin_set"] is False
    app.extensions["hallq"].db.dispose()


def test_staff_reprint_a_ticket_on_its_kiosk_or_another(api: Api, app, hall) -> None:
    ticket = api.issue("consultation", "kiosk-2")
    socketio = app.extensions["socketio"]
    kiosk2 = socketio.test_client(
        app, namespace="/hall", auth={"token": hall.tokens["kiosk-2"], "agent": True}
    )
    kiosk2.get_received("/hall")
    queued = api.post(f"/tickets/{ticket['id']}/reprint", "clerk3")
    assert queued.status_code == 202
    body = queued.get_json()
    assert body["device"] == "kiosk-2"
    jobs = [p["args"][0] for p in kiosk2.get_received("/hall") if p["name"] == "print.job"]
    assert [(j["id"], j["ticket"]["number"]) for j in jobs] == [(body["id"], ticket["number"])]
    elsewhere = api.ok(
        api.post(f"/tickets/{ticket['id']}/reprint", "supervisor", json={"kiosk": "kiosk-1"}), 202
    )
    assert elsewhere["device"] == "kiosk-1"
    database = app.extensions["hallq"].db
    with database.reading() as session:
        stored = (
            session.execute(
                select(DeviceCommand.device_id).where(DeviceCommand.ticket_id == ticket["id"])
            )
            .scalars()
            .all()
        )
        logged = session.scalars(select(Event.payload).where(Event.kind == "ticket.reprint")).all()
    assert stored == [hall.devices["kiosk-2"]] * 2 + [hall.devices["kiosk-1"]]
    assert [p["kiosk"] for p in logged] == ["kiosk-2", "kiosk-1"]


def test_reprint_refusals(api: Api) -> None:
    at_desk = api.issue("consultation", "clerk3")
    assert_error(api.post(f"/tickets/{at_desk['id']}/reprint", "clerk3"), 409, "which_kiosk")
    assert_error(
        api.post(f"/tickets/{at_desk['id']}/reprint", "clerk3", json={"kiosk": "kiosk-9"}),
        404,
        "unknown_kiosk",
    )
    from_kiosk = api.issue("consultation")
    assert_error(api.post(f"/tickets/{from_kiosk['id']}/reprint", "kiosk-1"), 403)


def test_the_kiosk_screen_hears_how_its_print_went(api: Api, app, hall) -> None:
    socketio = app.extensions["socketio"]
    screen = socketio.test_client(app, namespace="/hall", auth={"token": hall.tokens["kiosk-1"]})
    agent = socketio.test_client(
        app, namespace="/hall", auth={"token": hall.tokens["kiosk-1"], "agent": True}
    )
    other = socketio.test_client(app, namespace="/hall", auth={"token": hall.tokens["kiosk-2"]})
    ticket = api.issue("consultation")
    job = next(p["args"][0] for p in agent.get_received("/hall") if p["name"] == "print.job")
    # The screen shares the kiosk's token but prints nothing: the job went to the agent alone.
    assert [p for p in screen.get_received("/hall") if p["name"] == "print.job"] == []
    other.get_received("/hall")
    agent.emit(
        "print.result", {"id": job["id"], "ok": False, "reason": "too_old"}, namespace="/hall"
    )
    outcomes = [p["args"][0] for p in screen.get_received("/hall") if p["name"] == "print.outcome"]
    assert outcomes == [
        {"id": job["id"], "ticket_id": ticket["id"], "ok": False, "reason": "too_old"}
    ]
    assert [p for p in other.get_received("/hall") if p["name"] == "print.outcome"] == []


def test_a_tickets_preview_is_the_printed_layout(api: Api) -> None:
    ticket = api.issue("consultation", "kiosk-1")
    for who in ("clerk1", "kiosk-1"):
        shown = api.get(f"/tickets/{ticket['id']}/preview.png", who)
        assert shown.status_code == 200 and shown.mimetype == "image/png"
        assert shown.data.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(api.get(f"/tickets/{ticket['id']}/preview.png", "clerk1").data))
    assert image.width == 576
    narrow = api.get(f"/tickets/{ticket['id']}/preview.png?paper=58", "clerk1")
    assert Image.open(io.BytesIO(narrow.data)).width == 384
    # Another kiosk's ticket is none of this one's business; a display has no say.
    assert_error(api.get(f"/tickets/{ticket['id']}/preview.png", "kiosk-2"), 404, "unknown_ticket")
    assert_error(api.get(f"/tickets/{ticket['id']}/preview.png", "display-a"), 403)
    assert_error(api.get("/tickets/999999/preview.png", "clerk1"), 404, "unknown_ticket")


def test_when_the_agent_leaves_its_screen_hears_the_kiosk_is_offline(api: Api, app, hall) -> None:
    socketio = app.extensions["socketio"]
    screen = socketio.test_client(app, namespace="/hall", auth={"token": hall.tokens["kiosk-1"]})
    agents = [
        socketio.test_client(
            app, namespace="/hall", auth={"token": hall.tokens["kiosk-1"], "agent": True}
        )
        for _ in range(2)
    ]
    agents[0].emit("device.status", {"status": "ok"}, namespace="/hall", callback=True)
    screen.get_received("/hall")

    def updates() -> list[dict]:
        return [p["args"][0] for p in screen.get_received("/hall") if p["name"] == "device.updated"]

    # A screen leaving, or one of two agents leaving, changes nothing.
    socketio.test_client(app, namespace="/hall", auth={"token": hall.tokens["kiosk-1"]}).disconnect(
        namespace="/hall"
    )
    agents[0].disconnect(namespace="/hall")
    assert updates() == []
    assert api.ok(api.get("/devices/me", "kiosk-1"))["status"]["status"] == "ok"
    agents[1].disconnect(namespace="/hall")
    (update,) = updates()
    assert update["status"] == {"status": "offline", "detail": "agent disconnected"}
    assert api.ok(api.get("/devices/me", "kiosk-1"))["status"]["status"] == "offline"


def test_the_desk_sees_the_tickets_that_did_not_print(api: Api, app, hall, clock) -> None:
    socketio = app.extensions["socketio"]
    agent = socketio.test_client(
        app, namespace="/hall", auth={"token": hall.tokens["kiosk-1"], "agent": True}
    )
    tickets = [api.issue("consultation") for _ in range(4)]
    jobs = {
        p["args"][0]["ticket"]["id"]: p["args"][0]["id"]
        for p in agent.get_received("/hall")
        if p["name"] == "print.job"
    }

    def answer(ticket: dict, ok: bool, reason: str | None = None) -> None:
        body = {"id": jobs[ticket["id"]], "ok": ok, **({"reason": reason} if reason else {})}
        assert agent.emit("print.result", body, namespace="/hall", callback=True)["ok"] is True

    def listed() -> list[tuple[str, str, str]]:
        found = api.ok(api.get("/tickets/not-printed", "clerk1"))["tickets"]
        return [(t["number"], t["kiosk"], t["reason"]) for t in found]

    answer(tickets[0], False, "too_old")
    answer(tickets[1], True)
    answer(tickets[2], False, "interrupted")
    assert listed() == [("D001", "kiosk-1", "too_old"), ("D003", "kiosk-1", "interrupted")]
    first = api.ok(api.get("/tickets/not-printed", "clerk1"))["tickets"][0]
    assert first["ticket_id"] == tickets[0]["id"] and first["status"] == "waiting"
    assert first["service"] == "consultation" and first["command"] == jobs[tickets[0]["id"]]
    # Printed again: off the list while the new job is out, for good once it prints.
    api.ok(api.post(f"/tickets/{tickets[0]['id']}/reprint", "clerk1"), 202)
    assert listed() == [("D003", "kiosk-1", "interrupted")]
    # A ticket that left the queue needs no paper.
    api.ok(api.post(f"/tickets/{tickets[2]['id']}/cancel", "supervisor", json={}))
    assert listed() == []
    # A job the kiosk's agent never answered (unplugged) expires onto the list.
    agent.disconnect(namespace="/hall")
    clock.advance(hall.config.device_commands.print_job_max_age + 1)
    assert app.extensions["hallq"].expire_commands() >= 2
    assert listed() == [("D001", "kiosk-1", "expired"), ("D004", "kiosk-1", "expired")]
    assert_error(api.get("/tickets/not-printed", "kiosk-1"), 403)


def test_the_same_status_again_is_a_heartbeat_not_news(api: Api, app, hall, clock) -> None:
    socketio = app.extensions["socketio"]
    screen = socketio.test_client(app, namespace="/hall", auth={"token": hall.tokens["kiosk-2"]})
    agent = socketio.test_client(
        app, namespace="/hall", auth={"token": hall.tokens["kiosk-2"], "agent": True}
    )
    screen.get_received("/hall")
    for _ in range(3):
        agent.emit("device.status", {"status": "ok"}, namespace="/hall", callback=True)
        clock.advance(60)
    seen = api.ok(api.get("/devices/me", "kiosk-2"))["last_seen_at"]
    agent.emit("device.status", {"status": "paper_out"}, namespace="/hall", callback=True)
    updates = [p["args"][0] for p in screen.get_received("/hall") if p["name"] == "device.updated"]
    assert [u["status"]["status"] for u in updates] == ["ok", "paper_out"]
    database = app.extensions["hallq"].db
    with database.reading() as session:
        logged = session.scalars(
            select(Event.payload).where(Event.kind == "device.status").order_by(Event.id)
        ).all()
    assert [p["status"] for p in logged] == ["ok", "paper_out"]
    # Each heartbeat still says the device was seen: the last one, a minute ago.
    assert dt.datetime.fromisoformat(seen) == clock() - dt.timedelta(seconds=60)


def test_an_agent_back_before_the_old_one_is_counted_out_keeps_the_kiosk_online(
    api: Api, app, hall, clock
) -> None:
    """The check for another agent is made with the device locked: an agent that connected
    meanwhile (and whose report must not be overwritten) keeps the device as it reported."""
    from hallq.server.admin import devices
    from hallq.server.queue.events import Actor

    actor = Actor(hall_id=hall.context.id, role="kiosk", device_id=hall.devices["kiosk-1"])
    database = app.extensions["hallq"].db
    with database.writing() as session:
        devices.report(session, actor, {"status": "ok"}, clock())
        assert devices.agent_left(session, actor, clock(), lambda: True) == []
    assert api.ok(api.get("/devices/me", "kiosk-1"))["status"] == {"status": "ok"}
    with database.writing() as session:
        (event,) = devices.agent_left(session, actor, clock(), lambda: False)
    assert event.status == {"status": "offline", "detail": "agent disconnected"}
    assert api.ok(api.get("/devices/me", "kiosk-1"))["status"]["status"] == "offline"

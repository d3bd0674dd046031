"""The /hall namespace through Flask-SocketIO's test client: join, snapshot, deltas in seq order."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hallq.server import wire
from tests.realtime.conftest import connect, events, login
from tests.support.hall import Hall


def test_join_gets_snapshot_then_every_delta_in_seq_order(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    display = connect(app, hall.tokens["display-a"])
    assert display.is_connected(wire.NAMESPACE)
    first = events(display)
    assert [name for name, _ in first] == [wire.JOINED, wire.STATE]
    joined, state = first[0][1], first[1][1]
    assert joined["role"] == "display" and joined["zone"] == "A"
    assert state["protocol"] == wire.PROTOCOL_VERSION
    assert {s["code"] for s in state["services"]} >= {"property-transfer", "consultation"}
    assert len(state["counters"]) == 9
    base = state["seq"]

    kiosk = {"Authorization": f"Bearer {hall.tokens['kiosk-1']}"}
    for _ in range(3):
        assert (
            http.post(
                "/api/v1/tickets", json={"service": "property-transfer"}, headers=kiosk
            ).status_code
            == 201
        )
    clerk = login(http, "clerk1")
    assert http.post("/api/v1/counters/1/open", headers=clerk).status_code == 200
    assert http.post("/api/v1/counters/1/call-next", headers=clerk).status_code == 200
    assert http.post("/api/v1/counters/1/recall", headers=clerk).status_code == 200
    assert http.post("/api/v1/counters/1/start", headers=clerk).status_code == 200
    assert http.post("/api/v1/counters/1/finish", headers=clerk).status_code == 200
    assert (
        http.post("/api/v1/counters/1/pause", json={"reason": "午膳"}, headers=clerk).status_code
        == 200
    )

    deltas = events(display)
    seqs = [data["seq"] for _, data in deltas]
    assert seqs == list(range(base + 1, base + 1 + len(deltas)))  # no gap, in order
    names = [name for name, _ in deltas]
    assert names.count(wire.TICKET_ISSUED) == 3
    calls = [data for name, data in deltas if name == wire.TICKET_CALLED]
    assert [(c["number"], c["counter"], c["call_count"], c["recall"]) for c in calls] == [
        ("A001", 1, 1, False),
        ("A001", 1, 2, True),
    ]
    assert calls[0]["zone"] == "A" and calls[0]["languages"] == ["yue", "cmn", "en"]
    moves = [data["move"] for name, data in deltas if name == wire.TICKET_UPDATED]
    assert moves == ["start", "finish"]
    last_counter = [data["counter"] for name, data in deltas if name == wire.COUNTER_UPDATED][-1]
    assert last_counter["state"] == "paused" and last_counter["pause_reason"] == "午膳"
    last_queue = [data["services"] for name, data in deltas if name == wire.QUEUE_UPDATED][-1]
    assert {s["code"]: s["waiting"] for s in last_queue}["property-transfer"] == 2
    # A delta never carries the ticket's status token (it is the customer's secret).
    assert all("status_token" not in str(data) for _, data in deltas)


def test_state_request_sends_a_fresh_snapshot(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    sock = connect(app, hall.tokens["kiosk-1"])
    events(sock)
    http.post(
        "/api/v1/tickets",
        json={"service": "consultation"},
        headers={"Authorization": f"Bearer {hall.tokens['kiosk-1']}"},
    )
    events(sock)
    ack = sock.emit(wire.STATE_REQUEST, {}, namespace=wire.NAMESPACE, callback=True)
    assert ack == {"ok": True}
    ((name, snap),) = events(sock)
    assert name == wire.STATE
    assert {s["code"]: s["waiting"] for s in snap["services"]}["consultation"] == 1
    assert snap["seq"] == 2  # ticket.issued + queue.updated so far


def test_a_bad_token_cannot_join(app: Flask) -> None:
    assert not connect(app, "hqd_not-a-token").is_connected(wire.NAMESPACE)
    assert not connect(app, None).is_connected(wire.NAMESPACE)


def test_agents_report_device_status_and_ratings(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    pad = connect(app, hall.tokens["counter-1"])
    assert pad.emit(
        wire.DEVICE_STATUS,
        {"status": "pad_offline", "detail": "USB"},
        namespace=wire.NAMESPACE,
        callback=True,
    ) == {"ok": True}
    refused = pad.emit(wire.DEVICE_STATUS, "nonsense", namespace=wire.NAMESPACE, callback=True)
    assert set(refused) == {"error"} and refused["error"]["code"] == "invalid_message"
    kiosk_headers = {"Authorization": f"Bearer {hall.tokens['kiosk-1']}"}
    http.post("/api/v1/tickets", json={"service": "property-transfer"}, headers=kiosk_headers)
    clerk = login(http, "clerk1")
    http.post("/api/v1/counters/1/open", headers=clerk)
    http.post("/api/v1/counters/1/call-next", headers=clerk)
    http.post("/api/v1/counters/1/start", headers=clerk)
    http.post("/api/v1/counters/1/finish", headers=clerk)
    ack = pad.emit(
        wire.RATING_SUBMIT, {"ticket": "A001", "score": 2}, namespace=wire.NAMESPACE, callback=True
    )
    assert ack["ok"] is True and ack["follow_up"] is not None
    again = pad.emit(
        wire.RATING_SUBMIT, {"ticket": "A001", "score": 5}, namespace=wire.NAMESPACE, callback=True
    )
    assert again["error"]["code"] == "already_rated"
    assert "已" in again["error"]["message"]  # said in the hall's language
    kiosk = connect(app, hall.tokens["kiosk-1"])
    refused = kiosk.emit(
        wire.RATING_SUBMIT, {"ticket": "A001", "score": 5}, namespace=wire.NAMESPACE, callback=True
    )
    assert refused["error"]["code"] == "not_for_this_client"


def test_reloading_the_hall_file_tells_the_screens(app: Flask, hall: Hall) -> None:
    from dataclasses import replace

    from hallq.server.hall_file.loader import load_hall

    display = connect(app, hall.tokens["display-b"])
    base = events(display)[-1][1]["seq"]
    renamed = replace(
        hall.config, name={"zh-Hant": "新名稱", "zh-Hans": "新名称", "en": "New name"}
    )
    clock = app.config["HALLQ_CLOCK"]
    with hall.db.writing() as session:
        load_hall(session, renamed, demo=True, now=clock.advance(31))
    http = app.test_client()
    assert (
        http.get(
            "/api/v1/services", headers={"Authorization": f"Bearer {hall.tokens['kiosk-1']}"}
        ).status_code
        == 200
    )
    ((name, data),) = events(display)
    assert name == wire.HALL_UPDATED and data["seq"] == base + 1
    assert data["hall"]["name"]["en"] == "New name"


def test_older_queue_figures_are_never_sent_after_newer_ones(app: Flask) -> None:
    """Figures are read outside the hub's lock; a slow reader's older ones are dropped."""
    hub = app.extensions["hallq"].hub

    def fig(version: int, waiting: int) -> dict[str, Any]:
        return {"code": "consultation", "waiting": waiting, "_version": version}

    newer = fig(6, 3)
    assert hub._newer(1, newer) and "_version" not in newer
    assert not hub._newer(1, fig(5, 2))  # read before the newer one, arrived after it
    assert hub._newer(1, fig(6, 3))  # same count: other figures (estimates) may be fresher
    assert hub._newer(1, fig(7, 4))
    assert hub._newer(2, fig(1, 1))  # another hall keeps its own


def _keys(shape: Any) -> set[str]:
    return set(shape.__annotations__)


def test_every_message_has_the_contracts_shape(app: Flask, hall: Hall) -> None:
    """Each message a screen or an agent gets matches its TypedDict in ``wire.py``."""
    http = app.test_client()
    display = connect(app, hall.tokens["display-a"])
    kiosk = connect(app, hall.tokens["kiosk-1"], agent=True)
    pad = connect(app, hall.tokens["counter-1"], agent=True)
    kiosk_headers = {"Authorization": f"Bearer {hall.tokens['kiosk-1']}"}
    for _ in range(2):
        http.post("/api/v1/tickets", json={"service": "property-transfer"}, headers=kiosk_headers)
    clerk = login(http, "clerk1")
    for step in ("open", "call-next", "recall", "start", "finish", "call-next"):
        http.post(f"/api/v1/counters/1/{step}", headers=clerk)
    pad.emit(wire.DEVICE_STATUS, {"status": "ok"}, namespace=wire.NAMESPACE)
    pad.emit(wire.RATING_SUBMIT, {"ticket": "A001", "score": 4}, namespace=wire.NAMESPACE)
    http.put("/api/v1/notice", json={"text": {"en": "Welcome"}}, headers=login(http, "supervisor"))

    seen: dict[str, list[dict[str, Any]]] = {}
    for sock in (display, kiosk, pad):
        for name, data in events(sock):
            seen.setdefault(name, []).append(data)
    shapes = {
        wire.JOINED: None,
        wire.STATE: wire.StatePayload,
        wire.TICKET_CALLED: wire.CallPayload,
        wire.PRINT_JOB: wire.PrintJob,
        wire.RATING_REQUEST: wire.RatingRequest,
        wire.RATING_CANCEL: wire.RatingCancel,
        wire.SIGN_TEXT: wire.SignText,
        wire.DEVICE_UPDATED: wire.DeviceUpdatedPayload,
        wire.NOTICE_UPDATED: wire.NoticesPayload,
    }
    assert set(seen) >= set(shapes) - {wire.RATING_CANCEL}, set(seen)
    for name, shape in shapes.items():
        for data in seen.get(name, []):
            if shape is not None:
                assert set(data) - {"seq"} == _keys(shape) - {"seq"}, name
    for data in seen[wire.STATE]:
        for service in data["services"]:
            assert set(service) == _keys(wire.ServiceQueuePayload)
        for counter in data["counters"]:
            assert set(counter) == _keys(wire.CounterPayload)
    for data in seen[wire.TICKET_ISSUED] + seen[wire.TICKET_UPDATED]:
        assert set(data["ticket"]) == _keys(wire.TicketPayload)
    for data in seen[wire.COUNTER_UPDATED]:
        assert set(data["counter"]) == _keys(wire.CounterPayload)
    for data in seen[wire.QUEUE_UPDATED]:
        for figures in data["services"]:
            assert set(figures) == _keys(wire.QueueFigures)
    for data in seen[wire.PRINT_JOB]:
        assert set(data["ticket"]) == _keys(wire.PrintTicket)
    for data in seen[wire.NOTICE_UPDATED]:
        assert [set(notice) for notice in data["notices"]] == [_keys(wire.NoticePayload)]
    assert set(seen) <= {*shapes, *wire.DELTAS}, set(seen)

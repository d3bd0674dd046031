"""Administration reaches open screens without a reload: a renamed service (its documents
too) arrives as ``hall.updated``, and the snapshot a screen then asks for has the new
catalog; a paused service arrives as its closed figures (``queue.updated``)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hallq.server import wire
from tests.api.conftest import Api, HallInfo
from tests.api.test_admin_hall import send


def joined(app: Flask, token: str) -> Any:
    socketio = app.extensions["socketio"]
    sock = socketio.test_client(app, namespace=wire.NAMESPACE, auth={"token": token})
    assert sock.is_connected(wire.NAMESPACE)
    sock.get_received(wire.NAMESPACE)  # joined, the first snapshot
    return sock


def received(sock: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(e["name"], e["args"][0]) for e in sock.get_received(wire.NAMESPACE)]


def test_a_renamed_service_reaches_open_kiosks_and_boards(
    app: Flask, api: Api, hall: HallInfo
) -> None:
    kiosk = joined(app, hall.tokens["kiosk-1"])
    board = joined(app, hall.tokens["display-c"])
    name = {"zh-Hant": "查詢", "zh-Hans": "查询", "en": "Questions"}
    documents = {"zh-Hant": ["身份證"], "zh-Hans": ["身份证"], "en": ["Identity card"]}
    done = send(api, "PATCH", "/services/consultation", {"name": name, "documents": documents})
    assert done.status_code == 200
    for sock in (kiosk, board):
        ((event, data),) = received(sock)
        assert event == wire.HALL_UPDATED and isinstance(data["seq"], int)
        # What the page does on hall.updated: ask for a fresh snapshot.
        sock.emit(wire.STATE_REQUEST, {}, namespace=wire.NAMESPACE)
        snapshots = [d for e, d in received(sock) if e == wire.STATE]
        service = next(s for s in snapshots[-1]["services"] if s["code"] == "consultation")
        assert service["name"] == name and service["documents"] == documents
    kiosk.disconnect(namespace=wire.NAMESPACE)
    board.disconnect(namespace=wire.NAMESPACE)


def test_a_paused_service_greys_out_on_open_kiosks(app: Flask, api: Api, hall: HallInfo) -> None:
    kiosk = joined(app, hall.tokens["kiosk-1"])
    assert api.post("/services/consultation/pause", "supervisor", json={}).status_code == 200
    updates = [d for e, d in received(kiosk) if e == wire.QUEUE_UPDATED]
    (figures,) = [s for d in updates for s in d["services"] if s["code"] == "consultation"]
    assert figures["open"] is False and figures["closed_reason"] == "paused"
    assert api.post("/services/consultation/reopen", "supervisor").status_code == 200
    updates = [d for e, d in received(kiosk) if e == wire.QUEUE_UPDATED]
    assert updates[-1]["services"][0]["open"] is True
    kiosk.disconnect(namespace=wire.NAMESPACE)

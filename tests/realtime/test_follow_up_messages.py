"""``follow_up.updated`` reaches the supervisors' and admins' sockets, and no other."""

from __future__ import annotations

from flask import Flask

from hallq.server import wire
from tests.realtime.conftest import connect, login, named
from tests.support.hall import Hall


def test_a_complaint_and_its_closing_reach_the_supervisors_only(app: Flask, hall: Hall) -> None:
    http = app.test_client()
    supervisor = login(http, "supervisor")
    clerk = login(http, "clerk1")
    watching = connect(app, supervisor["Authorization"].split()[1])
    clerk_socket = connect(app, clerk["Authorization"].split()[1])
    board = connect(app, hall.tokens["display-a"])
    case = http.post(
        "/api/v1/follow-ups", json={"channel": "counter", "text": "slow"}, headers=clerk
    ).get_json()
    closed = http.post(
        f"/api/v1/follow-ups/{case['id']}/close", json={"note": "apologised"}, headers=supervisor
    )
    assert closed.status_code == 200
    heard = named(watching, wire.FOLLOW_UP_UPDATED)
    assert [(m["id"], m["change"], m["status"]) for m in heard] == [
        (case["id"], "opened", "open"),
        (case["id"], "closed", "closed"),
    ]
    assert heard[0]["kind"] == "complaint" and heard[0]["due_at"] == case["due_at"]
    assert "text" not in heard[0]
    assert named(clerk_socket, wire.FOLLOW_UP_UPDATED) == []
    assert named(board, wire.FOLLOW_UP_UPDATED) == []

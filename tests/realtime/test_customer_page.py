"""The customer's page of one ticket joins with the ticket's status token: it hears its own
ticket and hints that its queue moved, and nothing about anyone else."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hallq.server import wire
from tests.realtime.conftest import events, login
from tests.support.hall import Hall


def _issue(app: Flask, hall: Hall, service: str = "consultation") -> dict[str, Any]:
    reply = app.test_client().post(
        "/api/v1/tickets",
        json={"service": service},
        headers={"Authorization": f"Bearer {hall.tokens['kiosk-1']}"},
    )
    assert reply.status_code == 201
    return reply.get_json()  # type: ignore[no-any-return]


def _page(app: Flask, ticket: dict[str, Any]) -> Any:
    token = ticket["status_url"].rsplit("/", 1)[-1]
    return app.extensions["socketio"].test_client(
        app, namespace=wire.NAMESPACE, auth={"ticket": token}
    )


def test_the_page_hears_its_ticket_and_nothing_else(app: Flask, hall: Hall) -> None:
    first, mine, behind = _issue(app, hall), _issue(app, hall), _issue(app, hall)
    page = _page(app, mine)
    assert page.is_connected(wire.NAMESPACE)
    joined = events(page)
    assert [name for name, _ in joined] == [wire.TICKET_STATUS]  # no snapshot of the hall
    assert joined[0][1]["ticket"]["number"] == mine["number"]

    http = app.test_client()
    clerk = login(http, "clerk9")  # window 9 serves consultations
    http.post("/api/v1/counters/9/open", headers=clerk)
    http.post("/api/v1/counters/9/call-next", headers=clerk)  # calls the first
    heard = events(page)
    assert [name for name, _ in heard] == [wire.QUEUE_MOVED]  # someone ahead moved
    for step in ("start", "finish", "call-next"):
        http.post(f"/api/v1/counters/9/{step}", headers=clerk)
    heard = events(page)
    statuses = [data["ticket"] for name, data in heard if name == wire.TICKET_STATUS]
    assert [(t["number"], t["status"], t["counter"]) for t in statuses] == [
        (mine["number"], "called", 9)
    ]
    # Nothing about the others: not their numbers, no deltas of the hall.
    assert first["number"] not in str(heard) and behind["number"] not in str(heard)
    assert not {name for name, _ in heard} & set(wire.DELTAS)


def test_an_issue_behind_is_no_news(app: Flask, hall: Hall) -> None:
    page = _page(app, _issue(app, hall))
    events(page)
    _issue(app, hall)  # a walk-in joins behind: nobody ahead moved
    assert events(page) == []


def test_a_made_up_ticket_token_is_refused(app: Flask, hall: Hall) -> None:
    socketio = app.extensions["socketio"]
    for token in ("no-such-token", "", "x" * 100, 42):
        sock = socketio.test_client(app, namespace=wire.NAMESPACE, auth={"ticket": token})
        assert not sock.is_connected(wire.NAMESPACE)


def test_the_page_cannot_send_anything(app: Flask, hall: Hall) -> None:
    page = _page(app, _issue(app, hall))
    for event, data in [
        (wire.STATE_REQUEST, {}),
        (wire.DEVICE_STATUS, {"status": "ok"}),
        (wire.RATING_SUBMIT, {"ticket": "D001", "score": 5}),
    ]:
        reply = page.emit(event, data, namespace=wire.NAMESPACE, callback=True)
        assert reply["error"]["code"] == "bad_token", (event, reply)
    assert [name for name, _ in events(page)] == [wire.TICKET_STATUS]  # no snapshot was sent

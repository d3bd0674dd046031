"""POST /api/v1/tickets/{id}/move: a supervisor moves a waiting ticket to another service's
queue. It keeps its number and its queue time (its place in time in the new queue), both
queues' counts follow, the log has it, screens hear it, and the reports count its wait from
its issue."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from hallq.server import wire
from hallq.server.models import Event
from tests.api.conftest import Api, HallInfo, assert_error
from tests.api.test_admin_live import joined, received


def _move(api: Api, ticket_id: int, service: str, who: str = "supervisor", **body: Any) -> Any:
    return api.post(f"/tickets/{ticket_id}/move", who, json={"service": service, **body})


def _events(api: Api, kind: str) -> list[Event]:
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        return list(session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def test_a_moved_ticket_keeps_its_number_and_its_place_in_time(
    api: Api, hall: HallInfo, clock: Any
) -> None:
    early = api.issue("property-transfer")  # A001: took the wrong ticket
    clock.advance(60)
    api.issue("property-transfer")  # A002
    clock.advance(60)
    later = [api.issue("consultation") for _ in range(2)]  # D001, D002: after A001
    clock.advance(60)

    moved = api.ok(_move(api, early["id"], "consultation", note="wrong ticket"))

    assert (moved["number"], moved["service"], moved["status"]) == (
        "A001",
        "consultation",
        "waiting",
    )
    assert moved["leg"] == 1
    # Issued before D001 and D002: first in their queue.
    assert (moved["position"], moved["ahead"]) == (1, 0)
    ticket = api.ticket(early["id"])
    assert ticket["service"] == "consultation" and ticket["position"] == 1
    assert api.ticket(later[0]["id"])["position"] == 2
    assert api.service("property-transfer")["waiting"] == 1
    assert api.service("consultation")["waiting"] == 3
    (logged,) = _events(api, "ticket.moved")
    assert logged.ticket_id == early["id"] and logged.user_id == hall.users["supervisor"]
    assert logged.payload["from_service"] == "property-transfer"
    assert logged.payload["to_service"] == "consultation"
    assert logged.payload["note"] == "wrong ticket"

    # Window 7 serves consultation first: it calls A001, the earliest of its queue.
    api.open(7)
    called = api.call(7)
    assert (called["number"], called["service"]) == ("A001", "consultation")
    waited = _events(api, "ticket.called")[-1].payload["waited_seconds"]
    assert waited == 180.0  # from its issue: the move did not start the wait again


def test_only_a_waiting_ticket_moves(api: Api) -> None:
    api.open(1)
    ticket = api.issue("property-transfer")
    api.call(1)
    error = assert_error(_move(api, ticket["id"], "consultation"), 409, "illegal_move")
    assert error["details"]["state"] == "called"
    api.ok(api.act(1, "start"))
    api.ok(api.act(1, "finish"))
    assert_error(_move(api, ticket["id"], "consultation"), 409, "illegal_move")
    assert api.ticket(ticket["id"])["service"] == "property-transfer"
    assert api.service("consultation")["waiting"] == 0


def test_the_target_must_be_another_service_of_the_hall(api: Api) -> None:
    ticket = api.issue("consultation")
    assert_error(_move(api, ticket["id"], "no-such-service"), 404, "unknown_service")
    assert_error(_move(api, ticket["id"], "consultation"), 409, "same_service")
    assert_error(
        api.post("/tickets/999999/move", "supervisor", json={"service": "consultation"}),
        404,
        "unknown_ticket",
    )
    assert api.ticket(ticket["id"])["service"] == "consultation"
    assert api.service("consultation")["waiting"] == 1
    assert _events(api, "ticket.moved") == []


def test_a_clerk_may_not_move_a_ticket(api: Api) -> None:
    ticket = api.issue("consultation")
    assert_error(_move(api, ticket["id"], "property-transfer", "clerk1"), 403, "role_not_allowed")
    moved = _move(api, ticket["id"], "property-transfer", "admin")
    assert api.ok(moved)["service"] == "property-transfer"


def test_a_ticket_sent_to_a_window_joins_the_new_queue(api: Api) -> None:
    api.open(1)
    api.open(2)
    ticket = api.issue("property-transfer")
    api.call(1)
    api.ok(api.act(1, "transfer", json={"counter": 2}))
    api.ok(api.act(2, "pause", json={"reason": "break"}))  # it waits for window 2
    moved = api.ok(_move(api, ticket["id"], "certificate-pickup"))
    assert moved["service"] == "certificate-pickup" and moved["target_counter"] is None
    assert api.service("property-transfer")["waiting"] == 0
    assert api.service("certificate-pickup")["waiting"] == 1
    (logged,) = _events(api, "ticket.moved")
    assert logged.payload["from_counter"] == 2


def test_screens_and_the_customers_page_hear_of_the_move(
    app: Flask, api: Api, hall: HallInfo
) -> None:
    ticket = api.issue("property-transfer")
    later = {code: api.issue(code) for code in ("property-transfer", "consultation")}
    board = joined(app, hall.tokens["display-a"])

    def page_of(issued: dict) -> Any:
        client = app.extensions["socketio"].test_client(
            app, namespace=wire.NAMESPACE, auth={"ticket": issued["status_url"].rsplit("/", 1)[-1]}
        )
        client.get_received(wire.NAMESPACE)
        return client

    page = page_of(ticket)
    others = {code: page_of(issued) for code, issued in later.items()}
    api.ok(_move(api, ticket["id"], "consultation"))
    # Behind it in its old queue, and behind it now in the new one: both ask for their place.
    for code, other in others.items():
        assert wire.QUEUE_MOVED in [e for e, _ in received(other)], code
        other.disconnect(namespace=wire.NAMESPACE)
    heard = received(board)
    (update,) = [d for e, d in heard if e == wire.TICKET_UPDATED]
    assert update["move"] == "move" and update["ticket"]["service"] == "consultation"
    assert update["detail"]["from_service"] == "property-transfer"
    figures = {
        s["code"]: s["waiting"] for e, d in heard if e == wire.QUEUE_UPDATED for s in d["services"]
    }
    assert figures == {"property-transfer": 1, "consultation": 2}
    mine = [d for e, d in received(page) if e == wire.TICKET_STATUS]
    # The page reloads when its ticket's service changes (static/js/ticket.js).
    assert mine and mine[-1]["ticket"]["service"] == "consultation"
    board.disconnect(namespace=wire.NAMESPACE)
    page.disconnect(namespace=wire.NAMESPACE)


def test_the_reports_count_a_moved_tickets_wait_from_its_issue(api: Api, clock: Any) -> None:
    ticket = api.issue("property-transfer")
    day = ticket["issued_at"][:10]
    clock.advance(120)
    api.ok(_move(api, ticket["id"], "consultation"))
    clock.advance(180)
    api.open(7)
    api.call(7)
    report = api.ok(
        api.get(
            "/reports/tickets",
            "supervisor",
            query_string={"from": day, "to": day, "by": "service"},
        )
    )
    rows = {row["key"]: row for row in report["rows"]}
    # Issued for one service, called for the other; not a transfer (no window sent it on).
    assert rows["property-transfer"]["issued"] == 1
    assert rows["property-transfer"]["wait_max_s"] is None
    assert rows["consultation"]["issued"] == 0
    assert rows["consultation"]["wait_max_s"] == 300.0
    assert report["total"]["transferred"] == 0

"""Windows through the API: signing in and out, pausing, calling, and every move of the current
ticket (recall, start, finish, no-show, requeue, transfer), with the state they leave behind."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hallq.server.models import Event
from tests.api.conftest import BASE, Api, assert_error


def _events(api: Api, kind: str) -> list[Event]:
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        rows = session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)).all()
        session.expunge_all()
    return list(rows)


# --- listing, opening, closing -------------------------------------------------------------------


def test_counters_list_every_window(api: Api, hall) -> None:
    response = api.get("/counters", "display-b")
    assert response.status_code == 200
    counters = response.get_json()["counters"]
    assert [c["number"] for c in counters] == [c.number for c in hall.config.counters]
    for counter in counters:
        assert counter["state"] == "closed"
        assert counter["clerk"] is None
        assert counter["current_ticket"] is None
    assert counters[6]["label"] == "諮詢 Enquiries"
    assert counters[3]["zone"] == "B"


def test_open_and_close_a_window(api: Api) -> None:
    opened = api.post("/counters/3/open", "clerk3")
    assert opened.status_code == 200
    body = opened.get_json()
    assert (body["number"], body["state"], body["clerk"]) == (3, "open", "clerk3")
    assert dt.datetime.fromisoformat(body["since"]) == BASE
    assert api.counter(3)["state"] == "open"
    # Pressing again changes nothing.
    assert api.post("/counters/3/open", "clerk3").get_json()["state"] == "open"
    assert len(_events(api, "counter.opened")) == 1
    # One window per clerk; one clerk per window.
    assert_error(api.post("/counters/4/open", "clerk3"), 409, "holds_other_window")
    assert_error(api.post("/counters/3/open", "clerk4"), 409, "window_held")
    assert api.counter(4)["state"] == "closed"

    closed = api.post("/counters/3/close", "clerk3")
    assert closed.status_code == 200
    assert (closed.get_json()["state"], closed.get_json()["clerk"]) == ("closed", None)
    assert api.counter(3)["state"] == "closed"
    # Closing a closed window is harmless; now another clerk may take it.
    assert api.post("/counters/3/close", "clerk3").status_code == 200
    assert api.open(3, "clerk4")["clerk"] == "clerk4"


def test_a_window_with_a_ticket_cannot_close(api: Api) -> None:
    api.open(1)
    api.issue("property-transfer")
    api.call(1)
    assert_error(api.post("/counters/1/close", "clerk1"), 409, "ticket_at_window")
    assert api.counter(1)["state"] == "serving"


def test_closing_releases_tickets_sent_to_the_window(api: Api) -> None:
    api.open(1)
    api.open(7)
    ticket = api.issue("property-transfer")
    api.call(1)
    api.ok(api.act(1, "transfer", json={"counter": 7}))
    assert api.ticket(ticket["id"])["target_counter"] == 7
    api.ok(api.post("/counters/7/close", "clerk7"))
    after = api.ticket(ticket["id"])
    assert after["target_counter"] is None
    assert after["status"] == "waiting"
    assert api.call(1)["id"] == ticket["id"]  # back in its service's queue


def test_pause_and_resume(api: Api) -> None:
    api.open(2)
    paused = api.act(2, "pause", json={"reason": "午膳"})
    assert paused.status_code == 200
    assert (paused.get_json()["state"], paused.get_json()["pause_reason"]) == ("paused", "午膳")
    assert api.counter(2)["state"] == "paused"
    api.issue("property-transfer")
    assert_error(api.act(2, "call-next"), 409, "window_paused")
    assert_error(api.act(2, "pause", json={"reason": "again"}), 409, "already_paused")
    resumed = api.act(2, "resume")
    assert resumed.status_code == 200
    assert (resumed.get_json()["state"], resumed.get_json()["pause_reason"]) == ("open", None)
    assert_error(api.act(2, "resume"), 409, "not_paused")
    assert api.call(2)["number"] == "A001"
    # The window's own keypad may pause it too.
    assert api.act(2, "pause", "counter-2", json={"reason": "break"}).status_code == 200
    assert api.counter(2)["state"] == "paused"
    assert [e.payload["reason"] for e in _events(api, "counter.paused")] == ["午膳", "break"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({}, "invalid_request"),  # no body at all
        ({"json": {}}, "invalid_request"),
        ({"json": {"reason": ""}}, "invalid_request"),
        ({"json": {"reason": "   "}}, "reason_required"),
        ({"json": {"reason": None}}, "invalid_request"),
        ({"json": {"reason": 12}}, "invalid_request"),
        ({"json": {"reason": "x" * 201}}, "invalid_request"),
        ({"json": {"reason": "lunch", "until": "13:00"}}, "invalid_request"),
        ({"json": ["lunch"]}, "invalid_request"),
    ],
)
def test_pause_needs_a_reason(api: Api, kwargs: dict, code: str) -> None:
    api.open(2)
    assert_error(api.act(2, "pause", **kwargs), 422, code)
    assert api.counter(2)["state"] == "open"


# --- call-next -----------------------------------------------------------------------------------


def test_call_next_returns_the_ticket_with_its_explanation(api: Api) -> None:
    api.open(1)
    assert api.act(1, "call-next").status_code == 204  # no one waits
    ticket = api.issue("property-transfer")
    response = api.act(1, "call-next")
    assert response.status_code == 200
    called = response.get_json()
    assert called["id"] == ticket["id"]
    assert called["number"] == "A001"
    assert called["status"] == "called"
    assert called["counter"] == 1
    assert called["call_count"] == 1
    assert dt.datetime.fromisoformat(called["called_at"]) == BASE
    explanation = called["explanation"]
    assert explanation["decided_by"] == "only_candidate"
    assert explanation["priority"] == "normal"
    assert explanation["tier"] == 1
    assert explanation["candidates"] == 1
    assert api.counter(1)["current_ticket"] == "A001"
    assert api.counter(1)["state"] == "serving"
    assert api.service("property-transfer")["waiting"] == 0
    # A second call before the ticket is done is refused.
    assert_error(api.act(1, "call-next"), 409, "ticket_at_window")
    # The call is in the state snapshot's recent calls.
    state = api.ok(api.get("/state", "display-a"))
    assert state["recent_calls"][0]["number"] == "A001"
    assert state["recent_calls"][0]["counter"] == 1


def test_call_next_204_has_no_body(api: Api) -> None:
    api.open(4)
    api.issue("consultation")  # not in window 4's profile
    response = api.act(4, "call-next")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert api.service("consultation")["waiting"] == 1


def test_call_order_through_the_api(api: Api, clock) -> None:
    """Window 9: tier 1 consultation + certificate pick-up; tier 2 property, vehicle, equity (0.5).
    The design's order: transferred here, priority class, tier, wait relative to target, issue
    time."""
    for n in (4, 9):
        api.open(n)
    # Window 4 takes a walk-in now and sends it to window 9 by name at the very end: it then
    # has the shortest wait of all and is a normal ticket, yet it is called first.
    sent = api.issue("vehicle-transfer", "kiosk-2")
    api.call(4)
    old_property = api.issue("property-transfer")  # tier 2 at window 9, waits longest
    clock.advance(60)
    consultation = api.issue("consultation")  # tier 1, target 15 min
    clock.advance(60)
    pickup = api.issue("certificate-pickup")  # tier 1, target 10 min: issued later
    clock.advance(60)
    booked = api.issue(
        "vehicle-transfer", "clerk4", priority="appointment", appointment="BK-1"
    )  # tier 2
    clock.advance(60)
    green = api.issue("equity-transfer", "clerk4", priority="priority")  # tier 2, weight 0.5
    clock.advance(60)
    api.ok(api.act(4, "transfer", json={"counter": 9}))
    clock.advance(60)

    order = []
    for _ in range(5):
        called = api.call(9)
        order.append((called["number"], called["explanation"]["decided_by"]))
        api.ok(api.act(9, "no-show"))
    assert order == [
        (sent["number"], "transferred_here"),
        (green["number"], "priority"),  # green channel before appointments
        (booked["number"], "priority"),  # appointments before walk-ins, whatever their tier
        # At minute 6: pick-up waited 4 of its 10 minutes (0.4), consultation 5 of 15 (0.33).
        (pickup["number"], "wait_ratio"),
        (consultation["number"], "tier"),  # tier 1 before the long-waiting tier-2 ticket
    ]
    last = api.call(9)
    assert last["number"] == old_property["number"]
    assert last["explanation"]["decided_by"] == "only_candidate"
    api.ok(api.act(9, "no-show"))
    assert api.act(9, "call-next").status_code == 204


def test_wait_relative_to_target_then_issue_time(api: Api, clock) -> None:
    """Window 9's second tier: property (target 30) and vehicle (target 20), weight 1 each."""
    api.open(9)
    first = api.issue("property-transfer")
    clock.advance(60)
    later = api.issue("vehicle-transfer")
    clock.advance(180)
    # property waited 4/30 = 0.133, vehicle 3/20 = 0.15: the later ticket is further past its
    # target and goes first.
    called = api.call(9)
    assert called["id"] == later["id"]
    assert called["explanation"]["decided_by"] == "wait_ratio"
    assert called["explanation"]["runner_up"]["number"] == first["number"]
    api.ok(api.act(9, "no-show"))
    assert api.call(9)["id"] == first["id"]
    api.ok(api.act(9, "no-show"))

    # Equal ratios (3 min of 30 and 2 min of 20): the earlier issue goes first.
    early = api.issue("property-transfer")
    clock.advance(60)
    late = api.issue("vehicle-transfer")
    clock.advance(120)
    called = api.call(9)
    assert called["id"] == early["id"]
    assert called["explanation"]["decided_by"] == "issued_at"
    api.ok(api.act(9, "no-show"))
    assert api.call(9)["id"] == late["id"]


def test_priority_beats_tier_and_wait(api: Api, clock) -> None:
    api.open(7)  # tier 1 consultation, tier 2 certificate pick-up
    normal = api.issue("consultation")
    clock.advance(3600)  # an hour past its target
    green = api.issue("certificate-pickup", "supervisor", priority="priority")
    called = api.call(7)
    assert called["id"] == green["id"]
    assert called["explanation"]["decided_by"] == "priority"
    api.ok(api.act(7, "no-show"))
    assert api.call(7)["id"] == normal["id"]


def test_two_windows_never_get_the_same_ticket(api: Api) -> None:
    for n in (1, 2, 3):
        api.open(n)
    tickets = [api.issue("property-transfer")["id"] for _ in range(3)]
    called = [api.call(n)["id"] for n in (1, 2, 3)]
    assert called == tickets
    assert api.act(1, "call-next").status_code == 409  # its ticket is still there
    assert all(api.ticket(t)["status"] == "called" for t in tickets)


# --- moves of the current ticket -----------------------------------------------------------------


def test_start_and_finish(api: Api, clock) -> None:
    api.open(5)
    ticket = api.issue("vehicle-transfer")
    api.call(5)
    clock.advance(30)
    started = api.act(5, "start")
    assert started.status_code == 200
    body = started.get_json()
    assert (body["id"], body["status"], body["became"]) == (ticket["id"], "serving", None)
    assert dt.datetime.fromisoformat(body["started_at"]) == BASE + dt.timedelta(seconds=30)
    assert api.counter(5)["state"] == "serving"
    assert_error(api.act(5, "start"), 409, "illegal_move")
    assert_error(api.act(5, "recall"), 409, "illegal_move")
    assert_error(api.act(5, "requeue"), 409, "illegal_move")
    clock.advance(240)
    finished = api.act(5, "finish")
    assert finished.status_code == 200
    assert finished.get_json()["status"] == "done"
    assert api.ticket(ticket["id"])["status"] == "done"
    assert api.counter(5)["current_ticket"] is None
    assert api.counter(5)["state"] == "open"
    assert [e.payload["service_seconds"] for e in _events(api, "ticket.finished")] == [240.0]
    # Nothing at the window now.
    for move in ("start", "finish", "recall", "no-show", "requeue"):
        assert_error(api.act(5, move), 409, "no_current_ticket")
    assert_error(api.act(5, "transfer", json={"service": "consultation"}), 409, "no_current_ticket")


def test_finish_needs_start(api: Api) -> None:
    api.open(5)
    api.issue("vehicle-transfer")
    api.call(5)
    error = assert_error(api.act(5, "finish"), 409, "illegal_move")
    assert "B001" in error["message"]
    en = api.act(5, "finish", headers={"Accept-Language": "en"})
    assert assert_error(en, 409, "illegal_move", lang="en")["message"] == (
        "Ticket B001 is called: only a ticket being served can be finished."
    )


def test_recall_until_the_hall_gives_up(api: Api, hall) -> None:
    limit = hall.context.rules.no_show_after_recalls
    assert limit >= 1
    api.open(8)
    ticket = api.issue("certificate-pickup")
    api.call(8)
    for count in range(2, limit + 2):
        recalled = api.act(8, "recall")
        assert recalled.status_code == 200
        body = recalled.get_json()
        assert (body["status"], body["call_count"], body["became"]) == ("called", count, None)
    state = api.ok(api.get("/state", "display-c"))
    assert state["recent_calls"][0]["recall"] is True
    assert state["recent_calls"][0]["call_count"] == limit + 1
    # One recall more than the hall allows: the customer is not here.
    last = api.act(8, "recall")
    assert last.status_code == 200
    body = last.get_json()
    assert (body["status"], body["became"]) == ("no_show", "no_show")
    assert api.ticket(ticket["id"])["status"] == "no_show"
    assert api.counter(8)["current_ticket"] is None
    assert [e.payload["automatic"] for e in _events(api, "ticket.no_show")] == [True]


def test_no_show(api: Api) -> None:
    api.open(8)
    called = api.issue("certificate-pickup")
    api.call(8)
    response = api.act(8, "no-show")
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["became"]) == ("no_show", None)
    assert api.ticket(called["id"])["status"] == "no_show"
    # A served ticket can be a no-show too (the customer walked off mid-service).
    served = api.issue("certificate-pickup")
    api.call(8)
    api.ok(api.act(8, "start"))
    assert api.ok(api.act(8, "no-show"))["status"] == "no_show"
    assert api.ticket(served["id"])["status"] == "no_show"
    assert [e.payload["automatic"] for e in _events(api, "ticket.no_show")] == [False, False]


def test_requeue_keeps_the_place(api: Api, clock) -> None:
    api.open(1)
    first = api.issue("property-transfer")
    clock.advance(60)
    second = api.issue("property-transfer")
    api.call(1)
    clock.advance(60)
    response = api.act(1, "requeue")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["counter"], body["call_count"]) == ("waiting", None, 0)
    assert body["queued_at"] == first["issued_at"]  # its place, not the end of the queue
    assert api.ticket(first["id"])["position"] == 1
    assert api.ticket(second["id"])["position"] == 2
    assert api.service("property-transfer")["waiting"] == 2
    assert api.counter(1)["current_ticket"] is None
    # Called again next, before the ticket issued after it.
    assert api.call(1)["id"] == first["id"]
    api.ok(api.act(1, "start"))
    assert_error(api.act(1, "requeue"), 409, "illegal_move")


def test_transfer_to_a_service(api: Api, clock) -> None:
    api.open(1)
    api.open(7)
    ticket = api.issue("property-transfer")
    waiting = [api.issue("consultation") for _ in range(2)]
    api.call(1)
    api.ok(api.act(1, "start"))
    clock.advance(120)
    response = api.act(1, "transfer", json={"service": "consultation", "note": "問稅務"})
    assert response.status_code == 200
    moved = response.get_json()
    assert moved["id"] == ticket["id"]
    assert moved["number"] == "A001"  # same number
    assert moved["service"] == "consultation"
    assert moved["leg"] == 2
    assert moved["status"] == "waiting"
    assert moved["counter"] is None and moved["target_counter"] is None
    assert api.counter(1)["current_ticket"] is None
    # At the end of the consultation queue.
    assert api.ticket(ticket["id"])["position"] == 3
    assert api.service("consultation")["waiting"] == 3
    assert api.service("property-transfer")["waiting"] == 0
    # Window 7 calls the two who were waiting first, then the transferred ticket.
    for earlier in waiting:
        assert api.call(7)["id"] == earlier["id"]
        api.ok(api.act(7, "no-show"))
    last = api.call(7)
    assert (last["id"], last["number"], last["leg"]) == (ticket["id"], "A001", 2)
    transferred = _events(api, "ticket.transferred")
    assert [(e.payload["to_service"], e.payload["note"]) for e in transferred] == [
        ("consultation", "問稅務")
    ]


def test_transfer_to_a_window_is_called_there_first(api: Api, clock) -> None:
    api.open(1)
    api.open(7)
    ticket = api.issue("property-transfer")
    api.call(1)
    # Window 7 has a booked customer waiting, who would come before any walk-in.
    ahead = api.issue("consultation", "supervisor", priority="appointment", appointment="BK-2")
    clock.advance(60)
    response = api.act(1, "transfer", json={"counter": 7})
    assert response.status_code == 200
    moved = response.get_json()
    assert (moved["number"], moved["leg"], moved["status"], moved["target_counter"]) == (
        "A001",
        2,
        "waiting",
        7,
    )
    assert moved["service"] == "property-transfer"  # its service is unchanged
    status = api.ticket(ticket["id"])
    assert (status["position"], status["eta_minutes"]) == (1, 0)
    # Window 1 (same service) does not take it: it is for window 7.
    assert api.call(1)["id"] == ahead["id"]
    api.ok(api.act(1, "requeue"))
    called = api.call(7)
    assert called["id"] == ticket["id"]
    assert called["explanation"]["transferred_here"] is True
    assert called["explanation"]["decided_by"] == "transferred_here"
    api.ok(api.act(7, "no-show"))
    assert api.call(7)["id"] == ahead["id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "transfer_target"),
        ({"service": "consultation", "counter": 7}, 422, "transfer_target"),
        ({"counter": 1}, 422, "transfer_to_self"),
        ({"counter": 777}, 404, "unknown_counter"),
        ({"service": "no-such-service"}, 404, "unknown_service"),
        ({"counter": 0}, 422, "invalid_request"),
        ({"counter": "seven"}, 422, "invalid_request"),
        ({"service": "Consultation"}, 422, "invalid_request"),
        ({"service": "consultation", "window": 7}, 422, "invalid_request"),
        ({"service": "consultation", "note": "x" * 501}, 422, "invalid_request"),
    ],
)
def test_transfer_refusals(api: Api, body: dict, status: int, code: str) -> None:
    api.open(1)
    ticket = api.issue("property-transfer")
    api.call(1)
    assert_error(api.act(1, "transfer", json=body), status, code)
    after = api.ticket(ticket["id"])
    assert (after["status"], after["leg"], after["counter"]) == ("called", 1, 1)
    assert api.counter(1)["current_ticket"] == "A001"

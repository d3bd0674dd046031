"""Tickets through the API: issuing (with Idempotency-Key), reading one, cancelling one, and the
refusals of issuing: closed services, daily caps, bad requests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from hallq.server.hall_file import load_hall_config, sample_hall_path
from hallq.server.models import DayCounter, Event, Ticket
from tests.api.conftest import BASE, ISSUED_FIELDS, Api, assert_error, build_app
from tests.support.hall import FakeClock


def _status_token(ticket: dict) -> str:
    path = urlsplit(ticket["status_url"]).path
    assert path.startswith("/t/")
    return path.removeprefix("/t/")


def _db(api: Api):
    return api.client.application.extensions["hallq"].db


# --- issuing -----------------------------------------------------------------------------------


def test_issue_returns_the_new_ticket(api: Api, hall) -> None:
    response = api.post("/tickets", "kiosk-1", json={"service": "property-transfer"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    ticket = response.get_json()
    assert set(ticket) >= ISSUED_FIELDS
    assert isinstance(ticket["id"], int)
    assert ticket["number"] == "A001"
    assert ticket["service"] == "property-transfer"
    assert ticket["status"] == "waiting"
    assert ticket["priority"] == "normal"
    assert ticket["language"] == hall.context.default_language == "zh-Hant"
    assert ticket["leg"] == 1
    assert ticket["position"] == 1
    # No window is open yet: the hall file's typical 12 minutes over the 4 windows serving it.
    assert ticket["eta_minutes"] == 3
    assert dt.datetime.fromisoformat(ticket["issued_at"]) == BASE
    # No public URL is configured here: a path, never an address taken from the Host header.
    assert ticket["status_url"].startswith("/t/")
    assert len(_status_token(ticket)) >= 16

    second = api.issue("property-transfer", "kiosk-2", language="en")
    assert second["number"] == "A002"
    assert second["position"] == 2
    assert second["language"] == "en"
    assert second["id"] != ticket["id"]
    assert _status_token(second) != _status_token(ticket)
    # Another service has its own numbering.
    assert api.issue("consultation")["number"] == "D001"

    # The state follows: two waiting for property transfer, the log has every issue.
    assert api.service("property-transfer")["waiting"] == 2
    assert api.service("property-transfer")["issued_today"] == 2
    assert api.ticket(ticket["id"])["status"] == "waiting"
    with _db(api).reading() as session:
        issued = session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "ticket.issued")
        )
    assert issued == 3


def test_staff_issue_and_green_channel(api: Api) -> None:
    walk_in = api.issue("vehicle-transfer", "kiosk-1")
    # A clerk at the desk may grant the green channel; it goes before the walk-in.
    green = api.issue("vehicle-transfer", "clerk4", priority="priority")
    assert green["priority"] == "priority"
    assert green["position"] == 1
    assert api.ticket(walk_in["id"])["position"] == 2
    booked = api.issue(
        "vehicle-transfer", "supervisor", priority="appointment", appointment="BK-77"
    )
    assert booked["priority"] == "appointment"
    assert booked["position"] == 2  # after the green channel, before walk-ins
    assert api.ticket(walk_in["id"])["position"] == 3
    assert api.ticket(walk_in["id"])["ahead"] == 2
    # A kiosk claims neither the green channel nor an appointment on its own word: a
    # made-up booking reference gets no appointment ticket (check-in checks bookings).
    refused = api.post(
        "/tickets", "kiosk-1", json={"service": "vehicle-transfer", "priority": "priority"}
    )
    assert_error(refused, 403, "green_channel_by_staff")
    made_up = api.post(
        "/tickets",
        "kiosk-2",
        json={"service": "vehicle-transfer", "priority": "appointment", "appointment": "BK-78"},
    )
    assert_error(made_up, 403, "appointment_by_staff")
    assert api.service("vehicle-transfer")["waiting"] == 3


def test_estimated_wait_follows_open_windows(api: Api, hall) -> None:
    # No service measured today: the hall file's typical time.
    minutes = hall.config.service("property-transfer").typical_minutes
    api.open(1)  # window 1 serves property transfer (tier 1) and consultation
    first = api.issue("property-transfer")
    second = api.issue("property-transfer")
    assert first["eta_minutes"] == math.ceil(1 * minutes / 1)
    assert second["eta_minutes"] == math.ceil(2 * minutes / 1)
    api.open(2)
    third = api.issue("property-transfer")
    assert third["position"] == 3
    assert third["eta_minutes"] == math.ceil(3 * minutes / 2)
    assert api.ticket(second["id"])["eta_minutes"] == math.ceil(2 * minutes / 2)
    # No window open for equity transfers: as if the 4 that serve it (4, 5, 6, 9) were.
    equity = hall.config.service("equity-transfer").typical_minutes
    assert api.issue("equity-transfer")["eta_minutes"] == math.ceil(1 * equity / 4)


def test_idempotency_key_replays_the_first_ticket(api: Api) -> None:
    body = {"service": "consultation", "language": "en"}
    key = {"Idempotency-Key": "press-0001"}
    first = api.post("/tickets", "kiosk-1", json=body, headers=key)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = api.post("/tickets", "kiosk-1", json=body, headers=key)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    replay = again.get_json()
    original = first.get_json()
    for name in ("id", "number", "service", "status", "issued_at", "status_url", "position"):
        assert replay[name] == original[name], name
    assert api.service("consultation")["waiting"] == 1  # one ticket, not two

    # The same key with another request is a client bug: refused, nothing issued.
    other = api.post("/tickets", "kiosk-1", json={"service": "certificate-pickup"}, headers=key)
    assert_error(other, 409, "idempotency_key_reused")
    assert api.service("certificate-pickup")["waiting"] == 0

    # Keys belong to their caller: another kiosk's "press-0001" is its own press.
    theirs = api.post("/tickets", "kiosk-2", json=body, headers=key)
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != original["id"]
    assert theirs.get_json()["number"] == "D002"

    # Without a key, every press is a ticket.
    assert api.issue("consultation", language="en")["number"] == "D003"
    assert api.service("consultation")["waiting"] == 3


def test_idempotent_replay_after_the_ticket_moved_on(api: Api) -> None:
    key = {"Idempotency-Key": "retry-after-call"}
    first = api.ok(
        api.post("/tickets", "kiosk-1", json={"service": "consultation"}, headers=key), 201
    )
    api.open(7)
    assert api.call(7)["id"] == first["id"]
    late = api.post("/tickets", "kiosk-1", json={"service": "consultation"}, headers=key)
    assert late.status_code == 201
    assert late.headers["Idempotent-Replayed"] == "true"
    assert late.get_json()["id"] == first["id"]
    assert late.get_json()["status"] == "called"
    assert api.service("consultation")["issued_today"] == 1


@pytest.mark.parametrize("key", ["", "   ", "k" * 129])
def test_bad_idempotency_keys(api: Api, key: str) -> None:
    response = api.post(
        "/tickets", "kiosk-1", json={"service": "consultation"}, headers={"Idempotency-Key": key}
    )
    assert_error(response, 422, "bad_idempotency_key")
    assert api.service("consultation")["waiting"] == 0


# --- reading a ticket ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["admin", "supervisor", "clerk5", "kiosk-2", "display-c", "counter-8"]
)
def test_staff_and_devices_read_a_ticket(api: Api, who: str) -> None:
    api.issue("certificate-pickup")
    ticket = api.issue("certificate-pickup")
    response = api.get(f"/tickets/{ticket['id']}", who)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == ticket["id"]
    assert body["number"] == "E002"
    assert body["status"] == "waiting"
    assert body["position"] == 2
    assert body["ahead"] == 1
    assert "eta_minutes" in body
    assert "status_token" not in body and "status_url" not in body


def test_anyone_with_the_status_token_reads_the_ticket(api: Api) -> None:
    mine = api.issue("consultation")
    theirs = api.issue("consultation")
    token = _status_token(mine)
    response = api.get(f"/tickets/{mine['id']}?token={token}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == mine["number"]
    assert body["position"] == 1

    # Without a token, with a wrong one, or with another ticket's: 404, whether or not it exists.
    assert_error(api.get(f"/tickets/{mine['id']}"), 404, "unknown_ticket")
    assert_error(api.get(f"/tickets/{mine['id']}?token=not-the-token"), 404, "unknown_ticket")
    assert_error(api.get(f"/tickets/{theirs['id']}?token={token}"), 404, "unknown_ticket")
    assert_error(api.get(f"/tickets/999999?token={token}"), 404, "unknown_ticket")
    assert_error(api.get(f"/tickets/{mine['id']}?token={'x' * 65}"), 422, "invalid_request")

    # It follows the ticket: called at window 7.
    api.open(7)
    api.call(7)
    called = api.get(f"/tickets/{mine['id']}?token={token}").get_json()
    assert called["status"] == "called"
    assert called["counter"] == 7
    assert called["position"] is None


def test_unknown_ticket(api: Api) -> None:
    error = assert_error(api.get("/tickets/999999", "supervisor"), 404, "unknown_ticket")
    assert "999999" in error["message"]
    en = api.get("/tickets/999999", "supervisor", headers={"Accept-Language": "en"})
    assert assert_error(en, 404, "unknown_ticket", lang="en")["message"] == (
        "There is no ticket 999999 in this hall."
    )


# --- cancelling ----------------------------------------------------------------------------------


def test_cancel_a_waiting_ticket(api: Api) -> None:
    first = api.issue("equity-transfer")
    second = api.issue("equity-transfer")
    response = api.post(f"/tickets/{first['id']}/cancel", "supervisor", json={"reason": "left"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["ended_at"] is not None
    assert api.ticket(first["id"])["status"] == "cancelled"
    assert api.ticket(second["id"])["position"] == 1
    assert api.service("equity-transfer")["waiting"] == 1
    # Only once, and only a waiting ticket.
    assert_error(
        api.post(f"/tickets/{first['id']}/cancel", "supervisor", json={}), 409, "illegal_move"
    )
    api.open(6)
    assert api.call(6)["id"] == second["id"]
    assert_error(
        api.post(f"/tickets/{second['id']}/cancel", "clerk6", json={}), 409, "illegal_move"
    )
    assert api.ticket(second["id"])["status"] == "called"
    assert_error(api.post("/tickets/999999/cancel", "clerk6", json={}), 404, "unknown_ticket")
    too_long = api.post(f"/tickets/{second['id']}/cancel", "clerk6", json={"reason": "x" * 201})
    assert_error(too_long, 422, "invalid_request")


# --- refusals of issuing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({}, "invalid_request", 422),  # missing service
        ({"service": 5}, "invalid_request", 422),
        ({"service": None}, "invalid_request", 422),
        ({"service": ["consultation"]}, "invalid_request", 422),
        ({"service": "Consultation!"}, "invalid_request", 422),  # not a service code
        ({"service": "x" * 33}, "invalid_request", 422),
        ({"service": "consultation", "colour": "red"}, "invalid_request", 422),  # unknown field
        ({"service": "consultation", "priority": "vip"}, "invalid_request", 422),
        ({"service": "consultation", "priority": 1}, "invalid_request", 422),
        ({"service": "consultation", "language": "fr"}, "invalid_request", 422),
        ({"service": "consultation", "language": "zh"}, "invalid_request", 422),
        ({"service": "consultation", "appointment": ""}, "invalid_request", 422),
        ({"service": "consultation", "appointment": "B" * 65}, "invalid_request", 422),
        ({"service": "consultation", "priority": "appointment"}, "appointment_required", 422),
        ({"service": "no-such-service"}, "unknown_service", 404),
    ],
)
def test_issue_refuses_bad_requests(api: Api, body: dict, code: str, status: int) -> None:
    assert_error(api.post("/tickets", "kiosk-1", json=body), status, code)
    assert all(s["waiting"] == 0 for s in api.ok(api.get("/services", "kiosk-1"))["services"])


def test_issue_validation_names_the_fields(api: Api) -> None:
    response = api.post("/tickets", "kiosk-1", json={"service": 5, "extra": True})
    error = assert_error(response, 422, "invalid_request")
    fields = {p["field"] for p in error["problems"]}
    assert fields == {"service", "extra"}
    en = api.post("/tickets", "kiosk-1", json={"service": 5}, headers={"Accept-Language": "en"})
    assert assert_error(en, 422, "invalid_request", lang="en")["message"].startswith(
        "The request is not valid"
    )


def _sunday(hour_hk: int) -> dt.datetime:
    # Sunday 9 March 2025 in Hong Kong (UTC+8).
    return dt.datetime(2025, 3, 9, hour_hk - 8, 0, tzinfo=dt.UTC)


def test_closed_service_says_when_it_opens(make_hall) -> None:
    info = make_hall(demo=False)  # the sample's real hours
    clock = FakeClock(_sunday(12))
    app = build_app(info, clock)
    api = Api(app.test_client(), info)

    response = api.post("/tickets", "kiosk-1", json={"service": "property-transfer"})
    error = assert_error(response, 409, "service_closed")
    assert error["details"]["opens_at"] == "2025-03-10T09:00:00+08:00"
    assert error["details"]["service_code"] == "property-transfer"
    assert "物業過戶" in error["message"]
    assert "2025-03-10 09:00" in error["message"]
    en = api.post(
        "/tickets",
        "kiosk-1",
        json={"service": "property-transfer"},
        headers={"Accept-Language": "en"},
    )
    assert assert_error(en, 409, "service_closed", lang="en")["message"] == (
        "Property transfer is closed now. It opens 2025-03-10 09:00."
    )
    listed = api.service("property-transfer")
    assert listed["open"] is False
    assert listed["closed_reason"] == "hours"
    assert listed["opens_at"] == "2025-03-10T09:00:00+08:00"
    assert listed["waiting"] == 0 and listed["issued_today"] == 0

    # Lunch on a Wednesday: it opens again at 13:30 the same day.
    clock.set(dt.datetime(2025, 3, 12, 4, 45, tzinfo=dt.UTC))  # 12:45 in Hong Kong
    lunch = api.post("/tickets", "kiosk-1", json={"service": "vehicle-transfer"})
    assert assert_error(lunch, 409, "service_closed")["details"]["opens_at"] == (
        "2025-03-12T13:30:00+08:00"
    )
    # And at 13:30 it issues, numbered from 1.
    clock.set(dt.datetime(2025, 3, 12, 5, 30, tzinfo=dt.UTC))
    assert api.issue("vehicle-transfer")["number"] == "B001"
    app.extensions["hallq"].db.dispose()


def test_daily_cap_then_numbering_restarts_the_next_day(make_hall) -> None:
    sample = load_hall_config(sample_hall_path()).as_demo()
    capped = dataclasses.replace(
        sample,
        services=tuple(
            dataclasses.replace(s, daily_cap=2) if s.code == "property-transfer" else s
            for s in sample.services
        ),
    )
    info = make_hall(demo=False, config=capped)
    clock = FakeClock(BASE)
    app = build_app(info, clock)
    api = Api(app.test_client(), info)
    database = app.extensions["hallq"].db

    assert [api.issue("property-transfer")["number"] for _ in range(2)] == ["A001", "A002"]
    refused = api.post("/tickets", "kiosk-2", json={"service": "property-transfer"})
    error = assert_error(refused, 409, "daily_cap_reached")
    assert error["details"]["cap"] == 2
    assert error["details"]["service_code"] == "property-transfer"
    assert_error(
        api.post("/tickets", "kiosk-1", json={"service": "property-transfer"}),
        409,
        "daily_cap_reached",
    )
    listed = api.service("property-transfer")
    assert (listed["open"], listed["closed_reason"], listed["issued_today"]) == (False, "cap", 2)
    assert listed["waiting"] == 2
    # Other services go on.
    assert api.issue("consultation")["number"] == "D001"
    with database.reading() as session:
        # The refused presses took no number and left no ticket.
        last = session.scalar(select(DayCounter.last).where(DayCounter.prefix == "A"))
        numbers = session.scalars(select(Ticket.number).order_by(Ticket.id)).all()
    assert last == 2
    assert numbers == ["A001", "A002", "D001"]

    # The next business day (after local midnight) numbering starts again at 001, none skipped.
    clock.set(dt.datetime(2025, 3, 5, 16, 0, tzinfo=dt.UTC))  # 00:00 on the 6th in Hong Kong
    first = api.issue("property-transfer")
    assert (first["number"], first["business_day"]) == ("A001", "2025-03-06")
    assert api.issue("property-transfer")["number"] == "A002"
    assert_error(
        api.post("/tickets", "kiosk-1", json={"service": "property-transfer"}),
        409,
        "daily_cap_reached",
    )
    assert api.service("property-transfer")["issued_today"] == 2
    app.extensions["hallq"].db.dispose()

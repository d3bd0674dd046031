"""Appointments and the green channel: staff book, the customer checks in with the code at the
kiosk (inside the window around the booked time, once), staff grant the green channel with a
reason that is logged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from hallq.server.models import DeviceCommand, Event
from tests.api.conftest import BASE, Api, assert_error

SERVICE = "vehicle-transfer"


def _book(api: Api, at: dt.datetime, **extra: Any) -> dict[str, Any]:
    body = {"service": SERVICE, "at": at.isoformat(), "name": "陳大文", **extra}
    return api.ok(api.post("/appointments", "clerk2", json=body), 201)  # type: ignore[no-any-return]


def _check_in(api: Api, code: str, who: str = "kiosk-1", headers: Any = None, **extra: Any) -> Any:
    return api.post("/appointments/check-in", who, json={"code": code, **extra}, headers=headers)


def test_staff_book_and_the_phone_is_never_shown_whole(api: Api) -> None:
    booked = _book(api, BASE + dt.timedelta(hours=1), phone="+852 9123 4567", reference="R-1")
    assert booked["code"].isdigit() and len(booked["code"]) == 6
    assert booked["status"] == "booked" and booked["service"] == SERVICE
    assert booked["phone"] == "+852 9***4567" and booked["name"] == "陳**"
    listed = api.ok(api.get("/appointments", "supervisor"))["appointments"]
    assert [b["code"] for b in listed] == [booked["code"]]
    assert "9123" not in str(listed)
    by_kiosk = {"service": SERVICE, "at": BASE.isoformat(), "name": "x"}
    assert_error(api.post("/appointments", "kiosk-1", json=by_kiosk), 403, "role_not_allowed")
    nobody = api.post("/appointments", "clerk2", json={"service": SERVICE, "at": BASE.isoformat()})
    assert_error(nobody, 422, "who_required")
    naive = api.post(
        "/appointments", "clerk2", json={"service": SERVICE, "at": "2025-03-05T11:00", "name": "x"}
    )
    assert_error(naive, 422, "invalid_request")


def test_check_in_inside_the_window_gives_an_appointment_ticket_once(api: Api, hall) -> None:
    api.issue(SERVICE)  # a walk-in already waiting
    booked = _book(api, BASE + dt.timedelta(minutes=20))  # window: 30 before, 15 after
    reply = _check_in(api, f" {booked['code']} ", language="en")
    assert reply.status_code == 201, reply.get_data(as_text=True)
    ticket = reply.get_json()
    assert ticket["priority"] == "appointment" and ticket["service"] == SERVICE
    assert ticket["language"] == "en"
    assert ticket["position"] == 1  # before the walk-in
    assert ticket["appointment"]["status"] == "checked_in"
    assert ticket["appointment"]["ticket_id"] == ticket["id"]
    # Printed at that kiosk like any press.
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        job = session.execute(
            select(DeviceCommand.kind, DeviceCommand.device_id).where(
                DeviceCommand.ticket_id == ticket["id"]
            )
        ).one()
    assert job == ("print.job", hall.devices["kiosk-1"])
    again = _check_in(api, booked["code"])
    error = assert_error(again, 409, "already_checked_in")
    assert ticket["number"] in error["message"]


def test_check_in_outside_the_window_is_refused_with_the_times(api: Api, clock) -> None:
    early = _book(api, BASE + dt.timedelta(hours=2))
    error = assert_error(_check_in(api, early["code"]), 409, "check_in_too_early")
    assert "11:30" in error["message"]  # 12:00 local, 30 minutes before
    assert error["details"]["opens_at"].startswith("2025-03-05T03:30")
    late = _book(api, BASE - dt.timedelta(minutes=16))
    error = assert_error(
        _check_in(api, late["code"], headers={"Accept-Language": "en"}),
        409,
        "check_in_too_late",
        lang="en",
    )
    assert "09:59" in error["message"] and "reception" in error["message"]
    # Nothing was issued.
    assert api.service(SERVICE)["waiting"] == 0
    clock.advance(90 * 60)  # 11:30 local: the first one's window opens
    assert _check_in(api, early["code"]).status_code == 201


def test_unknown_and_cancelled_bookings(api: Api) -> None:
    assert_error(_check_in(api, "000000"), 404, "unknown_booking")
    booked = _book(api, BASE)
    cancelled = api.ok(api.post(f"/appointments/{booked['code']}/cancel", "supervisor"))
    assert cancelled["status"] == "cancelled"
    assert_error(_check_in(api, booked["code"]), 409, "booking_cancelled")
    assert_error(api.post(f"/appointments/{booked['code']}/cancel", "supervisor"), 409)
    assert_error(_check_in(api, "12a"), 422, "invalid_request")


def test_a_display_cannot_check_in(api: Api) -> None:
    booked = _book(api, BASE)
    assert_error(_check_in(api, booked["code"], who="display-a"), 403, "role_not_allowed")


def test_a_kiosk_still_cannot_claim_an_appointment_without_checking_in(api: Api) -> None:
    booked = _book(api, BASE)
    claimed = api.post(
        "/tickets",
        "kiosk-1",
        json={"service": SERVICE, "priority": "appointment", "appointment": booked["code"]},
    )
    assert_error(claimed, 403, "appointment_by_staff")


def test_the_green_channel_needs_a_reason_and_logs_who_granted_it(api: Api, hall) -> None:
    refused = api.post("/tickets", "clerk4", json={"service": SERVICE, "priority": "priority"})
    assert_error(refused, 422, "reason_required")
    granted = api.ok(
        api.post(
            "/tickets",
            "clerk4",
            json={"service": SERVICE, "priority": "priority", "reason": "行動不便長者"},
        ),
        201,
    )
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        logged = session.execute(
            select(Event.user_id, Event.payload).where(
                Event.kind == "ticket.issued", Event.ticket_id == granted["id"]
            )
        ).one()
    assert logged.user_id == hall.users["clerk4"]
    assert logged.payload["reason"] == "行動不便長者"
    assert logged.payload["priority"] == "priority"

"""A supervisor pauses a service: kiosks and staff issue no ticket for it (409
``service_paused``), the catalog says it is paused, and its waiting tickets are still called;
reopening it takes tickets again. Both are logged with who did it."""

from __future__ import annotations

from tests.api.conftest import Api, HallInfo, assert_error
from tests.api.test_admin_hall import EN, log


def test_a_paused_service_issues_no_tickets_but_its_queue_is_served(
    api: Api, hall: HallInfo
) -> None:
    waiting = api.issue("consultation")
    paused = api.post("/services/consultation/pause", "supervisor", json={"reason": "system down"})
    body = api.ok(paused)
    assert (body["code"], body["paused"], body["reason"]) == ("consultation", True, "system down")
    assert body["since"]

    service = api.service("consultation")
    assert (service["open"], service["closed_reason"]) == (False, "paused")
    for who in ("kiosk-1", "clerk7"):
        refused = api.post("/tickets", who, json={"service": "consultation"}, headers=EN)
        error = assert_error(refused, 409, "service_paused", lang="en")
        assert "Enquiries" in error["message"]
    listed = api.ok(api.get("/admin/services", "admin"))["services"]
    state = next(s for s in listed if s["code"] == "consultation")
    assert (state["paused"], state["paused_reason"]) == (True, "system down")

    api.open(7)
    assert api.call(7)["id"] == waiting["id"]  # the waiting customer is still called

    assert_error(
        api.post("/services/consultation/pause", "admin", json={}, headers=EN),
        409,
        "service_already_paused",
        lang="en",
    )
    reopened = api.ok(api.post("/services/consultation/reopen", "admin"))
    assert reopened == {"code": "consultation", "paused": False, "reason": None, "since": None}
    assert api.service("consultation")["open"] is True
    assert api.issue("consultation")["number"] == "D002"
    assert_error(
        api.post("/services/consultation/reopen", "admin", headers=EN),
        409,
        "service_not_paused",
        lang="en",
    )
    rows = log(hall, "service.")
    assert [(kind, user) for kind, user, _ in rows] == [
        ("service.paused", hall.users["supervisor"]),
        ("service.reopened", hall.users["admin"]),
    ]
    assert rows[0][2]["reason"] == "system down"


def test_who_may_pause_a_service(api: Api) -> None:
    for who in ("clerk1", "kiosk-1", "display-a"):
        assert_error(
            api.post("/services/consultation/pause", who, json={}), 403, "role_not_allowed"
        )
        assert_error(api.post("/services/consultation/reopen", who), 403, "role_not_allowed")
    assert_error(api.post("/services/nothing/pause", "supervisor", json={}), 404, "unknown_service")
    too_long = {"reason": "x" * 201}
    assert_error(api.post("/services/consultation/pause", "supervisor", json=too_long), 422)

"""GET /api/v1/dashboard, the supervisor's read beside the snapshot: longest waits against
the targets as the clock runs, windows' current tickets with their times, devices as their
agents reported them, today's totals; supervisors and admins only."""

from __future__ import annotations

from tests.api.conftest import Api, assert_error


def _service(body: dict, code: str) -> dict:  # type: ignore[type-arg]
    return next(s for s in body["services"] if s["code"] == code)


def _counter(body: dict, number: int) -> dict:  # type: ignore[type-arg]
    return next(c for c in body["counters"] if c["number"] == number)


def test_waits_windows_devices_and_totals(api: Api, clock) -> None:
    empty = api.ok(api.get("/dashboard", "supervisor"))
    pickup = _service(empty, "certificate-pickup")
    assert pickup["waiting"] == 0 and pickup["longest_wait_s"] is None
    assert pickup["target_wait"] == 10 and not pickup["over_target"]
    assert not pickup["paused"] and pickup["paused_reason"] is None
    assert empty["today"] == {
        "issued": 0,
        "served": 0,
        "waiting": 0,
        "no_show": 0,
        "cancelled": 0,
        "mean_wait_s": None,
    }
    assert {z["code"] for z in empty["zones"]} == {"A", "B", "C"}

    first = api.issue("certificate-pickup")
    clock.advance(60)
    second = api.issue("certificate-pickup")
    gone = api.issue("consultation")
    api.ok(api.post(f"/tickets/{gone['id']}/cancel", "supervisor", json={}))
    clock.advance(10 * 60)  # the first has waited 11 minutes: over the 10-minute target
    body = api.ok(api.get("/dashboard", "admin"))
    pickup = _service(body, "certificate-pickup")
    assert pickup["waiting"] == 2
    assert pickup["longest_wait_s"] == 11 * 60
    assert pickup["over_target"]
    assert pickup["oldest_queued_at"] == first["queued_at"]

    api.open(8)
    called = api.call(8)
    assert called["id"] == first["id"]
    api.ok(api.act(8, "start"))
    body = api.ok(api.get("/dashboard", "supervisor"))
    pickup = _service(body, "certificate-pickup")
    assert pickup["waiting"] == 1
    assert pickup["longest_wait_s"] == 10 * 60  # the second, now the oldest: at its target
    assert not pickup["over_target"]
    at_8 = _counter(body, 8)["current"]
    assert at_8["number"] == first["number"] and at_8["status"] == "serving"
    assert at_8["service"] == "certificate-pickup"
    assert at_8["called_at"] and at_8["started_at"]
    assert _counter(body, 1)["current"] is None
    assert body["today"] == {
        "issued": 3,
        "served": 0,
        "waiting": 1,
        "no_show": 0,
        "cancelled": 1,
        "mean_wait_s": 11 * 60,
    }
    assert second["number"] != first["number"]

    api.ok(api.post("/services/consultation/pause", "supervisor", json={"reason": "系統維護"}))
    body = api.ok(api.get("/dashboard", "supervisor"))
    enquiries = _service(body, "consultation")
    assert enquiries["paused"] and enquiries["paused_reason"] == "系統維護"
    assert enquiries["paused_since"] == clock().isoformat()

    devices = {d["name"]: d for d in body["devices"]}
    assert devices["counter-8"]["counter"] == 8
    assert devices["kiosk-1"]["counter"] is None
    assert devices["kiosk-1"]["status"] is None  # its agent never reported


def test_only_supervisors_and_admins_read_it(api: Api) -> None:
    for who in ("clerk1", "kiosk-1", "display-a", "counter-1"):
        assert_error(api.get("/dashboard", who), 403, "role_not_allowed")
    assert_error(api.get("/dashboard"), 401, None)

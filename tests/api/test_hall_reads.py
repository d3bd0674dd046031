"""What screens read: the services with their queues, and the hall's snapshot."""

from __future__ import annotations

import datetime as dt
import math

from tests.api.conftest import BASE, Api


def test_services(api: Api, hall) -> None:
    response = api.get("/services", "kiosk-1")
    assert response.status_code == 200
    services = response.get_json()["services"]
    assert [s["code"] for s in services] == [s.code for s in hall.config.services]
    by_code = {s["code"]: s for s in services}
    property_transfer = by_code["property-transfer"]
    assert property_transfer["prefix"] == "A"
    assert property_transfer["zone"] == "A"
    assert property_transfer["name"]["zh-Hant"] == "物業過戶"
    assert property_transfer["name"]["en"] == "Property transfer"
    assert property_transfer["target_wait"] == 30
    assert len(property_transfer["documents"]["zh-Hant"]) == 5
    for service in services:
        # The demo hall: open all day, no cap, nobody waiting, no window open.
        assert service["open"] is True
        assert service["closed_reason"] is None and service["opens_at"] is None
        assert service["daily_cap"] is None
        assert (service["waiting"], service["issued_today"]) == (0, 0)
        assert service["open_windows"] == 0
        # Still an estimate for the first ticket: the hall file's typical time over the
        # windows whose profile serves the service.
        config = hall.config.service(service["code"])
        serving = sum(config.code in c.service_codes for c in hall.config.counters)
        assert service["eta_minutes"] == math.ceil(config.typical_minutes / serving)


def test_services_follow_the_queues(api: Api, hall) -> None:
    minutes = hall.config.service("consultation").typical_minutes  # none measured today
    api.open(9)  # serves every service
    api.open(7)  # consultation and pick-up
    for _ in range(3):
        api.issue("consultation")
    api.issue("equity-transfer")
    api.call(7)
    consultation = api.service("consultation")
    assert (consultation["waiting"], consultation["issued_today"]) == (2, 3)
    assert consultation["open_windows"] == 2
    assert consultation["eta_minutes"] == -(-3 * minutes // 2)  # the next ticket is third
    equity = api.service("equity-transfer")
    assert (equity["waiting"], equity["open_windows"]) == (1, 1)
    api.ok(api.act(9, "pause", json={"reason": "break"}))
    assert api.service("equity-transfer")["open_windows"] == 0  # a paused window calls no one
    # None open: the estimate counts the 4 windows that serve it (4, 5, 6 and 9).
    equity = hall.config.service("equity-transfer").typical_minutes
    assert api.service("equity-transfer")["eta_minutes"] == math.ceil(2 * equity / 4)


def test_state_snapshot(api: Api, hall, clock) -> None:
    first = api.ok(api.get("/state", "display-a"))
    assert first["protocol"] == 1
    assert dt.datetime.fromisoformat(first["at"]) == BASE
    assert first["hall"]["code"] == hall.context.code
    assert first["hall"]["timezone"] == "Asia/Hong_Kong"
    assert first["hall"]["languages"] == ["zh-Hant", "zh-Hans", "en"]
    assert len(first["services"]) == len(hall.config.services)
    assert len(first["counters"]) == len(hall.config.counters)
    assert first["recent_calls"] == []

    api.open(8)
    api.issue("certificate-pickup")
    clock.advance(90)
    api.call(8)
    second = api.ok(api.get("/state", "display-c"))
    assert second["seq"] > first["seq"]  # deltas went out in between
    call = second["recent_calls"][0]
    assert (call["number"], call["counter"], call["zone"], call["service"]) == (
        "E001",
        8,
        "C",
        "certificate-pickup",
    )
    assert call["call_count"] == 1 and call["recall"] is False
    assert call["languages"] == ["yue", "cmn", "en"]
    window = next(c for c in second["counters"] if c["number"] == 8)
    assert (window["state"], window["current_ticket"], window["clerk"]) == (
        "serving",
        "E001",
        "clerk8",
    )

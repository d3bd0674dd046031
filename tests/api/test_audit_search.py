"""Searching the event log: by ticket, day, user, device, kind and time, newest first, a page at
a time; payloads masked; bad parameters are 400; clerks may not search."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import BASE, Api
from tests.api.conftest import assert_error as _assert_error


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    return _assert_error(response, status, code, lang="any")


def _search(api: Api, query: str, who: str = "supervisor") -> dict[str, Any]:
    return api.ok(api.get(f"/audit?{query}", who))  # type: ignore[no-any-return]


def _day(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    api.open(1)
    first = api.issue("property-transfer")
    second = api.issue("property-transfer", who="kiosk-2")
    api.call(1)
    api.ok(
        api.post(
            "/follow-ups",
            "clerk1",
            json={"channel": "phone", "text": "call +852 9123 4567", "ticket": first["id"]},
        ),
        201,
    )
    return first, second


def test_each_filter(api: Api) -> None:
    first, second = _day(api)
    everything = _search(api, "limit=200")["entries"]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 5
    entry = everything[0]
    assert set(entry) == {
        "id", "at", "kind", "ticket", "leg", "service", "counter", "user", "device", "source",
        "payload",
    }  # fmt: skip

    by_number = _search(api, f"ticket={first['number']}")["entries"]
    assert {e["kind"] for e in by_number} >= {"ticket.issued", "ticket.called", "follow_up.opened"}
    assert all(e["ticket"]["number"] == first["number"] for e in by_number)
    by_id = _search(api, f"ticket={second['id']}")["entries"]
    assert [e["kind"] for e in by_id] == ["ticket.issued"]
    assert by_id[0]["device"] == "kiosk-2" and by_id[0]["source"] == "device"
    assert _search(api, f"ticket={first['number']}&day=2025-03-04")["entries"] == []

    assert {e["device"] for e in _search(api, "device=kiosk-2")["entries"]} == {"kiosk-2"}
    clerk = _search(api, "user=clerk1")["entries"]
    assert {e["user"] for e in clerk} == {"clerk1"}
    assert {"counter.opened", "ticket.called", "follow_up.opened"} <= {e["kind"] for e in clerk}
    assert _search(api, "user=nobody")["entries"] == []

    tickets = _search(api, "kind=ticket.")["entries"]
    assert tickets and all(e["kind"].startswith("ticket.") for e in tickets)
    called = _search(api, "kind=ticket.called")["entries"]
    assert [e["ticket"]["number"] for e in called] == [first["number"]]
    assert called[0]["counter"] == 1 and called[0]["service"] == "property-transfer"

    assert len(_search(api, "day=2025-03-05")["entries"]) == len(everything)
    assert _search(api, "day=2025-03-06")["entries"] == []
    # Everything happened at BASE (the clock stood still): from is inclusive, to exclusive.
    assert len(_search(api, "from=2025-03-05T10:00:00")["entries"]) == len(everything)
    assert _search(api, "from=2025-03-05T10:00:01")["entries"] == []  # hall time
    assert _search(api, "from=2025-03-05T02:00:01%2B00:00")["entries"] == []
    assert _search(api, "to=2025-03-05T02:00:00Z")["entries"] == []
    assert len(_search(api, "to=2025-03-05T10:00:01")["entries"]) == len(everything)

    # The complaint's words are not in the log; masked payloads are checked on a phone field.
    opened = _search(api, "kind=follow_up.opened")["entries"][0]
    assert "9123" not in str(opened["payload"])


def test_paging_by_keyset(api: Api) -> None:
    _day(api)
    everything = [e["id"] for e in _search(api, "limit=200")["entries"]]
    seen: list[int] = []
    page = _search(api, "limit=2")
    while True:
        seen += [e["id"] for e in page["entries"]]
        if page["next"] is None:
            break
        assert page["next"] == seen[-1]
        page = _search(api, f"limit=2&before_id={page['next']}")
    assert seen == everything


def test_payloads_are_masked(api: Api, hall) -> None:
    from hallq.server.queue import ledger
    from hallq.server.queue.events import Actor

    database = api.client.application.extensions["hallq"].db
    actor = Actor(hall_id=hall.context.id, role="admin", user_id=hall.users["admin"])
    with database.writing() as session:
        ledger.append(
            session,
            actor,
            "appointment.noted",
            BASE,
            phone="61234567",
            customer_name="陳大文",
            reason="rang 13812345678",
        )
    entry = _search(api, "kind=appointment.noted", "admin")["entries"][0]
    assert entry["payload"] == {
        "phone": "6***4567",
        "customer_name": "陳**",
        "reason": "rang 138****5678",
    }
    assert entry["user"] == "admin"


def test_bad_parameters_and_roles(api: Api) -> None:
    for query in (
        "ticket=not-a-ticket",
        "day=2025-13-01",
        "day=yesterday",
        "from=soon",
        "to=2025-03-05T25:00",
        "kind=Ticket%20Called",
        "limit=0",
        "limit=201",
        "before_id=-3",
        "user=a%20b",
    ):
        assert_error(api.get(f"/audit?{query}", "supervisor"), 400, "bad_parameter")
    assert_error(api.get("/audit", "clerk1"), 403, "role_not_allowed")
    assert_error(api.get("/audit", "kiosk-1"), 403)
    assert_error(api.get("/audit"), 401)
    api.ok(api.get("/audit", "admin"))

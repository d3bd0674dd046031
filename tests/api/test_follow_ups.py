"""Follow-up cases over the API: a bad rating opens one with a deadline in working days,
supervisors assign, annotate and close it with a note, overdue cases raise an alert, staff
record complaints; each step is in the log with its actor, and the texts are answered masked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select

from hallq.server.hall_file import CalendarConfig
from hallq.server.models import Event
from tests.api.conftest import BASE, Api, build_app, login_tokens
from tests.api.conftest import assert_error as _assert_error

DAY = 24 * 3600


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    # The new messages reach the catalogs at the next extraction: the language is not checked.
    return _assert_error(response, status, code, lang="any")


def _bad_rating(api: Api, n: int = 3, score: int = 1) -> dict[str, Any]:
    api.open(n)
    ticket = api.issue("certificate-pickup")
    assert api.call(n)["id"] == ticket["id"]
    api.ok(api.act(n, "start"))
    api.ok(api.act(n, "finish"))
    rated = api.ok(
        api.post("/ratings", f"counter-{n}", json={"ticket": ticket["id"], "score": score}), 201
    )
    return {"ticket": ticket, "follow_up": rated["follow_up"]}


def _log(api: Api, kind_prefix: str) -> list[Event]:
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        rows = session.scalars(
            select(Event).where(Event.kind.startswith(kind_prefix)).order_by(Event.id)
        ).all()
        session.expunge_all()
    return list(rows)


def test_a_rating_of_1_opens_a_case_due_over_a_weekend_and_a_holiday(
    make_hall, hall, clock
) -> None:
    config = dataclasses.replace(
        hall.config, calendar=CalendarConfig(holidays=(dt.date(2025, 3, 10),))
    )
    info = make_hall(config=config)
    clock.advance(DAY)  # Thursday 6 March 2025, 10:00 in Hong Kong
    info.user_tokens = login_tokens(info.url, info.users, clock())
    app = build_app(info, clock)
    try:
        api = Api(app.test_client(), info)
        rated = _bad_rating(api)
        case = api.ok(api.get(f"/follow-ups/{rated['follow_up']}", "supervisor"))
    finally:
        app.extensions["hallq"].db.dispose()
    # Fri 7 (1), the weekend, Mon 10 a holiday, Tue 11 (2), Wed 12 (3): its end, hall time.
    assert case["due_at"] == "2025-03-12T15:59:59+00:00"
    assert case["kind"] == "rating" and case["status"] == "open" and case["score"] == 1
    assert case["ticket"]["number"] == rated["ticket"]["number"]
    assert case["counter"] == 3 and case["clerk"]["username"] == "clerk3"
    assert case["overdue"] is False


def test_close_needs_a_note_and_happens_once(api: Api) -> None:
    case_id = _bad_rating(api, score=2)["follow_up"]
    path = f"/follow-ups/{case_id}/close"
    assert_error(api.post(path, "supervisor", json={}), 400, "note_required")
    assert_error(api.post(path, "supervisor", json={"note": "   "}), 400, "note_required")
    assert api.ok(api.get(f"/follow-ups/{case_id}", "supervisor"))["status"] == "open"
    closed = api.ok(api.post(path, "supervisor", json={"note": "Called back; apologised."}))
    assert closed["status"] == "closed" and closed["closed_by"] == "supervisor"
    assert closed["note"] == "Called back; apologised."
    assert_error(api.post(path, "admin", json={"note": "again"}), 409, "follow_up_closed")
    assert_error(
        api.post(f"/follow-ups/{case_id}/notes", "supervisor", json={"text": "late"}),
        409,
        "follow_up_closed",
    )


def test_overdue_cases_are_listed_and_raise_an_alert(api: Api, clock) -> None:
    case_id = _bad_rating(api)["follow_up"]
    listed = api.ok(api.get("/follow-ups?status=overdue", "supervisor"))
    assert listed["items"] == [] and listed["total"] == 0
    alerts = api.ok(api.get("/alerts", "supervisor"))["alerts"]
    assert not [a for a in alerts if a["kind"] == "follow_up_overdue"]

    clock.advance(6 * DAY)  # past Monday 10 March's end
    api.hall.user_tokens = login_tokens(api.hall.url, api.hall.users, clock())
    listed = api.ok(api.get("/follow-ups?status=overdue", "supervisor"))
    assert [item["id"] for item in listed["items"]] == [case_id]
    assert listed["items"][0]["overdue"] is True
    alerts = api.ok(api.get("/alerts", "supervisor", headers={"Accept-Language": "en"}))
    overdue = [a for a in alerts["alerts"] if a["kind"] == "follow_up_overdue"]
    assert len(overdue) == 1
    assert overdue[0]["follow_up"] == case_id
    assert overdue[0]["since"] == "2025-03-10T15:59:59+00:00"
    assert str(case_id) in overdue[0]["message"]

    api.ok(api.post(f"/follow-ups/{case_id}/close", "supervisor", json={"note": "done late"}))
    assert api.ok(api.get("/follow-ups?status=overdue", "supervisor"))["total"] == 0
    closed = api.ok(api.get("/follow-ups?status=closed", "supervisor"))["items"][0]
    assert closed["overdue"] is False


def test_complaints_assign_and_notes(api: Api, hall) -> None:
    ticket = api.issue("consultation")
    recorded = api.ok(
        api.post(
            "/follow-ups",
            "clerk2",
            json={
                "channel": "phone",
                "text": "Mr Chan Tai Man waited an hour; call him on +852 9123 4567.",
                "ticket": ticket["number"],
                "clerk": "clerk5",
                "counter": 5,
            },
        ),
        201,
    )
    assert recorded["kind"] == "complaint" and recorded["channel"] == "phone"
    assert recorded["text"] == "Mr C*** waited an hour; call him on +852 9***4567."
    assert recorded["clerk"]["username"] == "clerk5" and recorded["counter"] == 5
    assert recorded["ticket"]["id"] == ticket["id"] and recorded["recorded_by"] == "clerk2"
    assert recorded["due_at"] == "2025-03-10T15:59:59+00:00"  # Wed + 3 working days
    case_id = recorded["id"]

    assigned = api.ok(
        api.post(f"/follow-ups/{case_id}/assign", "supervisor", json={"assignee": "admin"})
    )
    assert assigned["assignee"]["username"] == "admin" and assigned["assigned_at"]
    assert_error(
        api.post(f"/follow-ups/{case_id}/assign", "supervisor", json={"assignee": "clerk1"}),
        422,
        "bad_assignee",
    )
    assert_error(
        api.post(f"/follow-ups/{case_id}/assign", "supervisor", json={"assignee": "nobody"}),
        404,
        "unknown_user",
    )
    noted = api.ok(
        api.post(
            f"/follow-ups/{case_id}/notes",
            "admin",
            json={"text": "Rang 13812345678, no answer."},
        ),
        201,
    )
    assert [n["text"] for n in noted["notes"]] == ["Rang 138****5678, no answer."]
    assert noted["notes"][0]["user"] == "admin"
    assert_error(
        api.post(f"/follow-ups/{case_id}/notes", "admin", json={"text": " "}), 400, "text_required"
    )

    mine = api.ok(api.get("/follow-ups?assignee=admin&kind=complaint", "supervisor"))
    assert [item["id"] for item in mine["items"]] == [case_id]
    assert api.ok(api.get("/follow-ups?kind=rating", "supervisor"))["total"] == 0
    assert_error(api.get("/follow-ups?status=later", "supervisor"), 400, "bad_parameter")
    assert_error(api.get("/follow-ups?per_page=0", "supervisor"), 400, "bad_parameter")

    # Every step in the log, with its actor; the words are not copied into it.
    log = _log(api, "follow_up.")
    assert [(e.kind, e.user_id) for e in log] == [
        ("follow_up.opened", hall.users["clerk2"]),
        ("follow_up.assigned", hall.users["supervisor"]),
        ("follow_up.noted", hall.users["admin"]),
    ]
    assert all("9123" not in str(e.payload) and "1381" not in str(e.payload) for e in log)


def test_complaint_mistakes(api: Api) -> None:
    post = lambda body: api.post("/follow-ups", "clerk1", json=body)  # noqa: E731
    assert_error(post({"channel": "phone", "text": " "}), 400, "text_required")
    assert_error(post({"channel": "pigeon", "text": "x"}), 422)
    assert_error(post({"channel": "email", "text": "x", "ticket": "Z999"}), 404, "unknown_ticket")
    assert_error(post({"channel": "email", "text": "x", "clerk": "ghost"}), 404, "unknown_user")
    assert_error(post({"channel": "email", "text": "x", "counter": 99}), 404, "unknown_counter")
    bare = api.ok(post({"channel": "letter", "text": "The chairs are hard."}), 201)
    assert bare["ticket"] is None and bare["clerk"] is None and bare["counter"] is None


def test_a_clerk_records_but_does_not_handle(api: Api) -> None:
    case_id = _bad_rating(api)["follow_up"]
    for method, path, body in [
        ("GET", "/follow-ups", None),
        ("GET", f"/follow-ups/{case_id}", None),
        ("GET", "/alerts", None),
        ("POST", f"/follow-ups/{case_id}/assign", {"assignee": "supervisor"}),
        ("POST", f"/follow-ups/{case_id}/notes", {"text": "x"}),
        ("POST", f"/follow-ups/{case_id}/close", {"note": "x"}),
    ]:
        assert_error(api.request(method, path, "clerk1", json=body), 403, "role_not_allowed")
    assert_error(api.get("/follow-ups", "kiosk-1"), 403)
    api.ok(api.post("/follow-ups", "clerk1", json={"channel": "counter", "text": "rude"}), 201)
    assert_error(api.get("/follow-ups/999", "supervisor"), 404, "unknown_follow_up")


def test_paging(api: Api) -> None:
    ids = [
        api.ok(api.post("/follow-ups", "clerk1", json={"channel": "other", "text": f"#{i}"}), 201)[
            "id"
        ]
        for i in range(5)
    ]
    first = api.ok(api.get("/follow-ups?per_page=2", "supervisor"))
    second = api.ok(api.get("/follow-ups?per_page=2&page=2", "supervisor"))
    assert first["total"] == 5
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1][:4]


def test_device_alerts_and_waits(api: Api, clock) -> None:
    database = api.client.application.extensions["hallq"].db
    from hallq.server.admin import devices
    from hallq.server.queue.events import Actor

    def report(name: str, status: str, detail: str | None = None) -> None:
        device_id = api.hall.devices[name]
        actor = Actor(
            hall_id=api.hall.context.id, role="kiosk", device_id=device_id, source="device"
        )
        with database.writing() as session:
            devices.report(session, actor, {"status": status, "detail": detail}, clock())

    report("kiosk-1", "paper_out")
    report("counter-3", "pad_offline", "pad offline (serial)")
    report("counter-4", "ok")
    report("display-a", "offline", "agent disconnected")
    ticket = api.issue("consultation")
    target = api.hall.service("consultation").target_wait
    clock.advance(target * 60 + 61)
    alerts = api.ok(api.get("/alerts", "admin", headers={"Accept-Language": "en"}))["alerts"]
    by_kind = {a["kind"]: a for a in alerts}
    assert set(by_kind) == {"wait_over_target", "paper_out", "pad_offline", "device_offline"}
    wait = by_kind["wait_over_target"]
    assert wait["service"] == "consultation" and wait["detail"]["waiting"] == 1
    assert wait["detail"]["waited_minutes"] == target + 1
    assert (
        wait["since"]
        == (dt.datetime.fromisoformat(ticket["issued_at"]) + dt.timedelta(minutes=target))
        .astimezone(dt.UTC)
        .isoformat()
    )
    assert by_kind["paper_out"]["device"] == "kiosk-1"
    assert by_kind["paper_out"]["since"] == BASE.isoformat()
    assert by_kind["pad_offline"]["counter"] == 3
    assert by_kind["device_offline"]["device"] == "display-a"
    assert "kiosk-1" in by_kind["paper_out"]["message"]
    zh = api.ok(api.get("/alerts", "supervisor"))["alerts"]
    assert len(zh) == 4 and all(a["message"] for a in zh)

"""The lobby notice: set by supervisors for a zone or the whole hall, cleared with no text,
refused with a reason otherwise; every board hears it as the hall's whole list."""

from __future__ import annotations

from sqlalchemy import select

from hallq.server import wire
from hallq.server.models import Event
from tests.api.conftest import Api, assert_error

HALL_WIDE = {"zh-Hant": "今日下午四時停止派籌", "en": "No tickets after 4 pm today"}


def test_set_show_and_clear_notices(api: Api, app, hall) -> None:
    socketio = app.extensions["socketio"]
    board = socketio.test_client(app, namespace="/hall", auth={"token": hall.tokens["display-a"]})
    (snapshot,) = [p["args"][0] for p in board.get_received("/hall") if p["name"] == wire.STATE]
    assert snapshot["notices"] == []
    seq = snapshot["seq"]

    body = api.ok(api.put("/notice", "supervisor", json={"text": HALL_WIDE}))
    assert [(n["zone"], n["text"]) for n in body["notices"]] == [(None, HALL_WIDE)]
    # Whitespace is tidied; a zone of its own beside the hall's.
    api.ok(api.put("/notice", "admin", json={"zone": "A", "text": {"en": "  Zone A \n closes  "}}))
    notices = api.ok(api.get("/notice", "display-a"))["notices"]
    assert [(n["zone"], n["text"]) for n in notices] == [
        (None, HALL_WIDE),
        ("A", {"en": "Zone A closes"}),
    ]
    deltas = [p["args"][0] for p in board.get_received("/hall") if p["name"] == wire.NOTICE_UPDATED]
    assert [d["seq"] for d in deltas] == [seq + 1, seq + 2]
    assert deltas[-1]["notices"] == notices
    # A new board gets them in its snapshot.
    late = socketio.test_client(app, namespace="/hall", auth={"token": hall.tokens["display-b"]})
    (state,) = [p["args"][0] for p in late.get_received("/hall") if p["name"] == wire.STATE]
    assert state["notices"] == notices
    # Setting again replaces; no text in any language clears.
    api.ok(api.put("/notice", "supervisor", json={"text": {"en": "Welcome"}}))
    cleared = api.ok(api.put("/notice", "supervisor", json={"zone": "A", "text": {"en": " "}}))
    assert [(n["zone"], n["text"]) for n in cleared["notices"]] == [(None, {"en": "Welcome"})]
    database = app.extensions["hallq"].db
    with database.reading() as session:
        logged = session.scalars(
            select(Event.kind).where(Event.kind.like("notice.%")).order_by(Event.id)
        ).all()
    assert logged == ["notice.set", "notice.set", "notice.set", "notice.cleared"]


def test_notice_refusals(api: Api) -> None:
    assert_error(api.put("/notice", "clerk1", json={"text": {"en": "x"}}), 403)
    assert_error(api.put("/notice", "display-a", json={"text": {"en": "x"}}), 403)
    assert_error(
        api.put("/notice", "supervisor", json={"zone": "Q", "text": {"en": "x"}}),
        404,
        "unknown_zone",
    )
    assert_error(
        api.put("/notice", "supervisor", json={"text": {"en": "x" * 501}}), 422, "notice_too_long"
    )
    assert api.put("/notice", "supervisor", json={"text": {"fr": "bonjour"}}).status_code == 422
    assert api.put("/notice", "supervisor", json={"text": "hello"}).status_code == 422
    assert api.put("/notice", "supervisor", json={"text": {}, "extra": 1}).status_code == 422
    assert api.ok(api.get("/notice", "clerk1"))["notices"] == []

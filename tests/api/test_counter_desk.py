"""The clerk's desk (``GET /counters/{n}/desk``) and the document check
(``PUT /tickets/{id}/documents``): what the clerk's screen stands on. Who may read a window's
desk, what it holds, the missing documents told to the customer's page in the ticket's
language, the transfer note passed to the next window, and the rating once given."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hallq.server.models import FollowUp
from tests.api.conftest import Api, assert_error


def _serving(api: Api, n: int = 1, service: str = "property-transfer", **body) -> dict:
    ticket = api.issue(service, **body)
    api.open(n)
    called = api.call(n)
    assert called["id"] == ticket["id"]
    api.ok(api.act(n, "start"))
    return ticket


def test_the_desk_holds_the_window_its_ticket_the_queue_and_the_clerks_day(api: Api, clock) -> None:
    ticket = _serving(api)
    later = [api.issue("property-transfer"), api.issue("consultation")]
    clock.advance(120)
    desk = api.ok(api.get("/counters/1/desk", "clerk1"))
    assert desk["counter"]["number"] == 1
    assert desk["counter"]["state"] == "serving"
    current = desk["current"]
    assert current["id"] == ticket["id"] and current["status"] == "serving"
    assert len(current["documents"]["zh-Hant"]) == len(current["documents"]["en"]) >= 2
    assert current["missing"] == [] and current["checked"] is False
    assert current["transfers"] == []
    # The waiting list, in the order call-next would take it.
    assert [w["id"] for w in desk["waiting"]] == [t["id"] for t in later]
    assert {w["number"] for w in desk["waiting"]} == {t["number"] for t in later}
    assert all(w["waited_minutes"] == 2 and not w["sent_here"] for w in desk["waiting"])
    figures = {s["code"]: s for s in desk["services"]}
    assert figures["property-transfer"]["waiting"] == 1
    assert figures["consultation"]["waiting"] == 1
    assert desk["today"]["served"] == 0
    assert desk["last_rating"] is None
    assert desk["pause_reasons"] == ["break", "meeting", "system_failure", "other"]

    api.ok(api.act(1, "finish"))
    api.ok(api.post("/ratings", "counter-1", json={"ticket": ticket["id"], "score": 4}), 201)
    desk = api.ok(api.get("/counters/1/desk", "clerk1"))
    assert desk["current"] is None
    assert desk["today"]["served"] == 1
    assert desk["last_rating"]["score"] == 4
    assert desk["last_rating"]["number"] == ticket["number"]
    assert api.ticket(ticket["id"])["rating"] == 4


def test_only_the_clerk_at_the_window_or_a_supervisor_reads_its_desk(api: Api) -> None:
    api.open(1)
    api.ok(api.get("/counters/1/desk", "supervisor"))
    assert_error(api.get("/counters/1/desk", "clerk2"), 403, "not_your_window")
    assert_error(api.get("/counters/1/desk", "kiosk-1"), 403, "role_not_allowed")
    assert_error(api.get("/counters/1/desk", None), 401, "unauthenticated")
    assert_error(api.get("/counters/99/desk", "supervisor"), 404, "unknown_counter")


def test_missing_documents_reach_the_customers_page_in_the_tickets_language(api: Api) -> None:
    ticket = _serving(api, language="en")
    desk = api.ok(api.get("/counters/1/desk", "clerk1"))
    documents = desk["current"]["documents"]
    english = documents["en"]
    assert english and len(english) == len(documents["zh-Hant"])
    marked = api.ok(
        api.put(f"/tickets/{ticket['id']}/documents", "clerk1", json={"missing": [1, 0, 1]})
    )
    assert marked["missing_documents"] is not None
    desk = api.ok(api.get("/counters/1/desk", "clerk1"))
    assert desk["current"]["missing"] == [0, 1] and desk["current"]["checked"] is True
    # The customer's page (its status URL) lists them in the ticket's language.
    status_path = "/t/" + ticket["status_url"].rsplit("/t/", 1)[1]
    page = api.get(status_path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert english[0] in text and english[1] in text
    # The API tells them in the asker's language, and all brought clears them.
    assert api.ticket(ticket["id"])["missing_documents"] == documents["zh-Hant"][:2]
    got = api.get(f"/tickets/{ticket['id']}?lang=en", "supervisor").get_json()
    assert got["missing_documents"] == english[:2]
    api.ok(api.put(f"/tickets/{ticket['id']}/documents", "clerk1", json={"missing": []}))
    assert api.ticket(ticket["id"])["missing_documents"] == []


def test_a_document_check_is_for_the_windows_own_ticket_with_real_items(api: Api) -> None:
    ticket = _serving(api)
    count = len(api.ok(api.get("/counters/1/desk", "clerk1"))["current"]["documents"]["en"])
    path = f"/tickets/{ticket['id']}/documents"
    assert_error(api.put(path, "clerk1", json={"missing": [count]}), 422, "unknown_document")
    assert_error(api.put(path, "clerk1", json={"missing": [-1]}), 422, "invalid_request")
    assert_error(api.put(path, "clerk1", json={"missing": "all"}), 422, "invalid_request")
    assert_error(api.put(path, "clerk1", json={}), 422, "invalid_request")
    api.open(2)
    assert_error(api.put(path, "clerk2", json={"missing": [0]}), 403, "not_your_window")
    assert_error(api.put(path, "kiosk-1", json={"missing": [0]}), 403, "role_not_allowed")
    waiting = api.issue("property-transfer")
    assert_error(
        api.put(f"/tickets/{waiting['id']}/documents", "clerk1", json={"missing": [0]}),
        409,
        "not_at_a_window",
    )


def test_the_next_window_sees_the_transfer_note(api: Api) -> None:
    ticket = _serving(api, 1, "consultation")
    api.open(3)  # window 3 serves consultation first
    api.ok(
        api.act(
            1,
            "transfer",
            json={"counter": 3, "note": "needs the stamp duty form explained"},
        )
    )
    called = api.call(3)
    assert called["id"] == ticket["id"]
    desk = api.ok(api.get("/counters/3/desk", "clerk3"))
    (sent,) = desk["current"]["transfers"]
    assert sent["from_counter"] == 1
    assert sent["to_counter"] == 3
    assert sent["note"] == "needs the stamp duty form explained"


def test_a_bad_rating_opens_a_follow_up_due_in_the_halls_hours(api: Api, app, clock) -> None:
    ticket = _serving(api)
    api.ok(api.act(1, "finish"))
    rated = api.ok(
        api.post("/ratings", "counter-1", json={"ticket": ticket["number"], "score": 1}), 201
    )
    assert rated["follow_up"] is not None
    assert_error(
        api.post("/ratings", "counter-1", json={"ticket": ticket["id"], "score": 5}),
        409,
        "already_rated",
    )
    database = app.extensions["hallq"].db
    with database.reading() as session:
        follow_up = session.execute(select(FollowUp)).scalar_one()
    # The sample hall's [queue] follow_up_working_days = 3: opened on Wednesday 5 March 2025,
    # due at the end of Monday 10 March, hall time (the weekend does not count).
    opened = follow_up.opened_at.replace(tzinfo=dt.UTC)
    assert follow_up.due_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2025, 3, 10, 15, 59, 59, tzinfo=dt.UTC
    )
    assert opened == clock()

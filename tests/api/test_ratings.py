"""Ratings from the pad at the window: only that window's agent, only its current or just-finished
ticket, once; a 2 or a 1 opens a follow-up."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hallq.server.models import FollowUp, Rating
from tests.api.conftest import Api, assert_error


def _stored(api: Api) -> tuple[list[tuple], list[tuple]]:
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        ratings = session.execute(
            select(Rating.id, Rating.ticket_id, Rating.score, Rating.clerk_id).order_by(Rating.id)
        ).all()
        follow_ups = session.execute(
            select(FollowUp.id, FollowUp.rating_id).order_by(FollowUp.id)
        ).all()
    return [tuple(r) for r in ratings], [tuple(f) for f in follow_ups]


def _served(api: Api, n: int, service: str, *, finish: bool = True) -> dict:
    api.open(n)
    ticket = api.issue(service)
    assert api.call(n)["id"] == ticket["id"]
    api.ok(api.act(n, "start"))
    if finish:
        api.ok(api.act(n, "finish"))
    return ticket


def test_rate_the_just_finished_ticket(api: Api, hall) -> None:
    ticket = _served(api, 3, "certificate-pickup")
    response = api.post("/ratings", "counter-3", json={"ticket": ticket["id"], "score": 5})
    assert response.status_code == 201
    body = response.get_json()
    assert body["ticket"] == ticket["number"]
    assert body["counter"] == 3
    assert body["score"] == 5
    assert body["follow_up"] is None
    ratings, follow_ups = _stored(api)
    assert ratings == [(body["id"], ticket["id"], 5, hall.users["clerk3"])]
    assert follow_ups == []
    # Once only.
    again = api.post("/ratings", "counter-3", json={"ticket": ticket["id"], "score": 1})
    assert_error(again, 409, "already_rated")
    assert len(_stored(api)[0]) == 1


def test_rate_the_ticket_being_served_by_its_number(api: Api) -> None:
    ticket = _served(api, 7, "consultation", finish=False)
    response = api.post(
        "/ratings", "counter-7", json={"ticket": ticket["number"].lower(), "score": 4}
    )
    assert response.status_code == 201
    assert response.get_json()["ticket"] == ticket["number"]
    assert _stored(api)[0][0][1:3] == (ticket["id"], 4)


@pytest.mark.parametrize("score", [1, 2])
def test_a_bad_rating_opens_a_follow_up(api: Api, score: int) -> None:
    ticket = _served(api, 8, "certificate-pickup")
    body = api.ok(
        api.post("/ratings", "counter-8", json={"ticket": ticket["id"], "score": score}), 201
    )
    assert isinstance(body["follow_up"], int)
    ratings, follow_ups = _stored(api)
    assert follow_ups == [(body["follow_up"], body["id"])]
    assert ratings[0][2] == score


def test_a_three_opens_no_follow_up(api: Api) -> None:
    ticket = _served(api, 8, "certificate-pickup")
    body = api.ok(api.post("/ratings", "counter-8", json={"ticket": ticket["id"], "score": 3}), 201)
    assert body["follow_up"] is None
    assert _stored(api)[1] == []


def test_only_the_windows_own_agent_rates(api: Api) -> None:
    ticket = _served(api, 3, "certificate-pickup")
    body = {"ticket": ticket["id"], "score": 5}
    assert_error(api.post("/ratings", "counter-2", json=body), 403, "not_this_windows_ticket")
    for who in ("clerk3", "supervisor", "admin", "kiosk-1", "display-a"):
        assert_error(api.post("/ratings", who, json=body), 403, "role_not_allowed")
    assert_error(api.post("/ratings", None, json=body), 401, "unauthenticated")
    assert _stored(api) == ([], [])
    assert api.post("/ratings", "counter-3", json=body).status_code == 201


def test_only_a_served_ticket_is_rated(api: Api) -> None:
    api.open(3)
    waiting = api.issue("certificate-pickup")
    body = {"ticket": waiting["id"], "score": 5}
    assert_error(api.post("/ratings", "counter-3", json=body), 403, "not_this_windows_ticket")
    api.call(3)  # called, not yet served
    assert_error(api.post("/ratings", "counter-3", json=body), 409, "not_served")
    api.ok(api.act(3, "no-show"))  # left the window without being served
    assert_error(api.post("/ratings", "counter-3", json=body), 403, "not_this_windows_ticket")
    assert _stored(api) == ([], [])


def test_an_older_ticket_is_not_rated_any_more(api: Api) -> None:
    first = _served(api, 3, "certificate-pickup")
    second = api.issue("certificate-pickup")
    assert api.call(3)["id"] == second["id"]  # the next customer is at the window
    stale = api.post("/ratings", "counter-3", json={"ticket": first["id"], "score": 1})
    assert_error(stale, 403, "not_this_windows_ticket")
    api.ok(api.act(3, "start"))
    api.ok(api.act(3, "finish"))
    assert_error(
        api.post("/ratings", "counter-3", json={"ticket": first["id"], "score": 1}),
        403,
        "not_this_windows_ticket",
    )
    assert (
        api.post("/ratings", "counter-3", json={"ticket": second["id"], "score": 5}).status_code
        == 201
    )
    assert [r[1] for r in _stored(api)[0]] == [second["id"]]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"ticket": "Z999", "score": 5}, 404, "unknown_ticket"),
        ({"ticket": 999999, "score": 5}, 403, "not_this_windows_ticket"),
        ({"score": 5}, 422, "invalid_request"),
        ({"ticket": 1}, 422, "invalid_request"),
        ({"ticket": 1, "score": 0}, 422, "invalid_request"),
        ({"ticket": 1, "score": 6}, 422, "invalid_request"),
        ({"ticket": 1, "score": 4.5}, 422, "invalid_request"),
        ({"ticket": 1, "score": "five"}, 422, "invalid_request"),
        ({"ticket": 1, "score": None}, 422, "invalid_request"),
        ({"ticket": [1], "score": 5}, 422, "invalid_request"),
        ({"ticket": None, "score": 5}, 422, "invalid_request"),
        ({"ticket": 1, "score": 5, "comment": "great"}, 422, "invalid_request"),
    ],
)
def test_rating_refuses_bad_requests(api: Api, body: dict, status: int, code: str) -> None:
    _served(api, 3, "certificate-pickup")
    assert_error(api.post("/ratings", "counter-3", json=body), status, code)
    assert _stored(api) == ([], [])

"""The API on PostgreSQL, as a hall runs it: a day's flow, input PostgreSQL refuses to store
(never a 500), and retried presses racing with one Idempotency-Key."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from hallq.server.models import Rating, Ticket
from tests.api.conftest import BASE, Api, HallInfo, assert_error, build_app, login_tokens
from tests.support.hall import FakeClock, build_hall

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_hall(pg_url: str, tmp_path: Path) -> HallInfo:
    built = build_hall(pg_url)
    built.db.dispose()
    return HallInfo(
        url=pg_url,
        path=tmp_path / "unused.sqlite3",
        context=built.context,
        config=built.config,
        users=dict(built.users),
        devices=dict(built.devices),
        tokens=dict(built.tokens),
        user_tokens=login_tokens(pg_url, built.users, BASE),
    )


@pytest.fixture
def pg_app(pg_hall: HallInfo) -> Iterator[Flask]:
    app = build_app(pg_hall, FakeClock(BASE))
    yield app
    app.extensions["hallq"].callers.close()
    app.extensions["hallq"].db.dispose()


@pytest.fixture
def pg_api(pg_app: Flask, pg_hall: HallInfo) -> Api:
    return Api(pg_app.test_client(), pg_hall)


def test_a_days_flow(pg_api: Api) -> None:
    api = pg_api
    api.open(1)
    api.open(7)
    key = {"Idempotency-Key": "pg-press-1"}
    first = api.ok(
        api.post("/tickets", "kiosk-1", json={"service": "property-transfer"}, headers=key), 201
    )
    replay = api.post("/tickets", "kiosk-1", json={"service": "property-transfer"}, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == first["id"]
    second = api.issue("property-transfer", "clerk7", priority="priority")
    assert second["position"] == 1
    assert api.call(1)["id"] == second["id"]
    assert api.ok(api.act(1, "recall"))["call_count"] == 2
    api.ok(api.act(1, "start"))
    api.ok(api.act(1, "finish"))
    rated = api.ok(
        api.post("/ratings", "counter-1", json={"ticket": second["number"], "score": 1}), 201
    )
    assert rated["follow_up"] is not None
    assert api.call(1)["id"] == first["id"]
    moved = api.ok(api.act(1, "transfer", json={"counter": 7}))
    assert (moved["leg"], moved["target_counter"]) == (2, 7)
    assert api.call(7)["id"] == first["id"]
    api.ok(api.act(7, "requeue"))
    assert api.call(7)["id"] == first["id"]
    api.ok(api.act(7, "no-show"))
    waiting = api.issue("consultation")
    api.ok(api.post(f"/tickets/{waiting['id']}/cancel", "clerk7", json={"reason": "left"}))
    assert api.ticket(waiting["id"])["status"] == "cancelled"
    assert_error(api.get("/tickets/999999", "clerk1"), 404, "unknown_ticket")
    assert_error(api.act(1, "call-next", "clerk7"), 403, "not_your_window")


def test_text_postgresql_cannot_store_is_refused(pg_api: Api) -> None:
    api = pg_api
    api.open(1)
    api.issue("property-transfer")
    api.call(1)
    requests = [
        (
            "/tickets",
            "kiosk-1",
            {"service": "consultation", "priority": "appointment", "appointment": "BK\x00"},
        ),
        ("/auth/login", None, {"username": "clerk\x001", "password": "x"}),
        ("/counters/1/transfer", "clerk1", {"service": "consultation", "note": "a\x00b"}),
        ("/counters/1/pause", "clerk1", {"reason": "\x00"}),
        ("/ratings", "counter-1", {"ticket": "A\x00", "score": 3}),
        ("/tickets/1/cancel", "clerk1", {"reason": "\x00"}),
    ]
    for path, who, body in requests:
        assert_error(api.post(path, who, json=body), 422, "invalid_request")
    assert_error(api.get("/tickets/1?token=%00"), 422, "invalid_request")
    assert api.client.get("/t/%00").status_code == 404
    assert api.client.get("/t/a%00b").status_code == 404
    assert api.counter(1)["current_ticket"] == "A001"
    assert api.service("consultation")["waiting"] == 0


def test_retried_presses_racing_make_one_ticket(pg_app: Flask, pg_hall: HallInfo) -> None:
    """Six retries of one press arrive at once: one ticket, and every answer names it."""
    barrier = threading.Barrier(6)

    def press(_: int) -> tuple[int, int, str | None]:
        api = Api(pg_app.test_client(), pg_hall)
        barrier.wait()
        response = api.post(
            "/tickets",
            "kiosk-2",
            json={"service": "vehicle-transfer"},
            headers={"Idempotency-Key": "same-press"},
        )
        return (
            response.status_code,
            response.get_json()["id"],
            response.headers.get("Idempotent-Replayed"),
        )

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(press, range(6)))
    assert {status for status, _, _ in answers} == {201}
    assert len({ticket for _, ticket, _ in answers}) == 1
    assert sorted(replayed or "" for _, _, replayed in answers) == [""] + ["true"] * 5
    database = pg_app.extensions["hallq"].db
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert session.scalar(select(func.count()).select_from(Rating)) == 0


def test_revocations_reach_the_cache_at_once(pg_api: Api, pg_hall: HallInfo, pg_app: Flask) -> None:
    """On PostgreSQL the servers LISTEN for revocations announced by any process."""
    from click.testing import CliRunner

    from hallq.server.cli import main as hallq_cli
    from hallq.server.models import Device

    api = pg_api
    assert api.get("/state", "display-a").status_code == 200  # now cached
    database = pg_app.extensions["hallq"].db
    with database.writing() as session:
        session.scalar(select(Device).where(Device.name == "display-a")).token_hash = None
    # Changed behind HallQ's back, with no announcement: the cache still answers.
    assert api.get("/state", "display-a").status_code == 200
    assert api.get("/state", "display-b").status_code == 200
    result = CliRunner().invoke(
        hallq_cli, ["device", "revoke", "display-b"], env={"HALLQ_DATABASE_URL": pg_hall.url}
    )
    assert result.exit_code == 0, result.output
    # The command's NOTIFY reaches the server as PostgreSQL delivers it (well under the
    # cache's 5 s): both are refused.
    deadline = time.monotonic() + 1.0
    while api.get("/state", "display-b").status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert_error(api.get("/state", "display-b"), 401, "bad_token")
    assert_error(api.get("/state", "display-a"), 401, "bad_token")

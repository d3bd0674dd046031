"""Signing in and out, who a token belongs to, and tokens that must stop working at once:
logged out, revoked devices (`hallq device revoke`), disabled users (`hallq user disable`),
expired logins."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hallq.server import auth_cache
from hallq.server.admin import devices, users
from hallq.server.auth import LOGIN_LIFETIME
from hallq.server.cli import main as hallq_cli
from hallq.server.commands import CommandPath, NoRealtime
from hallq.server.db import Database
from hallq.server.models import Device
from hallq.server.queue.events import Actor
from tests.api.conftest import BASE, Api, assert_error
from tests.support.hall import PASSWORD


def hallq(hall, *args: str) -> str:
    """Run the ``hallq`` command on this test's database; returns its output."""
    result = CliRunner().invoke(
        hallq_cli, list(args), env={"HALLQ_DATABASE_URL": hall.url}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


# --- login --------------------------------------------------------------------------------------


def test_login_gives_a_working_token(api: Api) -> None:
    response = api.login("clerk4")
    assert response.status_code == 200
    body = response.get_json()
    assert body["role"] == "clerk"
    assert body["name"] == "clerk4"
    assert body["token"].startswith("hqu_") and len(body["token"]) > 40
    assert dt.datetime.fromisoformat(body["expires_at"]) == BASE + LOGIN_LIFETIME
    me = api.get("/auth/me", body["token"])
    assert me.status_code == 200
    assert me.get_json()["name"] == "clerk4"
    assert me.get_json()["role"] == "clerk"
    assert me.get_json()["kind"] == "user"
    # The token acts: clerk4 signs in to window 4.
    assert api.post("/counters/4/open", body["token"]).get_json()["clerk"] == "clerk4"


def test_login_refusals(api: Api, hall) -> None:
    wrong = api.login("clerk5", "not-the-password")
    error = assert_error(wrong, 401, "bad_credentials")
    unknown = api.login("nobody", PASSWORD)
    assert assert_error(unknown, 401, "bad_credentials")["message"] == error["message"]
    en = api.login("nobody", PASSWORD, headers={"Accept-Language": "en"})
    assert assert_error(en, 401, "bad_credentials", lang="en")["message"] == (
        "Wrong user name or password, or the account is disabled."
    )
    assert "token" not in wrong.get_json()


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"username": "clerk1"}}, 422, "invalid_request"),
        ({"json": {"password": PASSWORD}}, 422, "invalid_request"),
        ({"json": {"username": "", "password": PASSWORD}}, 422, "invalid_request"),
        ({"json": {"username": "clerk1", "password": ""}}, 422, "invalid_request"),
        ({"json": {"username": 1, "password": PASSWORD}}, 422, "invalid_request"),
        (
            {"json": {"username": "clerk1", "password": PASSWORD, "otp": "1"}},
            422,
            "invalid_request",
        ),
        ({"json": {"username": "u" * 65, "password": PASSWORD}}, 422, "invalid_request"),
        ({"json": ["clerk1", PASSWORD]}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        (
            {
                "data": "username=clerk1&password=x",
                "content_type": "application/x-www-form-urlencoded",
            },
            415,
            "unsupported_media_type",
        ),
        (
            {"data": '{"username": "clerk1",', "content_type": "application/json"},
            400,
            "malformed_json",
        ),
    ],
)
def test_login_bad_requests(api: Api, kwargs: dict, status: int, code: str) -> None:
    assert_error(api.post("/auth/login", **kwargs), status, code)


def test_login_ignores_a_stale_token_in_the_header(api: Api) -> None:
    """A client whose token expired signs in again; an old Authorization header must not
    stop it."""
    response = api.post(
        "/auth/login", "hqu_expired-or-unknown", json={"username": "clerk6", "password": PASSWORD}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["role"] == "clerk"


def test_login_is_rate_limited_per_user_name(api: Api) -> None:
    for _ in range(10):
        assert_error(api.login("clerk8", "guess"), 401, "bad_credentials")
    limited = api.login("clerk8", PASSWORD)  # even the right password, for now
    assert_error(limited, 429, "too_many_requests")
    # Another user at the same address is not locked out.
    assert api.login("clerk9").status_code == 200


def test_disabled_user_cannot_sign_in(api: Api, hall) -> None:
    hallq(hall, "user", "disable", "clerk7")
    assert_error(api.login("clerk7"), 401, "bad_credentials")


# --- me -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (
            "admin",
            {"name": "admin", "role": "admin", "kind": "user", "zone": None, "counter": None},
        ),
        ("supervisor", {"role": "supervisor", "kind": "user", "counter": None}),
        ("kiosk-1", {"name": "kiosk-1", "role": "kiosk", "kind": "device", "zone": None}),
        ("display-b", {"name": "display-b", "role": "display", "kind": "device", "zone": "B"}),
        ("counter-4", {"name": "counter-4", "role": "counter", "kind": "device", "counter": 4}),
    ],
)
def test_me(api: Api, hall, who: str, expected: dict) -> None:
    response = api.get("/auth/me", who)
    assert response.status_code == 200
    body = response.get_json()
    for key, value in expected.items():
        assert body[key] == value, key
    assert body["hall"] == hall.context.id


# --- logout and dead tokens ---------------------------------------------------------------------


def test_logout_ends_that_token_at_once(api: Api) -> None:
    token = api.login_token("clerk2")
    other = api.hall.user_tokens["clerk2"]  # the same clerk signed in elsewhere
    assert api.post("/counters/2/open", token).status_code == 200
    response = api.post("/auth/logout", token)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_error(api.get("/auth/me", token), 401, "bad_token")
    assert_error(api.post("/counters/2/call-next", token), 401, "bad_token")
    assert_error(api.post("/auth/logout", token), 401, "bad_token")
    # Only that token: the other session goes on.
    assert api.get("/auth/me", other).status_code == 200
    assert api.act(2, "call-next", other).status_code == 204


@pytest.mark.parametrize("who", ["kiosk-1", "display-a", "counter-1"])
def test_devices_do_not_log_out(api: Api, who: str) -> None:
    assert_error(api.post("/auth/logout", who), 403, "role_not_allowed")
    assert api.get("/auth/me", who).status_code == 200


def test_revoked_device_is_refused_at_once(api: Api, hall) -> None:
    assert api.get("/auth/me", "kiosk-2").status_code == 200  # known, maybe cached
    assert api.issue("consultation", "kiosk-2")["number"] == "D001"
    output = hallq(hall, "device", "revoke", "kiosk-2")
    assert "kiosk-2" in output
    assert_error(
        api.post("/tickets", "kiosk-2", json={"service": "consultation"}), 401, "bad_token"
    )
    assert_error(api.get("/auth/me", "kiosk-2"), 401, "bad_token")
    en = api.get("/services", "kiosk-2", headers={"Accept-Language": "en"})
    assert assert_error(en, 401, "bad_token", lang="en")["message"] == (
        "This token is not valid (unknown, expired or revoked): sign in again."
    )
    assert api.service("consultation")["waiting"] == 1
    # The other kiosk is unaffected; a new token brings kiosk-2 back.
    assert api.issue("consultation", "kiosk-1")["number"] == "D002"
    new_token = hallq(hall, "device", "add", "kiosk-2").strip().splitlines()[-1]
    assert new_token != hall.tokens["kiosk-2"]
    assert api.issue("consultation", new_token)["number"] == "D003"
    assert_error(api.get("/auth/me", "kiosk-2"), 401, "bad_token")  # the old one stays dead


def test_revoked_counter_agent_is_refused(api: Api, hall) -> None:
    api.open(3)
    api.issue("property-transfer")
    hallq(hall, "device", "revoke", "counter-3")
    assert_error(api.act(3, "call-next", "counter-3"), 401, "bad_token")
    assert api.counter(3)["current_ticket"] is None


def test_disabled_user_is_refused_at_once(api: Api, hall) -> None:
    api.open(5)
    assert api.get("/auth/me", "clerk5").status_code == 200
    output = hallq(hall, "user", "disable", "clerk5")
    assert "clerk5" in output
    api.issue("vehicle-transfer")
    assert_error(api.act(5, "call-next"), 401, "bad_token")
    assert_error(api.get("/auth/me", "clerk5"), 401, "bad_token")
    assert api.service("vehicle-transfer")["waiting"] == 1


def _other_process(database) -> CommandPath:
    """The command path of another process (the hallq command, another server): no hub of
    this server's; the revocation reaches it through the announcement alone."""
    return CommandPath(database, NoRealtime())


def test_user_disabled_by_another_process_is_refused(api: Api, hall) -> None:
    database = Database(hall.url)
    assert api.get("/counters", "clerk6").status_code == 200
    actor = Actor(hall_id=hall.context.id, role="cli", source="cli")
    _other_process(database).run(
        hall.context, actor, BASE, lambda s: users.disable_user(s, actor, "clerk6", BASE)
    )
    database.dispose()
    assert_error(api.get("/counters", "clerk6"), 401, "bad_token")


def test_device_revoked_by_another_process_is_refused(api: Api, hall) -> None:
    database = Database(hall.url)
    assert api.get("/state", "display-c").status_code == 200
    actor = Actor(hall_id=hall.context.id, role="cli", source="cli")
    _other_process(database).run(
        hall.context, actor, BASE, lambda s: devices.revoke(s, actor, "display-c", BASE)
    )
    database.dispose()
    assert_error(api.get("/state", "display-c"), 401, "bad_token")


def test_callers_are_remembered_for_a_few_seconds_until_a_revocation(api: Api, hall) -> None:
    database = api.client.application.extensions["hallq"].db
    assert api.get("/state", "display-b").status_code == 200
    with database.writing() as session:
        session.scalar(select(Device).where(Device.name == "display-b")).token_hash = None
    # Changed behind HallQ's back: the cached caller still stands (no query per request)...
    assert api.get("/state", "display-b").status_code == 200
    auth_cache.announce_after_commit(database)
    # ...until a revocation is stamped, which takes effect at once.
    assert_error(api.get("/state", "display-b"), 401, "bad_token")


def test_login_tokens_expire(api: Api, clock) -> None:
    assert api.get("/auth/me", "clerk1").status_code == 200
    clock.set(BASE + LOGIN_LIFETIME + dt.timedelta(seconds=1))
    assert_error(api.get("/auth/me", "clerk1"), 401, "bad_token")
    assert api.get("/auth/me", "kiosk-1").status_code == 200  # device tokens do not expire


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Bearer", "unauthenticated"),
        ("Bearer    ", "unauthenticated"),
        ("Basic Y2xlcmsxOnBhc3M=", "unauthenticated"),
        ("Token hqu_abc", "unauthenticated"),
        ("Bearer garbage", "bad_token"),
        ("Bearer hqu_" + "A" * 43, "bad_token"),
        ("Bearer hqd_" + "A" * 43, "bad_token"),
        ("Bearer " + "x" * 5000, "bad_token"),
    ],
)
def test_malformed_authorization(api: Api, authorization: str, code: str) -> None:
    response = api.client.get("/api/v1/services", headers={"Authorization": authorization})
    assert_error(response, 401, code)

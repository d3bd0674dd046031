"""Every change is in the event log with who made it and from where: administration too
(users, roles, passwords, devices, hall files, sign-ins), from the CLI, the API or a device."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hallq.server.models import Event
from tests.api.conftest import Api, assert_error
from tests.api.test_auth import hallq


def _log(api: Api, *kinds: str) -> list[Any]:
    database = api.client.application.extensions["hallq"].db
    with database.reading() as session:
        return list(
            session.execute(
                select(Event.kind, Event.user_id, Event.device_id, Event.source, Event.payload)
                .where(Event.kind.in_(kinds))
                .order_by(Event.id)
            )
        )


def test_the_cli_logs_what_it_changes_with_its_source_and_account(api: Api, hall) -> None:
    hallq(hall, "user", "add", "chan", "--role", "clerk", "--password", "chan-pw-1")
    hallq(hall, "user", "add", "chan", "--role", "supervisor", "--password", "chan-pw-2")
    hallq(hall, "user", "disable", "chan")
    hallq(hall, "device", "add", "kiosk-9", "--kind", "kiosk")
    hallq(hall, "device", "add", "kiosk-9")
    hallq(hall, "device", "revoke", "kiosk-9")
    rows = _log(
        api,
        "user.added",
        "user.role_changed",
        "user.password_reset",
        "user.disabled",
        "device.added",
        "device.token_renewed",
        "device.revoked",
    )
    assert [r.kind for r in rows] == [
        "user.added",
        "user.role_changed",
        "user.password_reset",
        "user.disabled",
        "device.added",
        "device.token_renewed",
        "device.revoked",
    ]
    assert {r.source for r in rows} == {"cli"}
    assert all(r.payload.get("by") for r in rows)  # the system account that ran hallq
    role = rows[1].payload
    assert (role["username"], role["role"], role["was"]) == ("chan", "supervisor", "clerk")
    assert "password" not in str([r.payload for r in rows]).lower().replace("password_reset", "")


def test_a_new_role_or_password_ends_the_users_logins(api: Api, hall) -> None:
    token = api.login_token("clerk2")
    assert api.get("/auth/me", token).status_code == 200
    hallq(hall, "user", "add", "clerk2", "--role", "clerk", "--password", "new-secret")
    assert_error(api.get("/auth/me", token), 401, "bad_token")
    token = api.login_token("clerk2", "new-secret")
    hallq(hall, "user", "add", "clerk2", "--role", "supervisor", "--password", "new-secret")
    assert_error(api.get("/auth/me", token), 401, "bad_token")
    assert api.login("clerk2", "new-secret").get_json()["role"] == "supervisor"


def test_sign_ins_are_logged_whether_or_not_they_succeed(api: Api, hall) -> None:
    assert api.login("clerk3").status_code == 200
    assert_error(api.login("clerk3", "wrong"), 401, "bad_credentials")
    assert_error(api.login("no-such-user", "x"), 401, "bad_credentials")
    token = api.login_token("clerk3")
    assert api.post("/auth/logout", token).status_code == 204
    rows = _log(api, "auth.signed_in", "auth.sign_in_failed", "auth.signed_out")
    assert [r.kind for r in rows] == [
        "auth.signed_in",
        "auth.sign_in_failed",
        "auth.sign_in_failed",
        "auth.signed_in",
        "auth.signed_out",
    ]
    assert [r.user_id for r in rows] == [hall.users["clerk3"]] * 2 + [None] + [
        hall.users["clerk3"]
    ] * 2
    assert rows[2].payload["username"] == "no-such-user"
    assert all(r.payload.get("address") for r in rows[:4])
    assert {r.source for r in rows} == {"api"}


def test_each_change_names_its_source(api: Api, hall) -> None:
    api.open(1)
    api.issue("consultation", "kiosk-1")
    api.issue("consultation", "clerk1")
    api.call(1, "counter-1")
    rows = _log(api, "counter.opened", "ticket.issued", "ticket.called")
    assert [(r.kind, r.source) for r in rows] == [
        ("counter.opened", "api"),
        ("ticket.issued", "device"),
        ("ticket.issued", "api"),
        ("ticket.called", "device"),  # the window's keypad, for the clerk who holds it
    ]
    assert rows[1].device_id == hall.devices["kiosk-1"]
    assert rows[3].user_id == hall.users["clerk1"] and rows[3].device_id is not None


def test_failed_sign_ins_are_limited_per_address_whatever_the_name(api: Api) -> None:
    for n in range(30):
        assert_error(api.login(f"made-up-{n}", "guess"), 401, "bad_credentials")
    limited = api.login("made-up-new", "guess")
    assert_error(limited, 429, "too_many_requests")
    assert int(limited.headers["Retry-After"]) >= 1
    # Another address is not held back by this one's flood.
    other = api.login("clerk4", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other.status_code == 200

"""Administration of devices and users: a device's token is shown once, rotating or revoking
it ends the old one at once; users' roles, passwords, the windows a clerk may open, and the
rule that a hall keeps an administrator."""

from __future__ import annotations

import tomllib
from typing import Any

from tests.api.conftest import Api, HallInfo, assert_error
from tests.api.test_admin_hall import EN, export, log, send


def me(api: Api, token: str) -> int:
    return int(api.get("/auth/me", token).status_code)


# -- devices ------------------------------------------------------------------------------------


def test_a_new_devices_token_is_shown_once(api: Api, hall: HallInfo) -> None:
    added = send(api, "POST", "/devices", {"name": "kiosk-3", "kind": "kiosk", "zone": "A"})
    assert added.status_code == 201, added.get_data(as_text=True)
    body = added.get_json()
    token = body["token"]
    assert body["name"] == "kiosk-3" and me(api, token) == 200
    listed = api.ok(api.get("/admin/devices", "admin"))["devices"]
    kiosk = next(d for d in listed if d["name"] == "kiosk-3")
    assert kiosk["zone"] == "A" and kiosk["has_token"] and not kiosk["revoked"]
    assert token not in str(listed)  # never readable again
    # It is in the hall file now, so that an export keeps it.
    devices = tomllib.loads(export(api))["devices"]
    assert {"name": "kiosk-3", "kind": "kiosk", "zone": "A"} in devices
    assert_error(
        send(api, "POST", "/devices", {"name": "kiosk-3", "kind": "kiosk"}),
        409,
        "device_exists",
        lang="en",
    )
    assert_error(
        send(api, "POST", "/devices", {"name": "counter-99", "kind": "counter", "window": 99}),
        404,
        "unknown_counter",
        lang="en",
    )
    kinds = [kind for kind, _, _ in log(hall, "device.")] + [k for k, _, _ in log(hall)]
    assert kinds == ["device.added", "admin.device_added"]
    assert {user for _, user, _ in log(hall, "device.")} == {hall.users["admin"]}


def test_rotating_ends_the_old_token_and_revoking_ends_the_device(api: Api, hall: HallInfo) -> None:
    old = hall.tokens["kiosk-1"]
    assert me(api, old) == 200
    rotated = api.ok(api.post("/admin/devices/kiosk-1/rotate", "admin"))
    assert rotated["kind"] == "kiosk" and rotated["token"] != old
    assert me(api, old) == 401 and me(api, rotated["token"]) == 200

    revoked = api.ok(api.post("/admin/devices/kiosk-1/revoke", "admin"))["device"]
    assert revoked["revoked"] and not revoked["has_token"]
    assert me(api, rotated["token"]) == 401
    assert_error(api.post("/admin/devices/nothing/rotate", "admin"), 404, "unknown_device")
    assert_error(api.post("/admin/devices/nothing/revoke", "admin"), 404, "unknown_device")
    assert [kind for kind, _, _ in log(hall, "device.")] == [
        "device.token_renewed",
        "device.revoked",
    ]


# -- users --------------------------------------------------------------------------------------


def add_clerk(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"username": "wong", "display_name": "Wong", "role": "clerk", "password": "s3cret"}
    response = send(api, "POST", "/users", {**body, **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["user"]  # type: ignore[no-any-return]


def test_users_are_added_changed_and_disabled(api: Api, hall: HallInfo) -> None:
    user = add_clerk(api, windows=[2, 1])
    assert (user["role"], user["windows"], user["active"]) == ("clerk", [1, 2], True)
    assert_error(
        send(api, "POST", "/users", {**user, "password": "s3cret"}),
        422,
        "invalid_request",
        lang="en",
    )
    assert_error(
        send(
            api,
            "POST",
            "/users",
            {"username": "wong", "role": "clerk", "password": "another"},
        ),
        409,
        "user_exists",
        lang="en",
    )
    token = api.login_token("wong", "s3cret")
    listed = api.ok(api.get("/admin/users", "admin"))["users"]
    assert "wong" in [u["username"] for u in listed]
    assert "password_hash" not in str(listed)

    changed = send(api, "PATCH", "/users/wong", {"role": "supervisor", "display_name": "Mr Wong"})
    assert changed.get_json()["user"]["role"] == "supervisor"
    assert me(api, token) == 401  # a new role: sign in again

    token = api.login_token("wong", "s3cret")
    reset = send(api, "POST", "/users/wong/password", {"password": "n3w-one"})
    assert reset.status_code == 200 and me(api, token) == 401
    assert api.login("wong", "s3cret").status_code == 401
    token = api.login_token("wong", "n3w-one")

    assert send(api, "POST", "/users/wong/disable").get_json()["user"]["active"] is False
    assert me(api, token) == 401 and api.login("wong", "n3w-one").status_code == 401
    assert send(api, "POST", "/users/wong/enable").get_json()["user"]["active"] is True
    assert api.login("wong", "n3w-one").status_code == 200
    assert_error(send(api, "POST", "/users/nobody/disable"), 404, "unknown_user", lang="en")
    kinds = [kind for kind, _, _ in log(hall, "user.")]
    assert kinds == [
        "user.added",
        "user.windows_set",
        "user.role_changed",
        "user.renamed",
        "user.password_reset",
        "user.disabled",
        "user.enabled",
    ]
    assert {user_id for _, user_id, _ in log(hall, "user.")} == {hall.users["admin"]}


def test_a_clerk_opens_only_their_windows(api: Api, hall: HallInfo) -> None:
    assert send(api, "PATCH", "/users/clerk3", {"windows": [3, 4]}).status_code == 200
    listed = api.ok(api.get("/counters", "clerk3"))
    assert listed["allowed"] == [3, 4]
    assert api.ok(api.get("/counters", "clerk1"))["allowed"] is None
    refused = api.post("/counters/5/open", "clerk3", headers=EN)
    assert_error(refused, 403, "window_not_allowed", lang="en")
    assert api.counter(5)["state"] == "closed"
    assert api.open(4, "clerk3")["state"] == "open"
    # Supervisors are not held to a list; an empty list lets the clerk open any window.
    assert send(api, "PATCH", "/users/clerk3", {"windows": []}).status_code == 200
    assert api.ok(api.get("/counters", "clerk3"))["allowed"] is None
    assert_error(
        send(api, "PATCH", "/users/clerk3", {"windows": [42]}), 422, "unknown_window", lang="en"
    )


def test_the_hall_keeps_an_administrator(api: Api, hall: HallInfo) -> None:
    assert_error(send(api, "POST", "/users/admin/disable"), 409, "last_admin", lang="en")
    assert_error(
        send(api, "PATCH", "/users/admin", {"role": "clerk"}), 409, "last_admin", lang="en"
    )
    add_clerk(api, username="chan", role="admin")
    assert send(api, "PATCH", "/users/admin", {"role": "supervisor"}).status_code == 200
    assert me(api, hall.user_tokens["admin"]) == 401  # a new role: sessions end
    chan = api.login_token("chan", "s3cret")
    refused = api.post("/admin/users/chan/disable", chan, headers=EN)
    assert_error(refused, 409, "last_admin", lang="en")

"""Devices and users over the API: what ``hallq device`` and ``hallq user`` do, for the back
office. A device's token is answered once, when it is made; revoking it, giving it a new
one, disabling a user or changing their role or password closes their open sockets at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.admin import devices, hall_edits, users
from hallq.server.api.admin import ADMIN, bp, hall_change
from hallq.server.api.admin_schemas import (
    DeviceIn,
    DeviceOut,
    DevicesOut,
    DeviceTokenOut,
    NamePath,
    PasswordIn,
    UserIn,
    UserOut,
    UserPatch,
    UserPath,
    UsersOut,
)
from hallq.server.api.context import caller, change, hall, requires
from hallq.server.auth import hash_password
from hallq.server.models import User
from hallq.server.queue.events import DomainEvent
from hallq.server.state import hallq

# -- devices ----------------------------------------------------------------------------------


def _device(name: str) -> dict[str, Any]:
    with hallq().db.reading() as session:
        found = [d for d in devices.listed(session, hall().id) if d["name"] == name]
    return found[0] if found else {}


@bp.get(
    "/admin/devices",
    summary="The hall's devices: kind, zone, window, last seen, status, token state",
    responses={200: DevicesOut},
)
@requires(*ADMIN)
def list_devices() -> Any:
    with hallq().db.reading() as session:
        return {"devices": devices.listed(session, hall().id)}


@dataclass
class _Added:
    token: str
    events: list[DomainEvent] = field(default_factory=list)


@bp.post(
    "/admin/devices",
    summary="Add a device; answers its token this once",
    description="The device joins the hall file's devices and gets a token, which is never "
    "shown again (only its hash is kept): give it to the device now.",
    responses={201: DeviceTokenOut},
)
@requires(*ADMIN)
def add_device(body: DeviceIn) -> Any:
    entry = {"name": body.name, "kind": body.kind, "zone": body.zone, "counter": body.window}

    def work(session: Session, now: dt.datetime) -> _Added:
        actor = caller().actor
        devices.check_new(session, actor.hall_id, body.name)
        # The token first, as `hallq device add` gives it (logged as device.added); then the
        # device joins the hall file, so that an export lists it.
        given = devices.give_token(
            session,
            actor,
            body.name,
            kind=body.kind,
            zone=body.zone if body.kind != "counter" else None,
            counter_number=body.window,
            now=now,
        )
        done = hall_edits.edit(
            session,
            actor,
            lambda data: hall_edits.add_item(data, "devices", entry),
            kind="admin.device_added",
            now=now,
            device=body.name,
        )
        return _Added(given.token, done.events + given.events)

    result = hall_change(work)
    return {"name": body.name, "kind": body.kind, "token": result.token}, 201


@bp.post(
    "/admin/devices/<name>/rotate",
    summary="Give a device a new token (answered this once); the old one stops at once",
    responses={200: DeviceTokenOut},
)
@requires(*ADMIN)
def rotate_device(path: NamePath) -> Any:
    now = hallq().clock()
    given = change(lambda session: devices.rotate(session, caller().actor, path.name, now))
    return {"name": path.name, "kind": given.kind, "token": given.token}


@bp.post(
    "/admin/devices/<name>/revoke",
    summary="Revoke a device's token: it stops working and its sockets close at once",
    responses={200: DeviceOut},
)
@requires(*ADMIN)
def revoke_device(path: NamePath) -> Any:
    now = hallq().clock()
    change(lambda session: devices.revoke(session, caller().actor, path.name, now))
    return {"device": _device(path.name)}


# -- users ------------------------------------------------------------------------------------


def _user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
        "windows": user.windows or None,
        "created_at": user.created_at.isoformat(),
    }


def _user(username: str) -> dict[str, Any]:
    with hallq().db.reading() as session:
        return _user_out(users.find_user(session, hall().id, username))


@bp.get("/admin/users", summary="The hall's users", responses={200: UsersOut})
@requires(*ADMIN)
def list_users() -> Any:
    with hallq().db.reading() as session:
        rows = session.scalars(
            select(User).where(User.hall_id == hall().id).order_by(User.username)
        ).all()
        return {"users": [_user_out(user) for user in rows]}


@bp.post(
    "/admin/users",
    summary="Add a user (role, password, the windows a clerk may open)",
    responses={201: UserOut},
)
@requires(*ADMIN)
def add_user(body: UserIn) -> Any:
    hashed = hash_password(body.password)  # slow: before the transaction, not inside it
    now = hallq().clock()
    change(
        lambda session: users.add_user(
            session,
            caller().actor,
            body.username,
            role=body.role,
            password_hash=hashed,
            display_name=body.display_name,
            windows=body.windows,
            now=now,
        )
    )
    return {"user": _user(body.username)}, 201


@bp.patch(
    "/admin/users/<username>",
    summary="Change a user's role, display name, windows, or enable/disable them",
    description="A new role or disabling ends the user's sessions. The last active "
    "administrator cannot be disabled or given another role (409).",
    responses={200: UserOut},
)
@requires(*ADMIN)
def patch_user(path: UserPath, body: UserPatch) -> Any:
    fields = body.model_dump(exclude_unset=True)
    now = hallq().clock()
    change(lambda session: users.update_user(session, caller().actor, path.username, fields, now))
    return {"user": _user(path.username)}


@bp.post(
    "/admin/users/<username>/password",
    summary="Reset a user's password; their sessions end",
    responses={200: UserOut},
)
@requires(*ADMIN)
def reset_password(path: UserPath, body: PasswordIn) -> Any:
    hashed = hash_password(body.password)
    now = hallq().clock()
    change(
        lambda session: users.reset_password(session, caller().actor, path.username, hashed, now)
    )
    return {"user": _user(path.username)}


@bp.post(
    "/admin/users/<username>/disable",
    summary="Disable a user: they cannot sign in, their sessions end",
    responses={200: UserOut},
)
@requires(*ADMIN)
def disable_user(path: UserPath) -> Any:
    now = hallq().clock()
    change(
        lambda session: users.update_user(
            session, caller().actor, path.username, {"active": False}, now
        )
    )
    return {"user": _user(path.username)}


@bp.post(
    "/admin/users/<username>/enable",
    summary="Enable a disabled user",
    responses={200: UserOut},
)
@requires(*ADMIN)
def enable_user(path: UserPath) -> Any:
    now = hallq().clock()
    change(
        lambda session: users.update_user(
            session, caller().actor, path.username, {"active": True}, now
        )
    )
    return {"user": _user(path.username)}

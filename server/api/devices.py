"""A device's own view of itself: its status as its agent reported it, and, for a kiosk, the
staff PIN check that lets staff leave its screen or change its settings."""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.context import DEVICES, caller, change, hall, requires
from hallq.server.api.errors import error_response
from hallq.server.api.schemas import ERRORS, DeviceOut, UnlockIn
from hallq.server.i18n import translate
from hallq.server.models import Device
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_
from hallq.server.queue.reads import iso
from hallq.server.state import hallq

tag = Tag(name="devices", description="Kiosks, lobby displays and counter agents")
bp = APIBlueprint(
    "devices", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)


@bp.get(
    "/devices/me",
    summary="This device: its status as its agent last reported it, and when it was last seen",
    description="A kiosk's page reads its printer's state here (`status.status`: ok, "
    "paper_near_end, paper_out, offline, unknown), and its screen settings.",
    responses={200: DeviceOut},
)
@requires(*DEVICES)
def me() -> Any:
    who = caller()
    with hallq().db.reading() as session:
        device = session.get(Device, who.actor.device_id)
    assert device is not None  # the token was just resolved to it
    return {
        "name": device.name,
        "kind": device.kind,
        "zone": who.zone,
        "counter": who.counter_number,
        "status": device.status or {},
        "last_seen_at": iso(device.last_seen_at),
        "kiosk": hall().kiosk.public() if device.kind == "kiosk" else None,
    }


@bp.post(
    "/devices/me/unlock",
    summary="Check the staff PIN that leaves the kiosk screen or opens its settings",
    description="204 when right; 403 when wrong (failures are limited per device and logged); "
    "409 when the hall file sets no PIN (`[kiosk] staff_pin`).",
    responses={204: None},
)
@requires("kiosk")
def unlock(body: UnlockIn) -> Any:
    limits = current_app.extensions["hallq_sign_in_limits"]
    who = caller()
    key = f"kiosk-pin:{who.actor.device_id}"
    wait = limits.retry_after(key, "pin")
    if wait is not None:
        response = error_response(
            429,
            "too_many_requests",
            translate(N_("Too many attempts: wait a minute and try again.")),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    pin = hall().kiosk.staff_pin
    if pin is None:
        return error_response(
            409,
            "no_staff_pin",
            translate(
                N_("No staff PIN is set for the kiosks ([kiosk] staff_pin in the hall file).")
            ),
        )
    right = hmac.compare_digest(pin.encode(), body.pin.encode())
    now = hallq().clock()
    kind = "kiosk.unlocked" if right else "kiosk.unlock_failed"
    change(lambda session: ledger.append(session, who.actor, kind, now))
    if not right:
        limits.failed(key, "pin")
        return error_response(403, "wrong_pin", translate(N_("That PIN is not right.")))
    return "", 204

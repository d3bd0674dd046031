"""The hall's configuration over the API: its hall file (export, import, check), the hall's
settings, zones, services and windows. Every change goes through the hall file's checks and
loader (``server/admin/hall_edits.py``), so the API, the export and ``hallq init`` agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hallq.server.admin import hall_edits
from hallq.server.admin.hall_edits import HallEdited, HallFileRejected
from hallq.server.admin.hall_export import file_data, file_name, file_text
from hallq.server.api import errors
from hallq.server.api.admin import ADMIN, bp, edited, hall_change
from hallq.server.api.admin_schemas import (
    CheckOut,
    CodePath,
    EditedOut,
    HallOut,
    HallPatch,
    ServiceIn,
    ServicePatch,
    ServicesOut,
    WindowIn,
    WindowPatch,
    WindowPath,
    WindowsOut,
    ZoneIn,
    ZonePatch,
    ZonesOut,
)
from hallq.server.api.context import caller, hall, requires
from hallq.server.models import Counter, Hall, Service
from hallq.server.queue.errors import N_, Invalid
from hallq.server.state import hallq

MAX_FILE = 512 * 1024  # a hall file of hundreds of services is a few dozen kB
HALL_KEYS = ("name", "timezone", "languages", "announce", "public_url")
TABLES = ("queue", "kiosk", "appointments", "device_commands", "calendar")

errors.TEXT_BODIES.update({"api.admin.put_hall_file", "api.admin.check_hall_file"})


def _file() -> dict[str, Any]:
    with hallq().db.reading() as session:
        return hall_edits.current_file(session, hall().id)


def _edit(kind: str, change: Any, **detail: Any) -> HallEdited:
    def work(session: Session, now: dt.datetime) -> HallEdited:
        return hall_edits.edit(session, caller().actor, change, kind=kind, now=now, **detail)

    return hall_change(work)


# -- the hall file ----------------------------------------------------------------------------


def _posted_text() -> str:
    if request.mimetype not in errors.TEXT_TYPES:
        raise Invalid(
            "hall_file_as_text",
            N_("Send the hall file as TOML text (Content-Type: application/toml)."),
        )
    data = request.get_data(cache=True)
    if len(data) > MAX_FILE:
        raise Invalid("hall_file_too_large", N_("The hall file is too large."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            "hall_file_not_utf8", N_("Send the hall file as UTF-8 text (not Big5 or GBK).")
        ) from None


@bp.get(
    "/admin/hall-file",
    summary="Export the hall file (TOML)",
    description="The hall as loaded now, as a hall file that `hallq init --config` or "
    "`PUT /admin/hall-file` loads again to the same hall. Comments are not kept.",
    responses={200: None},
)
@requires(*ADMIN)
def get_hall_file() -> Any:
    text = file_text(_file())
    response = Response(text, mimetype="application/toml")
    response.charset = "utf-8"
    name = file_name(hall().code, hallq().clock())
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.put(
    "/admin/hall-file",
    summary="Import a hall file (TOML): check it and load it",
    description="The body is the hall file's text (Content-Type application/toml or "
    "text/plain). It must be the same hall (`[hall] code`). Loaded as `hallq init` loads "
    "it: services, windows and zones left out are retired (their tickets stay). A file "
    "with mistakes is refused (400, every problem with its line) and nothing changes.",
    responses={200: EditedOut},
)
@requires(*ADMIN)
def put_hall_file() -> Any:
    text = _posted_text()
    config = hall_edits.check_text(text, "upload")

    def work(session: Session, now: dt.datetime) -> HallEdited:
        return hall_edits.load_checked(
            session, caller().actor, config, kind="admin.hall_file_loaded", now=now
        )

    return edited(hall_change(work))


@bp.post(
    "/admin/hall-file/check",
    summary="Check a hall file (TOML) without loading it",
    responses={200: CheckOut},
)
@requires(*ADMIN)
def check_hall_file() -> Any:
    text = _posted_text()
    try:
        config = hall_edits.check_text(text, "upload")
    except HallFileRejected as rejected:
        return {"ok": False, "problems": rejected.listed(), "warnings": []}
    problems = []
    if config.code != hall().code:
        problems.append(
            {
                "where": "hall.code",
                "line": None,
                "message": f'this hall is "{hall().code}": a file of hall "{config.code}" '
                "cannot be loaded into it",
            }
        )
    warnings = [{"where": w.where, "line": w.line, "message": w.message} for w in config.warnings]
    return {"ok": not problems, "problems": problems, "warnings": warnings}


# -- the hall ---------------------------------------------------------------------------------


@bp.get(
    "/admin/hall",
    summary="The hall's settings: names, languages, public URL, queue rules, kiosk...",
    description="The hall file's tables other than zones, services, windows and devices.",
    responses={200: HallOut},
)
@requires(*ADMIN)
def get_hall() -> Any:
    with hallq().db.reading() as session:
        row = session.get(Hall, hall().id)
        assert row is not None
        data = file_data(row.config)
        demo, loaded_at = bool(row.demo), row.loaded_at
    tables = {k: _iso_dates(v) for k, v in data.items() if k not in hall_edits.KEYS}
    tables.setdefault("queue", {})
    return {**tables, "demo": demo, "loaded_at": loaded_at.isoformat()}


def _iso_dates(value: Any) -> Any:
    """The file's dates (the calendar's holidays) as ``YYYY-MM-DD``, as the file writes them;
    Flask would send a date in the HTTP header format."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    return value


@bp.patch(
    "/admin/hall",
    summary="Change the hall's settings",
    description="Only the fields sent change. Tables (queue, kiosk...) change key by key; a "
    "key set to null goes back to its default. The hall's code stays.",
    responses={200: EditedOut},
)
@requires(*ADMIN)
def patch_hall(body: HallPatch) -> Any:
    sent = body.model_dump(exclude_unset=True)

    def change(data: dict[str, Any]) -> None:
        hall_edits.merged(data["hall"], {k: v for k, v in sent.items() if k in HALL_KEYS})
        for table in TABLES:
            if table in sent:
                hall_edits.merged(data.setdefault(table, {}), sent[table] or {})

    return edited(_edit("admin.hall_changed", change, sent=sorted(sent)))


# -- zones ------------------------------------------------------------------------------------


@bp.get("/admin/zones", summary="The hall's zones", responses={200: ZonesOut})
@requires(*ADMIN)
def list_zones() -> Any:
    return {"zones": _file()["zones"]}


@bp.post("/admin/zones", summary="Add a zone", responses={201: EditedOut})
@requires(*ADMIN)
def add_zone(body: ZoneIn) -> Any:
    item = body.model_dump()
    done = _edit(
        "admin.zone_added",
        lambda data: hall_edits.add_item(data, "zones", item),
        zone=body.code,
    )
    return edited(done, zone=item), 201


@bp.patch("/admin/zones/<code>", summary="Rename a zone", responses={200: EditedOut})
@requires(*ADMIN)
def patch_zone(path: CodePath, body: ZonePatch) -> Any:
    patch = body.model_dump(exclude_unset=True)
    done = _edit(
        "admin.zone_changed",
        lambda data: hall_edits.change_item(data, "zones", path.code, patch),
        zone=path.code,
    )
    return edited(done)


@bp.delete(
    "/admin/zones/<code>",
    summary="Retire a zone",
    description="Refused (400) while a service, window or device is still in it.",
    responses={200: EditedOut},
)
@requires(*ADMIN)
def delete_zone(path: CodePath) -> Any:
    done = _edit(
        "admin.zone_retired",
        lambda data: hall_edits.remove_item(data, "zones", path.code),
        zone=path.code,
    )
    return edited(done)


# -- services ---------------------------------------------------------------------------------


def _service_states() -> dict[str, dict[str, Any]]:
    with hallq().db.reading() as session:
        rows = session.execute(
            select(
                Service.code,
                Service.id,
                Service.waiting,
                Service.paused,
                Service.paused_reason,
                Service.paused_since,
            ).where(Service.hall_id == hall().id, Service.active.is_(True))
        ).all()
    return {
        row.code: {
            "id": row.id,
            "waiting": row.waiting,
            "paused": bool(row.paused),
            "paused_reason": row.paused_reason,
            "paused_since": row.paused_since.isoformat() if row.paused_since else None,
        }
        for row in rows
    }


@bp.get(
    "/admin/services",
    summary="The hall's services, as its hall file states them, with their pause state",
    responses={200: ServicesOut},
)
@requires(*ADMIN)
def list_services() -> Any:
    states = _service_states()
    return {
        "services": [
            {**service, **states.get(service["code"], {})} for service in _file()["services"]
        ]
    }


@bp.post("/admin/services", summary="Add a service", responses={201: EditedOut})
@requires(*ADMIN)
def add_service(body: ServiceIn) -> Any:
    item = body.model_dump(exclude_none=True)
    done = _edit(
        "admin.service_added",
        lambda data: hall_edits.add_item(data, "services", item),
        service=body.code,
    )
    return edited(done, service=item), 201


@bp.patch(
    "/admin/services/<code>",
    summary="Change a service: names, documents, prefix, zone, target wait, hours, cap...",
    description="Only the fields sent change; `daily_cap` (or `typical_minutes`, "
    "`documents`) null removes it. Open kiosks and boards show the change at once "
    "(`hall.updated`).",
    responses={200: EditedOut},
)
@requires(*ADMIN)
def patch_service(path: CodePath, body: ServicePatch) -> Any:
    patch = body.model_dump(exclude_unset=True)
    done = _edit(
        "admin.service_changed",
        lambda data: hall_edits.change_item(data, "services", path.code, patch),
        service=path.code,
    )
    return edited(done)


@bp.delete(
    "/admin/services/<code>",
    summary="Retire a service (its tickets stay in the records)",
    description="Refused (400) while a window's profile names it.",
    responses={200: EditedOut},
)
@requires(*ADMIN)
def delete_service(path: CodePath) -> Any:
    done = _edit(
        "admin.service_retired",
        lambda data: hall_edits.remove_item(data, "services", path.code),
        service=path.code,
    )
    return edited(done)


# -- windows ----------------------------------------------------------------------------------


def _file_profile(tiers: list[list[Any]]) -> list[Any]:
    """The API's tiers (codes, or [code, weight] pairs) as the hall file writes them."""
    profile: list[Any] = []
    for tier in tiers:
        pairs = [(entry, 1.0) if isinstance(entry, str) else tuple(entry) for entry in tier]
        if all(weight == 1.0 for _code, weight in pairs):
            profile.append([code for code, _weight in pairs])
        else:
            profile.append({code: weight for code, weight in pairs})
    return profile


def _api_profile(profile: list[Any]) -> list[list[list[Any]]]:
    return [
        [[code, float(weight)] for code, weight in tier.items()]
        if isinstance(tier, dict)
        else [[code, 1.0] for code in tier]
        for tier in profile
    ]


def _window_fields(sent: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "zone" in sent:
        fields["zone"] = sent["zone"]
    if "label" in sent:
        fields["name"] = sent["label"]
    if sent.get("profile") is not None:
        fields["profile"] = _file_profile(sent["profile"])
    elif "profile" in sent:
        fields["profile"] = []  # the checks refuse an empty profile
    return fields


@bp.get(
    "/admin/windows",
    summary="The hall's windows: zone, label, work profile and state",
    responses={200: WindowsOut},
)
@requires(*ADMIN)
def list_windows() -> Any:
    with hallq().db.reading() as session:
        states = dict(
            session.execute(
                select(Counter.number, Counter.state).where(
                    Counter.hall_id == hall().id, Counter.active.is_(True)
                )
            ).all()
        )
    return {
        "windows": [
            {
                "number": window["number"],
                "zone": window["zone"],
                "label": window.get("name"),
                "profile": _api_profile(window["profile"]),
                "state": states.get(window["number"], "closed"),
            }
            for window in _file()["counters"]
        ]
    }


@bp.post("/admin/windows", summary="Add a window", responses={201: EditedOut})
@requires(*ADMIN)
def add_window(body: WindowIn) -> Any:
    item = {"number": body.number, **_window_fields(body.model_dump(exclude_unset=True))}
    done = _edit(
        "admin.window_added",
        lambda data: hall_edits.add_item(data, "counters", item),
        window=body.number,
    )
    return edited(done), 201


@bp.patch(
    "/admin/windows/<int:number>",
    summary="Change a window's zone, label or work profile",
    responses={200: EditedOut},
)
@requires(*ADMIN)
def patch_window(path: WindowPath, body: WindowPatch) -> Any:
    patch = _window_fields(body.model_dump(exclude_unset=True))
    done = _edit(
        "admin.window_changed",
        lambda data: hall_edits.change_item(data, "counters", path.number, patch),
        window=path.number,
    )
    return edited(done)


@bp.delete(
    "/admin/windows/<int:number>",
    summary="Retire a window",
    description="Refused (400) while a counter device belongs to it.",
    responses={200: EditedOut},
)
@requires(*ADMIN)
def delete_window(path: WindowPath) -> Any:
    done = _edit(
        "admin.window_retired",
        lambda data: hall_edits.remove_item(data, "counters", path.number),
        window=path.number,
    )
    return edited(done)

"""Administration of the hall's configuration: the hall file (export, import, check), the
hall's settings, zones, services and windows. Every edit goes through the hall file's checks
and loader: a bad one is 400 with the problems and changes nothing; a good one is logged with
the administrator who made it."""

from __future__ import annotations

import sqlite3
import tomllib
from typing import Any

import pytest

from hallq.server.hall_file import parse_hall_config
from hallq.server.hall_file.loader import _plain
from tests.api.conftest import Api, HallInfo, assert_error

ADMIN = "/admin"
EN = {"Accept-Language": "en"}


def log(hall: HallInfo, prefix: str = "admin.") -> list[tuple[str, int | None, dict[str, Any]]]:
    import json

    with sqlite3.connect(hall.path) as db:
        rows = db.execute(
            "SELECT kind, user_id, payload FROM events WHERE kind LIKE ? ORDER BY id",
            (prefix + "%",),
        ).fetchall()
    return [(kind, user_id, json.loads(payload)) for kind, user_id, payload in rows]


def stored_config(hall: HallInfo) -> dict[str, Any]:
    import json

    with sqlite3.connect(hall.path) as db:
        (config,) = db.execute("SELECT config FROM halls").fetchone()
    loaded = json.loads(config)
    loaded.pop("warnings", None)  # their line numbers are the file's
    return loaded  # type: ignore[no-any-return]


def export(api: Api) -> str:
    response = api.get(f"{ADMIN}/hall-file", "admin")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return str(response.get_data(as_text=True))


def send(api: Api, method: str, path: str, body: Any = None, who: str = "admin") -> Any:
    return api.request(method, ADMIN + path, who, json=body, headers=EN)


def rejected(response: Any) -> list[dict[str, Any]]:
    error = assert_error(response, 400, "hall_file_invalid", lang="en")
    assert error["problems"], error
    return error["problems"]  # type: ignore[no-any-return]


# -- the hall file ------------------------------------------------------------------------------


def test_export_then_import_gives_the_same_hall(api: Api, hall: HallInfo) -> None:
    response = api.get(f"{ADMIN}/hall-file", "admin")
    assert response.status_code == 200
    assert response.mimetype == "application/toml"
    assert 'filename="harbour-transfer-' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    before = stored_config(hall)
    # The export is a hall file that loads to the configuration the hall has.
    reparsed = _plain(parse_hall_config(text))
    reparsed.pop("warnings")
    assert reparsed == before

    imported = api.put(
        f"{ADMIN}/hall-file", "admin", data=text.encode(), content_type="application/toml"
    )
    assert imported.status_code == 200, imported.get_data(as_text=True)
    assert imported.get_json()["changes"] == []
    assert stored_config(hall) == before
    ((kind, user_id, _payload),) = log(hall)
    assert (kind, user_id) == ("admin.hall_file_loaded", hall.users["admin"])


def test_an_imported_file_with_mistakes_changes_nothing(api: Api, hall: HallInfo) -> None:
    text = export(api)
    broken = text.replace('prefix = "B"', 'prefix = "A"').replace(
        "target_wait = 15", "target_wait = 0"
    )
    problems = rejected(
        api.put(f"{ADMIN}/hall-file", "admin", data=broken, content_type="text/plain", headers=EN)
    )
    messages = " | ".join(p["message"] for p in problems)
    assert 'prefix "A" is already used' in messages and "at least 1" in messages
    assert all(p["line"] for p in problems)  # the caller's own file: lines mean something
    assert export(api) == text and log(hall) == []

    assert_error(
        api.put(
            f"{ADMIN}/hall-file",
            "admin",
            data=text.replace("harbour-transfer", "other"),
            content_type="application/toml",
            headers=EN,
        ),
        400,
        "hall_file_invalid",
        lang="en",
    )


def test_checking_a_file_loads_nothing(api: Api, hall: HallInfo) -> None:
    text = export(api)
    good = api.post(
        f"{ADMIN}/hall-file/check", "admin", data=text, content_type="text/plain", headers=EN
    )
    assert good.get_json()["ok"] is True
    bad = api.post(
        f"{ADMIN}/hall-file/check", "admin", data=text + "\n[oops\n", content_type="text/plain"
    ).get_json()
    assert bad["ok"] is False and "not valid TOML" in bad["problems"][0]["message"]
    json_body = api.post(f"{ADMIN}/hall-file/check", "admin", json={"toml": text}, headers=EN)
    assert_error(json_body, 422, "hall_file_as_text", lang="en")
    assert log(hall) == []


def test_a_patch_shows_in_the_export(api: Api, hall: HallInfo) -> None:
    names = {"zh-Hant": "諮詢服務", "zh-Hans": "咨询服务", "en": "Questions"}
    documents = {"zh-Hant": ["身份證"], "zh-Hans": ["身份证"], "en": ["Identity card"]}
    done = send(api, "PATCH", "/services/consultation", {"name": names, "documents": documents})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["changes"] == [
        {
            "what": "service",
            "key": "consultation",
            "change": "changed",
            "fields": ["documents", "name"],
        }
    ]
    exported = tomllib.loads(export(api))
    service = next(s for s in exported["services"] if s["code"] == "consultation")
    assert service["name"] == names and service["documents"] == documents
    assert api.service("consultation")["name"]["en"] == "Questions"
    ticket = api.issue("consultation")
    assert api.ticket(ticket["id"])["service"] == "consultation"
    ((kind, user_id, payload),) = log(hall)
    assert (kind, user_id, payload["service"]) == (
        "admin.service_changed",
        hall.users["admin"],
        "consultation",
    )
    assert payload["changes"][0]["fields"] == ["documents", "name"]


# -- the hall -----------------------------------------------------------------------------------


def test_the_halls_settings(api: Api, hall: HallInfo) -> None:
    read = api.ok(api.get(f"{ADMIN}/hall", "admin"))
    assert (
        read["hall"]["code"] == "harbour-transfer" and read["queue"]["max_priority_in_a_row"] == 3
    )
    name = {"zh-Hant": "新大廳", "zh-Hans": "新大厅", "en": "New Hall"}
    done = send(
        api,
        "PATCH",
        "/hall",
        {
            "name": name,
            "public_url": "https://q.example.org/",
            "queue": {"max_priority_in_a_row": 5},
            "calendar": {"holidays": ["2026-12-25", "2026-12-26"]},
        },
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    read = api.ok(api.get(f"{ADMIN}/hall", "admin"))
    assert read["hall"]["name"] == name and read["hall"]["public_url"] == "https://q.example.org"
    assert read["queue"]["max_priority_in_a_row"] == 5
    assert read["calendar"]["holidays"] == ["2026-12-25", "2026-12-26"]  # as the file writes them
    # The running server uses the new settings at once.
    snapshot = api.ok(api.get("/state", "display-a"))
    assert snapshot["hall"]["name"]["en"] == "New Hall"

    problems = rejected(send(api, "PATCH", "/hall", {"timezone": "Asia/Hongkong", "languages": []}))
    assert {p["where"] for p in problems} == {"hall.timezone", "hall.languages"}
    assert_error(send(api, "PATCH", "/hall", {"code": "other"}), 422, "invalid_request", lang="en")
    assert [kind for kind, _, _ in log(hall)] == ["admin.hall_changed"]


# -- zones --------------------------------------------------------------------------------------


def test_zones(api: Api, hall: HallInfo) -> None:
    name = {"zh-Hant": "丁區", "zh-Hans": "丁区", "en": "Zone D"}
    assert send(api, "POST", "/zones", {"code": "D", "name": name}).status_code == 201
    assert_error(
        send(api, "POST", "/zones", {"code": "D", "name": name}), 409, "zone_exists", lang="en"
    )
    renamed = {**name, "en": "Annex"}
    assert send(api, "PATCH", "/zones/D", {"name": renamed}).status_code == 200
    zones = api.ok(api.get(f"{ADMIN}/zones", "admin"))["zones"]
    assert zones[-1] == {"code": "D", "name": renamed}
    # Zone C still has services, windows and devices in it.
    problems = rejected(send(api, "DELETE", "/zones/C"))
    assert any('unknown zone "C"' in p["message"] for p in problems)
    assert send(api, "DELETE", "/zones/D").status_code == 200
    assert_error(send(api, "DELETE", "/zones/D"), 404, "unknown_zone", lang="en")
    assert [kind for kind, _, _ in log(hall)] == [
        "admin.zone_added",
        "admin.zone_changed",
        "admin.zone_retired",
    ]


# -- services -----------------------------------------------------------------------------------

NEW_SERVICE = {
    "code": "mortgage",
    "prefix": "F",
    "zone": "A",
    "name": {"zh-Hant": "按揭登記", "zh-Hans": "按揭登记", "en": "Mortgage registration"},
    "documents": {"zh-Hant": ["合約"], "zh-Hans": ["合约"], "en": ["Contract"]},
    "target_wait": 25,
    "typical_minutes": 10,
    "hours": {"mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"]},
    "daily_cap": 50,
}


def test_adding_changing_and_retiring_a_service(api: Api, hall: HallInfo) -> None:
    added = send(api, "POST", "/services", NEW_SERVICE)
    assert added.status_code == 201, added.get_data(as_text=True)
    # No window serves it yet: allowed, with the checks' warning.
    assert any("no counter serves" in w["message"] for w in added.get_json()["warnings"])
    assert_error(send(api, "POST", "/services", NEW_SERVICE), 409, "service_exists", lang="en")
    ticket = api.issue("mortgage")  # a Wednesday: open
    assert ticket["number"] == "F001"
    listed = api.ok(api.get(f"{ADMIN}/services", "admin"))["services"]
    mortgage = next(s for s in listed if s["code"] == "mortgage")
    assert mortgage["daily_cap"] == 50 and mortgage["waiting"] == 1 and mortgage["paused"] is False

    assert send(api, "PATCH", "/services/mortgage", {"daily_cap": None}).status_code == 200
    assert "daily_cap" not in next(
        s
        for s in api.ok(api.get(f"{ADMIN}/services", "admin"))["services"]
        if s["code"] == "mortgage"
    )
    assert_error(
        send(api, "PATCH", "/services/nothing", {"target_wait": 3}),
        404,
        "unknown_service",
        lang="en",
    )

    assert send(api, "DELETE", "/services/mortgage").status_code == 200
    assert_error(
        api.post("/tickets", "kiosk-1", json={"service": "mortgage"}), 404, "unknown_service"
    )
    assert api.ticket(ticket["id"])["number"] == "F001"  # its tickets stay
    assert [kind for kind, _, _ in log(hall)] == [
        "admin.service_added",
        "admin.service_changed",
        "admin.service_retired",
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("PATCH", "/services/vehicle-transfer", {"prefix": "A"}, 'prefix "A" is already used'),
        ("PATCH", "/services/vehicle-transfer", {"zone": "Z"}, 'unknown zone "Z"'),
        ("PATCH", "/services/vehicle-transfer", {"hours": {"mon": ["17:00-09:00"]}}, "mon"),
        ("PATCH", "/services/vehicle-transfer", {"target_wait": 0}, "at least 1"),
        ("DELETE", "/services/consultation", None, 'unknown service "consultation"'),
        ("PATCH", "/windows/1", {"profile": [["nothing"]]}, 'unknown service "nothing"'),
        ("DELETE", "/windows/1", None, "unknown counter 1"),
    ],
)
def test_an_edit_that_breaks_a_check_changes_nothing(
    api: Api, hall: HallInfo, method: str, path: str, body: Any, expected: str
) -> None:
    before = export(api)
    problems = rejected(send(api, method, path, body))
    assert any(expected in p["where"] + ": " + p["message"] for p in problems), problems
    assert all(p["line"] is None for p in problems)
    assert export(api) == before and log(hall) == []


# -- windows ------------------------------------------------------------------------------------


def test_windows(api: Api, hall: HallInfo) -> None:
    body = {"number": 10, "zone": "C", "label": "Express", "profile": [["consultation"]]}
    assert send(api, "POST", "/windows", body).status_code == 201
    assert_error(send(api, "POST", "/windows", body), 409, "window_exists", lang="en")
    profile = [["certificate-pickup"], [["consultation", 0.5], ["equity-transfer", 1]]]
    assert send(api, "PATCH", "/windows/10", {"profile": profile, "label": None}).status_code == 200
    windows = api.ok(api.get(f"{ADMIN}/windows", "admin"))["windows"]
    ten = next(w for w in windows if w["number"] == 10)
    assert ten == {
        "number": 10,
        "zone": "C",
        "label": None,
        "profile": [
            [["certificate-pickup", 1.0]],
            [["consultation", 0.5], ["equity-transfer", 1.0]],
        ],
        "state": "closed",
    }
    assert api.counter(10)["state"] == "closed"
    exported = tomllib.loads(export(api))
    assert exported["counters"][-1]["profile"][1] == {"consultation": 0.5, "equity-transfer": 1.0}
    assert send(api, "DELETE", "/windows/10").status_code == 200
    assert 10 not in [c["number"] for c in api.ok(api.get("/counters", "display-a"))["counters"]]
    assert_error(send(api, "PATCH", "/windows/77", {"zone": "A"}), 404, "unknown_window", lang="en")


# -- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clerk1", "supervisor", "kiosk-1", "display-a"])
def test_only_administrators(api: Api, who: str) -> None:
    for method, path in [
        ("GET", "/hall-file"),
        ("GET", "/hall"),
        ("GET", "/zones"),
        ("GET", "/services"),
        ("GET", "/windows"),
        ("GET", "/devices"),
        ("GET", "/users"),
        ("PATCH", "/services/consultation"),
        ("POST", "/devices"),
        ("POST", "/users/clerk1/disable"),
        ("DELETE", "/zones/C"),
    ]:
        bodies = {"/devices": {"name": "kiosk-9", "kind": "kiosk"}, "/services/consultation": {}}
        body = bodies.get(path)
        response = api.request(method, ADMIN + path, who, json=body)
        assert_error(response, 403, "role_not_allowed")
    assert_error(api.get(f"{ADMIN}/hall", None), 401)

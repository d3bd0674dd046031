"""Bad input of every kind on every endpoint: never a 500, always the wire contract's error
shape with a 4xx status, in the caller's language."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import Api, assert_error

# Every POST of the API, with a caller allowed to use it (so the body is what gets refused).
POSTS = [
    ("/tickets", "kiosk-1"),
    ("/tickets/1/cancel", "supervisor"),
    ("/tickets/2/move", "supervisor"),
    ("/counters/1/open", "supervisor"),
    ("/counters/1/close", "supervisor"),
    ("/counters/1/pause", "supervisor"),
    ("/counters/1/resume", "supervisor"),
    ("/counters/1/call-next", "supervisor"),
    ("/counters/1/recall", "supervisor"),
    ("/counters/1/start", "supervisor"),
    ("/counters/1/finish", "supervisor"),
    ("/counters/1/no-show", "supervisor"),
    ("/counters/1/requeue", "supervisor"),
    ("/counters/1/transfer", "supervisor"),
    ("/ratings", "counter-1"),
    ("/auth/login", None),
    ("/auth/logout", "clerk1"),
    ("/follow-ups", "clerk1"),
    ("/follow-ups/1/close", "supervisor"),
    ("/services/consultation/pause", "supervisor"),
    ("/admin/users", "admin"),
    ("/admin/devices", "admin"),
]
# Those that read a JSON object: a good body, and the fields it cannot do without.
WITH_BODY = [
    ("/tickets", "kiosk-1", {"service": "consultation"}, ["service"]),
    ("/tickets/1/cancel", "supervisor", {"reason": "left"}, []),
    (
        "/tickets/2/move",
        "supervisor",
        {"service": "property-transfer", "note": "wrong"},
        ["service"],
    ),
    ("/counters/1/pause", "supervisor", {"reason": "break"}, ["reason"]),
    ("/counters/1/transfer", "supervisor", {"service": "consultation"}, []),
    ("/ratings", "counter-1", {"ticket": 1, "score": 5}, ["ticket", "score"]),
    ("/auth/login", None, {"username": "clerk1", "password": "wrong"}, ["username", "password"]),
    ("/follow-ups", "clerk1", {"channel": "phone", "text": "rude"}, ["channel", "text"]),
    ("/follow-ups/1/close", "supervisor", {"note": "apologised"}, []),
    ("/services/consultation/pause", "supervisor", {"reason": "printer jam"}, []),
    (
        "/admin/users",
        "admin",
        {"username": "newclerk", "role": "clerk", "password": "a-good-pass-1"},
        ["username", "role", "password"],
    ),
    ("/admin/devices", "admin", {"name": "kiosk-9", "kind": "kiosk"}, ["name", "kind"]),
]
COUNTER_POSTS = [p.split("/")[-1] for p, _ in POSTS if p.startswith("/counters/")]
GETS = ["/services", "/state", "/counters", "/auth/me", "/tickets/1"]
POST_IDS = [p for p, _ in POSTS]
BODY_IDS = [p for p, *_ in WITH_BODY]


def _state(api: Api) -> tuple:
    return api.ok(api.get("/counters", "admin")), api.ok(api.get("/services", "admin"))


@pytest.fixture
def busy(api: Api) -> Api:
    """Window 1 open with A001 called: every move would succeed with a good request."""
    api.open(1)
    api.issue("property-transfer")
    api.call(1)
    api.issue("consultation")
    return api


@pytest.mark.parametrize(("path", "who"), POSTS, ids=POST_IDS)
def test_bodies_that_are_not_json(busy: Api, path: str, who: str | None) -> None:
    api = busy
    before = _state(api)
    cases = [
        (
            {"data": "service=consultation", "content_type": "text/plain"},
            415,
            "unsupported_media_type",
        ),
        (
            {"data": "a=1&b=2", "content_type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ({"data": b"\x89PNG\r\n", "content_type": "image/png"}, 415, "unsupported_media_type"),
        (
            {"data": '{"service": "consultation"', "content_type": "application/json"},
            400,
            "malformed_json",
        ),
        (
            {"data": "{'service': 'consultation'}", "content_type": "application/json"},
            400,
            "malformed_json",
        ),
        ({"data": b"\xff\xfe{}", "content_type": "application/json"}, 400, "malformed_json"),
        ({"data": "null", "content_type": "application/json"}, 400, "malformed_json"),
        (
            {"data": "[" * 100_00 + "]" * 100_00, "content_type": "application/json"},
            400,
            "malformed_json",
        ),
        (
            {"data": json.dumps({"x": "y" * 70_000}), "content_type": "application/json"},
            413,
            "too_large",
        ),
        ({"data": b" " * (64 * 1024 + 1), "content_type": "application/json"}, 413, "too_large"),
    ]
    for kwargs, status, code in cases:
        response = api.post(path, who, **kwargs)
        assert_error(response, status, code)
    assert _state(api) == before


@pytest.mark.parametrize(("path", "who", "good", "required"), WITH_BODY, ids=BODY_IDS)
def test_json_that_is_not_the_object_asked_for(
    busy: Api, path: str, who: str | None, good: dict, required: list[str]
) -> None:
    api = busy
    before = _state(api)
    bodies = [[good], [1], "x", 5, 3.5, True, {**good, "unexpected": 1}, {**good, "Unknown": None}]
    bodies += [{k: v for k, v in good.items() if k != key} for key in required]
    bodies += [{**good, key: wrong} for key in good for wrong in ([good[key]], {"v": 1}, 1.5)]
    for body in bodies:
        response = api.post(path, who, json=body)
        error = assert_error(response, 422, "invalid_request")
        assert isinstance(error["problems"], list) and error["problems"], body
        for problem in error["problems"]:
            assert isinstance(problem["field"], str) and isinstance(problem["problem"], str)
    assert _state(api) == before


@pytest.mark.parametrize(("path", "who", "good", "required"), WITH_BODY, ids=BODY_IDS)
def test_nul_characters_are_refused(
    busy: Api, path: str, who: str | None, good: dict, required: list[str]
) -> None:
    """PostgreSQL cannot store a NUL: it must be refused as bad input, not crash."""
    api = busy
    before = _state(api)
    for key, value in good.items():
        if isinstance(value, str):
            response = api.post(path, who, json={**good, key: value[:2] + "\x00" + value[2:]})
            assert_error(response, 422, "invalid_request")
    assert_error(api.post(path, who, json={**good, "\x00": 1}), 422, "invalid_request")
    assert _state(api) == before


def test_nul_in_an_appointment_or_a_status_token(api: Api) -> None:
    body = {"service": "consultation", "priority": "appointment", "appointment": "BK\x001"}
    assert_error(api.post("/tickets", "kiosk-1", json=body), 422, "invalid_request")
    assert_error(api.get("/tickets/1?token=a%00b"), 422, "invalid_request")
    assert api.service("consultation")["waiting"] == 0
    assert api.client.get("/t/a%00b").status_code == 404


@pytest.mark.parametrize("depth", [50, 500, 900, 990])
def test_deeply_nested_json(api: Api, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    response = api.post("/tickets", "kiosk-1", data=nested, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)
    nested_object = '{"service": ' + nested + "}"
    response = api.post("/tickets", "kiosk-1", data=nested_object, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_a_flood_without_a_token_is_refused_before_it_is_read(api: Api) -> None:
    response = api.post("/tickets", None, data=b"x" * (1024 * 1024), content_type="text/plain")
    assert_error(response, 401, "unauthenticated")


def test_json_with_a_charset_is_json(api: Api) -> None:
    response = api.post(
        "/tickets",
        "kiosk-1",
        data=json.dumps({"service": "consultation"}).encode(),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201
    assert response.get_json()["number"] == "D001"


# --- ids in the path ----------------------------------------------------------------------------


@pytest.mark.parametrize("move", COUNTER_POSTS)
def test_unknown_window(api: Api, move: str) -> None:
    body = {"json": {"reason": "x"}} if move == "pause" else {}
    if move == "transfer":
        body = {"json": {"service": "consultation"}}
    error = assert_error(
        api.post(f"/counters/777/{move}", "supervisor", **body), 404, "unknown_counter"
    )
    assert error["details"]["counter"] == 777
    assert "777" in error["message"]
    en = api.post(f"/counters/777/{move}", "supervisor", headers={"Accept-Language": "en"}, **body)
    assert assert_error(en, 404, "unknown_counter", lang="en")["message"] == (
        "There is no window 777 in this hall."
    )


@pytest.mark.parametrize("move", COUNTER_POSTS)
@pytest.mark.parametrize(
    ("n", "status", "code"),
    [
        ("0", 422, "invalid_request"),
        ("1000", 422, "invalid_request"),
        ("99999999999999999999999", 422, "invalid_request"),
        ("-1", 404, "not_found"),
        ("abc", 404, "not_found"),
        ("1.5", 404, "not_found"),
        ("%20", 404, "not_found"),
    ],
)
def test_window_numbers_out_of_range(api: Api, move: str, n: str, status: int, code: str) -> None:
    assert_error(api.post(f"/counters/{n}/{move}", "supervisor", json={}), status, code)


@pytest.mark.parametrize(
    ("ticket", "status", "code"),
    [
        ("999999", 404, "unknown_ticket"),
        ("0", 422, "invalid_request"),
        (str(2**62 + 1), 422, "invalid_request"),
        ("99999999999999999999999", 422, "invalid_request"),
        ("-5", 404, "not_found"),
        ("A001", 404, "not_found"),
        ("1e3", 404, "not_found"),
    ],
)
def test_ticket_ids_in_the_path(api: Api, ticket: str, status: int, code: str) -> None:
    assert_error(api.get(f"/tickets/{ticket}", "clerk1"), status, code)
    assert_error(api.post(f"/tickets/{ticket}/cancel", "clerk1", json={}), status, code)


def test_unknown_addresses_and_methods(api: Api) -> None:
    for who in (None, "kiosk-1"):
        assert_error(api.get("/no-such-thing", who), 404, "not_found")
        assert_error(api.post("/counters/1/dance", who, json={}), 404, "not_found")
        assert_error(api.get("/api/v2/services", who), 404, "not_found")
    assert_error(api.get("/counters/1/call-next", "clerk1"), 405, "method_not_allowed")
    assert_error(api.request("DELETE", "/tickets/1", "supervisor"), 405, "method_not_allowed")
    assert_error(api.request("PUT", "/services", "supervisor", json={}), 405, "method_not_allowed")
    assert_error(api.post("/services", "supervisor", json={}), 405, "method_not_allowed")
    assert_error(api.get("/auth/login"), 405, "method_not_allowed")


@pytest.mark.parametrize("path", GETS)
def test_reads_ignore_a_body(api: Api, path: str) -> None:
    api.issue("consultation")
    response = api.get(path, "supervisor", data="not json", content_type="text/plain")
    assert response.status_code == 200


# --- the caller's language ----------------------------------------------------------------------


def test_messages_follow_the_callers_language(api: Api) -> None:
    def message(**kwargs: object) -> str:
        response = api.post("/counters/777/call-next", "supervisor", **kwargs)
        return str(response.get_json()["error"]["message"])

    assert message() == "本大廳沒有 777 號櫃檯。"  # the hall's default: traditional Chinese
    assert message(headers={"Accept-Language": "zh-TW"}) == "本大廳沒有 777 號櫃檯。"
    assert message(headers={"Accept-Language": "en-GB,en;q=0.9"}) == (
        "There is no window 777 in this hall."
    )
    assert message(headers={"Accept-Language": "fr"}) == "本大廳沒有 777 號櫃檯。"
    hans = message(headers={"Accept-Language": "zh-CN"})
    assert hans != message() and "777" in hans and "厅" in hans
    assert message(query_string={"lang": "en"}) == "There is no window 777 in this hall."


@pytest.mark.parametrize(
    ("who", "kwargs", "status", "code"),
    [
        (None, {}, 401, "unauthenticated"),
        ("garbage", {}, 401, "bad_token"),
        ("display-a", {"json": {"service": "consultation"}}, 403, "role_not_allowed"),
        ("kiosk-1", {"json": {"service": "nope"}}, 404, "unknown_service"),
        ("kiosk-1", {"json": {"service": 1}}, 422, "invalid_request"),
        ("kiosk-1", {"data": "x", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ("kiosk-1", {"data": "{", "content_type": "application/json"}, 400, "malformed_json"),
        ("kiosk-1", {"data": "x" * 70000, "content_type": "application/json"}, 413, "too_large"),
    ],
)
def test_every_kind_of_error_in_both_languages(
    api: Api, who: str | None, kwargs: dict, status: int, code: str
) -> None:
    zh = assert_error(api.post("/tickets", who, **kwargs), status, code)
    en = assert_error(
        api.post("/tickets", who, headers={"Accept-Language": "en"}, **kwargs),
        status,
        code,
        lang="en",
    )
    assert zh["message"] != en["message"]

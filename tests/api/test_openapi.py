"""The OpenAPI document: public, valid, under /api/v1, listing the wire contract's every call, and
describing what the server really answers."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, OAS31Validator
from openapi_schema_validator import validate as validate_schema
from openapi_spec_validator import validate as validate_spec

from tests.api.conftest import ISSUED_FIELDS, Api, assert_error

# The wire contract's table (DESIGN.md), plus what the API adds beside it.
CONTRACT = [
    ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/{ticket_id}"),
    ("get", "/api/v1/services"),
    ("post", "/api/v1/counters/{n}/call-next"),
    ("post", "/api/v1/counters/{n}/recall"),
    ("post", "/api/v1/counters/{n}/start"),
    ("post", "/api/v1/counters/{n}/finish"),
    ("post", "/api/v1/counters/{n}/no-show"),
    ("post", "/api/v1/counters/{n}/requeue"),
    ("post", "/api/v1/counters/{n}/transfer"),
    ("post", "/api/v1/counters/{n}/pause"),
    ("post", "/api/v1/counters/{n}/resume"),
    ("post", "/api/v1/ratings"),
    ("get", "/api/v1/state"),
    ("get", "/api/v1/counters"),
    ("post", "/api/v1/counters/{n}/open"),
    ("post", "/api/v1/counters/{n}/close"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/counters/{n}/call"),
    ("post", "/api/v1/tickets/{ticket_id}/cancel"),
    ("post", "/api/v1/tickets/{ticket_id}/reinstate"),
    ("post", "/api/v1/tickets/{ticket_id}/reprint"),
    ("get", "/api/v1/tickets/not-printed"),
    ("get", "/api/v1/devices/me"),
    ("post", "/api/v1/appointments"),
    ("get", "/api/v1/tickets/{ticket_id}/preview.png"),
]
EXTRA = [
    ("get", "/api/v1/tickets"),
    ("get", "/api/v1/notice"),
    ("get", "/api/v1/counters/{n}/desk"),
    ("put", "/api/v1/tickets/{ticket_id}/documents"),
    ("post", "/api/v1/tickets/{ticket_id}/move"),
    ("put", "/api/v1/notice"),
    ("get", "/api/v1/appointments"),
    ("post", "/api/v1/appointments/check-in"),
    ("post", "/api/v1/appointments/{code}/cancel"),
    ("post", "/api/v1/devices/me/unlock"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/me"),
    # the back office
    ("get", "/api/v1/admin/devices"),
    ("post", "/api/v1/admin/devices"),
    ("post", "/api/v1/admin/devices/{name}/revoke"),
    ("post", "/api/v1/admin/devices/{name}/rotate"),
    ("get", "/api/v1/admin/hall"),
    ("patch", "/api/v1/admin/hall"),
    ("get", "/api/v1/admin/hall-file"),
    ("put", "/api/v1/admin/hall-file"),
    ("post", "/api/v1/admin/hall-file/check"),
    ("get", "/api/v1/admin/services"),
    ("post", "/api/v1/admin/services"),
    ("delete", "/api/v1/admin/services/{code}"),
    ("patch", "/api/v1/admin/services/{code}"),
    ("get", "/api/v1/admin/users"),
    ("post", "/api/v1/admin/users"),
    ("patch", "/api/v1/admin/users/{username}"),
    ("post", "/api/v1/admin/users/{username}/disable"),
    ("post", "/api/v1/admin/users/{username}/enable"),
    ("post", "/api/v1/admin/users/{username}/password"),
    ("get", "/api/v1/admin/windows"),
    ("post", "/api/v1/admin/windows"),
    ("delete", "/api/v1/admin/windows/{number}"),
    ("patch", "/api/v1/admin/windows/{number}"),
    ("get", "/api/v1/admin/zones"),
    ("post", "/api/v1/admin/zones"),
    ("delete", "/api/v1/admin/zones/{code}"),
    ("patch", "/api/v1/admin/zones/{code}"),
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/dashboard"),
    ("get", "/api/v1/follow-ups"),
    ("post", "/api/v1/follow-ups"),
    ("get", "/api/v1/follow-ups/{follow_up_id}"),
    ("post", "/api/v1/follow-ups/{follow_up_id}/assign"),
    ("post", "/api/v1/follow-ups/{follow_up_id}/close"),
    ("post", "/api/v1/follow-ups/{follow_up_id}/notes"),
    ("get", "/api/v1/reports/tickets"),
    ("get", "/api/v1/reports/tickets/trace"),
    ("post", "/api/v1/services/{code}/pause"),
    ("post", "/api/v1/services/{code}/reopen"),
]


@pytest.fixture
def spec(api: Api) -> dict[str, Any]:
    response = api.client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()  # type: ignore[no-any-return]


def test_the_document_is_public(api: Api) -> None:
    response = api.client.get("/api/openapi.json")
    assert response.status_code == 200
    # A stale token does not get in the way either.
    again = api.client.get("/api/openapi.json", headers={"Authorization": "Bearer garbage"})
    assert again.status_code == 200
    assert again.get_json() == response.get_json()


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate_spec(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "HallQ"
    assert spec["info"]["version"].startswith("1.")


def test_every_path_is_under_api_v1(spec: dict[str, Any]) -> None:
    assert spec["paths"]
    for path in spec["paths"]:
        assert path.startswith("/api/v1/"), path
    servers = [s["url"] for s in spec.get("servers", [])]
    assert all(not url.rstrip("/").endswith("/api/v1") for url in servers), (
        "the prefix is in the paths; a server URL carrying it too would double it"
    )


@pytest.mark.parametrize(("method", "path"), CONTRACT + EXTRA)
def test_the_contracts_calls_are_described(spec: dict[str, Any], method: str, path: str) -> None:
    assert path in spec["paths"], sorted(spec["paths"])
    operation = spec["paths"][path].get(method)
    assert operation is not None, f"{method.upper()} {path} is not described"
    assert operation.get("summary")
    for name in ("n", "ticket_id"):
        if "{" + name + "}" in path:
            params = {p["name"]: p for p in operation.get("parameters", [])}
            assert params[name]["in"] == "path" and params[name]["required"] is True
            assert params[name]["schema"]["type"] == "integer"
    secured = operation.get("security", spec.get("security"))
    if path == "/api/v1/auth/login":
        assert not secured
    else:
        assert secured == [{"bearer": []}] or {"bearer": []} in (secured or [])


def test_nothing_undocumented_is_described(spec: dict[str, Any]) -> None:
    described = {(m, p) for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
    assert described == set(CONTRACT + EXTRA)


def test_bodies_and_errors_are_described(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    issue = spec["paths"]["/api/v1/tickets"]["post"]
    body = issue["requestBody"]["content"]["application/json"]["schema"]
    issue_in = schemas[body["$ref"].rsplit("/", 1)[-1]]
    assert issue_in["required"] == ["service"]
    assert issue_in["additionalProperties"] is False
    assert set(issue_in["properties"]) == {
        "service",
        "priority",
        "language",
        "appointment",
        "reason",
    }
    issued = issue["responses"]["201"]["content"]["application/json"]["schema"]
    issued_out = schemas[issued["$ref"].rsplit("/", 1)[-1]]
    for name in ISSUED_FIELDS:
        assert name in issued_out["properties"], name
    error = schemas["ErrorOut"]
    assert error["required"] == ["error"]
    error_body = schemas["ErrorBody"]
    assert set(error_body["required"]) == {"code", "message"}
    call_next = spec["paths"]["/api/v1/counters/{n}/call-next"]["post"]["responses"]
    assert {"200", "204"} <= set(call_next)
    query = spec["paths"]["/api/v1/tickets/{ticket_id}"]["get"]["parameters"]
    assert any(p["name"] == "token" and p["in"] == "query" for p in query)


# --- the server answers what the document says ---------------------------------------------------


def _conforms(spec: dict[str, Any], method: str, template: str, response: Any) -> None:
    operation = spec["paths"][template][method]
    described = operation["responses"].get(str(response.status_code))
    assert described is not None, f"{method} {template} answered {response.status_code}"
    content = described.get("content")
    if content is None:
        assert response.get_data() == b""
        return
    schema = {**content["application/json"]["schema"], "components": spec["components"]}
    cls = OAS31Validator if spec["openapi"].startswith("3.1") else OAS30Validator
    validate_schema(response.get_json(), schema, cls=cls)


def test_answers_match_the_document(api: Api, spec: dict[str, Any]) -> None:
    def check(method: str, template: str, response: Any) -> Any:
        _conforms(spec, method, template, response)
        return response.get_json()

    p = "/api/v1"
    check("post", f"{p}/counters/{{n}}/open", api.post("/counters/1/open", "clerk1"))
    api.issue("consultation")
    issued = check(
        "post",
        f"{p}/tickets",
        api.post("/tickets", "kiosk-1", json={"service": "property-transfer"}),
    )
    check("get", f"{p}/tickets/{{ticket_id}}", api.get(f"/tickets/{issued['id']}", "clerk1"))
    check("get", f"{p}/services", api.get("/services", "display-a"))
    check("get", f"{p}/counters", api.get("/counters", "display-a"))
    check("post", f"{p}/counters/{{n}}/call-next", api.post("/counters/1/call-next", "clerk1"))
    check("get", f"{p}/state", api.get("/state", "display-a"))
    check("post", f"{p}/counters/{{n}}/recall", api.post("/counters/1/recall", "clerk1"))
    check("post", f"{p}/counters/{{n}}/start", api.post("/counters/1/start", "clerk1"))
    check("post", f"{p}/counters/{{n}}/finish", api.post("/counters/1/finish", "clerk1"))
    check(
        "post",
        f"{p}/ratings",
        api.post("/ratings", "counter-1", json={"ticket": issued["id"], "score": 2}),
    )
    check("post", f"{p}/counters/{{n}}/call-next", api.post("/counters/1/call-next", "clerk1"))
    check(
        "post",
        f"{p}/counters/{{n}}/transfer",
        api.post("/counters/1/transfer", "clerk1", json={"counter": 7}),
    )
    check("post", f"{p}/counters/{{n}}/call-next", api.post("/counters/1/call-next", "clerk1"))
    check(
        "post",
        f"{p}/counters/{{n}}/pause",
        api.post("/counters/1/pause", "clerk1", json={"reason": "break"}),
    )
    check("post", f"{p}/counters/{{n}}/resume", api.post("/counters/1/resume", "clerk1"))
    check("post", f"{p}/counters/{{n}}/close", api.post("/counters/1/close", "clerk1"))
    check("post", f"{p}/counters/{{n}}/open", api.post("/counters/7/open", "clerk7"))
    check("post", f"{p}/counters/{{n}}/call-next", api.post("/counters/7/call-next", "clerk7"))
    check("post", f"{p}/counters/{{n}}/requeue", api.post("/counters/7/requeue", "clerk7"))
    check("post", f"{p}/counters/{{n}}/call-next", api.post("/counters/7/call-next", "clerk7"))
    check("post", f"{p}/counters/{{n}}/no-show", api.post("/counters/7/no-show", "clerk7"))
    waiting = api.issue("consultation")
    check(
        "post",
        f"{p}/tickets/{{ticket_id}}/cancel",
        api.post(f"/tickets/{waiting['id']}/cancel", "clerk7", json={}),
    )
    check("get", f"{p}/auth/me", api.get("/auth/me", "counter-7"))
    check("get", f"{p}/auth/me", api.get("/auth/me", "supervisor"))
    check("post", f"{p}/auth/logout", api.post("/auth/logout", "supervisor"))

    # The refusals the document lists are the wire contract's error shape.
    refusals = [
        ("get", f"{p}/services", api.get("/services"), 401),
        ("post", f"{p}/tickets", api.post("/tickets", "display-a", json={"service": "x"}), 403),
        ("get", f"{p}/tickets/{{ticket_id}}", api.get("/tickets/999999", "clerk7"), 404),
        ("post", f"{p}/counters/{{n}}/call-next", api.post("/counters/2/call-next", "admin"), 409),
        ("post", f"{p}/tickets", api.post("/tickets", "kiosk-1", json={}), 422),
    ]
    for method, template, response, status in refusals:
        assert_error(response, status)
        check(method, template, response)

"""The API description as ``hallq serve`` (gunicorn, gevent worker) serves it."""

from __future__ import annotations

from tests.e2e.conftest import prepare_hall


def test_openapi_document_is_served_without_a_token(sqlite_url, start_server, api) -> None:
    prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    reply = api(server).get("/api/openapi.json")

    assert reply.status == 200, reply
    assert reply.headers["Content-Type"].startswith("application/json"), reply.headers
    assert reply.headers.get("Server", "").startswith("gunicorn"), reply.headers
    assert "Using worker: gevent" in server.log_text(), server.log_tail()

    doc = reply.body
    assert doc["openapi"].startswith("3."), doc.get("openapi")
    assert doc["info"]["title"] == "HallQ"
    # The /api/v1 prefix is in the paths or in the servers entry.
    prefix = "" if any(p.startswith("/api/v1/") for p in doc["paths"]) else "/api/v1"
    if prefix:
        assert any(s["url"].rstrip("/").endswith("/api/v1") for s in doc.get("servers", [])), doc
    paths = {prefix + path: ops for path, ops in doc["paths"].items()}
    assert "201" in paths["/api/v1/tickets"]["post"]["responses"]
    assert "get" in paths["/api/v1/tickets/{ticket_id}"]
    call_next = paths["/api/v1/counters/{n}/call-next"]["post"]["responses"]
    assert {"200", "204"} <= set(call_next), call_next
    for path in ("/api/v1/services", "/api/v1/state", "/api/v1/counters", "/api/v1/auth/login"):
        assert path in paths, sorted(paths)
    assert "bearer" in doc["components"]["securitySchemes"]

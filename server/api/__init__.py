"""REST API v1 (under ``/api/v1``), described by the OpenAPI document at ``/api/openapi.json``."""

from __future__ import annotations

from flask import Flask, g, request
from flask_openapi3 import APIBlueprint

from hallq.server import wire
from hallq.server.api import (
    admin,
    appointments,
    audit,
    counters,
    dashboard,
    devices,
    errors,
    follow_ups,
    hall,
    notice,
    ratings,
    reports,
    signin,
    tickets,
)
from hallq.server.api.context import authenticate, bearer_token
from hallq.server.limits import init_limits

# Reachable without a token (the others answer 401 before reading the request).
PUBLIC_ENDPOINTS = frozenset({"api.signin.sign_in", "api.tickets.get_ticket"})
# Signing in never looks at a token: a stale one left in the header must not lock anyone out.
SIGN_IN = "api.signin.sign_in"


def register_api(app: Flask) -> None:
    api = APIBlueprint("api", __name__, url_prefix=wire.API_PREFIX)
    for module in (
        signin,
        tickets,
        hall,
        counters,
        ratings,
        appointments,
        devices,
        notice,
        dashboard,
        follow_ups,
        reports,
        audit,
        admin,
    ):
        api.register_api(module.bp)
    app.register_api(api)  # type: ignore[attr-defined]
    app.validation_error_callback = errors.validation_response  # type: ignore[attr-defined]

    # Hooks run in the order registered: who is calling, before what they sent.
    @app.before_request
    def _authenticate_first() -> None:
        if not request.path.startswith(wire.API_PREFIX + "/") or request.endpoint == SIGN_IN:
            return
        if request.endpoint in PUBLIC_ENDPOINTS and bearer_token() is None:
            return
        if request.endpoint is None:
            return  # no such route: let it be a 404
        g.caller = authenticate()

    errors.register_error_handlers(app)
    init_limits(app)

    # Registered as a plain rule so that it does not describe itself.
    app.add_url_rule(
        "/api/openapi.json",
        "openapi_document",
        lambda: app.api_doc,  # type: ignore[attr-defined]
    )

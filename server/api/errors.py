"""Every refusal as ``{"error": {"code", "message"}}`` with a 4xx status, in the caller's
language; nothing a client sends can turn into a 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from hallq.server import wire
from hallq.server.api.context import Unauthenticated
from hallq.server.i18n import current_language, translate
from hallq.server.queue.errors import (
    N_,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Refused,
)
from hallq.server.refusals import details, explain

log = logging.getLogger(__name__)

STATUS = {
    Unauthenticated: 401,
    BadRequest: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
}


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    body: dict[str, Any] = wire.error(code, message)
    body["error"].update(extra)
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hallq"'
    return response


def refusal_response(exc: Refused) -> Response:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 409)
    return error_response(status, exc.code, explain(exc, current_language()), details=details(exc))


def validation_response(exc: ValidationError) -> Response:
    """flask-openapi3 calls this when a request does not match its schema."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err.get("loc", ())) or "body"
        problems.append({"field": where, "problem": err.get("msg", "invalid")})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return error_response(
        422,
        "invalid_request",
        translate(N_("The request is not valid: %(problems)s"), problems=summary),
        problems=problems,
    )


_HTTP_CODES = {
    400: ("bad_request", N_("The request could not be understood.")),
    404: ("not_found", N_("There is nothing at this address.")),
    405: ("method_not_allowed", N_("This address does not take that method.")),
    413: ("too_large", N_("The request is too large.")),
    415: (
        "unsupported_media_type",
        N_("Send the request body as JSON (Content-Type: application/json)."),
    ),
    429: ("too_many_requests", N_("Too many attempts: wait a minute and try again.")),
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(exc: Refused) -> Response:
        return refusal_response(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", N_("The request was refused.")))
        return error_response(status, code, translate(message))

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        # A bug, not bad input: log it whole, tell the client little.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            500, "internal_error", translate(N_("Something went wrong on the server."))
        )

    @app.before_request
    def _json_bodies_only() -> Response | None:
        # A body must be JSON; say so (415/400) instead of letting it pass as "missing". The
        # body is read here whatever its framing: with a Content-Length or chunked, the same
        # size limit (413 past MAX_CONTENT_LENGTH) and the same checks apply.
        if not request.path.startswith(wire.API_PREFIX):
            return None
        for name, values in request.args.lists():
            if _has_nul(values):
                return _nul_refused(name)
        if request.method in ("POST", "PUT", "PATCH"):
            data = request.get_data(cache=True)
            if not data:
                return None
            limit = app.config["MAX_CONTENT_LENGTH"]
            if request.content_length is None and len(data) >= limit:
                # Chunked: the stream stops at the limit instead of refusing past it.
                return error_response(413, "too_large", translate(_HTTP_CODES[413][1]))
            if request.endpoint in TEXT_BODIES and request.mimetype in TEXT_TYPES:
                return None  # the view reads the text itself (the hall file's TOML)
            if not request.is_json:
                return error_response(415, "unsupported_media_type", translate(_HTTP_CODES[415][1]))
            try:
                body = request.get_json(silent=True)
            except RecursionError:  # nested deeper than the parser goes
                body = None
            if body is None:
                return error_response(
                    400, "malformed_json", translate(N_("The request body is not valid JSON."))
                )
            if _deeper_than(body, MAX_DEPTH):
                return error_response(
                    400,
                    "too_deeply_nested",
                    translate(
                        N_("The request body nests too deeply (at most %(max)s levels)."),
                        max=MAX_DEPTH,
                    ),
                )
            if _has_nul(body):
                return _nul_refused("body")
        return None


MAX_DEPTH = 16  # no request of the API nests deeper than a few levels

# Endpoints whose body is text, not JSON (added by their blueprints), and the types they take.
TEXT_BODIES: set[str] = set()
TEXT_TYPES = frozenset({"text/plain", "application/toml"})


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether a JSON value nests lists and objects more than ``limit`` levels deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _has_nul(value: Any) -> bool:
    """A NUL character in any string of a JSON value (PostgreSQL cannot store one)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _nul_refused(field: str) -> Response:
    problem = "text may not contain NUL characters"
    return error_response(
        422,
        "invalid_request",
        translate(N_("The request is not valid: %(problems)s"), problems=problem),
        problems=[{"field": field, "problem": problem}],
    )

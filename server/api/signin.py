"""Signing in and out; and "who am I" for screens holding a token."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.context import EVERYONE, bearer_token, caller, requires
from hallq.server.api.errors import error_response
from hallq.server.api.schemas import ERRORS, LoginIn, LoginOut, MeOut
from hallq.server.app import hallq
from hallq.server.auth import LOGIN_LIFETIME, login, logout
from hallq.server.i18n import translate
from hallq.server.limits import limiter
from hallq.server.queue.errors import N_

tag = Tag(name="auth", description="Users sign in with a password and get a token")
bp = APIBlueprint("signin", __name__, abp_tags=[tag], abp_responses=ERRORS)


@bp.post(
    "/auth/login",
    summary="Sign in: a token for `Authorization: Bearer …`",
    responses={200: LoginOut},
)
@limiter.limit(
    "10 per minute; 100 per hour",
    key_func=lambda: _login_key(),
    # Only failed attempts count: a clerk signing in again after a restart is not guessing.
    deduct_when=lambda response: response.status_code == 401,
)
def sign_in(body: LoginIn) -> Any:
    state = hallq()
    now = state.clock()
    with state.db.writing() as session:
        result = login(session, body.username, body.password, now)
        if result is None:
            return error_response(
                401,
                "bad_credentials",
                translate(N_("Wrong user name or password, or the account is disabled.")),
            )
        token, user = result
        role, name = user.role, user.display_name or user.username
    return {
        "token": token,
        "role": role,
        "name": name,
        "expires_at": (now + LOGIN_LIFETIME).isoformat(),
    }


def _login_key() -> str:
    # Per address and user name: one clerk's typos do not lock out the whole hall.
    from flask import request

    body = request.get_json(silent=True) or {}
    name = body.get("username") if isinstance(body, dict) else None
    return f"{request.remote_addr}:{name if isinstance(name, str) else ''}"[:200]


@bp.post(
    "/auth/logout",
    summary="Sign out: the token stops working at once",
    security=[{"bearer": []}],
    responses={204: None},
)
@requires("admin", "supervisor", "clerk")
def sign_out() -> Any:
    state = hallq()
    with state.db.writing() as session:
        logout(session, bearer_token() or "", state.clock())
    return "", 204


@bp.get(
    "/auth/me",
    summary="Who this token belongs to",
    security=[{"bearer": []}],
    responses={200: MeOut},
)
@requires(*EVERYONE)
def whoami() -> Any:
    c = caller()
    return {
        "name": c.name,
        "role": c.role,
        "kind": c.kind,
        "zone": c.zone,
        "counter": c.counter_number,
        "hall": c.actor.hall_id,
    }

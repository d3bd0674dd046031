"""Signing in and out; and "who am I" for screens holding a token."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.context import EVERYONE, bearer_token, caller, requires
from hallq.server.api.errors import error_response
from hallq.server.api.schemas import ERRORS, LoginIn, LoginOut, MeOut
from hallq.server.auth import LOGIN_LIFETIME, login, logout
from hallq.server.auth_cache import revoking
from hallq.server.i18n import translate
from hallq.server.queue.errors import N_
from hallq.server.state import hallq

tag = Tag(name="auth", description="Users sign in with a password and get a token")
bp = APIBlueprint("signin", __name__, abp_tags=[tag], abp_responses=ERRORS)


@bp.post(
    "/auth/login",
    summary="Sign in: a token for `Authorization: Bearer …`",
    responses={200: LoginOut},
)
def sign_in(body: LoginIn) -> Any:
    limits = current_app.extensions["hallq_sign_in_limits"]
    key = _login_key(body.username)
    wait = limits.retry_after(key)
    if wait is not None:
        response = error_response(
            429,
            "too_many_requests",
            translate(N_("Too many attempts: wait a minute and try again.")),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    state = hallq()
    now = state.clock()
    with state.db.writing() as session:
        result = login(session, body.username, body.password, now)
        if result is not None:
            token, user = result
            role, name = user.role, user.display_name or user.username
    if result is None:
        # Only failed attempts count: a clerk signing in again after a restart is not guessing.
        limits.failed(key)
        return error_response(
            401,
            "bad_credentials",
            translate(N_("Wrong user name or password, or the account is disabled.")),
        )
    return {
        "token": token,
        "role": role,
        "name": name,
        "expires_at": (now + LOGIN_LIFETIME).isoformat(),
    }


def _login_key(username: str) -> str:
    # Per address and user name: one clerk's typos do not lock out the whole hall.
    return f"{request.remote_addr}:{username}"[:200]


@bp.post(
    "/auth/logout",
    summary="Sign out: the token stops working at once",
    security=[{"bearer": []}],
    responses={204: None},
)
@requires("admin", "supervisor", "clerk")
def sign_out() -> Any:
    state = hallq()
    with revoking(state.db) as session:
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

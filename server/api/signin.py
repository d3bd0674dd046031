"""Signing in and out; and "who am I" for screens holding a token.

A sign-in reads the user, checks the password off the event loop and outside any
transaction (argon2 takes ~0.2 s: in a transaction it would hold up every issue on SQLite),
then records the result on the command path: a login token, and an entry in the log either
way. Failed attempts are limited per address and per user name (``server/limits.py``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag

from hallq.server.admin import users
from hallq.server.api.context import EVERYONE, bearer_token, caller, change, requires
from hallq.server.api.errors import error_response
from hallq.server.api.schemas import ERRORS, LoginIn, LoginOut, MeOut
from hallq.server.auth import LOGIN_LIFETIME, check_password, hash_password, needs_rehash
from hallq.server.i18n import translate
from hallq.server.queue.errors import N_
from hallq.server.queue.events import Actor
from hallq.server.queue.hall import only_hall
from hallq.server.state import hallq

tag = Tag(name="auth", description="Users sign in with a password and get a token")
bp = APIBlueprint("signin", __name__, abp_tags=[tag], abp_responses=ERRORS)

ANONYMOUS = "anonymous"  # the log's actor of a failed sign-in


@bp.post(
    "/auth/login",
    summary="Sign in: a token for `Authorization: Bearer …`",
    responses={200: LoginOut},
)
def sign_in(body: LoginIn) -> Any:
    limits = current_app.extensions["hallq_sign_in_limits"]
    address = request.remote_addr or "?"
    wait = limits.retry_after(address, body.username)
    if wait is not None:
        response = error_response(
            429,
            "too_many_requests",
            translate(N_("Too many attempts: wait a minute and try again.")),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    state = hallq()
    with state.db.reading() as session:
        who = users.candidate(session, body.username)
        hall_id = who.hall_id
        if hall_id is None:
            single = only_hall(session)
            hall_id = single.id if single else None
    # The slow part, off the event loop and outside any transaction.
    password_ok = state.offload(check_password, who.password_hash, body.password)
    new_hash = None
    if password_ok and who.password_hash and needs_rehash(who.password_hash):
        new_hash = state.offload(hash_password, body.password)
    if hall_id is None:  # no hall is loaded: nobody can sign in, and there is no log yet
        signed = users.SignedIn(token=None)
    else:
        now = state.clock()
        # Not signed in yet: the log names the user the attempt was for (record_sign_in).
        actor = Actor(hall_id=hall_id, role=ANONYMOUS, source="api")
        hall = state.hall(None, hall_id)
        signed = state.commands.run(
            hall,
            actor,
            now,
            lambda session: users.record_sign_in(
                session,
                actor,
                body.username,
                who,
                password_ok=password_ok,
                new_hash=new_hash,
                address=address,
                now=now,
            ),
        )
    if signed.token is None:
        # Only failed attempts count: a clerk signing in again after a restart is not guessing.
        limits.failed(address, body.username)
        return error_response(
            401,
            "bad_credentials",
            translate(N_("Wrong user name or password, or the account is disabled.")),
        )
    return {
        "token": signed.token,
        "role": signed.role,
        "name": signed.name,
        "expires_at": (state.clock() + LOGIN_LIFETIME).isoformat(),
    }


@bp.post(
    "/auth/logout",
    summary="Sign out: the token stops working at once",
    security=[{"bearer": []}],
    responses={204: None},
)
@requires("admin", "supervisor", "clerk")
def sign_out() -> Any:
    now = hallq().clock()
    change(lambda session: users.sign_out(session, caller().actor, bearer_token() or "", now))
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

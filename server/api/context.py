"""What every API view needs: the caller, the hall, the clock, and :func:`change`, the view's
way onto the command path (the engine in a unit of work, commit, then publish)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy.orm import Session

from hallq.server.auth import Caller, resolve, token_hash
from hallq.server.queue.errors import N_, ROLE_TERMS, Forbidden, Refused
from hallq.server.queue.hall import HallContext
from hallq.server.state import hallq

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")

STAFF = ("admin", "supervisor", "clerk")
DEVICES = ("kiosk", "display", "counter")
EVERYONE = STAFF + DEVICES


class Unauthenticated(Refused):
    """No token, or one that is unknown, expired, revoked or of a disabled user."""


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> Caller:
    token = bearer_token()
    if token is None:
        raise Unauthenticated(
            "unauthenticated", N_("Sign in first: this needs a token (Authorization: Bearer …).")
        )
    state = hallq()
    now = state.clock()
    digest = token_hash(token)
    found = state.callers.get(digest, now) if state.callers else None
    if found is None:
        with state.db.reading() as session:
            found = resolve(session, token, now)
        if found is not None and state.callers:
            state.callers.put(digest, found, found.expires_at)
    if found is None:
        raise Unauthenticated(
            "bad_token", N_("This token is not valid (unknown, expired or revoked): sign in again.")
        )
    g.hall = state.hall(None, found.actor.hall_id)
    g.caller = found
    return found


def requires(*roles: str) -> Callable[[F], F]:
    """Only callers of these roles (users' roles, devices' kinds) may use the view."""

    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = g.get("caller") or authenticate()
            if caller.role not in allowed:
                raise Forbidden(
                    "role_not_allowed",
                    N_("A %(role)s may not do this."),
                    role=ROLE_TERMS.get(caller.role, caller.role),
                )
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def caller() -> Caller:
    return g.caller  # type: ignore[no-any-return]


def hall() -> HallContext:
    return g.hall  # type: ignore[no-any-return]


def change(work: Callable[[Session], R], *, one_statement: bool = False) -> R:
    """Run ``work(session)`` on the command path as the caller, in the caller's hall."""
    state = hallq()
    return state.commands.run(
        hall(), caller().actor, state.clock(), work, one_statement=one_statement
    )

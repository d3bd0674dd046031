"""Who is calling: users (password → login token) and devices (token from the CLI).

Tokens are long random secrets; only their SHA-256 is stored and a caller is found by
it in one indexed look-up. The slow password hash (argon2) runs at login only: one on
every request would cap the hall at a few dozen requests a second. Tokens carry a
prefix saying which table to look in (``hqu_`` users, ``hqd_`` devices), so a request
costs one look-up, and a token pasted into the wrong place is recognisable.

The web layer remembers look-ups for a few seconds (``server/auth_cache.py``), forgotten
at once when anything is revoked, also from the CLI in another process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hallq.server.models import Device
from hallq.server.queue.events import Actor
from hallq.server.tables import COUNTERS, DEVICES, LOGIN_TOKENS, USERS, ZONES

USER_PREFIX = "hqu_"
DEVICE_PREFIX = "hqd_"
LOGIN_LIFETIME = dt.timedelta(hours=16)  # a long shift; signing in again is cheap

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the time of a failed login
# the same whether or not the name is known.
_DUMMY_HASH = _hasher.hash("not a real password")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """The slow part of a sign-in (argon2, ~0.2 s): run it off the event loop and outside
    any transaction. An unknown user is checked against a dummy hash, so that a failed
    sign-in takes the same time whether or not the name exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the engine's Actor plus what the web layer needs."""

    actor: Actor
    name: str
    kind: str  # "user" | "device"
    zone: str | None = None  # a device's zone code
    counter_number: int | None = None  # a counter device's window
    expires_at: dt.datetime | None = None  # a login token's end; devices' do not expire

    @property
    def role(self) -> str:
        return self.actor.role

    @property
    def caller_key(self) -> str:
        """Names the caller in idempotency records."""
        if self.kind == "device":
            return f"device:{self.actor.device_id}"
        return f"user:{self.actor.user_id}"


_U, _L, _D = USERS.c, LOGIN_TOKENS.c, DEVICES.c
# One indexed look-up per request (token_hash is unique), built once.
_USER_BY_TOKEN = (
    select(_U.id, _U.hall_id, _U.username, _U.display_name, _U.role, _L.expires_at)
    .join(LOGIN_TOKENS, _L.user_id == _U.id)
    .where(
        _L.token_hash == bindparam("digest"),
        _L.revoked_at.is_(None),
        _L.expires_at > bindparam("now"),
        _U.active.is_(True),
    )
)
_DEVICE_BY_TOKEN = (
    select(
        _D.id,
        _D.hall_id,
        _D.name,
        _D.kind,
        _D.counter_id,
        ZONES.c.code.label("zone_code"),
        COUNTERS.c.number.label("counter_number"),
    )
    .outerjoin(ZONES, ZONES.c.id == _D.zone_id)
    .outerjoin(COUNTERS, COUNTERS.c.id == _D.counter_id)
    .where(_D.token_hash == bindparam("digest"), _D.revoked_at.is_(None))
)


def token_kind(token: str) -> str | None:
    """``user`` or ``device`` by the token's prefix; None for anything else."""
    if token.startswith(USER_PREFIX):
        return "user"
    if token.startswith(DEVICE_PREFIX):
        return "device"
    return None


def resolve(session: Session, token: str, now: dt.datetime) -> Caller | None:
    """The caller a bearer token belongs to, or None (unknown, expired, revoked, disabled)."""
    kind = token_kind(token)
    return None if kind is None else resolve_digest(session, token_hash(token), kind, now)


def resolve_digest(session: Session, digest: str, kind: str, now: dt.datetime) -> Caller | None:
    """``resolve`` by the token's hash and kind (what an open socket keeps of its token)."""
    if kind == "user":
        row = session.execute(_USER_BY_TOKEN, {"digest": digest, "now": now}).one_or_none()
        if row is None:
            return None
        return Caller(
            actor=Actor(hall_id=row.hall_id, role=row.role, user_id=row.id, source="api"),
            name=row.display_name or row.username,
            kind="user",
            expires_at=row.expires_at,
        )
    if kind == "device":
        row = session.execute(_DEVICE_BY_TOKEN, {"digest": digest}).one_or_none()
        if row is None:
            return None
        return Caller(
            actor=Actor(
                hall_id=row.hall_id,
                role=row.kind,
                device_id=row.id,
                counter_id=row.counter_id,
                source="device",
            ),
            name=row.name,
            kind="device",
            zone=row.zone_code,
            counter_number=row.counter_number,
        )
    return None


def issue_device_token(device: Device) -> str:
    """Give a device a new token (the old one stops working); returns the token once."""
    token = new_token(DEVICE_PREFIX)
    device.token_hash = token_hash(token)
    device.revoked_at = None
    return token

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
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from hallq.server.models import Device, LoginToken, User
from hallq.server.queue.events import Actor
from hallq.server.tables import COUNTERS, DEVICES, LOGIN_TOKENS, USERS, ZONES

USER_PREFIX = "hqu_"
DEVICE_PREFIX = "hqd_"
ROLES = ("admin", "supervisor", "clerk")
DEVICE_KINDS = ("kiosk", "display", "counter")
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


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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


def resolve(session: Session, token: str, now: dt.datetime) -> Caller | None:
    """The caller a bearer token belongs to, or None (unknown, expired, revoked, disabled)."""
    if token.startswith(USER_PREFIX):
        row = session.execute(
            _USER_BY_TOKEN, {"digest": token_hash(token), "now": now}
        ).one_or_none()
        if row is None:
            return None
        return Caller(
            actor=Actor(hall_id=row.hall_id, role=row.role, user_id=row.id),
            name=row.display_name or row.username,
            kind="user",
            expires_at=row.expires_at,
        )
    if token.startswith(DEVICE_PREFIX):
        row = session.execute(_DEVICE_BY_TOKEN, {"digest": token_hash(token)}).one_or_none()
        if row is None:
            return None
        return Caller(
            actor=Actor(
                hall_id=row.hall_id, role=row.kind, device_id=row.id, counter_id=row.counter_id
            ),
            name=row.name,
            kind="device",
            zone=row.zone_code,
            counter_number=row.counter_number,
        )
    return None


def login(
    session: Session, username: str, password: str, now: dt.datetime
) -> tuple[str, User] | None:
    """A new login token for a right name and password of an active user, else None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password(_DUMMY_HASH, password)
        return None
    if not check_password(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = new_token(USER_PREFIX)
    session.add(
        LoginToken(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + LOGIN_LIFETIME,
        )
    )
    return token, user


def logout(session: Session, token: str, now: dt.datetime) -> None:
    session.execute(
        update(LoginToken)
        .where(LoginToken.token_hash == token_hash(token), LoginToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def issue_device_token(device: Device) -> str:
    """Give a device a new token (the old one stops working); returns the token once."""
    token = new_token(DEVICE_PREFIX)
    device.token_hash = token_hash(token)
    device.revoked_at = None
    return token

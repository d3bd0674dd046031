"""People who sign in: adding them, their role and password, disabling them, signing in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hallq.server.auth import LOGIN_LIFETIME, USER_PREFIX, new_token, token_hash
from hallq.server.models import LoginToken, User
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_, Invalid, NotFound
from hallq.server.queue.events import Actor, CredentialsEnded, DomainEvent
from hallq.server.roles import ROLES

MAX_NAME = 64


@dataclass
class UserChange:
    user_id: int
    # What changed, in the installer's words: "added", "role", "password", "enabled"...
    changes: list[str]
    events: list[DomainEvent] = field(default_factory=list)


def _ended_sessions(session: Session, user_id: int, now: dt.datetime) -> int:
    """Every login token of the user stops working (a new role or password, disabled)."""
    return session.execute(
        update(LoginToken)
        .where(LoginToken.user_id == user_id, LoginToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount


def check_name(name: str) -> None:
    if not 1 <= len(name) <= MAX_NAME or not name.isprintable() or " " in name:
        raise Invalid("bad_username", N_("A user name is 1 to 64 characters without spaces."))


def put_user(
    session: Session,
    actor: Actor,
    name: str,
    *,
    role: str,
    password_hash: str | None,
    display_name: str | None,
    now: dt.datetime,
) -> UserChange:
    """Add a user, or set an existing one's role, password (already hashed: the slow hash
    must not run inside a transaction) and display name, enabling the account.

    A new role or password ends the user's sessions: signed-in screens must sign in again.
    """
    check_name(name)
    if role not in ROLES:
        raise Invalid("unknown_role", N_("Unknown role %(role)s."), role=role)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        if password_hash is None:
            raise Invalid("password_required", N_("A new user needs a password."))
        user = User(
            hall_id=actor.hall_id,
            username=name,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            created_at=now,
        )
        session.add(user)
        session.flush()
        ledger.append(session, actor, "user.added", now, user_id=user.id, username=name, role=role)
        return UserChange(user.id, ["added"])
    changes: list[str] = []
    if user.role != role:
        ledger.append(
            session,
            actor,
            "user.role_changed",
            now,
            user_id=user.id,
            username=name,
            role=role,
            was=user.role,
        )
        user.role = role
        changes.append("role")
    if password_hash is not None:
        user.password_hash = password_hash
        ledger.append(session, actor, "user.password_reset", now, user_id=user.id, username=name)
        changes.append("password")
    if not user.active:
        user.active = True
        ledger.append(session, actor, "user.enabled", now, user_id=user.id, username=name)
        changes.append("enabled")
    if display_name and display_name != user.display_name:
        user.display_name = display_name
        ledger.append(
            session,
            actor,
            "user.renamed",
            now,
            user_id=user.id,
            username=name,
            display_name=display_name,
        )
        changes.append("display name")
    events: list[DomainEvent] = []
    if "role" in changes or "password" in changes:
        _ended_sessions(session, user.id, now)
        events.append(CredentialsEnded(user_id=user.id))
    return UserChange(user.id, changes, events)


def disable_user(session: Session, actor: Actor, name: str, now: dt.datetime) -> UserChange:
    """The user can no longer sign in; their sessions end at once."""
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound("unknown_user", N_("There is no user %(user)s."), user=name)
    if not user.active:
        return UserChange(user.id, [])
    user.active = False
    _ended_sessions(session, user.id, now)
    ledger.append(session, actor, "user.disabled", now, user_id=user.id, username=name)
    return UserChange(user.id, ["disabled"], [CredentialsEnded(user_id=user.id)])


@dataclass(frozen=True)
class Candidate:
    """What a sign-in needs to check a password, read before any transaction."""

    user_id: int | None
    hall_id: int | None
    password_hash: str | None
    active: bool


def candidate(session: Session, username: str) -> Candidate:
    row = session.execute(
        select(User.id, User.hall_id, User.password_hash, User.active).where(
            User.username == username
        )
    ).one_or_none()
    if row is None:
        return Candidate(None, None, None, False)
    return Candidate(row.id, row.hall_id, row.password_hash, row.active)


@dataclass
class SignedIn:
    token: str | None  # None: refused
    user_id: int | None = None
    role: str | None = None
    name: str | None = None
    events: list[DomainEvent] = field(default_factory=list)


def record_sign_in(
    session: Session,
    actor: Actor,
    username: str,
    who: Candidate,
    *,
    password_ok: bool,
    new_hash: str | None,
    address: str | None,
    now: dt.datetime,
) -> SignedIn:
    """After the password was checked (outside any transaction): a login token for a right
    password of an active user, and either way an entry in the log."""
    user = session.get(User, who.user_id) if who.user_id is not None else None
    if user is None or not password_ok or not user.active:
        ledger.append(
            session,
            actor,
            "auth.sign_in_failed",
            now,
            user_id=user.id if user is not None else None,
            username=username[:MAX_NAME],
            address=address,
        )
        return SignedIn(token=None)
    if new_hash is not None and user.password_hash == who.password_hash:
        user.password_hash = new_hash  # argon2's parameters grew since it was hashed
    token = new_token(USER_PREFIX)
    session.add(
        LoginToken(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + LOGIN_LIFETIME,
        )
    )
    ledger.append(session, actor, "auth.signed_in", now, user_id=user.id, address=address)
    return SignedIn(
        token=token, user_id=user.id, role=user.role, name=user.display_name or user.username
    )


def sign_out(session: Session, actor: Actor, token: str, now: dt.datetime) -> list[DomainEvent]:
    ended = session.execute(
        update(LoginToken)
        .where(LoginToken.token_hash == token_hash(token), LoginToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    if not ended:
        return []
    ledger.append(session, actor, "auth.signed_out", now)
    # Only that token ends: the user's other screens go on. Sockets holding it are closed.
    return [CredentialsEnded(user_id=actor.user_id)]

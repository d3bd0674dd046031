"""People who sign in: adding them, their role and password, disabling them, signing in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hallq.server.auth import LOGIN_LIFETIME, USER_PREFIX, new_token, token_hash
from hallq.server.models import Counter, LoginToken, User
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_, Conflict, Invalid, NotFound
from hallq.server.queue.events import Actor, CredentialsEnded, DomainEvent
from hallq.server.roles import ROLES

MAX_NAME = 64


# The log's user column names who made a change (an administrator, or none for the hallq
# command, whose account is in the payload's "by"); the user changed is "target_user".


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
        ledger.append(
            session, actor, "user.added", now, target_user=user.id, username=name, role=role
        )
        return UserChange(user.id, ["added"])
    changes: list[str] = []
    if user.role != role:
        ledger.append(
            session,
            actor,
            "user.role_changed",
            now,
            target_user=user.id,
            username=name,
            role=role,
            was=user.role,
        )
        user.role = role
        changes.append("role")
    if password_hash is not None:
        user.password_hash = password_hash
        ledger.append(
            session, actor, "user.password_reset", now, target_user=user.id, username=name
        )
        changes.append("password")
    if not user.active:
        user.active = True
        ledger.append(session, actor, "user.enabled", now, target_user=user.id, username=name)
        changes.append("enabled")
    if display_name and display_name != user.display_name:
        user.display_name = display_name
        ledger.append(
            session,
            actor,
            "user.renamed",
            now,
            target_user=user.id,
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
    ledger.append(session, actor, "user.disabled", now, target_user=user.id, username=name)
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


# -- the back office: users an administrator manages ------------------------------------------


def find_user(session: Session, hall_id: int, name: str) -> User:
    user = session.scalar(select(User).where(User.hall_id == hall_id, User.username == name))
    if user is None:
        raise NotFound("unknown_user", N_("There is no user %(user)s."), user=name)
    return user


def _windows(session: Session, hall_id: int, windows: list[int] | None) -> list[int] | None:
    """A clerk's windows, checked against the hall's; empty or None: any window."""
    if not windows:
        return None
    known = set(
        session.scalars(
            select(Counter.number).where(Counter.hall_id == hall_id, Counter.active.is_(True))
        )
    )
    unknown = sorted(set(windows) - known)
    if unknown:
        raise Invalid(
            "unknown_window",
            N_("There is no window %(counter)s in this hall."),
            counter=", ".join(map(str, unknown)),
        )
    return sorted(set(windows))


def _keep_an_admin(session: Session, user: User) -> None:
    """The hall keeps at least one active administrator: no one can lock everyone out."""
    if user.role != "admin" or not user.active:
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.hall_id == user.hall_id,
            User.role == "admin",
            User.active.is_(True),
            User.id != user.id,
        )
    )
    if not others:
        raise Conflict(
            "last_admin",
            N_("%(user)s is the last administrator: make another one first."),
            user=user.username,
        )


def add_user(
    session: Session,
    actor: Actor,
    name: str,
    *,
    role: str,
    password_hash: str,
    display_name: str | None,
    windows: list[int] | None,
    now: dt.datetime,
) -> UserChange:
    """A new user (an existing name is refused: change it instead)."""
    check_name(name)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict("user_exists", N_("There is already a user %(user)s."), user=name)
    chosen = _windows(session, actor.hall_id, windows)
    done = put_user(
        session,
        actor,
        name,
        role=role,
        password_hash=password_hash,
        display_name=display_name,
        now=now,
    )
    if chosen is not None:
        user = session.get(User, done.user_id)
        assert user is not None
        user.windows = chosen
        ledger.append(
            session,
            actor,
            "user.windows_set",
            now,
            target_user=user.id,
            username=name,
            windows=chosen,
        )
    return done


def update_user(
    session: Session,
    actor: Actor,
    name: str,
    fields: dict[str, Any],
    now: dt.datetime,
) -> UserChange:
    """Set what ``fields`` names of: role, display_name, windows, active."""
    user = find_user(session, actor.hall_id, name)
    if fields.get("role") not in (None, user.role) or fields.get("active") is False:
        _keep_an_admin(session, user)
    changes: list[str] = []
    events: list[DomainEvent] = []
    if "windows" in fields:
        chosen = _windows(session, actor.hall_id, fields["windows"])
        if chosen != (user.windows or None):
            user.windows = chosen
            ledger.append(
                session,
                actor,
                "user.windows_set",
                now,
                target_user=user.id,
                username=name,
                windows=chosen,
            )
            changes.append("windows")
    if fields.get("active") is False:
        done = disable_user(session, actor, name, now)
        return UserChange(user.id, changes + done.changes, done.events)
    role = fields.get("role") or user.role
    display_name = fields.get("display_name")
    if (
        role != user.role
        or (display_name and display_name != user.display_name)
        or (fields.get("active") is True and not user.active)
    ):
        done = put_user(
            session,
            actor,
            name,
            role=role,
            password_hash=None,
            display_name=display_name,
            now=now,
        )
        changes += done.changes
        events += done.events
    return UserChange(user.id, changes, events)


def reset_password(
    session: Session, actor: Actor, name: str, password_hash: str, now: dt.datetime
) -> UserChange:
    """A new password (hashed before the transaction); the user's sessions end."""
    user = find_user(session, actor.hall_id, name)
    user.password_hash = password_hash
    _ended_sessions(session, user.id, now)
    ledger.append(session, actor, "user.password_reset", now, target_user=user.id, username=name)
    return UserChange(user.id, ["password"], [CredentialsEnded(user_id=user.id)])

"""A few seconds' memory of who a token belongs to, forgotten at once on any revocation.

Looking the caller up costs a query on every request; the design allows caching it for a
few seconds *provided that revoking a token or disabling a user takes effect at once*.
Every change that ends credentials (signing out, disabling a user, a new role or password,
revoking a device or giving it a new token) reports ``CredentialsEnded``, and the command
path (``commands.py``) announces it to every server process:

- SQLite: after the commit it touches a stamp file beside the database (the server and the
  ``hallq`` command always agree on where, whatever their data directories); a request
  compares the stamp's time (one ``stat``).
- PostgreSQL: ``NOTIFY hallq_auth`` in the revoking transaction (delivered at its commit);
  each server keeps a connection that LISTENs, and a request polls it without waiting (a few
  microseconds). While that connection is down, nothing is cached.

A request that finds a revocation announced drops the whole cache; the realtime hub checks
the same announcements to close the sockets of the credentials that ended
(``RevocationWatch`` hands each of them every announcement).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hallq.server.auth import Caller
from hallq.server.db import Database

TTL = 5.0  # seconds
CHANNEL = "hallq_auth"


def stamp_path(database_url: str) -> Path | None:
    """Where revocations are stamped for this database; None when it is not a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".auth-epoch")


def announce_in_transaction(session: Session) -> None:
    """PostgreSQL: servers hear of the revocation when this transaction commits (not before:
    a look-up in between would cache the old state again)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


def announce_after_commit(db: Database) -> None:
    """SQLite: touch the stamp beside the database file, once the revocation is committed."""
    stamp = stamp_path(db.url.render_as_string(hide_password=False))
    if stamp is not None:
        stamp.write_text(str(time.time_ns()))


class Revocations(Protocol):
    def announced(self) -> bool:
        """True when a revocation may have happened since the last call."""


class StampFile:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen = self._read()

    def _read(self) -> int | None:
        try:
            return self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def announced(self) -> bool:
        now = self._read()
        if now == self._seen:
            return False
        self._seen = now
        return True


class Notifications:
    """LISTENs on a connection of its own; polled without waiting."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._conn: Any = None
        self._lock = threading.Lock()

    def announced(self) -> bool:
        with self._lock:
            try:
                if self._conn is None:
                    import psycopg

                    self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=2)
                    self._conn.execute(f"LISTEN {CHANNEL}")
                    return True  # revocations while not listening were missed
                return any(True for _ in self._conn.notifies(timeout=0))
            except Exception:
                # Down: treat every request as after a revocation (no caching) until back.
                self.close_locked()
                return True

    def close_locked(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()


class RevocationWatch:
    """Counts the revocations announced; each reader compares the count with the one it
    saw last (the announcements themselves can be taken only once)."""

    def __init__(self, revocations: Revocations) -> None:
        self._revocations = revocations
        self._lock = threading.Lock()
        self._epoch = 0

    @classmethod
    def for_database(cls, database_url: str) -> RevocationWatch:
        stamp = stamp_path(database_url)
        if stamp is not None:
            return cls(StampFile(stamp))
        return cls(Notifications(database_url))

    def epoch(self) -> int:
        """How many announcements so far (polls for new ones: one stat, or one poll)."""
        with self._lock:
            if self._revocations.announced():
                self._epoch += 1
            return self._epoch

    def close(self) -> None:
        if isinstance(self._revocations, Notifications):
            self._revocations.close()


class CallerCache:
    def __init__(
        self,
        watch: RevocationWatch,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.watch = watch
        self._seen = watch.epoch()
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dt.datetime | None, Caller]] = {}

    @classmethod
    def for_database(cls, database_url: str) -> CallerCache:
        return cls(RevocationWatch.for_database(database_url))

    def get(self, digest: str, now: dt.datetime) -> Caller | None:
        epoch = self.watch.epoch()
        if epoch != self._seen:
            self._seen = epoch
            self.forget()
            return None
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None:
            return None
        stored, expires_at, caller = entry
        if self._clock() - stored > self._ttl or (expires_at is not None and expires_at <= now):
            return None
        return caller

    def put(self, digest: str, caller: Caller, expires_at: dt.datetime | None) -> None:
        with self._lock:
            if len(self._entries) > 10_000:  # a flood of distinct tokens: start over
                self._entries.clear()
            self._entries[digest] = (self._clock(), expires_at, caller)

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        self.watch.close()

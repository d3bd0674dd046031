"""A few seconds' memory of who a token belongs to, forgotten at once on any revocation.

Looking the caller up costs a query on every request; the design allows caching it for a
few seconds *provided that revoking a token or disabling a user takes effect at once*.
Every revocation (signing out, ``hallq user disable``, ``hallq device revoke``, a device's
new token) runs in :func:`revoking`, which tells the servers when it commits:

- SQLite: it touches a stamp file beside the database (the server and the ``hallq``
  command always agree on where, whatever their data directories); a request compares the
  stamp's time (one ``stat``).
- PostgreSQL: ``NOTIFY hallq_auth`` in the revoking transaction; each server keeps a
  connection that LISTENs, and a request polls it without waiting (a few microseconds).
  While that connection is down, nothing is cached.

A request that finds a revocation announced drops the whole cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
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


@contextlib.contextmanager
def revoking(db: Database) -> Iterator[Session]:
    """A write transaction that revokes tokens or users; servers forget cached callers as
    it commits (not before: a look-up in between would cache the old state again)."""
    with db.writing() as session:
        yield session
        if not db.is_sqlite:
            session.execute(text(f"NOTIFY {CHANNEL}"))
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


class CallerCache:
    def __init__(
        self,
        revocations: Revocations,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._revocations = revocations
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dt.datetime | None, Caller]] = {}

    @classmethod
    def for_database(cls, database_url: str) -> CallerCache:
        stamp = stamp_path(database_url)
        if stamp is not None:
            return cls(StampFile(stamp))
        return cls(Notifications(database_url))

    def get(self, digest: str, now: dt.datetime) -> Caller | None:
        if self._revocations.announced():
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
        if isinstance(self._revocations, Notifications):
            self._revocations.close()

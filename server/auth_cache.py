"""A few seconds' memory of who a token belongs to, forgotten at once on any revocation.

Looking the caller up costs a query on every request; the design allows caching it for a
few seconds *provided that revoking a token or disabling a user takes effect at once*.

On SQLite (one server, on the machine that holds the database file) every revocation —
signing out, ``hallq user disable``, ``hallq device revoke``, a device's new token — touches
a stamp file beside the database; a request compares the stamp (one ``stat``) and drops
the whole cache when it moved. The stamp sits beside the database, so the server and the
``hallq`` command always agree on it, whatever their data directories.

On PostgreSQL servers and the command may run on different machines, with nothing shared
but the database: there every request looks the caller up (one indexed query).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from hallq.server.auth import Caller

TTL = 5.0  # seconds


def stamp_path(database_url: str) -> Path | None:
    """Where revocations are stamped for this database; None when it is not a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".auth-epoch")


def bump_auth_epoch(database_url: str) -> None:
    """Tell the server(s) of this database that some token or user was revoked."""
    stamp = stamp_path(database_url)
    if stamp is not None:
        stamp.write_text(str(time.time_ns()))


class CallerCache:
    def __init__(
        self, stamp: Path, ttl: float = TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stamp = stamp
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dt.datetime | None, Caller]] = {}
        self._epoch = self._read_epoch()

    @classmethod
    def for_database(cls, database_url: str) -> CallerCache | None:
        stamp = stamp_path(database_url)
        return None if stamp is None else cls(stamp)

    def _read_epoch(self) -> int | None:
        try:
            return self._stamp.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def get(self, digest: str, now: dt.datetime) -> Caller | None:
        epoch = self._read_epoch()
        with self._lock:
            if epoch != self._epoch:
                self._entries.clear()
                self._epoch = epoch
                return None
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

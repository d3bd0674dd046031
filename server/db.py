"""Database engines and the two kinds of transaction HallQ runs: reading and writing.

SQLite (the default, one file under ``HALLQ_DATA_DIR``) and PostgreSQL (through
``HALLQ_DATABASE_URL``) behave differently under concurrent writes, measured on these
machines:

- pysqlite opens a transaction only at the first write, so a read-then-write (take the
  next number, claim the head of a queue) races. Write transactions therefore start with
  ``BEGIN IMMEDIATE``: the writer lock is taken before the first read.
- SQLite's busy handler is unfair and its tail latency long; within one process a FIFO
  gate in front of write transactions gives in-order writes and a tail of tens of ms.
  Reads go through a second engine with plain deferred ``BEGIN``: WAL lets them run
  beside the writer.
- PostgreSQL needs neither: write transactions lock the rows they change, the window first,
  then service queues by id (``queue/lookups.py``). Reads run in autocommit on connections
  of their own, and so does a write that is one statement (an issue: ``writing`` with
  ``one_statement``), which then holds its row locks only while PostgreSQL runs it.

Views, agents and the ``hallq`` command never open a write transaction themselves: every
change goes through the command path (``commands.py``), which opens it here.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATA_DIR = "./var"
SQLITE_FILE = "hallq.sqlite3"


def data_dir(env: os._Environ[str] | dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("HALLQ_DATA_DIR") or DEFAULT_DATA_DIR)


def make_private(directory: Path) -> None:
    """The data directory and everything in it are the service user's alone (0700/0600):
    it holds the database, the server's secret key and tickets' previews.

    Processes of the ``hallq`` command also set their umask, so what they make later is
    private from the start (SQLite gives its -wal and -shm files the database's mode)."""
    directory.mkdir(parents=True, exist_ok=True)
    _private([directory, *directory.rglob("*")])


def _private(paths: list[Path]) -> None:
    for path in paths:
        if path.is_symlink():
            continue
        try:
            if path.stat().st_uid == os.getuid():
                path.chmod(0o700 if path.is_dir() else 0o600)
        except FileNotFoundError:  # gone meanwhile (a -shm file)
            continue


def database_url(env: os._Environ[str] | dict[str, str] | None = None) -> str:
    """``HALLQ_DATABASE_URL``, or the SQLite file in the data directory."""
    env = os.environ if env is None else env
    url = env.get("HALLQ_DATABASE_URL")
    if url:
        # Accept the libpq form a hall's DBA is likely to paste, but drive it with psycopg 3.
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    path = data_dir(env).resolve() / SQLITE_FILE
    return f"sqlite:///{path}"


class FairLock:
    """A lock handed to waiters in the order they asked (threading.Lock is not fair).

    Works under gevent too: once the worker is monkey-patched, the Locks made here are
    gevent's.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locked = False
        self._waiters: collections.deque[threading.Lock] = collections.deque()

    def acquire(self) -> None:
        with self._mutex:
            if not self._locked:
                self._locked = True
                return
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        try:
            waiter.acquire()  # released by the holder handing the lock over to us
        except BaseException:
            with self._mutex:
                try:
                    self._waiters.remove(waiter)
                except ValueError:  # already handed to us: pass it on
                    self._hand_over()
            raise

    def release(self) -> None:
        with self._mutex:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._waiters:
            self._waiters.popleft().release()  # stays locked: ownership moves
        else:
            self._locked = False

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _sqlite_engine(url: URL, *, begin: str, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how transactions start (SQLAlchemy's
        # documented recipe for pysqlite's transaction handling).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode loses nothing when the process dies (kill -9); only a power
        # cut may lose the last transactions.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """Engines and sessions for one database; made once per process by ``create_app``."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            db_path = self.url.database
            if db_path and db_path != ":memory:":
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
                # The file and its journals (-wal, -shm) may live outside the data directory.
                _private(list(Path(db_path).parent.glob(Path(db_path).name + "*")))
            self.engine = _sqlite_engine(self.url, begin="BEGIN IMMEDIATE", pool_size=4)
            self.read_engine = _sqlite_engine(self.url, begin="BEGIN", pool_size=pool_size)
            self._gate: contextlib.AbstractContextManager[Any] = FairLock()
        else:
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800
            )
            # Connections of their own that stay in autocommit: no BEGIN/COMMIT round trips
            # for reads (each statement sees only committed data) nor for a write that is one
            # statement — which then also holds its row locks only while PostgreSQL runs it.
            self.read_engine = create_engine(
                self.url,
                isolation_level="AUTOCOMMIT",
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_recycle=1800,
            )
            self._gate = contextlib.nullcontext()
        self._write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextlib.contextmanager
    def writing(self, *, one_statement: bool = False) -> Iterator[Session]:
        """One write transaction: commits when the block ends, rolls back on error.

        ``one_statement``: the block writes with a single statement (reads around it are
        fine), so on PostgreSQL it runs in autocommit — that statement is its own atomic
        transaction. On SQLite it is an ordinary write transaction.
        """
        if one_statement and not self.is_sqlite:
            with self._read_sessions() as session, session.begin():
                yield session
            return
        with self._gate, self._write_sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A consistent read; never takes SQLite's writer lock."""
        with self._read_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()

"""PostgreSQL and Redis for tests: where they are, whether they answer, throw-away databases.

Environment:

- ``HALLQ_TEST_PG_URL``: a SQLAlchemy URL of a PostgreSQL database the tests may connect to as a
  user allowed to create databases (default: the ``postgres`` database on 127.0.0.1:5432).
- ``HALLQ_TEST_REDIS_URL``: a Redis URL including the database index (default: db 0 on
  127.0.0.1:6379). Tests keep to their own key prefix and never flush it.

A test that needs a service that does not answer fails, saying where it looked: it is never
skipped, since a skipped test proves nothing.
"""

import functools
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy.engine import URL, make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT = 1.0  # seconds

_ENV_OF = {"postgres": "HALLQ_TEST_PG_URL", "redis": "HALLQ_TEST_REDIS_URL"}


def postgres_admin_url() -> str:
    """SQLAlchemy URL of the PostgreSQL database used to create and drop test databases."""
    return os.environ.get("HALLQ_TEST_PG_URL") or DEFAULT_PG_URL


def redis_url() -> str:
    """URL of the Redis database (server and db index) the tests may use."""
    return os.environ.get("HALLQ_TEST_REDIS_URL") or DEFAULT_REDIS_URL


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _libpq_url(url: URL) -> str:
    """A SQLAlchemy URL as a libpq connection URI (``postgresql://…``) for psycopg."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tcp_check(host: str | None, port: int | None, default_port: int) -> None:
    """Raise OSError unless something accepts a TCP connection there within the timeout."""
    if not host or host.startswith("/"):
        return  # a Unix socket: let the client library try it
    with socket.create_connection((host, port or default_port), timeout=CONNECT_TIMEOUT):
        pass


def _connect_postgres(url: str):
    import psycopg

    return psycopg.connect(
        _libpq_url(make_url(url)),
        autocommit=True,
        connect_timeout=max(2, int(CONNECT_TIMEOUT)),
    )


@functools.cache
def _postgres_problem(url: str) -> str | None:
    try:
        parsed = make_url(url)
        _tcp_check(parsed.host, parsed.port, 5432)
        with _connect_postgres(url) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


@functools.cache
def _redis_problem(url: str) -> str | None:
    try:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def service_problem(kind: str) -> str | None:
    """Why the ``postgres`` or ``redis`` service cannot be used, or None when it answers.

    The answer is remembered for the rest of the test session.
    """
    if kind == "postgres":
        url = postgres_admin_url()
        problem = _postgres_problem(url)
    elif kind == "redis":
        url = redis_url()
        problem = _redis_problem(url)
    else:
        raise ValueError(f"unknown service {kind!r}: expected 'postgres' or 'redis'")
    if problem is None:
        return None
    shown = _hide_password(url)
    return f"{kind} is not reachable at {shown} (set {_ENV_OF[kind]}): {problem}"


def require(kind: str) -> None:
    """Fail the calling test when the service (``"postgres"`` or ``"redis"``) does not answer."""
    problem = service_problem(kind)
    if problem is not None:
        pytest.fail(f"{problem}. This test needs it.")


@contextmanager
def fresh_postgres_database(admin_url: str | None = None) -> Iterator[str]:
    """Create an empty database ``hallq_test_<random>``; yield its SQLAlchemy URL; drop it.

    The database is made on the server of ``admin_url`` (default: ``HALLQ_TEST_PG_URL``) and
    dropped at the end even when connections to it are still open.
    """
    from psycopg import sql

    admin = admin_url or postgres_admin_url()
    name = f"hallq_test_{secrets.token_hex(6)}"
    with _connect_postgres(admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with _connect_postgres(admin) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def delete_redis_keys(url: str, prefix: str) -> int:
    """Delete the keys that start with ``prefix`` in the Redis database of ``url``; count them."""
    import redis

    if not prefix:
        raise ValueError("refusing to delete every key: give a prefix")
    client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
    try:
        keys = list(client.scan_iter(match=_glob_escape(prefix) + "*", count=500))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)

"""Fixtures shared by every suite. The helpers behind them live in ``tests/support``.

- ``pg_url`` / ``pg_url_module``: SQLAlchemy URL of a new, empty PostgreSQL database, dropped
  afterwards (one per test / per module).
- ``redis_url`` and ``redis_prefix``: the test Redis database and a key prefix of this test's
  own; its keys are deleted afterwards. Nothing is flushed.
- ``server_factory``: start ``ServerProcess``es (ready to answer), all stopped after the test.
- ``browser`` (one Chromium per session) and ``page`` (a fresh browser context per test).

Tests needing PostgreSQL or Redis fail when it does not answer, saying where they looked.
"""

import secrets
from collections.abc import Callable, Iterator

import pytest

from tests.support import services
from tests.support.browser import BrowserUnavailable, launched_browser
from tests.support.server import ServerProcess


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new empty PostgreSQL database for this test (``postgresql+psycopg://…``)."""
    services.require("postgres")
    with services.fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def pg_url_module() -> Iterator[str]:
    """A new empty PostgreSQL database shared by the tests of one module."""
    services.require("postgres")
    with services.fresh_postgres_database() as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    """URL of the test Redis database (``HALLQ_TEST_REDIS_URL``). Keep to ``redis_prefix``."""
    services.require("redis")
    return services.redis_url()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix (and Socket.IO channel name) unique to this test; its keys are deleted
    afterwards."""
    prefix = f"hallq-test-{secrets.token_hex(6)}:"
    yield prefix
    services.delete_redis_keys(redis_url, prefix)


@pytest.fixture
def server_factory(tmp_path) -> Iterator[Callable[..., ServerProcess]]:
    """``server_factory(argv=None, **options)`` starts a ServerProcess, waits until it answers
    and returns it; every one is stopped after the test. Options as for ServerProcess; the
    workdir defaults to a folder of ``tmp_path``, kept for reading logs afterwards."""
    started: list[ServerProcess] = []

    def start(argv=None, *, timeout: float = 20.0, **options) -> ServerProcess:
        options.setdefault("workdir", tmp_path / f"server-{len(started) + 1}")
        server = ServerProcess(argv, **options)
        started.append(server)
        server.start()
        server.wait_ready(timeout=timeout)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Debian's) driven by Playwright, shared by the session."""
    try:
        with launched_browser() as chromium:
            yield chromium
    except BrowserUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def page(browser):
    """A page in a new browser context (own cookies and storage), closed after the test."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()

"""The PostgreSQL and Redis helpers: throw-away databases, key prefixes, failing when absent."""

import time

import pytest
import sqlalchemy as sa

from tests.support import services
from tests.support.ports import free_port


@pytest.fixture
def nothing_listens(monkeypatch):
    """Point both services at a port where nothing listens; forget earlier answers."""
    port = free_port()
    monkeypatch.setenv(
        "HALLQ_TEST_PG_URL", f"postgresql+psycopg://nobody:secret@127.0.0.1:{port}/x"
    )
    monkeypatch.setenv("HALLQ_TEST_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    services._postgres_problem.cache_clear()
    services._redis_problem.cache_clear()
    yield
    services._postgres_problem.cache_clear()
    services._redis_problem.cache_clear()


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_an_unreachable_service_fails_the_test_quickly_and_says_where(nothing_listens, kind):
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception) as failed:
        services.require(kind)
    assert time.monotonic() - started < 3
    assert f"{kind} is not reachable" in str(failed.value)
    assert "secret" not in str(failed.value)


def test_unknown_service_is_an_error():
    with pytest.raises(ValueError):
        services.require("mysql")


@pytest.mark.postgres
def test_fresh_database_is_empty_usable_and_dropped_afterwards():
    services.require("postgres")
    with services.fresh_postgres_database() as url:
        name = sa.make_url(url).database
        assert name.startswith("hallq_test_")
        assert url.startswith("postgresql+psycopg://")
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            public = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            assert conn.execute(sa.text(public)).scalar() == 0
            conn.execute(sa.text("CREATE TABLE t (n int)"))
        # A connection still open does not stop the drop (WITH (FORCE)).
        still_open = engine.connect()
        still_open.execute(sa.text("SELECT 1"))
    with pytest.raises(sa.exc.DBAPIError):
        still_open.execute(sa.text("SELECT 1"))
    still_open.invalidate()
    admin = sa.create_engine(services.postgres_admin_url())
    try:
        with admin.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            assert found.first() is None
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_pg_url_fixture_gives_each_test_its_own_database(pg_url, pg_url_module):
    assert pg_url != pg_url_module
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(sa.text("SELECT current_database()")).scalar()
                == sa.make_url(pg_url).database
            )
    finally:
        engine.dispose()


@pytest.mark.redis
def test_redis_prefix_keys_are_deleted_and_others_kept(redis_url, redis_prefix):
    import redis

    client = redis.Redis.from_url(redis_url)
    other = redis_prefix.rstrip(":") + "-other"
    try:
        client.set(redis_prefix + "a", 1)
        client.set(redis_prefix + "b", 2)
        client.set(other, 3)
        assert services.delete_redis_keys(redis_url, redis_prefix) == 2
        assert client.get(redis_prefix + "a") is None
        assert client.get(other) == b"3"
    finally:
        client.delete(other)
        client.close()

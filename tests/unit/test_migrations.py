"""The migrations make exactly the schema the models describe, on SQLite and PostgreSQL: a
column added to a model without its migration (or the other way round) fails here."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from hallq.server.migrate import upgrade
from hallq.server.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schema.sqlite3'}"
    return request.getfixturevalue("pg_url")


def test_the_models_and_the_migrations_agree(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []

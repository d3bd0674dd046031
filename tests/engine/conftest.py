"""Engine tests run on a real database file (SQLite) and on PostgreSQL: a fake session would
never show the numbering race SQLite has without ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from hallq.server.hall_file import parse_hall_config
from tests.support.hall import FakeClock, Hall, build_hall

# A hall made for races: ten windows that all serve the same services, in two tiers.
RACE_HALL = (
    """
[hall]
code = "race-hall"
timezone = "Asia/Hong_Kong"
languages = ["zh-Hant", "zh-Hans", "en"]
announce = ["yue", "cmn", "en"]
name = { zh-Hant = "測試大廳", zh-Hans = "测试大厅", en = "Race hall" }

[[zones]]
code = "A"
name = { zh-Hant = "甲區", zh-Hans = "甲区", en = "Zone A" }

"""
    + "".join(
        f"""
[[services]]
code = "{code}"
prefix = "{prefix}"
zone = "A"
target_wait = {target}
name = {{ zh-Hant = "{zh}", zh-Hans = "{zh}", en = "{code}" }}
hours = {{ {", ".join(f'{day} = ["00:00-24:00"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))} }}
"""
        for code, prefix, target, zh in (
            ("alpha", "A", 20, "甲"),
            ("beta", "B", 10, "乙"),
            ("gamma", "C", 30, "丙"),
        )
    )
    + "".join(
        f"""
[[counters]]
number = {n}
zone = "A"
profile = [["alpha", "beta"], ["gamma"]]
"""
        for n in range(1, 11)
    )
    + """
[[devices]]
name = "kiosk-1"
kind = "kiosk"
"""
)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The same test on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def hall(db_url: str) -> Iterator[Hall]:
    """The sample hall (open all day), with users and device tokens."""
    built = build_hall(db_url)
    yield built
    built.db.dispose()


@pytest.fixture
def race_hall(db_url: str) -> Iterator[Hall]:
    built = build_hall(db_url, config=parse_hall_config(RACE_HALL), pool_size=12)
    yield built
    built.db.dispose()


@pytest.fixture
def clock() -> FakeClock:
    # A Wednesday morning in Hong Kong.
    return FakeClock(dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC))

"""Engine tests run on a real database file (SQLite) and on PostgreSQL: a fake session would
never show the numbering race SQLite has without ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hallq.server.hall_file import parse_hall_config
from hallq.server.models import Service, Ticket
from hallq.server.queue import rules
from hallq.server.queue.issue import issue_ticket
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


# --- a race hall's morning -----------------------------------------------------------------

RACE_TIERS = {"alpha": 1, "beta": 1, "gamma": 2}  # every window's profile in RACE_HALL


def issue_in_race_hall(
    hall: Hall, service: str, now: dt.datetime, priority: str = "normal", actor: Any = None
) -> str:
    """One ticket, as the API issues it (one statement on PostgreSQL); returns its number."""
    with hall.db.writing(one_statement=True) as session:
        result = issue_ticket(
            session,
            hall.context,
            actor or hall.kiosk(),
            service_code=service,
            now=now,
            priority=priority,
            appointment="BK-1" if priority == "appointment" else None,
            reason="elderly customer" if priority == "priority" else None,
        )
    return result.ticket.number


def issue_morning(hall: Hall, clock: FakeClock, count: int, seed: int) -> None:
    """``count`` tickets over a simulated morning: three services, three priority classes
    (issued by a supervisor, who may grant them all)."""
    rnd = random.Random(seed)
    for _ in range(count):
        clock.advance(rnd.uniform(0.5, 20))
        service = rnd.choice(["alpha", "alpha", "beta", "gamma"])
        priority = rnd.choices(["normal", "priority", "appointment"], weights=[85, 5, 10])[0]
        issue_in_race_hall(hall, service, clock(), priority, actor=hall.supervisor())
    clock.advance(60)


def design_order(hall: Hall, now: dt.datetime) -> list[Any]:
    """Every ticket of the race hall in the design's call order at ``now`` (time standing
    still, it is a fixed sort): rows with ``id`` and ``number``."""
    with hall.db.reading() as session:
        rows = session.execute(
            select(
                Ticket.id,
                Ticket.number,
                Ticket.priority,
                Ticket.queued_at,
                Ticket.issued_at,
                Service.code,
                Service.target_wait,
            ).join(Service, Service.id == Ticket.service_id)
        ).all()
    return sorted(
        rows,
        key=lambda r: rules.Candidate(
            r.id,
            r.number,
            r.code,
            r.priority,
            r.queued_at,
            r.issued_at,
            False,
            RACE_TIERS[r.code],
            1.0,
            r.target_wait,
        ).order_key(now),
    )

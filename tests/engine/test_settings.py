"""The hall file's engine settings, stored by ``hallq init`` and read back by the engine, and the
migration that added their columns to a database in use (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

from alembic import command
from sqlalchemy import inspect, select

from hallq.server.hall_file import AppointmentRules, DeviceCommandAges
from hallq.server.hall_file.loader import load_hall as load_hall_file
from hallq.server.migrate import alembic_config, is_current, upgrade
from hallq.server.models import Counter, Service, Ticket
from hallq.server.models import Hall as HallRow
from hallq.server.queue.hall import load_hall as load_context
from tests.engine.test_flows import issue
from tests.support.hall import FakeClock, Hall


def test_the_settings_reach_the_engine(hall: Hall, clock: FakeClock) -> None:
    # The sample hall as loaded: its defaults, and every service's typical time.
    rules = hall.context.rules
    assert (rules.reinstate_within_minutes, rules.reinstate_places) == (30, 3)
    assert rules.max_priority_in_a_row == 3
    assert (rules.print_job_max_age, rules.rating_request_max_age) == (600, 180)
    assert rules.sign_text_max_age == 43200
    assert (rules.check_in_before, rules.check_in_after) == (30, 15)
    assert hall.context.public_url is None
    with hall.db.reading() as s:
        typical = dict(s.execute(select(Service.code, Service.typical_minutes)).all())
    assert typical == {s.code: s.typical_minutes for s in hall.config.services}

    changed = dataclasses.replace(
        hall.config,
        public_url="https://queue.example.org",
        rules=dataclasses.replace(
            hall.config.rules,
            reinstate_within_minutes=15,
            reinstate_places=0,
            max_priority_in_a_row=5,
            follow_up_working_days=2,
        ),
        device_commands=DeviceCommandAges(30, 20, 600),
        appointments=AppointmentRules(check_in_before=45, check_in_after=5),
        services=tuple(
            dataclasses.replace(s, typical_minutes=None if s.code == "consultation" else 7.5)
            for s in hall.config.services
        ),
    )
    with hall.db.writing() as s:
        load_hall_file(s, changed, demo=True, now=clock())
    with hall.db.reading() as s:
        context = load_context(s, hall.context.id)
        row = s.get(HallRow, hall.context.id)
        assert row is not None
        stored_rules, stored_config = row.rules, row.config
        typical = dict(s.execute(select(Service.code, Service.typical_minutes)).all())
    assert context.public_url == "https://queue.example.org"
    assert stored_config["public_url"] == "https://queue.example.org"
    assert stored_rules["device_commands"] == {
        "print_job_max_age": 30,
        "rating_request_max_age": 20,
        "sign_text_max_age": 600,
    }
    assert dataclasses.asdict(context.rules) == {
        "no_show_after_recalls": 2,
        "service_time_window": 20,
        "default_service_minutes": 5.0,
        "reinstate_within_minutes": 15,
        "reinstate_places": 0,
        "max_priority_in_a_row": 5,
        "follow_up_working_days": 2,
        "print_job_max_age": 30,
        "rating_request_max_age": 20,
        "sign_text_max_age": 600,
        "check_in_before": 45,
        "check_in_after": 5,
    }
    assert typical["consultation"] is None and typical["property-transfer"] == 7.5


def test_a_hall_loaded_before_these_settings_gets_the_defaults(hall: Hall) -> None:
    # A hall row written by an older HallQ: no new keys in its rules or config.
    with hall.db.writing() as s:
        row = s.get(HallRow, hall.context.id)
        assert row is not None
        row.rules = {"no_show_after_recalls": 1, "service_time_window": 20}
        row.config = {"code": row.code}
    with hall.db.reading() as s:
        context = load_context(s, hall.context.id)
    assert context.rules.no_show_after_recalls == 1
    assert context.rules.reinstate_places == 3 and context.rules.print_job_max_age == 600
    assert (context.rules.check_in_before, context.rules.check_in_after) == (30, 15)
    assert context.public_url is None


def test_the_migration_adds_the_columns_to_a_database_in_use(hall: Hall, clock: FakeClock) -> None:
    issue(hall, clock)
    engine = hall.db.engine
    cfg = alembic_config(hall.url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    columns = {c["name"] for c in inspect(engine).get_columns("counters")}
    assert "priority_streak" not in columns
    assert not is_current(engine)

    before, after = upgrade(engine)  # what `hallq init` runs first

    assert before == "0002" and after != "0002" and is_current(engine)
    with hall.db.reading() as s:
        # The hall and its tickets are kept; every window starts without a streak.
        assert s.scalar(select(Ticket.number)) == "A001"
        assert set(s.scalars(select(Counter.priority_streak))) == {0}
        assert set(s.scalars(select(Service.typical_minutes))) == {None}
    # Loading the hall file again (the rest of `hallq init`) fills in the typical times.
    with hall.db.writing() as s:
        load_hall_file(s, hall.config, demo=True, now=clock())
    with hall.db.reading() as s:
        assert s.scalar(select(Service.typical_minutes).where(Service.code == "consultation")) == 4

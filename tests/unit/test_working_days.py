"""Follow-up deadlines in working days: weekends, holidays and weekend days worked."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hallq.server.hall_file import HallConfigError, parse_hall_config, sample_hall_path
from hallq.server.queue.working_days import WorkingCalendar, follow_up_due

HK = ZoneInfo("Asia/Hong_Kong")


def hk(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HK)


def test_three_working_days_over_a_weekend_and_a_holiday() -> None:
    calendar = WorkingCalendar.of(holidays=["2025-03-10"])  # Monday
    # Opened Thursday 6 March: Fri 7 (1), Sat/Sun, Mon 10 holiday, Tue 11 (2), Wed 12 (3).
    due = follow_up_due(hk(2025, 3, 6, 10, 0), 3, calendar, HK)
    assert due == hk(2025, 3, 12, 23, 59, 59)
    assert due.tzinfo == dt.UTC


def test_a_weekend_day_worked_counts() -> None:
    calendar = WorkingCalendar.of(holidays=["2025-10-01"], extra_working_days=["2025-10-04"])
    # Opened Tuesday 30 September: Wed 1 Oct holiday, Thu 2 (1), Fri 3 (2), Sat 4 worked (3).
    assert follow_up_due(hk(2025, 9, 30, 9), 3, calendar, HK) == hk(2025, 10, 4, 23, 59, 59)


def test_the_day_is_the_halls_not_utc() -> None:
    # 23:30 UTC on Thursday is already Friday 07:30 in Hong Kong.
    opened = dt.datetime(2025, 3, 6, 23, 30, tzinfo=dt.UTC)
    assert follow_up_due(opened, 1, WorkingCalendar(), HK) == hk(2025, 3, 10, 23, 59, 59)


def test_opened_on_a_non_working_day_counts_from_the_next() -> None:
    assert follow_up_due(hk(2025, 3, 8, 12), 1, WorkingCalendar(), HK) == hk(
        2025, 3, 10, 23, 59, 59
    )


def test_a_six_day_week() -> None:
    calendar = WorkingCalendar.of(working_days=["mon", "tue", "wed", "thu", "fri", "sat"])
    assert calendar.working_days_after(dt.date(2025, 3, 7), 1) == dt.date(2025, 3, 8)


def test_a_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="no 1 working days"):
        WorkingCalendar(working_days=frozenset()).working_days_after(dt.date(2025, 1, 1), 1)


def test_stored_calendar_round_trip() -> None:
    stored = {"working_days": ["mon"], "holidays": ["2025-03-10"], "extra_working_days": []}
    calendar = WorkingCalendar.from_stored(stored)
    assert calendar.working_days == frozenset({0})
    assert not calendar.is_working_day(dt.date(2025, 3, 10))
    assert WorkingCalendar.from_stored(None) == WorkingCalendar()


SAMPLE = sample_hall_path().read_text()


def _with(table: str) -> str:
    return SAMPLE.replace("[[zones]]", f"{table}\n\n[[zones]]", 1)


def test_the_sample_hall_has_a_calendar() -> None:
    config = parse_hall_config(SAMPLE)
    assert config.rules.follow_up_working_days == 3
    assert dt.date(2026, 12, 25) in config.calendar.holidays
    assert config.calendar.to_json()["holidays"][0] == "2026-12-25"


def test_calendar_dates_in_quotes_or_as_toml_dates() -> None:
    text = SAMPLE.replace(
        'holidays = ["2026-12-25", "2026-12-26", "2027-01-01"]', "holidays = [2026-12-25]"
    )
    assert parse_hall_config(text).calendar.holidays == (dt.date(2026, 12, 25),)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('holidays = ["2026-13-01"]', '"2026-13-01" is not a date: write it like 2026-12-25'),
        ('holidays = ["25/12/2026"]', "is not a date"),
        ("holidays = [20261225]", "expected a date like 2026-12-25"),
        ('working_days = ["mon", "funday"]', '"funday" is not allowed'),
        ('working_days = ["mon", "mon"]', '"mon" is listed twice'),
        ("working_days = []", "must not be empty"),
        ('extra_working_days = ["2026-12-25"]', "2026-12-25 is also in holidays"),
        ('holidays = ["2026-12-25", "2026-12-25"]', "2026-12-25 is listed twice"),
    ],
)
def test_calendar_mistakes_are_named(change: str, message: str) -> None:
    key = change.split(" =")[0]
    lines = [line for line in SAMPLE.splitlines() if not line.startswith(f"{key} =")]
    text = "\n".join(lines).replace("[calendar]\n", f"[calendar]\n{change}\n", 1)
    with pytest.raises(HallConfigError) as raised:
        parse_hall_config(text)
    assert message in str(raised.value)
    assert "calendar" in str(raised.value)


def test_old_hall_files_follow_up_hours_read_as_days() -> None:
    text = SAMPLE.replace("follow_up_working_days = 3", "follow_up_hours = 72")
    config = parse_hall_config(text)
    assert config.rules.follow_up_working_days == 3
    assert any("follow_up_hours" in w.message for w in config.warnings)
    text = SAMPLE.replace("follow_up_working_days = 3", "follow_up_hours = 30")
    assert parse_hall_config(text).rules.follow_up_working_days == 2

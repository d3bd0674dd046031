"""Opening hours: parsing what a hall writes on its door, and asking "open now? opens when?"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hallq.server.queue.hours import WEEKDAYS, HoursError, OpeningHours, problems

# A real hall's week: two sessions on weekdays, Saturday morning, Sunday closed.
OFFICE = {
    "mon": ["09:00-12:30", "13:30-17:00"],
    "tue": ["09:00-12:30", "13:30-17:00"],
    "wed": ["09:00-12:30", "13:30-17:00"],
    "thu": ["09:00-12:30", "13:30-17:00"],
    "fri": ["09:00-12:30", "13:30-17:00"],
    "sat": ["09:00-12:00"],
}
HONG_KONG = ZoneInfo("Asia/Hong_Kong")

# 2024-06-03 is a Monday.
MON, TUE, FRI, SAT, SUN = (datetime(2024, 6, day) for day in (3, 4, 7, 8, 9))


def at(day: datetime, clock: str) -> datetime:
    hour, minute = clock.split(":")
    return day.replace(hour=int(hour), minute=int(minute))


# -- parsing ------------------------------------------------------------------------------------


def test_parse_gives_minutes_per_weekday_and_closed_days_empty() -> None:
    hours = OpeningHours.parse(OFFICE)
    assert hours.ranges[0] == ((540, 750), (810, 1020))
    assert hours.ranges[5] == ((540, 720),)
    assert hours.ranges[6] == ()
    assert len(hours.ranges) == len(WEEKDAYS) == 7


def test_to_json_lists_every_day_and_parses_back_to_the_same_hours() -> None:
    hours = OpeningHours.parse(OFFICE)
    as_json = hours.to_json()
    assert list(as_json) == list(WEEKDAYS)
    assert as_json["mon"] == ["09:00-12:30", "13:30-17:00"]
    assert as_json["sun"] == []
    assert OpeningHours.from_json(as_json) == hours


def test_ranges_are_sorted_and_touching_ranges_joined() -> None:
    hours = OpeningHours.parse({"mon": ["13:00-17:00", "08:00-12:00", "12:00-13:00"]})
    assert hours.ranges[0] == ((480, 1020),)
    assert hours.to_json()["mon"] == ["08:00-17:00"]


def test_lenient_spelling_a_person_might_type() -> None:
    hours = OpeningHours.parse({"tue": ["9:00 - 12:30"]})
    assert hours.to_json()["tue"] == ["09:00-12:30"]


def test_24_00_ends_a_day_and_00_00_starts_one() -> None:
    hours = OpeningHours.parse({"fri": ["20:00-24:00"], "sat": ["00:00-02:00"]})
    assert hours.ranges[4] == ((1200, 1440),)
    assert hours.to_json()["fri"] == ["20:00-24:00"]
    assert hours.is_open(at(FRI, "23:59").replace(second=59))
    assert hours.is_open(at(SAT, "00:00"))
    assert not hours.is_open(at(SAT, "02:00"))


def test_always_is_open_every_minute_of_every_day() -> None:
    always = OpeningHours.always()
    assert always.to_json() == {day: ["00:00-24:00"] for day in WEEKDAYS}
    for day in (MON, SAT, SUN):
        assert always.is_open(at(day, "00:00"))
        assert always.is_open(at(day, "23:59"))
    assert OpeningHours.never().is_never_open
    assert not always.is_never_open


def test_the_week_must_have_seven_days() -> None:
    with pytest.raises(ValueError, match="7 days"):
        OpeningHours(((),))


# -- mistakes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("9-12", "is not a time range"),
        ("09:00", "is not a time range"),
        ("09:60-12:00", "minutes must be 00-59"),
        ("09:00-25:00", "hour must be 00-24"),
        ("09:00-24:30", "24:00 is the latest"),
        ("17:00-09:00", "ends before it starts"),
        ("12:00-12:00", "ends before it starts"),
        (900, "text in quotes"),
    ],
)
def test_a_bad_range_is_named_with_its_day_and_position(entry: object, message: str) -> None:
    table = {"mon": ["08:00-08:30", entry]}
    found = problems(table)
    assert len(found) == 1
    assert (found[0].day, found[0].index) == ("mon", 1)
    assert message in found[0].message
    with pytest.raises(HoursError, match=message):
        OpeningHours.parse(table)  # type: ignore[arg-type]


def test_overlap_is_reported_at_the_later_range() -> None:
    found = problems({"wed": ["09:00-12:30", "13:30-17:00", "12:00-14:00"]})
    assert found == [HoursError('"12:00-14:00" overlaps "09:00-12:30"', day="wed", index=2)]


def test_unknown_day_and_a_day_that_is_not_a_list() -> None:
    found = problems({"monday": ["09:00-17:00"], "tue": "09:00-17:00", "wed": 5})
    assert [(error.day, error.index) for error in found] == [
        ("monday", None),
        ("tue", None),
        ("wed", None),
    ]
    assert "unknown day" in found[0].message
    assert 'tue = ["09:00-17:00"]' in found[1].message
    assert "expected a list" in found[2].message


def test_every_mistake_is_listed_and_parse_raises_the_first() -> None:
    table = {"mon": ["09:00-12:60", "08:00-07:00"], "sun": ["x"]}
    found = problems(table)
    assert [(error.day, error.index) for error in found] == [("mon", 0), ("mon", 1), ("sun", 0)]
    with pytest.raises(HoursError) as raised:
        OpeningHours.parse(table)
    assert raised.value == found[0]


def test_a_table_that_is_not_a_table() -> None:
    assert "table of weekdays" in problems(["mon"])[0].message


# -- open now? -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (at(MON, "08:59"), False),
        (at(MON, "09:00"), True),
        (at(MON, "12:29"), True),
        (at(MON, "12:30"), False),  # the lunch break starts at the end minute
        (at(MON, "13:30"), True),
        (at(MON, "16:59").replace(second=59), True),
        (at(MON, "17:00"), False),
        (at(SAT, "11:59"), True),
        (at(SAT, "12:00"), False),
        (at(SUN, "10:00"), False),
    ],
)
def test_is_open(moment: datetime, is_open: bool) -> None:
    assert OpeningHours.parse(OFFICE).is_open(moment) is is_open


def test_is_open_with_an_aware_time_uses_the_hall_wall_clock() -> None:
    hours = OpeningHours.parse(OFFICE)
    assert hours.is_open(at(MON, "09:00").replace(tzinfo=HONG_KONG))
    assert not hours.is_open(at(MON, "08:00").replace(tzinfo=HONG_KONG))


# -- opens when? ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        (at(MON, "07:00"), at(MON, "09:00")),  # before opening
        (at(MON, "12:45"), at(MON, "13:30")),  # lunch break
        (at(MON, "17:00"), at(TUE, "09:00")),  # after closing: next morning
        (at(SAT, "12:00"), at(MON + timedelta(days=7), "09:00")),  # over the closed Sunday
        (at(SUN, "23:59"), at(MON + timedelta(days=7), "09:00")),
    ],
)
def test_next_opening(moment: datetime, opens: datetime) -> None:
    assert OpeningHours.parse(OFFICE).next_opening(moment) == opens


def test_next_opening_is_now_when_already_open() -> None:
    moment = at(MON, "10:15").replace(second=30)
    assert OpeningHours.parse(OFFICE).next_opening(moment) == moment


def test_next_opening_skips_a_start_that_passed_seconds_ago() -> None:
    hours = OpeningHours.parse({"mon": ["09:00-09:01"], "tue": ["09:00-17:00"]})
    assert hours.next_opening(at(MON, "09:01").replace(second=30)) == at(TUE, "09:00")
    assert hours.next_opening(at(MON, "08:59").replace(second=30)) == at(MON, "09:00")


def test_next_opening_a_week_later_on_the_same_weekday() -> None:
    hours = OpeningHours.parse({"mon": ["09:00-10:00"]})
    assert hours.next_opening(at(MON, "11:00")) == at(MON + timedelta(days=7), "09:00")


def test_next_opening_at_midnight_into_an_all_night_day() -> None:
    hours = OpeningHours.parse({"tue": ["00:00-24:00"]})
    assert hours.next_opening(at(MON, "23:00")) == at(TUE, "00:00")


def test_never_open_has_no_next_opening() -> None:
    assert OpeningHours.parse({}).next_opening(at(MON, "09:00")) is None


def test_next_opening_keeps_the_hall_time_zone() -> None:
    opens = OpeningHours.parse(OFFICE).next_opening(at(SAT, "13:00").replace(tzinfo=HONG_KONG))
    assert opens == datetime(2024, 6, 10, 9, 0, tzinfo=HONG_KONG)
    assert opens is not None and opens.tzinfo is HONG_KONG
    assert opens.utcoffset() == timedelta(hours=8)


def test_next_opening_over_a_daylight_saving_change_is_on_the_wall_clock() -> None:
    london = ZoneInfo("Europe/London")
    # Clocks go forward on Sunday 2024-03-31; Monday still opens at 09:00 local time.
    opens = OpeningHours.parse(OFFICE).next_opening(datetime(2024, 3, 30, 18, 0, tzinfo=london))
    assert opens == datetime(2024, 4, 1, 9, 0, tzinfo=london)
    assert opens is not None and opens.utcoffset() == timedelta(hours=1)


# -- closes when? --------------------------------------------------------------------------------


def test_closes_at_the_end_of_the_current_session() -> None:
    hours = OpeningHours.parse(OFFICE)
    assert hours.closes_at(at(MON, "10:00")) == at(MON, "12:30")
    assert hours.closes_at(at(MON, "13:30")) == at(MON, "17:00")
    assert hours.closes_at(at(MON, "12:30")) is None
    assert hours.closes_at(at(SUN, "10:00")) is None


def test_closes_at_midnight_for_a_range_ending_24_00() -> None:
    always = OpeningHours.always()
    moment = at(SUN, "23:30").replace(tzinfo=HONG_KONG)
    assert always.closes_at(moment) == datetime(2024, 6, 10, 0, 0, tzinfo=HONG_KONG)

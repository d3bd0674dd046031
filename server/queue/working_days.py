"""Working days: the hall's week, its holidays and the weekend days worked instead, as the hall
file's ``[calendar]`` states them; and a follow-up's deadline counted in them.

A deadline is the end of a day in the hall's time zone (23:59:59 local time), not the hall's
closing time: services close at different hours, and a case may be worked on after closing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DEFAULT_WORKING_DAYS = WEEKDAYS[:5]
END_OF_DAY = dt.time(23, 59, 59)
# No calendar leaves more than a year without a working day; past that it is a mistake.
_LONGEST_SEARCH = 400


@dataclass(frozen=True)
class WorkingCalendar:
    working_days: frozenset[int] = frozenset(range(5))  # weekday numbers, Monday = 0
    holidays: frozenset[dt.date] = frozenset()
    # Weekend days worked, when a holiday is moved (調休): working days whatever the week says.
    extra_working_days: frozenset[dt.date] = frozenset()

    @classmethod
    def of(
        cls,
        working_days: Iterable[str] = DEFAULT_WORKING_DAYS,
        holidays: Iterable[dt.date | str] = (),
        extra_working_days: Iterable[dt.date | str] = (),
    ) -> WorkingCalendar:
        """From the hall file's words: ``["mon", …]`` and dates (or ISO date texts)."""
        return cls(
            frozenset(WEEKDAYS.index(day) for day in working_days),
            frozenset(_date(day) for day in holidays),
            frozenset(_date(day) for day in extra_working_days),
        )

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> WorkingCalendar:
        """As ``hallq init`` stored the ``[calendar]`` table; the default week without it."""
        if not stored:
            return cls()
        return cls.of(
            stored.get("working_days") or DEFAULT_WORKING_DAYS,
            stored.get("holidays") or (),
            stored.get("extra_working_days") or (),
        )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() in self.working_days

    def working_days_after(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
        if count < 1:
            return day
        found = 0
        for step in range(1, _LONGEST_SEARCH * max(count, 1) + 1):
            candidate = day + dt.timedelta(days=step)
            if self.is_working_day(candidate):
                found += 1
                if found == count:
                    return candidate
        raise ValueError(f"no {count} working days within {_LONGEST_SEARCH} days after {day}")


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def follow_up_due(
    opened_at: dt.datetime, working_days: int, calendar: WorkingCalendar, tz: ZoneInfo
) -> dt.datetime:
    """When a case opened at ``opened_at`` (UTC) is due: the end (23:59:59 hall time) of the
    ``working_days``-th working day after the day it opened there, as UTC."""
    opened_on = opened_at.astimezone(tz).date()
    due_day = calendar.working_days_after(opened_on, working_days)
    return dt.datetime.combine(due_day, END_OF_DAY, tzinfo=tz).astimezone(dt.UTC)

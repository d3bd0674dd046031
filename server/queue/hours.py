"""Opening hours of a service: when the kiosk may issue its tickets.

Pure logic: no Flask, no database, no configuration imports. A week is written the way a hall
writes it on the door::

    {"mon": ["09:00-12:30", "13:30-17:00"], "sat": ["09:00-12:00"]}

Each weekday key holds a list of ``"HH:MM-HH:MM"`` ranges in the hall's local time; a day that is
missing (or has an empty list) is closed. ``24:00`` may end a range (open until midnight). Ranges
never cross midnight: a night shift is written as ``"22:00-24:00"`` on one day and
``"00:00-02:00"`` on the next.

``problems(table)`` lists every mistake in a table (the hall configuration reports them all at
once, each at its place in the file); ``OpeningHours.parse(table)`` raises the first one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

# "9:00-12:30" is tolerated as well as "09:00-12:30": people type both on a sign.
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$", re.ASCII)

Range = tuple[int, int]  # (start_minute, end_minute) since local midnight, end exclusive


class HoursError(ValueError):
    """One mistake in an opening-hours table.

    ``day`` is the weekday key it concerns (or the unknown key itself), ``index`` the 0-based
    position of the range in that day's list; either is None when it does not apply.
    """

    def __init__(self, message: str, day: str | None = None, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.day = day
        self.index = index

    def __repr__(self) -> str:
        return f"HoursError({self.message!r}, day={self.day!r}, index={self.index!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HoursError):
            return NotImplemented
        return (self.message, self.day, self.index) == (other.message, other.day, other.index)

    def __hash__(self) -> int:
        return hash((self.message, self.day, self.index))


def format_minute(minute: int) -> str:
    """540 -> "09:00"; 1440 -> "24:00"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_range(span: Range) -> str:
    return f"{format_minute(span[0])}-{format_minute(span[1])}"


def _parse_time(hour_text: str, minute_text: str) -> tuple[int | None, str | None]:
    """Minutes since midnight, or an explanation of why the time is impossible."""
    hour, minute = int(hour_text), int(minute_text)
    clock = f"{hour_text}:{minute_text}"
    if minute > 59:
        return None, f"{clock}: minutes must be 00-59"
    if hour > 24:
        return None, f"{clock}: hour must be 00-24"
    if hour == 24 and minute != 0:
        return None, f"{clock}: 24:00 is the latest time of a day"
    return hour * 60 + minute, None


def _parse_range(text: object) -> tuple[Range | None, str | None]:
    if not isinstance(text, str):
        return None, f'expected a "HH:MM-HH:MM" text in quotes, got {type(text).__name__} {text!r}'
    match = _RANGE.match(text)
    if match is None:
        return None, f'"{text}" is not a time range like "09:00-12:30"'
    start, why = _parse_time(match[1], match[2])
    if why is not None:
        return None, why
    end, why = _parse_time(match[3], match[4])
    if why is not None:
        return None, why
    assert start is not None and end is not None
    if start >= end:
        return None, (
            f'"{text}" ends before it starts (a range cannot cross midnight: '
            'split it into "…-24:00" and the next day\'s "00:00-…")'
        )
    return (start, end), None


def _day_problems(day: str, entries: object) -> tuple[list[HoursError], list[Range]]:
    """Mistakes of one day's list, and its good ranges (for the overlap check)."""
    if isinstance(entries, str):
        # The commonest slip: mon = "09:00-12:00" without the brackets.
        return [HoursError(f'expected a list: write {day} = ["{entries}"]', day=day)], []
    if not isinstance(entries, Sequence):
        return [
            HoursError(
                f'expected a list of "HH:MM-HH:MM" ranges, got {type(entries).__name__}', day=day
            )
        ], []
    found: list[HoursError] = []
    good: list[Range] = []
    for index, text in enumerate(entries):
        span, why = _parse_range(text)
        if why is not None:
            found.append(HoursError(why, day=day, index=index))
            continue
        assert span is not None
        # Compare with every range already accepted so each overlap is named at the later entry.
        clash = next((other for other in good if span[0] < other[1] and other[0] < span[1]), None)
        if clash is not None:
            found.append(
                HoursError(f'"{text}" overlaps "{format_range(clash)}"', day=day, index=index)
            )
            continue
        good.append(span)
    return found, good


def problems(table: object) -> list[HoursError]:
    """Every mistake in an opening-hours table, in the order they appear; [] if it is fine."""
    if not isinstance(table, Mapping):
        return [HoursError(f"expected a table of weekdays, got {type(table).__name__}")]
    found: list[HoursError] = []
    for day, entries in table.items():
        if day not in WEEKDAYS:
            found.append(
                HoursError(f'unknown day "{day}" (use {", ".join(WEEKDAYS)})', day=str(day))
            )
            continue
        day_found, _ = _day_problems(day, entries)
        found.extend(day_found)
    return found


def _merge(spans: list[Range]) -> tuple[Range, ...]:
    """Sort, and join ranges that touch ("08:00-12:00", "12:00-13:00" is one stretch)."""
    merged: list[Range] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class OpeningHours:
    """A service's weekly opening hours.

    ``ranges`` has 7 entries, Monday to Sunday; each a sorted tuple of non-overlapping
    ``(start_minute, end_minute)`` in minutes since local midnight, ``end <= 1440``. Ranges that
    touch are joined into one, so ``to_json`` gives the canonical form of what was written.
    """

    ranges: tuple[tuple[Range, ...], ...]

    def __post_init__(self) -> None:
        if len(self.ranges) != len(WEEKDAYS):
            raise ValueError("OpeningHours needs exactly 7 days of ranges (Monday to Sunday)")

    @classmethod
    def parse(cls, table: Mapping[str, Sequence[str]]) -> OpeningHours:
        """Build from ``{"mon": ["09:00-12:30", ...], ...}``; raises the first HoursError."""
        found = problems(table)
        if found:
            raise found[0]
        days: list[tuple[Range, ...]] = []
        for day in WEEKDAYS:
            _, good = _day_problems(day, table.get(day, ()))
            days.append(_merge(good))
        return cls(tuple(days))

    # The database keeps the JSON form; reading it back is the same parse.
    from_json = parse

    @classmethod
    def always(cls) -> OpeningHours:
        """Open round the clock, every day (the demo hall)."""
        return cls(tuple(((0, MINUTES_PER_DAY),) for _ in WEEKDAYS))

    @classmethod
    def never(cls) -> OpeningHours:
        return cls(tuple(() for _ in WEEKDAYS))

    @property
    def is_never_open(self) -> bool:
        return not any(self.ranges)

    def to_json(self) -> dict[str, list[str]]:
        """``{"mon": ["09:00-12:30", ...], ..., "sun": []}``: every day present, [] = closed."""
        return {
            day: [format_range(span) for span in spans]
            for day, spans in zip(WEEKDAYS, self.ranges, strict=True)
        }

    def _span_at(self, local: datetime) -> Range | None:
        second = local.hour * 3600 + local.minute * 60 + local.second
        for start, end in self.ranges[local.weekday()]:
            if start * 60 <= second < end * 60:
                return (start, end)
        return None

    def is_open(self, local: datetime) -> bool:
        """Open at this wall-clock time of the hall (naive, or aware in the hall's zone).

        The start minute is open, the end minute is not: at 17:00:00 a "13:30-17:00" range is
        already closed.
        """
        return self._span_at(local) is not None

    def next_opening(self, local: datetime) -> datetime | None:
        """The earliest moment at or after ``local`` when it is open (``local`` itself if open
        now), looking up to 7 days ahead; None if it is never open.

        The result keeps ``local``'s tzinfo and is a wall-clock time of the hall.
        """
        if self._span_at(local) is not None:
            return local
        today = local.date()
        now_minute = (
            local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
        )
        # Day 0 is the rest of today; day 7 is the same weekday next week, earlier in the day.
        for ahead in range(8):
            day = today + timedelta(days=ahead)
            for start, _end in self.ranges[day.weekday()]:
                if ahead == 0 and start < now_minute:
                    continue
                midnight = datetime.combine(day, time(), tzinfo=local.tzinfo)
                return midnight + timedelta(minutes=start)
        return None

    def closes_at(self, local: datetime) -> datetime | None:
        """When the open stretch containing ``local`` ends; None if closed now.

        A range ending at 24:00 closes at midnight even if the next day opens at 00:00: halls do
        not run overnight, and the always-open demo hall still gets a definite answer.
        """
        span = self._span_at(local)
        if span is None:
            return None
        midnight = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
        return midnight + timedelta(minutes=span[1])

"""Checks between the tables of a hall file, and the places of mistakes.

The schema (``schema``) checks each table alone; these checks compare tables with
each other: a service's zone must be declared, prefixes must differ, a counter's profile names
declared services, a counter device names a declared counter. They read the raw TOML data and
skip what is not even the right type (the schema reports that), so one broken table never hides
the mistakes of another.

A place is written for a person: ``services[2] "vehicle-transfer" .hours.mon[1]``, counting
from 1 like a person counts the ``[[services]]`` blocks, with the line found by
``locate``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hallq.server.queue import hours as opening_hours

from .locate import Path, line_of
from .schema import LANGUAGES, shown, toml_type

MAX_WEIGHT = 10.0
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _calendar_dates(values: object) -> list[tuple[int, dt.date]]:
    """The well-formed dates of a [calendar] list, with their indices (the schema reports
    the others)."""
    if not isinstance(values, list):
        return []
    found = []
    for index, value in enumerate(values):
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            found.append((index, value))
    return found


@dataclass(frozen=True)
class Problem:
    """One mistake (or warning): where in the file, on which line (None if unknown), what."""

    where: str
    line: int | None
    message: str

    def format(self, source: str) -> str:
        place = f"{source}:{self.line}" if self.line is not None else source
        return (
            f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"
        )


# Arrays of tables, and the key that names an item for a person ("services[2] "vehicle-transfer"").
_NAMED_BY = {"zones": "code", "services": "code", "counters": "number", "devices": "name"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _close(value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if not close:
        # Case slips are the commonest: "a" for zone "A".
        close = [choice for choice in choices if choice.lower() == value.lower()][:1]
    return f' — did you mean "{close[0]}"?' if close else ""


def _listing(values: Iterable[object]) -> str:
    written = [str(value) for value in values]
    return ", ".join(written) if written else "none declared"


class Checker:
    """Collects problems and warnings against the raw TOML data and its line numbers."""

    def __init__(self, data: dict[str, Any], lines: dict[Path, int]) -> None:
        self.data = data
        self.lines = lines
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    # -- places ---------------------------------------------------------------------------------

    def where(self, path: Path) -> str:
        """("services", 1, "prefix") -> 'services[2] "vehicle-transfer" .prefix'."""
        if not path:
            return ""
        text = str(path[0])
        rest = path[1:]
        if path[0] in _NAMED_BY and rest and isinstance(rest[0], int):
            text += f"[{rest[0] + 1}]{self._label(str(path[0]), rest[0])}"
            rest = rest[1:]
            if rest:
                text += " "
        for part in rest:
            if isinstance(part, int):
                text += f"[{part + 1}]"
            else:
                key = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
                text += f".{key}"
        return text

    def _label(self, array: str, index: int) -> str:
        items = self.data.get(array)
        if not isinstance(items, list) or index >= len(items) or not isinstance(items[index], dict):
            return ""
        value = items[index].get(_NAMED_BY[array])
        if array == "counters":
            is_number = isinstance(value, int) and not isinstance(value, bool)
            return f" (counter {value})" if is_number else ""
        return f' "{value}"' if isinstance(value, str) and value else ""

    def line(self, path: Path) -> int | None:
        return line_of(self.lines, path)

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.where(path), self.line(path), message))

    def warning(self, path: Path, message: str) -> None:
        self.warnings.append(Problem(self.where(path), self.line(path), message))

    def items(self, array: str) -> list[tuple[int, dict[str, Any]]]:
        """The well-formed tables of an array of tables (the schema reports the others)."""
        items = self.data.get(array)
        if not isinstance(items, list):
            return []
        return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]

    def first_seen(self, array: str, key: str) -> dict[Any, int]:
        """Value of ``key`` -> index of the first item that has it; later ones are duplicates."""
        seen: dict[Any, int] = {}
        for index, item in self.items(array):
            value = item.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                seen.setdefault(value, index)
        return seen

    def duplicates(self, array: str, key: str, what: str) -> dict[Any, int]:
        """Report each item whose ``key`` repeats an earlier item's; returns value -> index."""
        seen = self.first_seen(array, key)
        for index, item in self.items(array):
            value = item.get(key)
            countable = isinstance(value, str | int) and not isinstance(value, bool)
            first = seen.get(value) if countable else None
            if first is None or first == index:
                continue
            place: Path = (array, first)
            # 'prefix "A" is already used by services[1] "property-transfer" (line 23)'; the
            # label would only repeat the value when the value is what names the item.
            earlier = self.where(place) if key != _NAMED_BY[array] else f"{array}[{first + 1}]"
            self.problem(
                (array, index, key),
                f"{what} {shown(value)} is already used by {earlier} (line {self.line(place)})",
            )
        return seen

    # -- the checks -----------------------------------------------------------------------------

    def check_references(self) -> None:
        hall = self.data.get("hall")
        if isinstance(hall, dict):
            self.check_no_repeats(hall, "languages")
            self.check_no_repeats(hall, "announce")
        zones = self.duplicates("zones", "code", "zone code")
        services = self.duplicates("services", "code", "service code")
        self.duplicates("services", "prefix", "prefix")
        counters = self.duplicates("counters", "number", "counter number")
        self.duplicates("devices", "name", "device name")
        for index, service in self.items("services"):
            self.check_zone(("services", index), service, zones)
            self.check_hours(("services", index), service.get("hours"))
            self.check_documents(("services", index), service.get("documents"))
        served: set[str] = set()
        for index, counter in self.items("counters"):
            self.check_zone(("counters", index), counter, zones)
            served |= self.check_profile(("counters", index), counter.get("profile"), services)
        for index, device in self.items("devices"):
            self.check_device(("devices", index), device, zones, counters)
        self.check_calendar()
        self.check_follow_up_hours()
        for index, service in self.items("services"):
            code = service.get("code")
            if isinstance(code, str) and code not in served:
                self.warning(
                    ("services", index),
                    "no counter serves this service: its tickets would never be called",
                )

    def check_calendar(self) -> None:
        """Repeated days, a date both a holiday and a working day, a weekend day worked that
        the week already works."""
        calendar = self.data.get("calendar")
        if not isinstance(calendar, dict):
            return
        self.check_no_repeats(calendar, "working_days", table="calendar")
        week = calendar.get("working_days", ["mon", "tue", "wed", "thu", "fri"])
        days = {
            key: _calendar_dates(calendar.get(key)) for key in ("holidays", "extra_working_days")
        }
        for key, dates in days.items():
            seen: set[dt.date] = set()
            for index, day in dates:
                if day in seen:
                    self.problem(("calendar", key, index), f"{day} is listed twice")
                seen.add(day)
        holidays = {day for _, day in days["holidays"]}
        for index, day in days["extra_working_days"]:
            if day in holidays:
                self.problem(
                    ("calendar", "extra_working_days", index),
                    f"{day} is also in holidays: a day is either worked or not",
                )
            elif isinstance(week, list) and _WEEKDAYS[day.weekday()] in week:
                self.warning(
                    ("calendar", "extra_working_days", index),
                    f"{day} is a {_WEEKDAYS[day.weekday()]}, already a working day",
                )

    def check_follow_up_hours(self) -> None:
        queue = self.data.get("queue")
        if not isinstance(queue, dict) or "follow_up_hours" not in queue:
            return
        if "follow_up_working_days" in queue:
            message = "follow_up_hours is ignored: follow_up_working_days sets the deadline"
        else:
            message = (
                "follow_up_hours is replaced by follow_up_working_days (working days, see "
                "[calendar]); read as whole days"
            )
        self.warning(("queue", "follow_up_hours"), message)

    def check_no_repeats(self, hall: dict[str, Any], key: str, table: str = "hall") -> None:
        values = hall.get(key)
        if not isinstance(values, list):
            return
        for index, value in enumerate(values):
            if value in values[:index]:
                self.problem((table, key, index), f"{shown(value)} is listed twice")

    def check_zone(self, place: Path, item: dict[str, Any], zones: Mapping[Any, int]) -> None:
        zone = item.get("zone")
        if isinstance(zone, str) and zone not in zones:
            self.problem(
                (*place, "zone"),
                f'unknown zone "{zone}"{_close(zone, map(str, zones))} '
                f"(declared zones: {_listing(zones)})",
            )

    def check_hours(self, place: Path, table: object) -> None:
        if not isinstance(table, dict):
            return  # missing or not a table: the schema says so
        for error in opening_hours.problems(table):
            path: Path = (*place, "hours")
            if error.day is not None:
                path = (*path, error.day)
            if error.index is not None:
                path = (*path, error.index)
            self.problem(path, error.message)
        if not any(table.get(day) for day in opening_hours.WEEKDAYS):
            self.warning((*place, "hours"), "closed every day of the week")

    def check_documents(self, place: Path, table: object) -> None:
        if not isinstance(table, dict):
            return
        counts = {
            language: len(table[language])
            for language in LANGUAGES
            if isinstance(table.get(language), list)
        }
        if not counts:
            return
        first_language, expected = next(iter(counts.items()))
        for language, count in counts.items():
            if count != expected:
                self.problem(
                    (*place, "documents", language),
                    f"lists {count} documents but {first_language} lists {expected}: every "
                    "language lists the same documents in the same order",
                )

    def check_profile(self, place: Path, profile: object, services: Mapping[Any, int]) -> set[str]:
        """Check a counter's work profile; returns the service codes it serves."""
        if not isinstance(profile, list):
            return set()
        path: Path = (*place, "profile")
        if not profile:
            self.problem(path, "empty profile: list the services this counter calls")
        first_tier: dict[str, int] = {}
        for tier_index, tier in enumerate(profile):
            tier_path: Path = (*path, tier_index)
            if isinstance(tier, list):
                entries = [((*tier_path, i), code, None) for i, code in enumerate(tier)]
            elif isinstance(tier, dict):
                entries = [((*tier_path, code), code, weight) for code, weight in tier.items()]
            else:
                self.problem(
                    tier_path,
                    "a tier is a list of service codes or a table of code = weight, "
                    f"got {toml_type(tier)}",
                )
                continue
            if not entries:
                self.problem(tier_path, "empty tier: name at least one service")
            for entry_path, code, weight in entries:
                if not isinstance(code, str):
                    self.problem(entry_path, f"expected a service code, got {toml_type(code)}")
                    continue
                if weight is not None:
                    self.check_weight(entry_path, weight)
                if code not in services:
                    self.problem(
                        entry_path,
                        f'unknown service "{code}"{_close(code, map(str, services))}',
                    )
                elif code in first_tier:
                    self.problem(
                        entry_path,
                        f'service "{code}" is already in tier {first_tier[code] + 1} '
                        "of this profile",
                    )
                else:
                    first_tier[code] = tier_index
        return set(first_tier)

    def check_weight(self, path: Path, weight: object) -> None:
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            self.problem(path, f"expected a weight number, got {toml_type(weight)} {shown(weight)}")
        elif not 0 < weight <= MAX_WEIGHT:
            self.problem(
                path, f"weight must be more than 0 and at most {MAX_WEIGHT:g} (got {shown(weight)})"
            )

    def check_device(
        self,
        place: Path,
        device: dict[str, Any],
        zones: Mapping[Any, int],
        counters: Mapping[Any, int],
    ) -> None:
        self.check_zone(place, device, zones)
        kind, counter = device.get("kind"), device.get("counter")
        if kind == "counter" and "counter" not in device:
            self.problem(
                (*place, "counter"), 'a device of kind "counter" needs counter = its number'
            )
        elif kind in ("kiosk", "display") and "counter" in device:
            self.problem(
                (*place, "counter"),
                f'only devices of kind "counter" belong to a counter, not a {kind}',
            )
        elif kind == "counter" and isinstance(counter, int) and not isinstance(counter, bool):
            if counter not in counters:
                self.problem(
                    (*place, "counter"),
                    f"unknown counter {counter} (declared counters: {_listing(counters)})",
                )
                return
            zone = device.get("zone")
            counter_zone = self.data["counters"][counters[counter]].get("zone")
            if isinstance(zone, str) and zone in zones and zone != counter_zone:
                self.problem(
                    (*place, "zone"),
                    f'counter {counter} is in zone "{counter_zone}", not "{zone}" '
                    "(leave zone out for a counter device)",
                )

"""The hall configuration file: zones, services, counters and devices of one hall, in TOML.

``load_hall_config(path)`` reads and checks a hall file and returns a frozen ``HallConfig``. A
file with mistakes raises ``HallConfigError`` listing every mistake at once, each with a path a
person can read and the line of the file::

    hall.toml:41: services[2] "vehicle-transfer" .prefix: prefix "A" is already used by
    services[1] "property-transfer" (line 23)

Indices in these paths count from 1, the way a person counts the ``[[services]]`` blocks of the
file. Things that are allowed but probably not meant (a service no counter serves) come back as
``HallConfig.warnings`` instead.

The checks are in two layers: ``schema`` checks each table's keys, types and ranges
(pydantic), and ``checks`` checks how the tables refer to each other. Both read the
raw TOML data, so a mistake in one table never hides a mistake in another;
``locate`` finds the line of each place.

The dataclasses are frozen but hold read-only mappings (names per language), so they compare
with ``==`` and must not be hashed or used as dict keys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.resources
import os
import pathlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from hallq.server.queue.hours import OpeningHours

from .checks import Checker, Problem
from .locate import key_lines
from .schema import LANGUAGES, DocumentsTable, HallFile, describe_error

__all__ = [
    "LANGUAGES",
    "AppointmentRules",
    "CalendarConfig",
    "CounterConfig",
    "DeviceCommandAges",
    "DeviceConfig",
    "HallConfig",
    "HallConfigError",
    "KioskSettings",
    "Problem",
    "QueueRules",
    "ServiceConfig",
    "ZoneConfig",
    "load_hall_config",
    "parse_hall_config",
    "sample_hall_path",
]


class HallConfigError(Exception):
    """The hall file cannot be used; ``problems`` lists every mistake found, in file order."""

    def __init__(self, problems: Iterable[Problem], source: str = "<hall>") -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__("\n".join(problem.format(source) for problem in self.problems))


@dataclass(frozen=True)
class QueueRules:
    no_show_after_recalls: int = 2
    service_time_window: int = 20
    default_service_minutes: float = 5.0
    # A no-show may come back within this many minutes, with this many tickets ahead of it.
    reinstate_within_minutes: int = 30
    reinstate_places: int = 3
    # The green channel's fairness bound K: priority calls in a row at a window while
    # normal tickets wait past their target.
    max_priority_in_a_row: int = 3
    # A rating of 2 or 1 (or a complaint) opens a follow-up due at the end of this many
    # working days (see CalendarConfig) after the day it opened.
    follow_up_working_days: int = 3


@dataclass(frozen=True)
class CalendarConfig:
    """The hall's working week, holidays and weekend days worked (``[calendar]``)."""

    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: tuple[dt.date, ...] = ()
    extra_working_days: tuple[dt.date, ...] = ()

    def to_json(self) -> dict[str, list[str]]:
        return {
            "working_days": list(self.working_days),
            "holidays": [day.isoformat() for day in self.holidays],
            "extra_working_days": [day.isoformat() for day in self.extra_working_days],
        }


@dataclass(frozen=True)
class DeviceCommandAges:
    """Seconds a command to a device is kept for redelivery before it expires."""

    print_job_max_age: int = 600
    rating_request_max_age: int = 180
    sign_text_max_age: int = 43200


@dataclass(frozen=True)
class KioskSettings:
    """The kiosk screen's settings (``[kiosk]``)."""

    staff_pin: str | None = None
    idle_seconds: int = 30
    ticket_seconds: int = 8
    footer: Mapping[str, str] | None = None


@dataclass(frozen=True)
class AppointmentRules:
    """When a booking may check in (``[appointments]``): minutes around its time."""

    check_in_before: int = 30
    check_in_after: int = 15


@dataclass(frozen=True)
class ZoneConfig:
    code: str
    name: Mapping[str, str]


@dataclass(frozen=True)
class ServiceConfig:
    code: str
    prefix: str
    zone: str
    name: Mapping[str, str]
    # Every language of LANGUAGES is present; () when the file lists no documents.
    documents: Mapping[str, tuple[str, ...]]
    target_wait: int
    daily_cap: int | None
    hours: OpeningHours
    # Minutes a service typically takes: the estimated wait's figure until the day has its own.
    typical_minutes: float | None = None


@dataclass(frozen=True)
class CounterConfig:
    number: int
    zone: str
    name: str | None
    # Highest tier first; in each tier (service_code, weight) in the order the file lists them.
    tiers: tuple[tuple[tuple[str, float], ...], ...]

    @property
    def service_codes(self) -> frozenset[str]:
        return frozenset(code for tier in self.tiers for code, _ in tier)


@dataclass(frozen=True)
class DeviceConfig:
    name: str
    kind: str
    # For a counter device, the zone of its counter when the file does not name one.
    zone: str | None
    counter: int | None


@dataclass(frozen=True)
class HallConfig:
    code: str
    name: Mapping[str, str]
    timezone: str
    languages: tuple[str, ...]
    announce: tuple[str, ...]
    rules: QueueRules
    zones: tuple[ZoneConfig, ...]
    services: tuple[ServiceConfig, ...]
    counters: tuple[CounterConfig, ...]
    devices: tuple[DeviceConfig, ...]
    warnings: tuple[Problem, ...] = ()
    # The address customers' phones reach (QR codes on tickets), without a trailing slash.
    public_url: str | None = None
    device_commands: DeviceCommandAges = DeviceCommandAges()
    kiosk: KioskSettings = KioskSettings()
    appointments: AppointmentRules = AppointmentRules()
    calendar: CalendarConfig = CalendarConfig()

    def as_demo(self) -> HallConfig:
        """The same hall with every service open all day, every day, and no daily cap, so that a
        newcomer can try it at midnight on a Sunday."""
        services = tuple(
            dataclasses.replace(service, hours=OpeningHours.always(), daily_cap=None)
            for service in self.services
        )
        return dataclasses.replace(self, services=services)

    def service(self, code: str) -> ServiceConfig:
        """The service with this code; KeyError if the hall has none."""
        for service in self.services:
            if service.code == code:
                return service
        raise KeyError(code)

    def counter(self, number: int) -> CounterConfig:
        """The counter with this number; KeyError if the hall has none."""
        for counter in self.counters:
            if counter.number == number:
                return counter
        raise KeyError(number)


# -- reading --------------------------------------------------------------------------------


def sample_hall_path() -> pathlib.Path:
    """The sample transfer hall shipped in ``assets/`` (used by ``hallq init`` without a file)."""
    # Installed from a directory (normal or editable), the resource is a real file.
    return pathlib.Path(str(importlib.resources.files("hallq.assets") / "sample_hall.toml"))


def load_hall_config(path: str | os.PathLike[str]) -> HallConfig:
    """Read and check a hall file; raises HallConfigError listing every mistake."""
    source = os.fspath(path)
    try:
        raw = pathlib.Path(source).read_bytes()
    except OSError as error:
        raise HallConfigError(
            [Problem("", None, f"cannot read the hall file: {error.strerror or error}")], source
        ) from None
    try:
        # utf-8-sig: Windows Notepad puts a byte-order mark in front of UTF-8 files.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise HallConfigError(
            [Problem("", line, "not UTF-8 text: save the file as UTF-8 (not Big5 or GBK)")],
            source,
        ) from None
    return parse_hall_config(text, source)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str) -> Problem:
    message = str(error)
    position = _TOML_POSITION.search(message)
    if position:
        line = int(position[1])
        message = f"{message[: position.start()]} (column {position[2]})"
    else:
        # tomllib says "at end of document" when a value or string runs off the end.
        line = max(text.rstrip().count("\n") + 1, 1)
        message = _TOML_AT_END.sub(" (at the end of the file)", message)
    return Problem("", line, f"not valid TOML: {message}")


def parse_hall_config(text: str, source: str = "<hall>") -> HallConfig:
    """Check a hall file given as text; raises HallConfigError listing every mistake."""
    text = text.removeprefix("\ufeff")  # a byte-order mark is not TOML, but editors add it
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise HallConfigError([_syntax_problem(error, text)], source) from None
    checker = Checker(data, key_lines(text))
    model: HallFile | None = None
    try:
        model = HallFile.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            checker.problem(tuple(detail["loc"]), describe_error(detail))
    checker.check_references()
    if checker.problems or model is None:
        raise HallConfigError(_in_file_order(checker.problems), source)
    return _build(model, tuple(_in_file_order(checker.warnings)))


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda problem: (problem.line is None, problem.line or 0))


# -- building the configuration ---------------------------------------------------------------


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _build(model: HallFile, warnings: tuple[Problem, ...]) -> HallConfig:
    zones = tuple(ZoneConfig(zone.code, _frozen(zone.name.as_dict())) for zone in model.zones)
    services = tuple(
        ServiceConfig(
            code=service.code,
            prefix=service.prefix,
            zone=service.zone,
            name=_frozen(service.name.as_dict()),
            documents=_documents(service.documents),
            target_wait=service.target_wait,
            daily_cap=service.daily_cap,
            hours=OpeningHours.parse(service.hours),
            typical_minutes=service.typical_minutes,  # a float: pydantic converts 12 to 12.0
        )
        for service in model.services
    )
    counters = tuple(
        CounterConfig(
            number=counter.number,
            zone=counter.zone,
            name=counter.name,
            tiers=tuple(_tier(tier) for tier in counter.profile),
        )
        for counter in model.counters
    )
    counter_zones = {counter.number: counter.zone for counter in counters}
    devices = tuple(
        DeviceConfig(
            name=device.name,
            kind=device.kind,
            zone=device.zone if device.counter is None else counter_zones[device.counter],
            counter=device.counter,
        )
        for device in model.devices
    )
    return HallConfig(
        code=model.hall.code,
        name=_frozen(model.hall.name.as_dict()),
        timezone=model.hall.timezone,
        languages=tuple(model.hall.languages),
        announce=tuple(model.hall.announce),
        rules=QueueRules(
            no_show_after_recalls=model.queue.no_show_after_recalls,
            service_time_window=model.queue.service_time_window,
            default_service_minutes=float(model.queue.default_service_minutes),
            reinstate_within_minutes=model.queue.reinstate_within_minutes,
            reinstate_places=model.queue.reinstate_places,
            max_priority_in_a_row=model.queue.max_priority_in_a_row,
            follow_up_working_days=_follow_up_working_days(model),
        ),
        zones=zones,
        services=services,
        counters=counters,
        devices=devices,
        warnings=warnings,
        public_url=model.hall.public_url,
        device_commands=DeviceCommandAges(
            print_job_max_age=model.device_commands.print_job_max_age,
            rating_request_max_age=model.device_commands.rating_request_max_age,
            sign_text_max_age=model.device_commands.sign_text_max_age,
        ),
        kiosk=KioskSettings(
            staff_pin=model.kiosk.staff_pin,
            idle_seconds=model.kiosk.idle_seconds,
            ticket_seconds=model.kiosk.ticket_seconds,
            footer=_frozen(model.kiosk.footer.as_dict()) if model.kiosk.footer else None,
        ),
        appointments=AppointmentRules(
            check_in_before=model.appointments.check_in_before,
            check_in_after=model.appointments.check_in_after,
        ),
        calendar=CalendarConfig(
            working_days=tuple(model.calendar.working_days),
            holidays=tuple(sorted(model.calendar.holidays)),
            extra_working_days=tuple(sorted(model.calendar.extra_working_days)),
        ),
    )


def _follow_up_working_days(model: HallFile) -> int:
    """``follow_up_working_days``, or an older file's ``follow_up_hours`` as whole days."""
    if model.queue.follow_up_working_days is not None:
        return model.queue.follow_up_working_days
    if model.queue.follow_up_hours is not None:
        return -(-model.queue.follow_up_hours // 24)
    return QueueRules.follow_up_working_days


def _documents(table: DocumentsTable | None) -> Mapping[str, tuple[str, ...]]:
    # Every language is present, so a ticket printer can look up its language without a check.
    lists = table.as_dict() if table is not None else {language: [] for language in LANGUAGES}
    return _frozen({language: tuple(items) for language, items in lists.items()})


def _tier(tier: list[str] | dict[str, float]) -> tuple[tuple[str, float], ...]:
    if isinstance(tier, dict):
        return tuple((code, float(weight)) for code, weight in tier.items())
    return tuple((code, 1.0) for code in tier)

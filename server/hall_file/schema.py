"""The shape of a hall TOML file: which keys, which types, which ranges.

pydantic checks each table on its own and reports every mistake with its location; the checks
that compare tables with each other (unknown zone, duplicate prefix, counter profiles) live in
the package (``hall_file``) and read the raw data, so they still run when a table here is wrong.

``describe_error`` turns a pydantic error into words for the person installing the hall.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import typing
import urllib.parse
import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import ErrorDetails

LANGUAGES = ("zh-Hant", "zh-Hans", "en")
ANNOUNCE_LANGUAGES = ("yue", "cmn", "en")

Language = Literal["zh-Hant", "zh-Hans", "en"]
AnnounceLanguage = Literal["yue", "cmn", "en"]


def _matching(pattern: str, description: str) -> AfterValidator:
    """A text check whose message says what is wanted, not which regular expression failed."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{shown(value)} is not valid: {description}")
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(value, _known_time_zones(), n=1)
        hint = (
            f' — did you mean "{close[0]}"?' if close else ' (an IANA name like "Asia/Hong_Kong")'
        )
        raise ValueError(f'unknown time zone "{value}"{hint}') from None
    return value


def _public_url(value: str) -> str:
    """An absolute http(s) address without query or fragment; a trailing slash is dropped."""
    wanted = "an http:// or https:// address like https://queue.example.org"
    if any(char.isspace() for char in value):
        raise ValueError(f"{shown(value)} is not valid: an address has no spaces")
    try:
        parts = urllib.parse.urlsplit(value)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        raise ValueError(f"{shown(value)} is not valid: {wanted}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{shown(value)} is not valid: {wanted}")
    if "?" in value:
        raise ValueError(f"{shown(value)} is not valid: leave out the query (from the ?)")
    if "#" in value:
        raise ValueError(f"{shown(value)} is not valid: leave out the fragment (from the #)")
    if parts.username is not None:
        raise ValueError(f"{shown(value)} is not valid: leave out the user name and password")
    return value.rstrip("/")


Text = Annotated[StrictStr, AfterValidator(_not_blank)]
HallCode = Annotated[
    StrictStr, _matching(r"[a-z0-9-]{1,64}", "use small letters, digits and '-', like harbour-hall")
]
ZoneCode = Annotated[
    StrictStr, _matching(r"[A-Za-z0-9_-]{1,16}", "1-16 letters, digits, '_' or '-', like A")
]
ServiceCode = Annotated[
    StrictStr,
    _matching(r"[a-z0-9-]{1,32}", "1-32 small letters, digits or '-', like property-transfer"),
]
Prefix = Annotated[StrictStr, _matching(r"[A-Z]", "one capital letter A-Z")]
DeviceName = Annotated[
    StrictStr, _matching(r"[a-z0-9-]{1,40}", "1-40 small letters, digits or '-', like kiosk-1")
]
TimeZoneName = Annotated[StrictStr, AfterValidator(_time_zone)]
PublicUrl = Annotated[StrictStr, AfterValidator(_public_url)]


class _Table(BaseModel):
    # Strict: TOML has real types, so "30" where a number belongs is a mistake worth naming.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class NamesTable(_Table):
    zh_hant: Text = Field(alias="zh-Hant")
    zh_hans: Text = Field(alias="zh-Hans")
    en: Text

    def as_dict(self) -> dict[str, str]:
        return {"zh-Hant": self.zh_hant, "zh-Hans": self.zh_hans, "en": self.en}


class DocumentsTable(_Table):
    zh_hant: list[Text] = Field(alias="zh-Hant")
    zh_hans: list[Text] = Field(alias="zh-Hans")
    en: list[Text]

    def as_dict(self) -> dict[str, list[str]]:
        return {"zh-Hant": self.zh_hant, "zh-Hans": self.zh_hans, "en": self.en}


class HallTable(_Table):
    code: HallCode
    timezone: TimeZoneName
    languages: list[Language] = Field(min_length=1)
    announce: list[AnnounceLanguage] = Field(min_length=1)
    name: NamesTable
    public_url: PublicUrl | None = None


class QueueTable(_Table):
    no_show_after_recalls: StrictInt = Field(default=2, ge=0, le=10)
    service_time_window: StrictInt = Field(default=20, ge=1, le=500)
    default_service_minutes: float = Field(default=5.0, gt=0, le=240)
    reinstate_within_minutes: StrictInt = Field(default=30, ge=0, le=240)
    reinstate_places: StrictInt = Field(default=3, ge=0, le=50)
    max_priority_in_a_row: StrictInt = Field(default=3, ge=1, le=20)
    # A follow-up case is due at the end of this many working days ([calendar]) after it
    # opened; 3 when left out.
    follow_up_working_days: StrictInt | None = Field(default=None, ge=1, le=60)
    # Older hall files' deadline in hours: still read, as whole days (checks.py warns).
    follow_up_hours: StrictInt | None = Field(default=None, ge=1, le=24 * 60)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _calendar_date(value: Any) -> dt.date:
    """A TOML date (2026-12-25) or the same in quotes ("2026-12-25")."""
    wanted = 'a date like 2026-12-25 (or "2026-12-25")'
    if isinstance(value, dt.datetime | dt.time):
        raise ValueError(f"expected {wanted}, got a time")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected {wanted}, got {toml_type(value)} {shown(value)}")
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not a date: write it like 2026-12-25") from None


CalendarDate = Annotated[Any, AfterValidator(_calendar_date)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class CalendarTable(_Table):
    # The days of the week the hall works; follow-up deadlines count only working days.
    working_days: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    # Closed days (public holidays), and days worked though the week says not (a Saturday
    # worked when a holiday is moved); checks.py finds repeats and contradictions.
    holidays: list[CalendarDate] = []
    extra_working_days: list[CalendarDate] = []


class DeviceCommandsTable(_Table):
    # Seconds a command to a device is kept for redelivery before it expires.
    print_job_max_age: StrictInt = Field(default=600, ge=10, le=86400)
    rating_request_max_age: StrictInt = Field(default=180, ge=10, le=3600)
    sign_text_max_age: StrictInt = Field(default=43200, ge=60, le=604800)


class KioskTable(_Table):
    # Staff type it to leave the kiosk screen or change its settings: 4 to 8 digits.
    staff_pin: (
        Annotated[StrictStr, _matching(r"[0-9]{4,8}", "use 4 to 8 digits, like 2468")] | None
    ) = None
    # Back to the home screen after this many seconds without a touch.
    idle_seconds: StrictInt = Field(default=30, ge=5, le=600)
    # How long a new ticket stays on the screen (the customer takes the printout meanwhile).
    ticket_seconds: StrictInt = Field(default=8, ge=2, le=60)
    # The last line of a printed ticket; a short thank-you when left out.
    footer: NamesTable | None = None


class AppointmentsTable(_Table):
    # A booking checks in at the kiosk from this many minutes before its time ...
    check_in_before: StrictInt = Field(default=30, ge=0, le=240)
    # ... until this many minutes after it.
    check_in_after: StrictInt = Field(default=15, ge=0, le=240)


class ZoneTable(_Table):
    code: ZoneCode
    name: NamesTable


class ServiceTable(_Table):
    code: ServiceCode
    prefix: Prefix
    zone: StrictStr
    name: NamesTable
    documents: DocumentsTable | None = None
    target_wait: StrictInt = Field(ge=1, le=600)
    daily_cap: StrictInt | None = Field(default=None, ge=1, le=9999)
    typical_minutes: float | None = Field(default=None, ge=0.5, le=240)
    # Days and ranges are checked by hours.problems(), which names each bad range.
    hours: dict[str, Any]


class CounterTable(_Table):
    number: StrictInt = Field(ge=1, le=999)
    zone: StrictStr
    name: Text | None = None
    # Tiers are checked against the declared services in checks.py.
    profile: list[Any]


class DeviceTable(_Table):
    name: DeviceName
    kind: Literal["kiosk", "display", "counter"]
    zone: StrictStr | None = None
    counter: StrictInt | None = None


class HallFile(_Table):
    hall: HallTable
    queue: QueueTable = QueueTable()
    device_commands: DeviceCommandsTable = DeviceCommandsTable()
    kiosk: KioskTable = KioskTable()
    appointments: AppointmentsTable = AppointmentsTable()
    calendar: CalendarTable = CalendarTable()
    zones: list[ZoneTable] = Field(min_length=1)
    services: list[ServiceTable] = Field(min_length=1)
    counters: list[CounterTable] = Field(min_length=1)
    devices: list[DeviceTable] = []


# -- error messages ---------------------------------------------------------------------------

_TOML_TYPES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "a table",
}

_EXPECTED = {
    "string_type": 'text in quotes ("…")',
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "list_type": "a list [ … ]",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}

_ARRAYS_OF_TABLES = ("zones", "services", "counters")


def toml_type(value: object) -> str:
    for kind, label in _TOML_TYPES.items():
        if type(value) is kind:
            return label
    return type(value).__name__  # dates and times


def shown(value: object) -> str:
    """A value the way it is written in TOML: "20" for text, 20 for a number."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return toml_type(value)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_of(argument)
        if found is not None:
            return found
    return None


def allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    """The keys the table at ``loc`` may hold (ignoring array indices)."""
    model: type[BaseModel] | None = HallFile
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = next(
            (f for name, f in model.model_fields.items() if (f.alias or name) == part), None
        )
        model = None if field is None else _model_of(field.annotation)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    parent = [part for part in loc[:-1] if isinstance(part, str)]
    if parent and parent[-1] in ("name", "documents"):
        return f'unknown language "{key}" (write {", ".join(LANGUAGES)})'
    allowed = allowed_keys(loc[:-1])
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f'unknown key "{key}" — did you mean "{close[0]}"?'
    return f'unknown key "{key}" (allowed here: {", ".join(allowed)})'


def _missing(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    parent = [part for part in loc[:-1] if isinstance(part, str)]
    if parent and parent[-1] == "name":
        return f"missing the {key} name (every name is written in {', '.join(LANGUAGES)})"
    if parent and parent[-1] == "documents":
        return (
            f"missing the {key} list (documents, when given, are listed in {', '.join(LANGUAGES)})"
        )
    if len(loc) == 1 and key in _ARRAYS_OF_TABLES:
        return f"missing: declare at least one [[{key}]]"
    if len(loc) == 1:
        return f"missing the [{key}] table"
    return f'missing required key "{key}"'


def _bound(limit: object) -> str:
    """A range's limit as a person writes it: 240, not the 240.0 of a number field."""
    if isinstance(limit, float) and limit.is_integer():
        return str(int(limit))
    return str(limit)


_MESSAGES: dict[str, Callable[[ErrorDetails], str]] = {
    "missing": lambda error: _missing(error["loc"]),
    "extra_forbidden": lambda error: _unknown_key(error["loc"]),
    "greater_than_equal": lambda error: (
        f"must be at least {_bound(error['ctx']['ge'])} (got {shown(error['input'])})"
    ),
    "greater_than": lambda error: (
        f"must be more than {_bound(error['ctx']['gt'])} (got {shown(error['input'])})"
    ),
    "less_than_equal": lambda error: (
        f"must be at most {_bound(error['ctx']['le'])} (got {shown(error['input'])})"
    ),
    "less_than": lambda error: (
        f"must be less than {_bound(error['ctx']['lt'])} (got {shown(error['input'])})"
    ),
    "too_short": lambda error: "must not be empty",
    "string_too_short": lambda error: "must not be empty",
    "finite_number": lambda error: "must be a finite number",
    "literal_error": lambda error: (
        f"{shown(error['input'])} is not allowed: use one of "
        f"{error['ctx']['expected'].replace(chr(39), chr(34))}"
    ),
    "value_error": lambda error: str(error["msg"]).removeprefix("Value error, "),
}


def describe_error(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in _EXPECTED:
        value = error["input"]
        got = toml_type(value)
        written = shown(value)
        return f"expected {_EXPECTED[kind]}, got {got}" + ("" if written == got else f" {written}")
    describe = _MESSAGES.get(kind)
    return describe(error) if describe is not None else error["msg"]

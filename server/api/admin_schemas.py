"""Request and response schemas of the administration API (``/api/v1/admin/...``).

Bodies are checked here only for their shape (which fields, roughly which types); what a
value may be (a prefix letter, a time zone, opening hours, a profile's services) is the hall
file's checks' to say, so an edit and a hall file are refused by the same rules and words.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hallq.server.roles import ROLES

Names = dict[str, str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- paths ------------------------------------------------------------------------------------


class CodePath(BaseModel):
    code: str = Field(min_length=1, max_length=32)


class WindowPath(BaseModel):
    number: int = Field(ge=1, le=999)


class NamePath(BaseModel):
    name: str = Field(min_length=1, max_length=40)


class UserPath(BaseModel):
    username: str = Field(min_length=1, max_length=64)


# -- the hall ---------------------------------------------------------------------------------


class HallPatch(Strict):
    """Only the fields sent change; null takes a field back to the hall file's default."""

    name: Names | None = Field(default=None, description="per language: zh-Hant, zh-Hans, en")
    timezone: str | None = None
    languages: list[str] | None = None
    announce: list[str] | None = None
    public_url: str | None = None
    queue: dict[str, Any] | None = Field(
        default=None, description="the hall file's [queue] keys to set (null: default)"
    )
    kiosk: dict[str, Any] | None = None
    appointments: dict[str, Any] | None = None
    device_commands: dict[str, Any] | None = None
    calendar: dict[str, Any] | None = None


class ProblemOut(BaseModel):
    where: str
    line: int | None = None
    message: str


class ChangeOut(BaseModel):
    what: str = Field(description="a table of the file, or zone, service, window, device")
    key: Any = None
    change: Literal["added", "changed", "retired"]
    fields: list[str] | None = None


class EditedOut(BaseModel):
    changes: list[ChangeOut]
    warnings: list[ProblemOut]


class CheckOut(BaseModel):
    ok: bool
    problems: list[ProblemOut]
    warnings: list[ProblemOut]


class HallOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    hall: dict[str, Any]
    queue: dict[str, Any]
    demo: bool
    loaded_at: str


# -- zones ------------------------------------------------------------------------------------


class ZoneIn(Strict):
    code: str = Field(min_length=1, max_length=16)
    name: Names


class ZonePatch(Strict):
    name: Names


class ZonesOut(BaseModel):
    zones: list[dict[str, Any]]


# -- services ---------------------------------------------------------------------------------


class ServiceFields(Strict):
    prefix: str | None = Field(default=None, description="one capital letter A-Z")
    zone: str | None = None
    name: Names | None = Field(default=None, description="per language: zh-Hant, zh-Hans, en")
    documents: dict[str, list[str]] | None = Field(
        default=None, description="what to bring, per language, the same list in each"
    )
    target_wait: int | None = Field(default=None, description="minutes")
    typical_minutes: float | None = None
    hours: dict[str, list[str]] | None = Field(
        default=None, description='{"mon": ["09:00-12:30", ...], ...}; a day left out is closed'
    )
    daily_cap: int | None = Field(default=None, description="null: no cap")


class ServiceIn(ServiceFields):
    code: str = Field(min_length=1, max_length=32)
    prefix: str
    zone: str
    name: Names
    target_wait: int
    hours: dict[str, list[str]]


class ServicePatch(ServiceFields):
    pass


class ServicesOut(BaseModel):
    services: list[dict[str, Any]]


# -- windows ----------------------------------------------------------------------------------

Tier = list[str | tuple[str, float]]


class WindowFields(Strict):
    zone: str | None = None
    label: str | None = Field(default=None, description="shown on screens; null: none")
    profile: list[Tier] | None = Field(
        default=None,
        description="tiers, highest first; each a list of service codes or [code, weight] "
        'pairs: [["property-transfer"], [["consultation", 0.5]]]',
    )


class WindowIn(WindowFields):
    number: int = Field(ge=1, le=999)
    zone: str
    profile: list[Tier]


class WindowPatch(WindowFields):
    pass


class WindowsOut(BaseModel):
    windows: list[dict[str, Any]]


# -- devices ----------------------------------------------------------------------------------


class DeviceIn(Strict):
    name: str = Field(min_length=1, max_length=40)
    kind: Literal["kiosk", "display", "counter"]
    zone: str | None = Field(default=None, description="a kiosk's or display's zone")
    window: int | None = Field(default=None, description="a counter agent's window")


class DeviceTokenOut(BaseModel):
    name: str
    kind: str
    token: str = Field(description="shown this once: only its hash is kept")


class DevicesOut(BaseModel):
    devices: list[dict[str, Any]]


class DeviceOut(BaseModel):
    device: dict[str, Any]


# -- users ------------------------------------------------------------------------------------

Role = Literal[ROLES]  # type: ignore[valid-type]


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    display_name: str | None = Field(default=None, max_length=100)
    role: Role
    password: str = Field(min_length=4, max_length=200)
    windows: list[int] | None = Field(
        default=None, description="the windows a clerk may open; null or empty: any"
    )


class UserPatch(Strict):
    display_name: str | None = Field(default=None, max_length=100)
    role: Role | None = None
    windows: list[int] | None = None
    active: bool | None = None


class PasswordIn(Strict):
    password: str = Field(min_length=4, max_length=200)


class UserOut(BaseModel):
    user: dict[str, Any]


class UsersOut(BaseModel):
    users: list[dict[str, Any]]


# -- pausing a service ------------------------------------------------------------------------


class ServicePauseIn(Strict):
    reason: str | None = Field(default=None, max_length=200)


class ServicePauseOut(BaseModel):
    code: str
    paused: bool
    reason: str | None
    since: str | None

"""The dashboard's read: ``GET /api/v1/dashboard`` (supervisors and admins). The back
office's dashboard stands on it, and any client may build a dashboard of its own on it."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hallq.server.api.context import hall, requires
from hallq.server.api.schemas import ERRORS
from hallq.server.queue.dashboard import dashboard
from hallq.server.state import hallq

tag = Tag(name="dashboard", description="The supervisor's view of the hall today")
bp = APIBlueprint(
    "dashboard",
    __name__,
    abp_tags=[tag],
    abp_security=[{"bearer": []}],
    abp_responses=ERRORS,
)


class ZoneOut(BaseModel):
    code: str
    name: dict[str, str]


class ServiceWaitOut(BaseModel):
    code: str
    target_wait: int = Field(description="minutes")
    waiting: int
    oldest_queued_at: str | None = Field(description="the longest-waiting ticket joined then")
    longest_wait_s: int | None
    over_target: bool
    paused: bool = Field(description="a supervisor paused it: no new tickets")
    paused_reason: str | None
    paused_since: str | None


class CurrentTicketOut(BaseModel):
    id: int
    number: str
    service: str
    status: str
    priority: str
    called_at: str | None
    started_at: str | None


class CounterTicketOut(BaseModel):
    number: int
    current: CurrentTicketOut | None


class DeviceOut(BaseModel):
    name: str
    kind: str
    zone: str | None
    counter: int | None
    status: str | None = Field(description="what its agent last reported: ok, offline, …")
    detail: str | None
    last_seen_at: str | None


class TodayOut(BaseModel):
    issued: int
    served: int
    waiting: int
    no_show: int
    cancelled: int
    mean_wait_s: int | None = Field(description="mean wait of today's calls, in seconds")


class DashboardOut(BaseModel):
    at: str
    business_day: str
    zones: list[ZoneOut]
    services: list[ServiceWaitOut]
    counters: list[CounterTicketOut]
    devices: list[DeviceOut]
    today: TodayOut


@bp.get(
    "/dashboard",
    summary="The supervisor's dashboard: waits against targets, windows, devices, today's totals",
    description="What the snapshot (`GET /state`) does not carry: each service's longest wait "
    "against its target wait, each window's current ticket with its call and start times, "
    "every device as its agent last reported it, and today's totals. Read it again after "
    "deltas: waits grow with time.",
    responses={200: DashboardOut},
)
@requires("admin", "supervisor")
def read_dashboard() -> Any:
    state = hallq()
    with state.db.reading() as session:
        return dashboard(session, hall(), state.clock())

"""Pausing a service and reopening it (supervisors and administrators): while paused, the
kiosks and the API issue no ticket for it; its waiting tickets are still called."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import Tag

from hallq.server.api.admin import bp
from hallq.server.api.admin_schemas import CodePath, ServicePauseIn, ServicePauseOut
from hallq.server.api.context import caller, change, hall, requires
from hallq.server.queue.service_pause import PauseState, pause_service, reopen_service
from hallq.server.state import hallq

OVERSEERS = ("admin", "supervisor")
services_tag = Tag(name="services", description="Services and their queues")


def _out(state: PauseState) -> dict[str, Any]:
    return {
        "code": state.code,
        "paused": state.paused,
        "reason": state.reason,
        "since": state.since.isoformat() if state.since else None,
    }


@bp.post(
    "/services/<code>/pause",
    summary="Pause a service: no new tickets for it (supervisors)",
    description="Kiosks show it unavailable at once (`queue.updated`: closed, reason "
    '"paused"); issuing it is refused (409 `service_paused`). Its waiting tickets stay and '
    "are still called.",
    tags=[services_tag],
    responses={200: ServicePauseOut},
)
@requires(*OVERSEERS)
def service_pause(path: CodePath, body: ServicePauseIn) -> Any:
    now = hallq().clock()
    done = change(
        lambda session: pause_service(session, hall(), caller().actor, path.code, body.reason, now)
    )
    return _out(done)


@bp.post(
    "/services/<code>/reopen",
    summary="Reopen a paused service (supervisors)",
    tags=[services_tag],
    responses={200: ServicePauseOut},
)
@requires(*OVERSEERS)
def service_reopen(path: CodePath) -> Any:
    now = hallq().clock()
    done = change(lambda session: reopen_service(session, hall(), caller().actor, path.code, now))
    return _out(done)

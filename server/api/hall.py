"""What screens read: the services with their queues, and the whole hall's snapshot."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.context import EVERYONE, hall, requires
from hallq.server.api.schemas import ERRORS, ServicesOut, StateOut
from hallq.server.queue.reads import services_payload
from hallq.server.state import hallq

tag = Tag(name="hall", description="Services, queues and the hall's live state")
bp = APIBlueprint(
    "hall", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)


@bp.get(
    "/services",
    summary="Services with their waiting count, estimated wait and whether they take tickets now",
    responses={200: ServicesOut},
)
@requires(*EVERYONE)
def list_services() -> Any:
    state = hallq()
    with state.db.reading() as session:
        return {"services": services_payload(session, hall(), state.estimator, state.clock())}


@bp.get(
    "/state",
    summary="Snapshot for displays and dashboards: recent calls, windows, waiting per service",
    description="`seq` is the hall's delta counter at the time of the snapshot (see the Socket.IO "
    "namespace `/hall`): deltas with a larger `seq` come after it.",
    responses={200: StateOut},
)
@requires(*EVERYONE)
def get_state() -> Any:
    return hallq().hub.snapshot(hall())

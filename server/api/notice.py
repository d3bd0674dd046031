"""The lobby notice: supervisors set the line of text the boards scroll."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.context import DEVICES, STAFF, caller, change, hall, requires
from hallq.server.api.schemas import ERRORS, NoticeIn, NoticesOut
from hallq.server.queue import notices
from hallq.server.state import hallq

tag = Tag(name="notice", description="The line of text the lobby boards scroll")
bp = APIBlueprint(
    "notice", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)


@bp.get("/notice", summary="The hall's lobby notices", responses={200: NoticesOut})
@requires(*STAFF, *DEVICES)
def read() -> Any:
    with hallq().db.reading() as session:
        return {"notices": notices.notices(session, hall().id)}


@bp.put(
    "/notice",
    summary="Set or clear a lobby notice (supervisors)",
    description="For the boards of one zone, or (no zone) for every board without one of its "
    "own. Text per language; an empty text in every language clears it. The boards show it "
    "at once (`notice.updated`).",
    responses={200: NoticesOut},
)
@requires("admin", "supervisor")
def put(body: NoticeIn) -> Any:
    now = hallq().clock()
    done = change(
        lambda session: notices.set_notice(
            session, hall(), caller().actor, body.zone, dict(body.text), now
        )
    )
    return {"notices": done.notices}

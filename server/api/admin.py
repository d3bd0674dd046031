"""Administration of the hall (``/api/v1/admin/...``, administrators only) and pausing a
service (supervisors too).

The views live in modules by subject, all on this one blueprint: ``admin_hall`` (the hall
file, the hall, zones, services, windows), ``admin_people`` (devices and users) and
``admin_pause``. Changes to the hall's configuration edit its hall file and load it again
(``server/admin/hall_edits.py``); a file the checks refuse answers 400 with every problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy.orm import Session

from hallq.server.admin.hall_edits import HallEdited, HallFileRejected
from hallq.server.api.context import change, hall
from hallq.server.api.errors import error_response
from hallq.server.api.schemas import ERRORS
from hallq.server.i18n import current_language
from hallq.server.refusals import explain
from hallq.server.state import hallq

R = TypeVar("R")

tag = Tag(name="admin", description="Administration of the hall")
bp = APIBlueprint(
    "admin",
    __name__,
    abp_tags=[tag],
    abp_security=[{"bearer": []}],
    abp_responses={**ERRORS, 400: ERRORS[422]},
)

ADMIN = ("admin",)


@bp.app_errorhandler(HallFileRejected)
def _rejected(exc: HallFileRejected) -> Response:
    """400 with every problem the hall file's checks found (they are English, as the
    checks' messages of ``hallq init`` are)."""
    return error_response(
        400,
        exc.code,
        explain(exc, current_language()),
        problems=exc.listed(),
        count=exc.params["count"],
    )


def hall_change(work: Callable[[Session, dt.datetime], R]) -> R:
    """Run a change of the hall's configuration on the command path (which tells the screens
    with the hall as it is now); the rest of the request sees the new hall too."""
    now = hallq().clock()
    result = change(lambda session: work(session, now))
    g.hall = hallq().hall(None, hall().id)
    return result


def edited(result: HallEdited, **extra: Any) -> dict[str, Any]:
    return {"changes": result.changes, "warnings": result.warnings, **extra}


# The views register themselves on ``bp`` when imported (after it exists).
from hallq.server.api import admin_hall, admin_pause, admin_people  # noqa: E402

__all__ = ["admin_hall", "admin_pause", "admin_people", "bp"]

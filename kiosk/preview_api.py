"""``GET /api/v1/tickets/{id}/preview.png``: a ticket as its kiosk prints it, for staff, the
ticket's own kiosk and the tests. Part of the kiosk's page plugin: the server itself knows
nothing of ticket layouts or printers."""

from __future__ import annotations

from typing import Any, Literal

from flask import Flask, Response
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hallq.server import wire
from hallq.server.api.context import STAFF, caller, hall, requires
from hallq.server.api.schemas import ERRORS, TicketPath
from hallq.server.queue.errors import N_, NotFound
from hallq.server.queue.printing import issuing_kiosk
from hallq.server.state import hallq

tag = Tag(name="tickets")
bp = APIBlueprint(
    "kiosk_preview",
    __name__,
    url_prefix=wire.API_PREFIX,
    abp_tags=[tag],
    abp_security=[{"bearer": []}],
    abp_responses=ERRORS,
)


class PreviewQuery(BaseModel):
    paper: Literal["80", "58"] = Field(default="80", description="paper width in mm")


@bp.get(
    "/tickets/<int:ticket_id>/preview.png",
    summary="The ticket as its kiosk prints it (a PNG)",
    description="The same layout the kiosk agent prints, with the ticket's place and estimate as "
    "they are now. For staff, and for the kiosk that issued the ticket.",
    responses={200: None},
)
@requires("kiosk", *STAFF)
def preview(path: TicketPath, query: PreviewQuery) -> Any:
    from hallq.kiosk.ticket_layout import preview_png

    state = hallq()
    with state.db.reading() as session:
        who = caller()
        if who.role == "kiosk" and issuing_kiosk(session, path.ticket_id) != who.actor.device_id:
            # Another kiosk's ticket: the same answer as a ticket that does not exist.
            raise NotFound(
                "unknown_ticket",
                N_("There is no ticket %(ticket)s in this hall."),
                ticket=path.ticket_id,
            )
        job = state.print_jobs.from_database(session, hall(), 0, path.ticket_id, state.clock())
    assert job is not None
    png = preview_png(job["ticket"], paper_mm=80 if query.paper == "80" else 58)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


def register(app: Flask) -> None:
    app.register_api(bp)  # type: ignore[attr-defined]

"""Pages served beside the API: the health check, the hall's front page and the customer's
ticket status page (the QR code on a ticket points at it)."""

from __future__ import annotations

import functools
import io
from typing import Any

import qrcode
from flask import Blueprint, Flask, Response, abort, render_template
from flask_babel import force_locale
from qrcode.image.svg import SvgPathImage

from hallq.server import catalogs
from hallq.server.i18n import chosen_language, current_language, default_language
from hallq.server.queue import lookups
from hallq.server.queue.hall import only_hall
from hallq.server.queue.reads import ticket_status
from hallq.server.state import hallq

# A plain blueprint: these pages are not part of the API's OpenAPI document.
bp = Blueprint("pages", __name__)


def init_pages(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> Any:
    """For load balancers and the scripts that start the server: the database answers."""
    with hallq().db.reading() as session:
        hall = only_hall(session)
    return {"ok": True, "hall": hall.code if hall else None}


@bp.get("/")
def front_page() -> Any:
    with hallq().db.reading() as session:
        hall = only_hall(session)
    return render_template("front.html", hall=hall.public() if hall else None)


@bp.get("/favicon.ico")
def favicon() -> Any:
    return "", 204


@bp.get("/t/<token>/qr.svg")
def ticket_qr(token: str) -> Any:
    """The ticket's status URL as a QR code, for the kiosk's screen (the printed ticket has
    its own). Known only to whoever holds the ticket's token."""
    state = hallq()
    with state.db.reading() as session:
        row = lookups.ticket_row_by_token(session, token) if len(token) <= 64 else None
        if row is None:
            abort(404)
        hall = state.hall(session, row.hall_id)
    return Response(
        qr_svg(state.status_url(hall, token)),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "private, max-age=86400"},
    )


def qr_svg(data: str) -> bytes:
    image = qrcode.make(data, image_factory=SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


@bp.get("/t/<token>")
def ticket_page(token: str) -> Any:
    if len(token) > 64:
        abort(404)
    state = hallq()
    with state.db.reading() as session:
        row = lookups.ticket_row_by_token(session, token)
        if row is None:
            abort(404)
        hall = state.hall(session, row.hall_id)
        # The customer switched the kiosk to another language: the page follows the ticket,
        # whatever the phone's browser prefers.
        follow_ticket = chosen_language() is None and row.language != default_language()
        language = row.language if follow_ticket else current_language()
        ticket = ticket_status(session, hall, state.estimator, row, language)
        service = lookups.service_by_code(session, hall.id, row.service_code)
    page = functools.partial(
        render_template, "ticket.html", ticket=ticket, hall=hall.public(), service=service
    )
    if follow_ticket:
        with force_locale(catalogs.babel_locale(row.language)):
            return page()
    return page()

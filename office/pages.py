"""The back office's pages: ``/office`` (the first section a supervisor sees) and each
section's page. A section appears in the header's navigation once its page exists: the
list below names them all, and the header shows those registered."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, url_for

from hallq.server.queue.errors import N_
from hallq.server.queue.hall import only_hall
from hallq.server.state import hallq

bp = Blueprint(
    "office",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/office/static",
)

# (endpoint, label): the back office's sections in the header's order.
SECTIONS = (
    ("office.dashboard", N_("Dashboard")),
    ("office.reports", N_("Reports")),
    ("office.follow_ups", N_("Follow-ups")),
    ("office.audit", N_("Audit")),
    ("office.admin", N_("Administration")),
)


def init_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    # Imported here: the sections' views use this module's helpers.
    from hallq.office.admin_page import init_admin_page
    from hallq.office.sections import init_sections

    init_sections(app)
    init_admin_page(app)


# Sections only an administrator works in: the header shows them to administrators only.
ADMIN_ONLY = frozenset({"office.admin"})


def sections(active: str) -> list[dict[str, Any]]:
    """The sections whose pages exist, each with its address, whether it is this one and
    whether only administrators see it in the header."""
    return [
        {
            "url": url_for(endpoint),
            "label": label,
            "current": endpoint == active,
            "admin_only": endpoint in ADMIN_ONLY,
        }
        for endpoint, label in SECTIONS
        if endpoint in current_app.view_functions
    ]


def _hall() -> Any:
    with hallq().db.reading() as session:
        hall = only_hall(session)
    return hall


@bp.get("/office")
@bp.get("/office/dashboard")
def dashboard() -> Any:
    """The supervisor's live dashboard, in the reader's language (``?lang=``, the cookie,
    the browser's); its script signs in and reads everything through the API."""
    hall = _hall()
    return render_template(
        "office/dashboard.html",
        hall=hall.public() if hall else None,
        sections=sections("office.dashboard"),
    )
